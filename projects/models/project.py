"""The project application (đề án) and what hangs off it: events, comments, documents."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from khuyencong.text import fold_join

# Outcomes a project promises (expected_*) and an acceptance review records (achieved_*).
OUTCOME_FIELDS = [
    ("jobs_created", _("Việc làm tạo mới")),
    ("people_trained", _("Người được đào tạo")),
    ("employed_after_training", _("Có việc làm sau đào tạo")),
    ("managers_trained", _("Cán bộ quản lý được đào tạo")),
    ("machines_installed", _("Máy móc, thiết bị được lắp đặt")),
    ("fair_participations", _("Lượt cơ sở tham gia hội chợ, triển lãm")),
]


class Status(models.TextChoices):
    DRAFT = "draft", _("Nháp")
    SUBMITTED = "submitted", _("Chờ thẩm định")
    RETURNED = "returned", _("Trả lại để bổ sung")
    APPRAISED = "appraised", _("Chờ phê duyệt")
    APPROVED = "approved", _("Đã phê duyệt")
    REJECTED = "rejected", _("Không phê duyệt")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    AWAITING_ACCEPTANCE = "awaiting_acceptance", _("Chờ nghiệm thu")
    ACCEPTED = "accepted", _("Đã nghiệm thu")
    SETTLED = "settled", _("Đã quyết toán")
    CANCELLED = "cancelled", _("Đã hủy")


# What comes next for a project in each status, as the list's phone cards say it; a closed
# project (not approved, settled, cancelled) has no next step.
NEXT_STEP = {
    Status.DRAFT: _("Nộp đề án"),
    Status.SUBMITTED: _("Thẩm định"),
    Status.RETURNED: _("Hoàn thiện, nộp lại"),
    Status.APPRAISED: _("Phê duyệt"),
    Status.APPROVED: _("Ký hợp đồng, bắt đầu thực hiện"),
    Status.IN_PROGRESS: _("Báo cáo tiến độ, đề nghị nghiệm thu"),
    Status.AWAITING_ACCEPTANCE: _("Nghiệm thu"),
    Status.ACCEPTED: _("Quyết toán"),
}


class NormStatus(models.TextChoices):
    """Where the request stands against the support norm at the project's date."""

    WITHIN = "within", _("Trong định mức")
    AWAITING = "awaiting", _("Vượt định mức — chờ Lãnh đạo cho phép")
    ALLOWED = "allowed", _("Vượt định mức — Lãnh đạo đã cho phép")

    @classmethod
    def q(cls, status: str) -> Q:
        """The rows in `status`, as a filter on the stored fields."""
        over = Q(norm_limit__isnull=False, requested_support__gt=F("norm_limit"))
        covered = Q(
            norm_override_amount__isnull=False, requested_support__lte=F("norm_override_amount")
        )
        if status == cls.WITHIN:
            return ~over
        if status == cls.ALLOWED:
            return over & covered
        return over & ~covered


# States in which the approved amount is drawn from its allocation.
COMMITTED_STATUSES = [
    Status.APPROVED,
    Status.IN_PROGRESS,
    Status.AWAITING_ACCEPTANCE,
    Status.ACCEPTED,
    Status.SETTLED,
]


class CodeSequence(models.Model):
    """Last number used per code prefix and year; locked while a new code is taken."""

    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="one_sequence_per_prefix_year")
        ]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last}"


class ProjectQuerySet(models.QuerySet):
    def search(self, text: str):
        from khuyencong.text import fold

        folded = fold(text)
        return self.filter(search_text__contains=folded) if folded else self

    def for_list(self):
        return self.select_related(
            "activity_type",
            "funding_source",
            "facility",
            "locality__current",
            "responsible_officer",
        )


class Project(models.Model):
    code = models.CharField(_("mã đề án"), max_length=30, unique=True, editable=False)
    title = models.CharField(_("tên đề án"), max_length=500)
    activity_type = models.ForeignKey(
        "projects.ActivityType",
        verbose_name=_("nội dung khuyến công"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    funding_source = models.ForeignKey(
        "projects.FundingSource",
        verbose_name=_("nguồn kinh phí"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    year = models.PositiveSmallIntegerField(_("năm kế hoạch"))
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("đơn vị thụ hưởng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        help_text=_("Để trống với hoạt động do Trung tâm tổ chức (lớp đào tạo, hội chợ…)."),
    )
    locality = models.ForeignKey(
        "khuyencong.Locality",
        verbose_name=_("địa bàn thực hiện"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    implementing_unit = models.CharField(_("đơn vị thực hiện"), max_length=255)
    description = models.TextField(_("nội dung đề án"), blank=True)

    total_cost = models.PositiveBigIntegerField(_("tổng kinh phí (đồng)"))
    requested_support = models.PositiveBigIntegerField(
        _("kinh phí khuyến công đề nghị hỗ trợ (đồng)")
    )
    counterpart_funds = models.PositiveBigIntegerField(_("vốn đối ứng (đồng)"), default=0)
    other_funds = models.PositiveBigIntegerField(_("nguồn khác (đồng)"), default=0)
    start_date = models.DateField(_("ngày bắt đầu"))
    end_date = models.DateField(_("ngày kết thúc"))

    expected_jobs_created = models.PositiveIntegerField(_("việc làm tạo mới"), default=0)
    expected_people_trained = models.PositiveIntegerField(_("người được đào tạo"), default=0)
    expected_employed_after_training = models.PositiveIntegerField(
        _("có việc làm sau đào tạo"), default=0
    )
    expected_managers_trained = models.PositiveIntegerField(
        _("cán bộ quản lý được đào tạo"), default=0
    )
    expected_machines_installed = models.PositiveIntegerField(
        _("máy móc, thiết bị lắp đặt"), default=0
    )
    expected_fair_participations = models.PositiveIntegerField(
        _("lượt tham gia hội chợ, triển lãm"), default=0
    )
    expected_other = models.TextField(_("kết quả dự kiến khác"), blank=True)

    responsible_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cán bộ phụ trách"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responsible_projects",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="created_projects",
        editable=False,
    )
    status = models.CharField(
        _("trạng thái"), max_length=24, choices=Status.choices, default=Status.DRAFT
    )
    status_changed_at = models.DateTimeField(_("chuyển trạng thái lúc"), null=True, blank=True)

    # First filing (projects/applications/workflow.py `submit`): decisions may not be dated
    # before it, and a national project filed after the registration deadline of its plan year
    # is flagged (LegalDeadline NATIONAL_REGISTRATION).
    submitted_on = models.DateField(_("ngày nộp đề án"), null=True, blank=True, editable=False)
    registered_late = models.BooleanField(_("đăng ký muộn"), default=False, editable=False)

    # Norm check (projects/applications/norms.py). `norm_limit` is the most the norm in force at
    # the project's date allows (None: no norm applies), kept in step by the rule functions so
    # the list can filter on it without reading the norms. A request above it needs a manager's
    # override, which covers an amount: a request raised above `norm_override_amount` is no
    # longer covered and needs a new override.
    norm_limit = models.PositiveBigIntegerField(
        _("mức hỗ trợ tối đa theo định mức (đồng)"), null=True, blank=True, editable=False
    )
    norm_override_amount = models.PositiveBigIntegerField(
        _("được phép vượt định mức đến (đồng)"), null=True, blank=True
    )
    norm_override_at = models.DateTimeField(_("phê duyệt vượt định mức lúc"), null=True, blank=True)
    norm_override_reason = models.TextField(_("lý do phê duyệt vượt định mức"), blank=True)
    norm_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("người phê duyệt vượt định mức"),
    )

    # Appraisal (thẩm định)
    recommended_amount = models.PositiveBigIntegerField(
        _("kinh phí đề xuất hỗ trợ (đồng)"), null=True, blank=True
    )
    appraisal_opinion = models.TextField(_("ý kiến thẩm định"), blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("người thẩm định"),
    )
    appraised_at = models.DateTimeField(_("thẩm định lúc"), null=True, blank=True)
    no_conflict_declared = models.BooleanField(
        _("cam kết không có xung đột lợi ích"), default=False
    )

    # Approval (phê duyệt)
    decision_number = models.CharField(_("số quyết định"), max_length=60, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    approved_amount = models.PositiveBigIntegerField(
        _("kinh phí được phê duyệt (đồng)"), null=True, blank=True
    )
    allocation = models.ForeignKey(
        "projects.Allocation",
        verbose_name=_("nguồn dự toán"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("người phê duyệt"),
    )
    rejection_reason = models.TextField(_("lý do không phê duyệt"), blank=True)
    return_reason = models.TextField(_("lý do trả lại"), blank=True)

    # Implementation and close-out
    contract_number = models.CharField(_("số hợp đồng"), max_length=60, blank=True)
    contract_date = models.DateField(_("ngày hợp đồng"), null=True, blank=True)
    report_every_months = models.PositiveSmallIntegerField(
        _("kỳ báo cáo tiến độ (tháng)"),
        null=True,
        blank=True,
        help_text=_("Để trống để dùng kỳ mặc định của hệ thống."),
    )
    settled_amount = models.PositiveBigIntegerField(
        _("kinh phí quyết toán (đồng)"), null=True, blank=True
    )
    settlement_decision_number = models.CharField(
        _("số quyết định quyết toán"), max_length=60, blank=True
    )
    settled_on = models.DateField(_("ngày quyết toán"), null=True, blank=True)
    acceptance_requested_on = models.DateField(
        _("ngày đề nghị nghiệm thu"), null=True, blank=True, editable=False
    )
    accepted_on = models.DateField(_("ngày nghiệm thu"), null=True, blank=True)
    cancellation_reason = models.TextField(_("lý do hủy"), blank=True)

    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        verbose_name = _("đề án khuyến công")
        verbose_name_plural = _("đề án khuyến công")
        ordering = ["-year", "-code"]
        # Indexes shaped like the reads of the pages (a province holds tens of thousands of
        # projects): the list's default order, each `?sort=` column, a status filter with the
        # default order, and the overdue check of the dashboard (only projects being implemented
        # can be late, so that index holds only them). The id ends each key so that a page far
        # down the list picks its ids from the index alone (khuyencong.paging.ListPaginator).
        # The trigram index of the search is in migration 0008 (PostgreSQL only). The register's
        # count and total cost of a period (reports/register.py) are read from an index of
        # the year holding the columns it sums and filters by (a year is some thousands of
        # projects spread over as many table pages); of the projects it lists only (no draft),
        # so that the lists, which show drafts, keep to the indexes of their order.
        indexes = [
            models.Index(fields=["-year", "-code", "id"], name="project_list_order"),
            models.Index(
                fields=["year"],
                include=[
                    "status",
                    "total_cost",
                    "id",
                    "funding_source",
                    "activity_type",
                    "locality",
                ],
                condition=~Q(status=Status.DRAFT),
                name="project_register_period",
            ),
            models.Index(fields=["status", "-year", "-code", "id"], name="project_status_order"),
            models.Index(fields=["title", "id"], name="project_sort_title"),
            models.Index(fields=["requested_support", "id"], name="project_sort_requested"),
            models.Index(fields=["approved_amount", "id"], name="project_sort_approved"),
            models.Index(fields=["start_date", "id"], name="project_sort_start"),
            models.Index(
                fields=["end_date", "id"],
                # A district officer's count of overdue projects (the dashboard) filters by
                # locality: with it in the index the count reads no row (1.3 → 0.25 ms).
                include=["locality"],
                condition=Q(
                    status__in=[Status.APPROVED, Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE]
                ),
                name="project_overdue",
            ),
            # "Việc của tôi" and the dashboard's card of it: each group is the projects of one
            # status (bar a few) in the order of its due date, counted and its first rows read.
            # Only the open states are held (not the settled, cancelled or rejected history),
            # with the person the work falls to, so a count reads the index alone.
            models.Index(
                fields=["status", "status_changed_at", "id"],
                include=["responsible_officer", "created_by"],
                condition=Q(
                    status__in=[
                        Status.DRAFT,
                        Status.RETURNED,
                        Status.SUBMITTED,
                        Status.APPRAISED,
                        Status.AWAITING_ACCEPTANCE,
                    ]
                ),
                name="project_work_waiting",
            ),
            models.Index(
                fields=["status", "start_date", "id"],
                include=["responsible_officer"],
                condition=Q(status=Status.APPROVED),
                name="project_work_to_sign",
            ),
            # The columns the late progress reports work out the periods from, and the
            # locality a district officer's scope asks for: read by an index-only scan.
            models.Index(
                fields=["status", "end_date", "id"],
                include=["responsible_officer", "start_date", "report_every_months", "locality"],
                condition=Q(status=Status.IN_PROGRESS),
                name="project_work_in_progress",
            ),
            # The projects in progress never visited, in the order they are due a visit (their
            # contract date): the scan stops at the page of "Việc của tôi".
            models.Index(
                fields=["status", "contract_date", "id"],
                include=["responsible_officer"],
                condition=Q(status=Status.IN_PROGRESS),
                name="project_work_to_visit",
            ),
            models.Index(
                fields=["status", "accepted_on", "id"],
                include=["responsible_officer"],
                condition=Q(status=Status.ACCEPTED),
                name="project_work_to_settle",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    total_cost=F("requested_support") + F("counterpart_funds") + F("other_funds")
                ),
                name="project_funds_add_up",
                violation_error_message=_(
                    "Kinh phí khuyến công + vốn đối ứng + nguồn khác phải bằng tổng kinh phí."
                ),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="project_dates_ordered",
                violation_error_message=_("Ngày kết thúc phải sau ngày bắt đầu."),
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(approved_amount__lte=F("requested_support")),
                name="project_approved_within_request",
                violation_error_message=_(
                    "Kinh phí phê duyệt không được vượt kinh phí đề nghị hỗ trợ."
                ),
            ),
            models.CheckConstraint(
                condition=Q(settled_amount__isnull=True)
                | Q(settled_amount__lte=F("approved_amount")),
                name="project_settled_within_approved",
                violation_error_message=_(
                    "Kinh phí quyết toán không được vượt kinh phí phê duyệt."
                ),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="project_year_sane"
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.title}"

    def save(self, *args, **kwargs):
        self.search_text = fold_join(
            self.code,
            self.title,
            self.facility.name if self.facility_id else "",
            self.implementing_unit,
        )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("projects:detail", args=[self.pk])

    @property
    def next_step(self):
        return NEXT_STEP.get(self.status, "")

    @property
    def over_norm(self) -> bool:
        return self.norm_limit is not None and self.requested_support > self.norm_limit

    @property
    def norm_override_covers_request(self) -> bool:
        return (
            self.norm_override_amount is not None
            and self.requested_support <= self.norm_override_amount
        )

    @property
    def norm_status(self) -> str:
        """NormStatus of the request, from the stored fields (no query)."""
        if not self.over_norm:
            return NormStatus.WITHIN
        if self.norm_override_covers_request:
            return NormStatus.ALLOWED
        return NormStatus.AWAITING

    def get_norm_status_display(self) -> str:
        return NormStatus(self.norm_status).label

    @property
    def is_closed(self) -> bool:
        return self.status in {Status.SETTLED, Status.CANCELLED, Status.REJECTED}


class ProjectEvent(models.Model):
    """One step of a project's life: a transition, or a recorded decision such as an override."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("thao tác"), max_length=40)
    from_status = models.CharField(_("từ trạng thái"), max_length=24, choices=Status.choices)
    to_status = models.CharField(_("sang trạng thái"), max_length=24, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    comment = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("diễn biến đề án")
        verbose_name_plural = _("diễn biến đề án")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.project.code}: {self.action}"


class Comment(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người viết"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("nội dung ý kiến"))
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("ý kiến trao đổi")
        verbose_name_plural = _("ý kiến trao đổi")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.project.code}: {self.text[:40]}"


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", _("Thuyết minh đề án")
    ESTIMATE = "estimate", _("Dự toán")
    DECISION = "decision", _("Quyết định")
    CONTRACT = "contract", _("Hợp đồng")
    INVOICE = "invoice", _("Hóa đơn, chứng từ")
    MINUTES = "minutes", _("Biên bản")
    OTHER = "other", _("Tài liệu khác")


def document_path(instance, filename):
    # Server-chosen names: the uploader's file name is kept only as data.
    return f"documents/{instance.project_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ProjectDocument(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("loại tài liệu"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("tệp"), upload_to=document_path, max_length=255)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("thời điểm tải lên"), auto_now_add=True)

    class Meta:
        verbose_name = _("hồ sơ, tài liệu")
        verbose_name_plural = _("hồ sơ, tài liệu")
        ordering = ["kind", "uploaded_at"]

    def __str__(self):
        return self.original_name
