"""After approval: monitoring, progress reports, money paid out, and the acceptance review."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class MonitoringVisit(models.Model):
    """Kiểm tra, giám sát tại cơ sở."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="monitoring_visits"
    )
    date = models.DateField(_("ngày kiểm tra"))
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("cán bộ kiểm tra"), blank=True, related_name="+"
    )
    other_participants = models.CharField(_("thành phần khác"), max_length=255, blank=True)
    place = models.CharField(_("địa điểm"), max_length=255)
    progress_percent = models.PositiveSmallIntegerField(
        _("tiến độ (%)"), validators=[MaxValueValidator(100)]
    )
    findings = models.TextField(_("nội dung phát hiện"), blank=True)
    problems = models.TextField(_("khó khăn, vướng mắc"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kiểm tra, giám sát")
        verbose_name_plural = _("kiểm tra, giám sát")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="visit_progress_le_100"
            )
        ]

    def __str__(self):
        return f"{self.project.code} – {self.date:%d/%m/%Y}"


class FollowUpAction(models.Model):
    """Việc cần khắc phục after a visit (or an acceptance with conditions)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="follow_up_actions"
    )
    visit = models.ForeignKey(
        MonitoringVisit, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.TextField(_("việc cần khắc phục"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người chịu trách nhiệm"),
        on_delete=models.PROTECT,
        related_name="follow_up_actions",
    )
    due_date = models.DateField(_("hạn hoàn thành"))
    done_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_note = models.TextField(_("kết quả khắc phục"), blank=True)

    class Meta:
        verbose_name = _("việc cần khắc phục")
        verbose_name_plural = _("việc cần khắc phục")
        ordering = ["due_date", "pk"]

    def __str__(self):
        return self.description[:60]


class ProgressReport(models.Model):
    """Báo cáo tiến độ for one period of the project's reporting schedule."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="progress_reports"
    )
    period_start = models.DateField(_("kỳ báo cáo từ ngày"))
    period_end = models.DateField(_("đến ngày"))
    progress_percent = models.PositiveSmallIntegerField(
        _("tiến độ (%)"), validators=[MaxValueValidator(100)]
    )
    money_spent = models.PositiveBigIntegerField(_("kinh phí đã sử dụng (đồng)"), default=0)
    problems = models.TextField(_("khó khăn, vướng mắc"), blank=True)
    content = models.TextField(_("nội dung báo cáo"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("báo cáo tiến độ")
        verbose_name_plural = _("báo cáo tiến độ")
        ordering = ["period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period_start"],
                name="one_report_per_period",
                violation_error_message=_("Kỳ báo cáo này đã có báo cáo."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="report_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="report_progress_le_100"
            ),
        ]

    def __str__(self):
        return f"{self.project.code} – {self.period_start:%d/%m/%Y}–{self.period_end:%d/%m/%Y}"


class DisbursementKind(models.TextChoices):
    ADVANCE = "advance", _("Tạm ứng")
    PAYMENT = "payment", _("Thanh toán")


class Disbursement(models.Model):
    """Giải ngân. The sum per project never exceeds the approved amount (projects/money rules)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="disbursements"
    )
    kind = models.CharField(_("loại"), max_length=10, choices=DisbursementKind.choices)
    date = models.DateField(_("ngày chi"))
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    voucher_number = models.CharField(_("số chứng từ"), max_length=60)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("giải ngân")
        verbose_name_plural = _("giải ngân")
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive")
        ]

    def __str__(self):
        return f"{self.project.code} – {self.get_kind_display()} {self.voucher_number}"


class AcceptanceOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Đạt")
    WITH_CONDITIONS = "with_conditions", _("Đạt, cần bổ sung hoàn thiện")
    NOT_ACCEPTED = "not_accepted", _("Không đạt")


# The documents an acceptance council checks; a review stores which were present.
ACCEPTANCE_CHECKLIST = [
    ("contract", _("Hợp đồng thực hiện đề án")),
    ("report", _("Báo cáo kết quả thực hiện đề án")),
    ("invoices", _("Hóa đơn, chứng từ mua sắm")),
    ("handover", _("Biên bản bàn giao, lắp đặt thiết bị")),
    ("photos", _("Hình ảnh, tài liệu minh chứng")),
]


class AcceptanceReview(models.Model):
    """Nghiệm thu: scheduled first, then its outcome recorded."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="acceptance_reviews"
    )
    scheduled_date = models.DateField(_("ngày nghiệm thu"))
    place = models.CharField(_("địa điểm"), max_length=255)
    checklist = models.JSONField(_("hồ sơ đã kiểm tra"), default=dict, blank=True)
    outcome = models.CharField(
        _("kết quả nghiệm thu"), max_length=20, choices=AcceptanceOutcome.choices, blank=True
    )
    findings = models.TextField(_("nhận xét của hội đồng"), blank=True)
    required_actions = models.TextField(_("nội dung cần bổ sung, hoàn thiện"), blank=True)
    achieved_jobs_created = models.PositiveIntegerField(_("việc làm tạo mới"), default=0)
    achieved_people_trained = models.PositiveIntegerField(_("người được đào tạo"), default=0)
    achieved_employed_after_training = models.PositiveIntegerField(
        _("có việc làm sau đào tạo"), default=0
    )
    achieved_managers_trained = models.PositiveIntegerField(
        _("cán bộ quản lý được đào tạo"), default=0
    )
    achieved_machines_installed = models.PositiveIntegerField(
        _("máy móc, thiết bị lắp đặt"), default=0
    )
    achieved_fair_participations = models.PositiveIntegerField(
        _("lượt tham gia hội chợ, triển lãm"), default=0
    )
    counterpart_invested = models.PositiveBigIntegerField(
        _("vốn đối ứng thực tế đã đầu tư (đồng)"), default=0
    )
    minutes = models.ForeignKey(
        "projects.ProjectDocument",
        verbose_name=_("biên bản nghiệm thu"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("ghi nhận kết quả lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("nghiệm thu")
        verbose_name_plural = _("nghiệm thu")
        ordering = ["scheduled_date", "pk"]

    def __str__(self):
        return f"{self.project.code} – {self.scheduled_date:%d/%m/%Y}"


class CouncilMember(models.Model):
    """Thành viên hội đồng nghiệm thu: a portal user, or an outside member by name."""

    review = models.ForeignKey(AcceptanceReview, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="council_seats",
    )
    name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    organisation = models.CharField(_("đơn vị công tác"), max_length=200, blank=True)
    council_role = models.CharField(_("vai trò trong hội đồng"), max_length=100)

    class Meta:
        verbose_name = _("thành viên hội đồng nghiệm thu")
        verbose_name_plural = _("thành viên hội đồng nghiệm thu")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(name=""),
                name="council_member_named",
                violation_error_message=_("Chọn người dùng hoặc nhập họ tên thành viên."),
            )
        ]

    def __str__(self):
        return self.name or str(self.user)
