"""The user's own account: sign-in pages, second factor, password change and reset, and the
pages Django or its packages would otherwise show in English (lockout, CSRF failure)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_otp import login as otp_login
from django_otp import match_token

from khuyencong import audit, two_factor
from khuyencong.models import AuditKind

# --- lockout and CSRF ----------------------------------------------------------------------


def locked_out(request, original_response=None, credentials=None):
    """django-axes: the answer to a sign-in while the user name or the address is locked."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


# --- second factor -------------------------------------------------------------------------


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Mã xác thực"),
        max_length=16,
        help_text=gettext_lazy(
            "6 chữ số trong ứng dụng xác thực, hoặc một mã dự phòng (8 chữ số)."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split())


def _next_url(request) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
def two_factor_verify(request):
    """The code after the password, for a user with an authenticator."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            request.session.pop(two_factor.PENDING, None)
            audit.record(request, AuditKind.OTP_VERIFIED, device=device.persistent_id)
            return redirect(_next_url(request))
        audit.record(request, AuditKind.OTP_FAILED)
        form.add_error("token", _("Mã không đúng hoặc đã hết hạn. Vui lòng thử lại."))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": request.GET.get(REDIRECT_FIELD_NAME, "")},
    )


@login_required
def two_factor_status(request):
    """Status and enrolment: scan the QR code, confirm with a first code, receive backup codes."""
    user = request.user
    device = two_factor.totp_device(user)
    if device is not None:
        if not user.is_verified():
            return redirect("two_factor_verify")
        return render(
            request,
            "registration/two_factor.html",
            {
                "device": device,
                "codes_left": two_factor.backup_codes_left(user),
                "required": two_factor.is_required(user),
                "disable_form": CodeForm(),
            },
        )
    pending = two_factor.pending_device(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.confirm_device(request, pending, form.cleaned_data["token"]):
            otp_login(request, pending)
            request.session.pop(two_factor.PENDING, None)
            codes = two_factor.new_backup_codes(user)
            audit.record(request, AuditKind.OTP_ADDED)
            messages.success(request, _("Đã bật xác thực hai bước."))
            return render(
                request,
                "registration/backup_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error("token", _("Mã không đúng. Kiểm tra giờ của điện thoại rồi thử lại."))
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": two_factor.qr_data_uri(pending),
            "secret": two_factor.secret_base32(pending),
            "required": two_factor.is_required(user),
        },
    )


def _verified_or_redirect(request):
    if not two_factor.has_device(request.user):
        return redirect("two_factor")
    if not request.user.is_verified():
        return redirect("two_factor_verify")
    return None


@login_required
@require_POST
def two_factor_backup(request):
    """New backup codes (the old ones stop working), shown once."""
    refusal = _verified_or_redirect(request)
    if refusal:
        return refusal
    codes = two_factor.new_backup_codes(request.user)
    audit.record(request, AuditKind.BACKUP_CODES, count=len(codes))
    context = {"codes": codes, "next": reverse("two_factor")}
    return render(request, "registration/backup_codes.html", context)


@login_required
@require_POST
def two_factor_disable(request):
    """Turn two-factor sign-in off, after a current code. A user who must have it is sent to
    enrol again at once (TwoFactorMiddleware)."""
    refusal = _verified_or_redirect(request)
    if refusal:
        return refusal
    form = CodeForm(request.POST)
    if form.is_valid() and match_token(request.user, form.cleaned_data["token"]) is not None:
        two_factor.remove_devices(request.user)
        audit.record(request, AuditKind.OTP_REMOVED)
        messages.success(request, _("Đã tắt xác thực hai bước."))
    else:
        messages.error(request, _("Mã không đúng: xác thực hai bước vẫn được bật."))
    return redirect("two_factor")


# --- session --------------------------------------------------------------------------------


@login_required
@require_safe
def session_keepalive(request):
    """“Tiếp tục làm việc” in the idle warning: a request, so the idle clock starts again."""
    return HttpResponse(status=204)


# --- password change and reset ----------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        form.user.must_change_password = False
        response = super().form_valid(form)
        audit.record(self.request, AuditKind.PASSWORD_CHANGED)
        messages.success(self.request, _("Đã đổi mật khẩu."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = None
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        # Whether an account has this address is not revealed, neither here nor on the page.
        audit.record(
            self.request, AuditKind.PASSWORD_RESET_REQUESTED, email=form.cleaned_data["email"]
        )
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        minutes = max(1, settings.PASSWORD_RESET_TIMEOUT // 60)
        return super().get_context_data(reset_minutes=minutes, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        form.user.must_change_password = False
        response = super().form_valid(form)
        audit.record(self.request, AuditKind.PASSWORD_CHANGED, user=form.user, by="reset")
        return response
