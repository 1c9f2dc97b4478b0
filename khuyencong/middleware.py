import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from khuyencong.models import AuditKind


class PortalLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose another language in the portal (the language cookie
    set by the menu); the browser's Accept-Language is ignored, so an officer whose browser
    happens to prefer English still gets the Vietnamese interface."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# --- sign-in rules -------------------------------------------------------------------------
# Pages a signed-in user can always reach, whatever the rules below ask of them first.
_ALWAYS_OPEN = ("logout", "set_language", "session_keepalive")
_TWO_FACTOR_PAGES = ("two_factor", "two_factor_verify", "two_factor_backup", "two_factor_disable")
_PASSWORD_PAGES = ("password_change", "password_change_done")


def _paths(names) -> tuple[str, ...]:
    return tuple(reverse(name) for name in names)


def _redirect(request, url: str) -> HttpResponse:
    """A redirect; htmx requests get `HX-Redirect` so the whole page moves, not a fragment."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _with_next(url: str, request) -> str:
    if request.method == "GET" and not getattr(request, "htmx", False):
        return f"{url}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
    return url


class IdleTimeoutMiddleware:
    """Signs a user out after SESSION_IDLE_TIMEOUT_MINUTES without a request. The time of the
    last request is kept in the session (written at most every `RESOLUTION` seconds, so not
    every request saves the session); the bell's polling does not count as activity."""

    KEY = "kc_last_activity"
    RESOLUTION = 15

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
        if minutes and request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - last > minutes * 60:
                from khuyencong import audit

                audit.record(request, AuditKind.IDLE_LOGOUT, minutes=minutes)
                logout(request)
                messages.info(
                    request,
                    _(
                        "Phiên làm việc đã kết thúc vì không có thao tác trong %(minutes)d phút. "
                        "Vui lòng đăng nhập lại."
                    )
                    % {"minutes": minutes},
                )
                return _redirect(request, _with_next(resolve_url(settings.LOGIN_URL), request))
            if not self._is_polling(request) and (last is None or now - last >= self.RESOLUTION):
                request.session[self.KEY] = now
        return self.get_response(request)

    @staticmethod
    def _is_polling(request) -> bool:
        return request.path_info == reverse("notifications:badge")


class TwoFactorMiddleware:
    """After the password, the second factor: a user with an authenticator gives a code before
    anything else; a user who must have one (two_factor.is_required) and has none enrols first.
    Covers the portal and the admin (/quan-tri/) alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            from khuyencong import two_factor

            target = None
            if request.session.get(two_factor.PENDING):
                target = "two_factor_verify"
            elif two_factor.is_required(user):
                if two_factor.has_device(user):
                    request.session[two_factor.PENDING] = True
                    target = "two_factor_verify"
                else:
                    target = "two_factor"
            if target and not request.path_info.startswith(
                _paths(_ALWAYS_OPEN + _TWO_FACTOR_PAGES)
            ):
                return _redirect(request, _with_next(reverse(target), request))
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """An account created with an initial password (`must_change_password`) changes it before
    anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.must_change_password
            and not request.path_info.startswith(
                _paths(_ALWAYS_OPEN + _TWO_FACTOR_PAGES + _PASSWORD_PAGES)
            )
        ):
            messages.warning(request, _("Vui lòng đặt mật khẩu mới trước khi tiếp tục."))
            return _redirect(request, reverse("password_change"))
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing shown to a signed-in user (pages, downloads, exports) is kept by the browser or a
    proxy: `Cache-Control: no-store` on every such response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
