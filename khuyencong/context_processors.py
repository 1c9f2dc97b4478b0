from django.conf import settings

from khuyencong import access

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
        # The menu's "Theo dõi thực hiện" entries (their own dropdown, not "Đề án").
        "follow_through_views": FOLLOW_THROUGH_VIEWS,
    }
