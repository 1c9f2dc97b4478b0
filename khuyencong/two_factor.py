"""Two-factor sign-in (django-otp): an authenticator app (TOTP) plus one-time backup codes.

Superusers and the roles in `OTP_REQUIRED_ROLES` must enrol when `TWO_FACTOR_REQUIRED` is on;
everyone else may. A user with a confirmed authenticator is asked for a code after the password
on every sign-in (`TwoFactorMiddleware`). Whether the user has one is noted in the session at
sign-in, so ordinary requests cost no query.
"""

import base64
import io
import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import user_logged_in
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

# Session key: the signed-in user has a confirmed device and has not yet given a code.
PENDING = "kc_otp_pending"
BACKUP_NAME = "backup"


def is_required(user) -> bool:
    return bool(
        settings.TWO_FACTOR_REQUIRED
        and user.is_authenticated
        and (user.is_superuser or user.role in settings.OTP_REQUIRED_ROLES)
    )


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (one per user, kept across page loads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode()


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code, an SVG image inline (no request to any server)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def new_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with new ones; each works once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(settings.BACKUP_CODES_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def remove_devices(user) -> None:
    for device in TOTPDevice.objects.filter(user=user):
        device._kc_recorded = True
        device.delete()
    StaticDevice.objects.filter(user=user).delete()


def _note_device_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        if has_device(user):
            request.session[PENDING] = True
        else:
            request.session.pop(PENDING, None)


def connect() -> None:
    user_logged_in.connect(_note_device_at_login, dispatch_uid="kc_two_factor_login")
