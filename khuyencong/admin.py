from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from khuyencong import audit, notifications
from khuyencong.models import (
    AuditEvent,
    AuditKind,
    Job,
    Locality,
    LocalityChange,
    Notification,
    Reminder,
    Reorganisation,
    Role,
    User,
)


class SuccessorInline(admin.TabularInline):
    model = LocalityChange
    fk_name = "predecessor"
    verbose_name = _("đơn vị kế thừa")
    verbose_name_plural = _("đơn vị kế thừa (sắp xếp bằng lệnh reorganise_localities)")
    fields = ["successor", "kind", "reorganisation"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Locality)
class LocalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "valid_from", "valid_to", "current"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "parent__current", "current"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["valid_from", "valid_to", "current", "former_name"]
    inlines = [SuccessorInline]


@admin.register(Reorganisation)
class ReorganisationAdmin(admin.ModelAdmin):
    list_display = ["reference", "effective", "applied_at"]
    readonly_fields = ["reference", "effective", "source", "applied_at"]

    def has_add_permission(self, request):
        return False


class UserAdminForm(UserChangeForm):
    def clean(self):
        data = super().clean()
        if data.get("role") == Role.DISTRICT_OFFICER and not data.get("localities"):
            self.add_error("localities", _("Cán bộ địa bàn phải có địa bàn phụ trách."))
        return data


class UserAddForm(AdminUserCreationForm):
    def clean(self):
        data = super().clean()
        if data.get("role") == Role.DISTRICT_OFFICER and not data.get("localities"):
            self.add_error("localities", _("Cán bộ địa bàn phải có địa bàn phụ trách."))
        return data


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserAdminForm
    add_form = UserAddForm
    list_display = ["username", "full_name", "role", "locality_names", "is_active"]
    list_filter = ["role", "is_active", "is_superuser"]
    search_fields = ["username", "full_name", "email"]
    autocomplete_fields = ["localities"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            _("Khuyến công"),
            {
                "fields": [
                    "full_name",
                    "role",
                    "localities",
                    "phone",
                    "position",
                    "must_change_password",
                ]
            },
        ),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Khuyến công"), {"fields": ["full_name", "role", "localities", "email"]}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("localities")

    @admin.display(description=_("địa bàn phụ trách"))
    def locality_names(self, obj):
        return ", ".join(loc.full_name for loc in obj.localities.all())

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            # A password set by an administrator is known to them: its owner replaces it at the
            # next sign-in, and the change is in the audit log.
            user = User.objects.get(pk=id)
            User.objects.filter(pk=id).update(must_change_password=True)
            audit.record(request, AuditKind.PASSWORD_CHANGED, user=user, by=request.user.username)
        return response

    def save_model(self, request, obj, form, change):
        # An account created here has an initial password someone else knows: its owner sets
        # their own at the first sign-in (PasswordChangeRequiredMiddleware).
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)


def _superusers_only(request):
    # The staff portal is the place for daily work; the admin is kept for superusers.
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
admin.site.site_header = _("Quản trị hệ thống Khuyến công")
admin.site.site_title = _("Quản trị hệ thống")


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Nhắc việc: the outbox, read-only, to see what was sent and what failed, and to resend."""

    list_display = ["day", "kind", "recipient", "title", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind", "day"]
    search_fields = ["title", "recipient__username", "recipient__full_name"]
    list_select_related = ["recipient"]
    date_hierarchy = "day"
    readonly_fields = ["retry_until", "last_error"]
    actions = ["resend"]

    @admin.action(description=_("Gửi lại"))
    def resend(self, request, queryset):
        # The rows go back to the outbox; the next sending pass delivers each once.
        chosen = queryset.count()
        count = notifications.resend(queryset)
        self.message_user(
            request,
            _(
                "Đã đưa %(count)d nhắc việc vào hàng chờ gửi lại; lượt gửi tiếp theo sẽ gửi. "
                "%(skipped)d nhắc việc đang chờ gửi được giữ nguyên."
            )
            % {"count": count, "skipped": chosen - count},
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username"]
    list_select_related = ["recipient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only (the portal's own page is /nhat-ky/)."""

    list_display = ["created_at", "kind", "username", "ip", "object_repr"]
    list_filter = ["kind"]
    search_fields = ["username", "ip", "object_repr"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Background jobs, read-only: what ran, for whom, how it ended. The files themselves are
    downloaded only by their owner, from the portal (khuyencong/job_views.py)."""

    list_display = ["created_at", "kind", "owner", "title", "status", "attempts", "finished_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "owner__username"]
    list_select_related = ["owner"]
    exclude = ["file", "claim_token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
