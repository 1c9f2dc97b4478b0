"""The auth and audit log: who did what, when, from where.

`record(request, kind, …)` writes one `AuditEvent` and the same line to the logger
`khuyencong.audit`. Sign-ins, failed sign-ins, lockouts, sign-outs, password changes and
second-factor changes are recorded by the signal receivers below (connected in
`KhuyencongConfig.ready`); views call `record` for downloads and exports.

The log is append-only: nothing in the portal changes or deletes an event (the model refuses).
"""

import logging

from django.conf import settings
from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete
from django.http import HttpRequest

from khuyencong.models import AuditEvent, AuditKind

logger = logging.getLogger("khuyencong.audit")


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or behind the portal's own reverse proxy
    (BEHIND_PROXY=1) the last address the proxy appended to X-Forwarded-For."""
    if request is None:
        return None
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR") or None


def record(
    request: HttpRequest | None,
    kind: str,
    *,
    user=None,
    username: str = "",
    obj=None,
    url: str = "",
    **details,
) -> AuditEvent:
    """Write one event. `user` defaults to the request's signed-in user; `obj` is shown by its
    name; `details` must be JSON-serialisable (strings, numbers, lists)."""
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    if user is not None and not username:
        username = user.get_username()
    if request is not None and not url:
        url = request.get_full_path()
    event = AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or "")[:150],
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        object_repr=str(obj)[:255] if obj is not None else "",
        url=url[:500],
        details={key: _jsonable(value) for key, value in details.items()},
    )
    logger.info(
        "%s user=%r ip=%s object=%r url=%r details=%r",
        kind,
        event.username,
        event.ip,
        event.object_repr,
        event.url,
        event.details,
    )
    return event


def _jsonable(value):
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


# --- signal receivers ------------------------------------------------------------------------


def _on_login(sender, request, user, **kwargs):
    record(request, AuditKind.LOGIN, user=user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    # Django masks the password in `credentials`; only the user name is kept.
    record(request, AuditKind.LOGIN_FAILED, username=str(credentials.get("username") or ""))


def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(request, AuditKind.LOGOUT, user=user)


def _on_lockout(sender, request, username=None, ip_address=None, **kwargs):
    record(request, AuditKind.LOCKOUT, username=username or "", address=ip_address)


def _on_device_deleted(sender, instance, **kwargs):
    # The portal's own page records the removal with the request; this catches the admin's.
    if not getattr(instance, "_kc_recorded", False):
        record(None, AuditKind.OTP_REMOVED, user=instance.user, device=instance.name)


def connect() -> None:
    from axes.signals import user_locked_out
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user_logged_in.connect(_on_login, dispatch_uid="kc_audit_login")
    user_login_failed.connect(_on_login_failed, dispatch_uid="kc_audit_login_failed")
    user_logged_out.connect(_on_logout, dispatch_uid="kc_audit_logout")
    user_locked_out.connect(_on_lockout, dispatch_uid="kc_audit_lockout")
    post_delete.connect(_on_device_deleted, sender=TOTPDevice, dispatch_uid="kc_audit_otp_deleted")
