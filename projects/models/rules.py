"""The law's calendar and the exceptions a manager grants to the order of steps.

Deadlines are data, not literals in code: a Sở may set another date (domain.md §4.1: "before
20 May each year, or another date the Sở sets"), and a circular may be replaced.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DeadlineCode(models.TextChoices):
    SETTLEMENT = "settlement", _("Hạn thanh lý hợp đồng, quyết toán")
    NATIONAL_REGISTRATION = "national_registration", _("Hạn đăng ký đề án khuyến công quốc gia")


class DeadlineAnchor(models.TextChoices):
    # The year the deadline counts from; `year_offset` is added to it.
    ACCEPTANCE = "acceptance", _("năm nghiệm thu")
    PLAN = "plan", _("năm kế hoạch của đề án")


class LegalDeadline(models.Model):
    """A yearly deadline of the law: day/month of (anchor year + offset)."""

    code = models.CharField(_("mã"), max_length=40, choices=DeadlineCode.choices, unique=True)
    name = models.CharField(_("tên thời hạn"), max_length=200)
    day = models.PositiveSmallIntegerField(
        _("ngày"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    month = models.PositiveSmallIntegerField(
        _("tháng"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    anchor = models.CharField(_("tính theo"), max_length=20, choices=DeadlineAnchor.choices)
    year_offset = models.SmallIntegerField(
        _("số năm cộng thêm"),
        help_text=_("1: năm sau năm tính theo; -1: năm trước năm tính theo."),
    )
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=255)
    confirmed = models.BooleanField(
        _("đã xác nhận căn cứ"),
        default=False,
        help_text=_("Bỏ chọn nếu căn cứ pháp lý chưa được đối chiếu với văn bản gốc."),
    )
    remind_before_days = models.JSONField(
        _("nhắc trước (ngày)"),
        default=list,
        blank=True,
        help_text=_("Danh sách số ngày nhắc trước hạn, ví dụ [30, 7, 1]."),
    )

    class Meta:
        verbose_name = _("thời hạn theo quy định")
        verbose_name_plural = _("thời hạn theo quy định")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(day__gte=1) & Q(day__lte=31) & Q(month__gte=1) & Q(month__lte=12),
                name="deadline_day_month_sane",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.day:02d}/{self.month:02d})"

    def clean(self):
        super().clean()
        if self.day and self.month:
            try:
                # 29/02 is not a yearly date.
                datetime.date(2001, self.month, self.day)
            except ValueError as exc:
                message = _("Ngày và tháng không tạo thành một ngày hằng năm.")
                raise ValidationError(message) from exc
        days = self.remind_before_days
        if not isinstance(days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in days
        ):
            raise ValidationError(
                {"remind_before_days": _("Nhập danh sách số ngày dương, ví dụ [30, 7, 1].")}
            )

    def due_for(self, anchor_year: int) -> datetime.date:
        """The deadline for a project whose anchor (acceptance or plan) year is `anchor_year`."""
        return datetime.date(anchor_year + self.year_offset, self.month, self.day)

    @property
    def leads(self) -> list[int]:
        return [d for d in self.remind_before_days or [] if isinstance(d, int) and d > 0]

    @classmethod
    def lookup(cls, code: str) -> "LegalDeadline | None":
        return cls.objects.filter(code=code).first()

    @classmethod
    def lookup_all(cls, codes) -> dict[str, "LegalDeadline"]:
        """The deadlines of `codes` by code, in one query (none when no code is asked for)."""
        if not codes:
            return {}
        return {rule.code: rule for rule in cls.objects.filter(code__in=codes)}


def settlement_due(project, rule: LegalDeadline | None) -> datetime.date | None:
    """When an accepted project must be settled by (None: not accepted yet, or no rule)."""
    if rule is None or project.accepted_on is None:
        return None
    return rule.due_for(project.accepted_on.year)


def settlement_overdue(project, rule: LegalDeadline | None, today: datetime.date) -> bool:
    """Accepted, not settled, and the settlement deadline has passed."""
    due = settlement_due(project, rule)
    if due is None:
        return False
    if project.settled_on is not None:
        return project.settled_on > due
    return project.status == "accepted" and today > due


class ExceptionRule(models.TextChoices):
    # Law allows an advance above the usual share on a justified request; the amount is stated.
    ADVANCE_LIMIT = "advance_limit", _("Giải ngân vượt mức tạm ứng trước nghiệm thu")
    # The law is silent on the progress needed before acceptance; the portal's default may be
    # waived for one project.
    ACCEPTANCE_PROGRESS = "acceptance_progress", _("Đề nghị nghiệm thu khi chưa đủ tiến độ")


class RuleException(models.Model):
    """A manager's recorded exception to one rule of the order of steps, for one project."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="rule_exceptions"
    )
    rule = models.CharField(_("quy tắc"), max_length=40, choices=ExceptionRule.choices)
    amount = models.BigIntegerField(
        _("số tiền được phép (đồng)"),
        null=True,
        blank=True,
        help_text=_("Tổng giải ngân được phép trước nghiệm thu (chỉ với quy tắc tạm ứng)."),
    )
    reason = models.TextField(_("lý do"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cho phép"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("ngoại lệ quy tắc")
        verbose_name_plural = _("ngoại lệ quy tắc")
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="rule_exception_amount_positive",
            )
        ]

    def __str__(self):
        return f"{self.project_id}: {self.get_rule_display()}"
