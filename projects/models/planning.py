"""Programmes (multi-year), annual plans, their budgets per source, and their targets."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Programme(models.Model):
    """Chương trình khuyến công giai đoạn, e.g. 2021–2025."""

    name = models.CharField(_("tên chương trình"), max_length=255)
    start_year = models.PositiveSmallIntegerField(_("từ năm"))
    end_year = models.PositiveSmallIntegerField(_("đến năm"))
    decision_number = models.CharField(_("số quyết định"), max_length=60, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    issuer = models.CharField(_("cơ quan ban hành"), max_length=150, blank=True)
    notes = models.TextField(_("ghi chú"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chương trình khuyến công")
        verbose_name_plural = _("chương trình khuyến công")
        ordering = ["-start_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")),
                name="programme_years_ordered",
                violation_error_message=_("Năm kết thúc phải sau năm bắt đầu."),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.start_year}–{self.end_year})"

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)


class ProgrammeBudget(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="budgets")
    funding_source = models.ForeignKey(
        "projects.FundingSource", verbose_name=_("nguồn kinh phí"), on_delete=models.PROTECT
    )
    planned_amount = models.PositiveBigIntegerField(_("kinh phí dự kiến (đồng)"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kinh phí chương trình")
        verbose_name_plural = _("kinh phí chương trình")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "funding_source"], name="one_programme_budget_per_source"
            )
        ]

    def __str__(self):
        return f"{self.programme} – {self.funding_source.code}"


class AnnualPlan(models.Model):
    """Kế hoạch khuyến công năm."""

    year = models.PositiveSmallIntegerField(_("năm"), unique=True)
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("thuộc chương trình"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
    )
    decision_number = models.CharField(_("số quyết định"), max_length=60, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    notes = models.TextField(_("ghi chú"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kế hoạch khuyến công năm")
        verbose_name_plural = _("kế hoạch khuyến công năm")
        ordering = ["-year"]

    def __str__(self):
        return _("Kế hoạch khuyến công năm %(year)s") % {"year": self.year}


class PlanBudget(models.Model):
    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="budgets")
    funding_source = models.ForeignKey(
        "projects.FundingSource", verbose_name=_("nguồn kinh phí"), on_delete=models.PROTECT
    )
    amount = models.PositiveBigIntegerField(_("kinh phí kế hoạch (đồng)"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kinh phí kế hoạch năm")
        verbose_name_plural = _("kinh phí kế hoạch năm")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "funding_source"], name="one_plan_budget_per_source"
            )
        ]

    def __str__(self):
        return f"{self.plan} – {self.funding_source.code}"


class IndicatorMeasure(models.TextChoices):
    """How the result of an indicator is computed from the records (see projects/reports/)."""

    PROJECT_COUNT = "project_count", _("Số đề án của nội dung khuyến công")
    OUTCOME_SUM = "outcome_sum", _("Tổng kết quả đạt được")


class Indicator(models.Model):
    """Chỉ tiêu: something programmes and plans set a target for."""

    code = models.CharField(_("mã"), max_length=30, unique=True)
    name = models.CharField(_("tên chỉ tiêu"), max_length=200)
    unit = models.CharField(_("đơn vị tính"), max_length=40)
    measure = models.CharField(
        _("cách tính kết quả"), max_length=20, choices=IndicatorMeasure.choices
    )
    activity_type = models.ForeignKey(
        "projects.ActivityType",
        verbose_name=_("nội dung khuyến công"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Với chỉ tiêu đếm số đề án."),
    )
    outcome_field = models.CharField(
        _("kết quả được cộng"),
        max_length=40,
        blank=True,
        help_text=_("Với chỉ tiêu cộng kết quả đạt được (ví dụ: số người được đào tạo)."),
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(measure="project_count") & Q(activity_type__isnull=False))
                | (Q(measure="outcome_sum") & ~Q(outcome_field="")),
                name="indicator_measure_complete",
                violation_error_message=_(
                    "Chỉ tiêu đếm đề án cần nội dung khuyến công; "
                    "chỉ tiêu cộng kết quả cần tên kết quả."
                ),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})"


class Target(models.Model):
    """A target value for an indicator, set by a programme or by an annual plan (exactly one)."""

    indicator = models.ForeignKey(Indicator, verbose_name=_("chỉ tiêu"), on_delete=models.PROTECT)
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    plan = models.ForeignKey(
        AnnualPlan, null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    value = models.PositiveIntegerField(_("chỉ tiêu"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chỉ tiêu kế hoạch")
        verbose_name_plural = _("chỉ tiêu kế hoạch")
        ordering = ["indicator__order"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(programme__isnull=False) & Q(plan__isnull=True))
                | (Q(programme__isnull=True) & Q(plan__isnull=False)),
                name="target_belongs_to_programme_or_plan",
            ),
            models.UniqueConstraint(
                fields=["indicator", "programme"],
                condition=Q(programme__isnull=False),
                name="one_target_per_programme_indicator",
            ),
            models.UniqueConstraint(
                fields=["indicator", "plan"],
                condition=Q(plan__isnull=False),
                name="one_target_per_plan_indicator",
            ),
        ]

    def __str__(self):
        return f"{self.indicator}: {self.value}"
