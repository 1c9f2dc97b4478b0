import functools
from datetime import date, timedelta

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from khuyencong import compiled
from khuyencong.stored_text import say


class LocalityKind(models.TextChoices):
    PROVINCE = "province", _("Tỉnh")
    CITY = "city", _("Thành phố")
    DISTRICT = "district", _("Huyện")
    TOWN = "town", _("Thị xã")
    COMMUNE = "commune", _("Xã")
    WARD = "ward", _("Phường")
    TOWNSHIP = "township", _("Thị trấn")
    SPECIAL_ZONE = "special_zone", _("Đặc khu")


KIND_LABELS = dict(LocalityKind.choices)


@functools.lru_cache(maxsize=16)
def kind_labels(language: str | None) -> dict[str, str]:
    """KIND_LABELS translated to `language`, the active one (part of the key only; translations
    change only with a deploy): a list page names some fifty localities, and each lazy label
    was a translation lookup."""
    return {kind: str(label) for kind, label in KIND_LABELS.items()}


class LocalityQuerySet(models.QuerySet):
    def subtree(self, locality: "Locality"):
        return self.filter(path__startswith=locality.path)

    def current(self):
        """Units in force today (not ended by a reorganisation)."""
        return self.filter(valid_to__isnull=True)

    def by_code(self, code: str) -> "Locality":
        """The unit in force with this code (an ended unit may share a code with its successor)."""
        return self.current().get(code=code)


class Locality(models.Model):
    """A node of the administrative tree, valid for a period: province → (district →) commune.

    Units are never edited into something else: a reorganisation (khuyencong/localities.py)
    ends a unit (`valid_to`) and links it to its successor(s) through `LocalityChange`, so a
    record keeps the unit it was filed under and a past year's report keeps its groups. `current`
    points an ended unit at the unit in force that carries it today (None when it went to several).

    `path` is the chain of codes from the root ("04/01234/"), so a whole subtree is one indexed
    prefix query; an ended unit's segment carries its end date, so a successor may reuse its code.
    It is kept up to date by `save()`, also for descendants.
    """

    code = models.CharField(_("mã"), max_length=20)
    name = models.CharField(_("tên"), max_length=120)
    kind = models.CharField(_("cấp"), max_length=20, choices=LocalityKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("trực thuộc"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    is_active = models.BooleanField(
        _("đang hoạt động"),
        default=True,
        help_text=_("Bỏ chọn cho đơn vị đã giải thể hoặc sáp nhập (giữ lại cho hồ sơ cũ)."),
    )
    valid_from = models.DateField(_("hiệu lực từ ngày"), null=True, blank=True)
    valid_to = models.DateField(
        _("hết hiệu lực từ sau ngày"),
        null=True,
        blank=True,
        help_text=_("Ngày cuối cùng đơn vị tồn tại; để trống nếu đơn vị đang hoạt động."),
    )
    current = models.ForeignKey(
        "self",
        verbose_name=_("nay thuộc"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # "Xã Ca Thành, Huyện Nguyên Bình": how the unit was named, with its parent, when it ended.
    former_name = models.CharField(max_length=255, blank=True, editable=False)

    objects = LocalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("địa bàn")
        verbose_name_plural = _("địa bàn")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(valid_to__isnull=True),
                name="locality_code_unique_in_force",
                violation_error_message=_("Đã có đơn vị đang hoạt động với mã này."),
            )
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        if self.parent_id:
            node = self.parent
            while node is not None:
                if node.pk == self.pk and self.pk is not None:
                    raise ValueError("A locality cannot be its own ancestor.")
                node = node.parent
        if self.valid_to is not None:
            self.is_active = False
        new_path = self.compute_path()
        old_path = None
        if self.pk:
            old_path = Locality.objects.filter(pk=self.pk).values_list("path", flat=True).first()
        self.path = new_path
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != new_path:
                Locality.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(models.Value(new_path), Substr("path", len(old_path) + 1))
                )

    @property
    def full_name(self) -> str:
        # Not get_kind_display(), which rebuilds a dict of every choice on each call: the
        # locality filter of every list names all the province's localities.
        return self.full_name_of(self.kind, self.name)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else ""
        segment = self.code if self.valid_to is None else f"{self.code}~{self.valid_to:%Y%m%d}"
        return f"{prefix}{segment}/"

    @property
    def today(self) -> "Locality":
        """The unit in force that carries this one today (itself while in force, or when its
        area went to several units)."""
        return self.current if self.current_id else self

    @property
    def is_ended(self) -> bool:
        return self.valid_to is not None

    @property
    def display_name(self) -> str:
        """Today's unit, with the unit as filed when it has ended since.

        "Xã Ca Thành (trước 01/07/2025: Xã Ca Thành, Huyện Nguyên Bình)". Lists select
        `current` with the locality, so this costs no query.
        """
        return self.label(
            self.full_name,
            self.valid_to,
            self.former_name,
            self.current.full_name if self.current_id else None,
        )

    @staticmethod
    def label(
        full_name: str, valid_to: date | None, former_name: str, current_full_name: str | None
    ) -> str:
        """`display_name` from plain values: lists that read rows with values() use it."""
        if valid_to is None:
            return full_name
        before = _("trước %(day)s") % {"day": f"{valid_to + timedelta(days=1):%d/%m/%Y}"}
        former = former_name or full_name
        if current_full_name is None:
            return f"{former} ({_('đơn vị cũ')}, {before})"
        return f"{current_full_name} ({before}: {former})"

    @staticmethod
    def full_name_of(kind: str, name: str) -> str:
        return f"{kind_labels(get_language()).get(kind, kind)} {name}"

    # What `label_of_values` reads of a locality, for lists that read rows with values().
    VALUE_COLUMNS = (
        "kind",
        "name",
        "valid_to",
        "former_name",
        "current_id",
        "current__kind",
        "current__name",
    )

    @classmethod
    def value_columns(cls, prefix: str = "locality__") -> tuple[str, ...]:
        return tuple(prefix + column for column in cls.VALUE_COLUMNS)

    @classmethod
    def label_of_values(cls, row: dict, prefix: str = "locality__") -> str:
        """`display_name` from a values() row holding `value_columns(prefix)`."""
        current = None
        if row[f"{prefix}current_id"] is not None:
            current = cls.full_name_of(row[f"{prefix}current__kind"], row[f"{prefix}current__name"])
        return cls.label(
            cls.full_name_of(row[f"{prefix}kind"], row[f"{prefix}name"]),
            row[f"{prefix}valid_to"],
            row[f"{prefix}former_name"],
            current,
        )

    def contains(self, other: "Locality | None") -> bool:
        return bool(other) and other.path.startswith(self.path)


class ChangeKind(models.TextChoices):
    MERGED = "merged", _("Sáp nhập vào")
    SPLIT = "split", _("Chia tách thành")
    RENAMED = "renamed", _("Đổi tên thành")
    MOVED = "moved", _("Chuyển trực thuộc")
    DISSOLVED = "dissolved", _("Giải thể, chuyển về")


class Reorganisation(models.Model):
    """One applied reorganisation file (a resolution): applying it again does nothing."""

    reference = models.CharField(_("số hiệu"), max_length=120, unique=True)
    effective = models.DateField(_("có hiệu lực từ ngày"))
    source = models.TextField(_("căn cứ"), blank=True)
    applied_at = models.DateTimeField(_("áp dụng lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("đợt sắp xếp đơn vị hành chính")
        verbose_name_plural = _("đợt sắp xếp đơn vị hành chính")
        ordering = ["effective", "pk"]

    def __str__(self):
        return self.reference


class LocalityChange(models.Model):
    """`predecessor` ended and its area went (wholly or partly) to `successor`."""

    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.PROTECT, related_name="changes"
    )
    predecessor = models.ForeignKey(
        Locality, verbose_name=_("đơn vị cũ"), on_delete=models.PROTECT, related_name="+"
    )
    successor = models.ForeignKey(
        Locality, verbose_name=_("đơn vị kế thừa"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("hình thức"), max_length=20, choices=ChangeKind.choices)

    class Meta:
        verbose_name = _("thay đổi đơn vị hành chính")
        verbose_name_plural = _("thay đổi đơn vị hành chính")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="locality_change_once"
            )
        ]

    def __str__(self):
        return f"{self.predecessor} → {self.successor}"


class Role(models.TextChoices):
    CENTRE_STAFF = "centre_staff", _("Cán bộ Trung tâm")
    DISTRICT_OFFICER = "district_officer", _("Cán bộ địa bàn")
    MANAGER = "manager", _("Lãnh đạo")
    VIEWER = "viewer", _("Thanh tra, kiểm tra (chỉ xem)")


class User(AbstractUser):
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    localities = models.ManyToManyField(
        Locality,
        verbose_name=_("địa bàn phụ trách"),
        blank=True,
        related_name="officers",
        help_text=_(
            "Bắt buộc với cán bộ địa bàn: một hoặc nhiều xã, phường (hoặc cả tỉnh). Cán bộ thấy "
            "hồ sơ của các địa bàn này, cấp dưới và các đơn vị cũ đã sáp nhập vào."
        ),
    )
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    position = models.CharField(_("chức vụ"), max_length=120, blank=True)
    must_change_password = models.BooleanField(
        _("phải đổi mật khẩu"),
        default=False,
        help_text=_(
            "Người dùng phải đặt mật khẩu mới ở lần đăng nhập tiếp theo (tài khoản tạo với mật "
            "khẩu ban đầu)."
        ),
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.display_name_of(self.full_name, self.first_name, self.last_name, self.username)

    @staticmethod
    def display_name_of(full_name: str, first_name: str, last_name: str, username: str) -> str:
        """`display_name` from a values() row's columns (get_full_name as Django writes it)."""
        return full_name or f"{first_name} {last_name}".strip() or username

    @property
    def role_label(self) -> str:
        """get_role_display() without rebuilding the field's choices on every call (the account
        menu of every page shows it)."""
        return str(Role(self.role).label) if self.role in Role.values else self.role

    @property
    def covered_localities(self) -> list[Locality]:
        """An officer's localities, read once per request (khuyencong/access.py), by a
        statement compiled once per process (khuyencong.compiled): every request of an officer
        reads them."""
        if self.role != Role.DISTRICT_OFFICER or not self.pk:
            return []
        cached = getattr(self, "_covered_localities", None)
        if cached is None:
            cached = self._covered_localities = compiled.instances(
                ("user.covered_localities",),
                lambda users: Locality.objects.filter(officers__in=users).order_by("path"),
                users=(self.pk,),
            )
        return cached

    @property
    def is_centre_staff(self) -> bool:
        return self.role == Role.CENTRE_STAFF

    @property
    def is_district_officer(self) -> bool:
        return self.role == Role.DISTRICT_OFFICER

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_viewer(self) -> bool:
        return self.role == Role.VIEWER


class Delivery(models.TextChoices):
    """How a user wants one kind of notification (khuyencong/notifications.py)."""

    EMAIL_NOW = "email", _("Gửi e-mail ngay")
    DAILY_DIGEST = "digest", _("Gộp vào e-mail tổng hợp hằng ngày")
    PORTAL_ONLY = "portal", _("Chỉ thông báo trên cổng")


class ReminderState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    AWAITING_DIGEST = "digest", _("Chờ e-mail tổng hợp")
    SENT = "sent", _("Đã gửi e-mail")
    PORTAL_ONLY = "portal", _("Chỉ thông báo trên cổng")
    FAILED = "failed", _("Gửi không thành công")


class Reminder(models.Model):
    """One outbox row: tell `recipient` about `obj`, for `kind`, on `day`.

    The unique key makes writing it idempotent: a second scan on the same day, or a scan on a
    second worker, adds nothing. A sender claims the row (compare-and-swap on `claim_token`)
    before it creates the portal notification and sends the e-mail, so nothing goes out twice.
    """

    kind = models.CharField(_("loại nhắc việc"), max_length=40)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    obj = GenericForeignKey("content_type", "object_id")
    recipient = models.ForeignKey(
        User, verbose_name=_("người nhận"), on_delete=models.CASCADE, related_name="reminders"
    )
    # The day the reminder is due for (the scan day, or the milestone it catches up on).
    day = models.DateField(_("ngày nhắc"))
    title = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"), blank=True)
    # Message ids and values of title and body (khuyencong/stored_text.py), for the reader's
    # language; the columns above keep the Vietnamese text.
    texts = models.JSONField(_("văn bản theo ngôn ngữ"), default=dict, blank=True)
    url = models.CharField(_("đường dẫn"), max_length=500, blank=True)
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("gửi tiếp lúc"), default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    # Set at the first failed e-mail: retries go on until then, the row fails after it.
    retry_until = models.DateTimeField(_("thử lại đến"), null=True, blank=True)
    # The enqueue() call that stored the row: lets a scan count only the rows it inserted when
    # another scan raced it (ON CONFLICT DO NOTHING keeps the first writer's value).
    stored_by = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    sent_at = models.DateTimeField(_("gửi e-mail lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("nhắc việc")
        verbose_name_plural = _("nhắc việc")
        ordering = ["-day", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "content_type", "object_id", "recipient", "day"],
                name="one_reminder_per_kind_object_recipient_day",
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="reminder_due_idx"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id} ({self.day:%d/%m/%Y})"


class NotificationQuerySet(models.QuerySet):
    def for_list(self):
        # Title, body and link are stored on the row: the list needs no joins.
        return self.order_by("-created_at", "-pk")

    def unread(self):
        return self.filter(read_at=None)


class Notification(models.Model):
    """What a user sees in the portal's notification list (Thông báo)."""

    recipient = models.ForeignKey(
        User, verbose_name=_("người nhận"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("loại"), max_length=40)
    title = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"), blank=True)
    texts = models.JSONField(_("văn bản theo ngôn ngữ"), default=dict, blank=True)
    url = models.CharField(_("đường dẫn"), max_length=500, blank=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    obj = GenericForeignKey("content_type", "object_id")
    # At most one notification per outbox row, even if a sender is retried after a crash.
    reminder = models.OneToOneField(
        Reminder, null=True, blank=True, on_delete=models.SET_NULL, related_name="notification"
    )
    created_at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (rows from before keep their Vietnamese)."""
        return say(self.title, self.texts, "title")

    @property
    def shown_body(self) -> str:
        return say(self.body, self.texts, "body")


class NotificationPreference(models.Model):
    """A user's choice of delivery for one kind; no row means the portal default."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("loại thông báo"), max_length=40)
    delivery = models.CharField(_("cách nhận"), max_length=10, choices=Delivery.choices)

    class Meta:
        verbose_name = _("cài đặt nhận thông báo")
        verbose_name_plural = _("cài đặt nhận thông báo")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_user_kind")
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}: {self.delivery}"


class ServiceStamp(models.Model):
    """When a background job last ran, by name ("worker_heartbeat", "reminder_scan", …).

    Written through `khuyencong.ops.stamps.stamp(name)` by any task; read by the health check.
    One row per name, so the table never grows.
    """

    name = models.CharField(_("tên"), max_length=60, unique=True)
    at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("dấu thời gian tác vụ nền")
        verbose_name_plural = _("dấu thời gian tác vụ nền")

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


class AuditKind(models.TextChoices):
    LOGIN = "login", _("Đăng nhập")
    LOGIN_FAILED = "login_failed", _("Đăng nhập không thành công")
    LOCKOUT = "lockout", _("Tạm khóa đăng nhập")
    LOGOUT = "logout", _("Đăng xuất")
    IDLE_LOGOUT = "idle_logout", _("Tự đăng xuất do không hoạt động")
    OTP_VERIFIED = "otp_verified", _("Xác thực hai bước")
    OTP_FAILED = "otp_failed", _("Mã xác thực hai bước sai")
    OTP_ADDED = "otp_added", _("Bật xác thực hai bước")
    OTP_REMOVED = "otp_removed", _("Tắt xác thực hai bước")
    BACKUP_CODES = "backup_codes", _("Tạo mã dự phòng")
    PASSWORD_CHANGED = "password_changed", _("Đổi mật khẩu")
    PASSWORD_RESET_REQUESTED = "password_reset", _("Yêu cầu đặt lại mật khẩu")
    DOWNLOAD = "download", _("Tải tài liệu")
    EXPORT = "export", _("Xuất dữ liệu")


class AuditEvent(models.Model):
    """One line of the auth and audit log (khuyencong/audit.py): who, when, from where, what.

    Append-only: a saved event is never changed or deleted by the portal. `username` keeps what
    was typed at a failed sign-in, so events of unknown accounts are kept too.
    """

    kind = models.CharField(_("sự kiện"), max_length=20, choices=AuditKind.choices, db_index=True)
    user = models.ForeignKey(
        User,
        verbose_name=_("người dùng"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("tên đăng nhập"), max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    user_agent = models.CharField(_("trình duyệt"), max_length=300, blank=True)
    object_repr = models.CharField(_("đối tượng"), max_length=255, blank=True)
    url = models.CharField(_("đường dẫn"), max_length=500, blank=True)
    details = models.JSONField(_("chi tiết"), default=dict, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("nhật ký truy cập")
        verbose_name_plural = _("nhật ký truy cập")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Đang chờ")
    RUNNING = "running", _("Đang chạy")
    DONE = "done", _("Đã xong")
    FAILED = "failed", _("Không thành công")


class Job(models.Model):
    """Long work done by a Celery worker for one user: a large export or an import
    (khuyencong/jobs.py). The row is the whole state: a worker claims it, reports progress on
    it, and stores the file it made; the owner's page polls it."""

    owner = models.ForeignKey(
        User, verbose_name=_("người yêu cầu"), on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(_("loại"), max_length=60)
    title = models.CharField(_("tên công việc"), max_length=255)
    # What the kind needs to run again from scratch: the filter query string of an export,
    # the stored upload of an import. Never anything the owner's scope could widen.
    parameters = models.JSONField(_("tham số"), default=dict, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress_done = models.PositiveIntegerField(_("đã xử lý"), default=0)
    progress_total = models.PositiveIntegerField(_("tổng số"), null=True, blank=True)
    file = models.FileField(_("tệp kết quả"), upload_to="jobs/", max_length=255, blank=True)
    file_name = models.CharField(_("tên tệp tải về"), max_length=200, blank=True)
    # The owner's scope when the file was made (khuyencong/jobs.py, scope_key): a file made for
    # a wider scope is not handed out after the scope narrowed.
    scope_key = models.CharField(max_length=64, blank=True)
    message = models.TextField(_("kết quả"), blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    # Details of the outcome for the page: counts, the rows an import refused and why.
    result = models.JSONField(_("chi tiết kết quả"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("số lần chạy"), default=0)
    # Set afresh by each claim: a worker whose claim was taken over (stale) stops writing.
    claim_token = models.UUIDField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the job was last handed to the broker: a queued job nobody took for a while (a
    # broker restarted without its queue) is handed again by the sweep.
    queued_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    started_at = models.DateTimeField(_("bắt đầu lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    expires_at = models.DateTimeField(_("tệp được giữ đến"), null=True, blank=True)

    class Meta:
        verbose_name = _("công việc chạy nền")
        verbose_name_plural = _("công việc chạy nền")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_recent_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_total__isnull=True)
                | Q(progress_done__lte=models.F("progress_total")),
                name="job_progress_within_total",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("jobs:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int | None:
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def has_file(self) -> bool:
        return self.status == JobStatus.DONE and bool(self.file)
