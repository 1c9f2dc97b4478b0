"""After approval: monitoring, progress reports, money paid out, and the acceptance review."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import BigIntegerField, Case, Exists, F, OuterRef, Q, When
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects.models.project import Status


class Cancellable(models.Model):
    """A close-out record that is cancelled with a reason instead of deleted (the trail stays).

    A cancelled record is shown greyed with its reason and left out of every figure, list and
    reminder; its earlier values are in its history (django-simple-history).
    """

    cancelled_at = models.DateTimeField(_("hủy lúc"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người hủy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.TextField(_("lý do hủy"), blank=True)

    class Meta:
        abstract = True

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class MonitoringVisit(Cancellable):
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
    history = HistoricalRecords(m2m_fields=[officers])

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


class FollowUpAction(Cancellable):
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
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("việc cần khắc phục")
        verbose_name_plural = _("việc cần khắc phục")
        ordering = ["due_date", "pk"]
        # The open actions, in the order the overdue list reads them.
        indexes = [
            models.Index(
                fields=["due_date", "id"],
                condition=Q(done_at__isnull=True, cancelled_at__isnull=True),
                name="followup_open_due",
            )
        ]

    def __str__(self):
        return self.description[:60]


class ProgressReport(Cancellable):
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
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("báo cáo tiến độ")
        verbose_name_plural = _("báo cáo tiến độ")
        ordering = ["period_start"]
        constraints = [
            # A cancelled report leaves its period open for the report that replaces it.
            models.UniqueConstraint(
                fields=["project", "period_start"],
                condition=Q(cancelled_at__isnull=True),
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
    """Giải ngân. The sum per project never exceeds the approved amount (closeout/disbursements.py).

    Money rows are never edited or deleted. A mistake is undone by a reversal (ghi đảo): a new
    row of the same kind and amount that `reverses` the wrong one and counts negative in every
    sum (`SIGNED_AMOUNT`). Keeping the kind means "advanced" and "paid" need no join to know
    what a reversal takes back.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="disbursements"
    )
    kind = models.CharField(_("loại"), max_length=10, choices=DisbursementKind.choices)
    date = models.DateField(_("ngày chi"))
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    voucher_number = models.CharField(_("số chứng từ"), max_length=60, blank=True)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    # One-to-one: a disbursement is reversed at most once.
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("ghi đảo của"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("giải ngân")
        verbose_name_plural = _("giải ngân")
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive"),
            # A reversal may carry no voucher of its own; every voucher typed is unique.
            models.UniqueConstraint(
                fields=["project", "voucher_number"],
                condition=~Q(voucher_number=""),
                name="voucher_unique_per_project",
                violation_error_message=_("Số chứng từ này đã được nhập cho đề án."),
            ),
            models.CheckConstraint(
                condition=~Q(reverses=F("id")), name="disbursement_not_self_reversal"
            ),
        ]

    def __str__(self):
        return f"{self.project.code} – {self.get_kind_display()} {self.voucher_number}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def signed_amount(self) -> int:
        return -self.amount if self.is_reversal else self.amount


# What a disbursement row adds to a sum: a reversal takes its amount back. Every sum of money
# paid out uses this (closeout/disbursements.py, planning/budget.py, reports/, settlement).
SIGNED_AMOUNT = Case(
    When(reverses__isnull=False, then=-F("amount")),
    default=F("amount"),
    output_field=BigIntegerField(),
)


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


# Review outcomes whose achieved figures count in the reports.
COUNTED_OUTCOMES = [AcceptanceOutcome.ACCEPTED, AcceptanceOutcome.WITH_CONDITIONS]


class AcceptanceReviewQuerySet(models.QuerySet):
    def counted(self):
        """The one review per project whose achieved outcomes count (projects/reports/__init__.py):
        its latest passing review, for a project that is not cancelled.

        "Latest" is written as "no later passing review of the same project exists": databases
        run that as an anti-join, where "id = (latest id)" becomes a subquery per review.
        """
        passing = Q(outcome__in=COUNTED_OUTCOMES, cancelled_at__isnull=True)
        later = AcceptanceReview.objects.filter(passing, project_id=OuterRef("project_id")).filter(
            Q(scheduled_date__gt=OuterRef("scheduled_date"))
            | Q(scheduled_date=OuterRef("scheduled_date"), pk__gt=OuterRef("pk"))
        )
        return self.filter(passing).exclude(Exists(later)).exclude(project__status=Status.CANCELLED)


class AcceptanceReview(Cancellable):
    """Nghiệm thu: scheduled first, then its outcome recorded, or cancelled before an outcome."""

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

    objects = AcceptanceReviewQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("nghiệm thu")
        verbose_name_plural = _("nghiệm thu")
        ordering = ["scheduled_date", "pk"]
        # The reports' "latest passing review of the project" (reports.base.counted_reviews)
        # looks for a later passing review of the same project: only those rows, in that order.
        indexes = [
            models.Index(
                fields=["project", "scheduled_date", "id"],
                condition=Q(
                    outcome__in=[AcceptanceOutcome.ACCEPTED, AcceptanceOutcome.WITH_CONDITIONS],
                    cancelled_at__isnull=True,
                ),
                name="review_passing_latest",
            ),
            # Reviews scheduled and not yet decided ("Việc của tôi": a project awaiting
            # acceptance with no such review still needs one scheduled).
            models.Index(
                fields=["project", "scheduled_date"],
                condition=Q(outcome="", cancelled_at__isnull=True),
                name="review_pending",
            ),
        ]

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
