from django.conf import settings

from khuyencong import access
from khuyencong.models import Role

FOLLOW_THROUGH_VIEWS = (
    "projects:upcoming_reviews",
    "projects:overdue_actions",
    "projects:missing_reports",
)


def portal(request):
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "PROVINCE_NAME": settings.PROVINCE_NAME,
        "can_edit": authenticated and access.can_edit(user),
        "can_read_audit_log": authenticated and access.has_role(user, Role.MANAGER),
        # The idle warning (static/js/idle.js) reads these from <body>.
        "IDLE_TIMEOUT_SECONDS": settings.SESSION_IDLE_TIMEOUT_MINUTES * 60,
        "IDLE_WARNING_SECONDS": settings.SESSION_IDLE_WARNING_MINUTES * 60,
        "IDLE_WARNING_MINUTES": settings.SESSION_IDLE_WARNING_MINUTES,
        # The menu's "Theo dõi thực hiện" entries (their own dropdown, not "Đề án").
        "follow_through_views": FOLLOW_THROUGH_VIEWS,
    }
