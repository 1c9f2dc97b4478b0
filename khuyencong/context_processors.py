from django.conf import settings

from khuyencong import access


def portal(request):
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "PROVINCE_NAME": settings.PROVINCE_NAME,
        "can_edit": authenticated and access.can_edit(user),
    }
