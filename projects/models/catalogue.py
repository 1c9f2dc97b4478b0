"""Reference data a province edits: funding sources, activity types and support norms."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class FundingSource(models.Model):
    """Nguồn kinh phí: KCĐP, KCQG, and any other lawful public source a province adds."""

    code = models.CharField(_("mã"), max_length=20, unique=True)
    name = models.CharField(_("tên nguồn kinh phí"), max_length=150)
    is_national = models.BooleanField(_("nguồn trung ương"), default=False)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("nguồn kinh phí")
        verbose_name_plural = _("nguồn kinh phí")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class ActivityType(models.Model):
    """Nội dung khuyến công (Decree 45/2012 Art. 4, as amended by Decree 235/2025)."""

    code = models.CharField(_("mã"), max_length=20, unique=True)
    name = models.CharField(_("tên nội dung"), max_length=200)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    max_advance_percent = models.PositiveSmallIntegerField(
        _("tạm ứng tối đa (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Để trống nếu không có quy định riêng về mức tạm ứng."),
    )
    advance_legal_basis = models.CharField(_("căn cứ mức tạm ứng"), max_length=255, blank=True)
    advance_confirmed = models.BooleanField(
        _("mức tạm ứng đã xác nhận"),
        default=False,
        help_text=_(
            "Bỏ chọn khi mức tạm ứng là mức mặc định thận trọng, chưa đối chiếu với văn bản."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("nội dung khuyến công")
        verbose_name_plural = _("nội dung khuyến công")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_advance_percent__isnull=True) | Q(max_advance_percent__lte=100),
                name="activity_advance_percent_le_100",
            )
        ]

    def __str__(self):
        return self.name


class SupportNormQuerySet(models.QuerySet):
    def in_force(self, on):
        return self.filter(effective_from__lte=on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on)
        )


class SupportNorm(models.Model):
    """Định mức hỗ trợ: the most a project of one activity type and source may request."""

    activity_type = models.ForeignKey(
        ActivityType,
        verbose_name=_("nội dung khuyến công"),
        on_delete=models.PROTECT,
        related_name="norms",
    )
    funding_source = models.ForeignKey(
        FundingSource,
        verbose_name=_("nguồn kinh phí"),
        on_delete=models.PROTECT,
        related_name="norms",
    )
    max_rate_percent = models.DecimalField(
        _("tỷ lệ hỗ trợ tối đa (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    max_amount = models.PositiveBigIntegerField(
        _("mức hỗ trợ tối đa (đồng)"), null=True, blank=True
    )
    unit = models.CharField(
        _("tính trên"), max_length=60, blank=True, help_text=_("Ví dụ: mỗi cơ sở, mỗi mô hình.")
    )
    effective_from = models.DateField(_("hiệu lực từ"))
    effective_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=255)

    objects = SupportNormQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("định mức hỗ trợ")
        verbose_name_plural = _("định mức hỗ trợ")
        ordering = ["activity_type__order", "funding_source__order", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_rate_percent__isnull=False) | Q(max_amount__isnull=False),
                name="norm_has_a_limit",
                violation_error_message=_("Cần nhập tỷ lệ hoặc mức hỗ trợ tối đa."),
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="norm_dates_ordered",
                violation_error_message=_("Ngày hết hiệu lực phải sau ngày có hiệu lực."),
            ),
        ]

    def __str__(self):
        return f"{self.activity_type} – {self.funding_source.code} ({self.legal_basis})"

    def clean(self):
        super().clean()
        if not (self.activity_type_id and self.funding_source_id and self.effective_from):
            return
        overlapping = SupportNorm.objects.filter(
            activity_type_id=self.activity_type_id, funding_source_id=self.funding_source_id
        ).exclude(pk=self.pk)
        if self.effective_to:
            overlapping = overlapping.filter(effective_from__lte=self.effective_to)
        overlapping = overlapping.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from)
        )
        if overlapping.exists():
            raise ValidationError(
                _(
                    "Đã có định mức khác cho cùng nội dung và nguồn kinh phí "
                    "trong khoảng thời gian này."
                )
            )

    def limit_for(self, eligible_cost: int) -> int | None:
        """The most that may be requested for a project of `eligible_cost` đồng."""
        limits = []
        if self.max_rate_percent is not None:
            limits.append(int(Decimal(eligible_cost) * self.max_rate_percent / Decimal(100)))
        if self.max_amount is not None:
            limits.append(self.max_amount)
        return min(limits) if limits else None
