"""Two-factor sign-in (django-otp): an authenticator app (TOTP) plus one-time backup codes.

Superusers and the roles in `OTP_REQUIRED_ROLES` must enrol when `TWO_FACTOR_REQUIRED` is on;
everyone else may. A user with a confirmed authenticator is asked for a code after the password
on every sign-in (`TwoFactorMiddleware`). Whether the user has one is noted in the session at
sign-in, so ordinary requests cost no query.
"""

import base64
import io
import secrets
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import user_logged_in
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

# Session key: the signed-in user has a confirmed device and has not yet given a code.
PENDING = "kc_otp_pending"
SETUP_KEY = "kc_otp_setup_key"
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


def pending_device(request) -> TOTPDevice:
    """The authenticator being enrolled, not saved: its key waits in the session until the user
    confirms it with a first code (so opening the page writes nothing)."""
    key = request.session.get(SETUP_KEY)
    if not key:
        key = random_hex(20)
        request.session[SETUP_KEY] = key
    return TOTPDevice(user=request.user, name="default", key=key, confirmed=False)


def confirm_device(request, device: TOTPDevice, token: str) -> bool:
    """Check the first code against the pending key; on success save the device, confirmed."""
    if not token.isdigit():
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(token), tolerance=device.tolerance):
        return False
    device.confirmed = True
    device.last_t = totp.t()
    device.save()
    request.session.pop(SETUP_KEY, None)
    return True


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
