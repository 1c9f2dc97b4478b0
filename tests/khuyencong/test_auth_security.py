"""Sign-in security: lockout (django-axes), two-factor sign-in (django-otp), password change
and reset, the forced change of an initial password, the idle timeout, the headers (CSP,
no-store) and the Vietnamese CSRF and NUL-byte messages.

tests/settings.py turns the two-factor requirement and the idle clock off for the rest of the
suite (personas sign in with `force_login`); the tests here turn them on."""

import base64
import datetime
import io
import re
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from khuyencong import two_factor
from khuyencong.admin import UserAdmin
from khuyencong.models import AuditEvent, AuditKind, Role, User
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/dang-nhap/"
ADMIN_LOGIN = "/quan-tri/login/"
NEW_PASSWORD = "Mây-trắng-bay-qua-đèo-Mã-Phục"


def sign_in(client, username, password=PASSWORD, url=LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now (time_machine moves "now")."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0)
    return f"{value:06d}"


def later(seconds: int):
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds))


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    two_factor.new_backup_codes(user)
    return device


# --- 1. lockout -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_it_locks_a_user_out_after_repeated_wrong_passwords(client, staff, url):
    for _attempt in range(30):
        response = sign_in(client, staff.username, "sai-mat-khau", url=url)
        assert response.status_code in {200, 429}
    # The right password no longer helps, on the portal and the admin alike.
    for target in (LOGIN, ADMIN_LOGIN):
        response = sign_in(client, staff.username, url=target)
        assert response.status_code == 429
        text = response.content.decode()
        assert "Tạm khóa đăng nhập" in text
        assert f"khoảng {settings.AXES_COOLOFF_TIME.seconds // 60} phút" in text
        assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditKind.LOCKOUT, username=staff.username).exists()
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED).count() >= 30


def test_the_lockout_ends_after_the_cool_off(client, staff):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, staff.username, "sai")
    assert sign_in(client, staff.username).status_code == 429
    later = timezone.now() + settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1)
    with time_machine.travel(later):
        response = sign_in(client, staff.username)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN, user=staff).exists()


def test_it_locks_an_address_trying_many_user_names(client, staff):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"khong-co-{n}", "sai")
    # A different (real) user from the same address is refused too.
    assert sign_in(client, staff.username).status_code == 429
    # From another address the user signs in.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert sign_in(other, staff.username).status_code == 302


def test_a_superuser_unlocks_in_the_admin(client, staff, admin_user):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), staff.username, "sai")
    assert AccessAttempt.objects.filter(username=staff.username).exists()
    client.force_login(admin_user)
    page = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200
    assert staff.username in page.content.decode()
    attempt = AccessAttempt.objects.get(username=staff.username)
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert not AccessAttempt.objects.filter(username=staff.username).exists()
    assert sign_in(Client(), staff.username).status_code == 302


def test_a_failed_sign_in_is_logged_with_name_and_address(client):
    sign_in(client, "nguoi-la", "sai", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Trình duyệt")
    event = AuditEvent.objects.get(kind=AuditKind.LOGIN_FAILED)
    assert (event.username, event.ip, event.user_agent) == ("nguoi-la", "10.1.2.3", "Trình duyệt")
    assert event.user is None


# --- 2. two-factor sign-in --------------------------------------------------------------------


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    return settings


def test_a_manager_without_an_authenticator_enrols_before_anything_else(client, manager, required):
    client.force_login(manager)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor"))
    for url in (reverse("planning:index"), "/quan-tri/"):
        assert client.get(url).url.startswith(reverse("two_factor"))
    # htmx fragments move the whole page.
    fragment = client.get(reverse("notifications:latest"), HTTP_HX_REQUEST="true")
    assert fragment["HX-Redirect"].startswith(reverse("two_factor"))
    # Signing out and changing the language stay possible.
    assert client.post(reverse("logout")).status_code == 302


def test_enrolment_shows_a_qr_code_and_confirms_with_a_first_code(client, manager, required):
    client.force_login(manager)
    page = client.get(reverse("two_factor"))
    text = page.content.decode()
    assert "Bật xác thực hai bước" in text
    assert 'src="data:image/svg+xml;base64,' in text  # the QR code, no outside server
    assert not TOTPDevice.objects.exists()  # nothing is saved before the first code
    secret = re.search(r'id="otp-secret">([A-Z2-7=]+)<', text).group(1)
    pending = two_factor.pending_device(page.wsgi_request)
    assert two_factor.secret_base32(pending) == secret

    wrong = client.post(reverse("two_factor"), {"token": "000000"})
    assert "Mã không đúng" in wrong.content.decode()
    done = client.post(reverse("two_factor"), {"token": code_for(pending)})
    codes = re.findall(r'<li class="col">(\d{8})</li>', done.content.decode())
    assert len(codes) == settings.BACKUP_CODES_COUNT
    device = TOTPDevice.objects.get(user=manager)
    assert device.confirmed
    assert AuditEvent.objects.filter(kind=AuditKind.OTP_ADDED, user=manager).exists()
    assert client.get(reverse("home")).status_code == 200


def test_an_enrolled_user_gives_a_code_after_the_password(client, manager, required):
    device = enrolled(manager)
    response = sign_in(client, manager.username)
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.url.startswith(reverse("two_factor_verify"))
    wrong = client.post(reverse("two_factor_verify"), {"token": "123456"})
    assert "Mã không đúng" in wrong.content.decode()
    assert AuditEvent.objects.filter(kind=AuditKind.OTP_FAILED, user=manager).exists()
    with later(5):  # django-otp slows down guessing: a wrong code delays the next try
        right = client.post(
            reverse("two_factor_verify"), {"token": code_for(device), "next": "/ke-hoach/"}
        )
    assert right.status_code == 302 and right.url == "/ke-hoach/"
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/quan-tri/").status_code == 302  # verified, but not a superuser: login


def test_a_backup_code_works_once(client, officer, required):
    enrolled(officer)
    codes = two_factor.new_backup_codes(officer)
    sign_in(client, officer.username)
    assert client.post(reverse("two_factor_verify"), {"token": codes[0]}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    sign_in(client, officer.username)
    again = client.post(reverse("two_factor_verify"), {"token": codes[0]})
    assert again.status_code == 200  # refused: the form again
    assert two_factor.backup_codes_left(officer) == settings.BACKUP_CODES_COUNT - 1


def test_others_may_enrol_but_need_not(client, officer, required):
    client.force_login(officer)
    assert client.get(reverse("home")).status_code == 200
    assert "Bật xác thực hai bước" in client.get(reverse("two_factor")).content.decode()


def test_the_admin_is_behind_the_second_factor(client, admin_user, required):
    client.force_login(admin_user)
    assert client.get("/quan-tri/").url.startswith(reverse("two_factor"))
    device = enrolled(admin_user)
    client.post(reverse("logout"))
    sign_in(client, admin_user.username, "password", url=ADMIN_LOGIN)
    assert client.get("/quan-tri/").url.startswith(reverse("two_factor_verify"))
    client.post(reverse("two_factor_verify"), {"token": code_for(device)})
    assert client.get("/quan-tri/").status_code == 200


def test_disabling_needs_a_code_and_is_logged(client, officer):
    device = enrolled(officer)
    sign_in(client, officer.username)
    client.post(reverse("two_factor_verify"), {"token": code_for(device)})
    status = client.get(reverse("two_factor"))
    assert "Đang bật" in status.content.decode()
    client.post(reverse("two_factor_disable"), {"token": "000000"})
    assert TOTPDevice.objects.filter(user=officer).exists()
    with later(60):
        client.post(reverse("two_factor_disable"), {"token": code_for(device)})
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert AuditEvent.objects.filter(kind=AuditKind.OTP_REMOVED, user=officer).count() == 1


def test_new_backup_codes_need_a_verified_session(client, officer):
    enrolled(officer)
    sign_in(client, officer.username)
    response = client.post(reverse("two_factor_backup"))
    assert response.url == reverse("two_factor_verify")


# --- 3. passwords -----------------------------------------------------------------------------


def test_a_user_changes_their_password(client, officer):
    client.force_login(officer)
    page = client.get(reverse("password_change"))
    assert "Đổi mật khẩu" in page.content.decode()
    weak = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200  # Django's validators refuse it
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == reverse("password_change_done")
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD_CHANGED, user=officer).exists()


def test_an_initial_password_must_be_changed_first(client, officer):
    officer.must_change_password = True
    officer.save()
    client.force_login(officer)
    assert client.get(reverse("home")).url == reverse("password_change")
    assert client.get(reverse("password_change")).status_code == 200
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    officer.refresh_from_db()
    assert not officer.must_change_password
    assert client.get(reverse("home")).status_code == 200


def test_an_account_added_in_the_admin_must_change_its_password(rf, admin_user, province):
    user = User(username="moi", role=Role.VIEWER)
    user.set_password("Mat-khau-ban-dau-2026")
    request = rf.post("/")
    request.user = admin_user
    UserAdmin(User, None).save_model(request, user, form=None, change=False)
    assert User.objects.get(username="moi").must_change_password


def test_a_forgotten_password_is_reset_by_email(client, officer):
    page = client.get(LOGIN)
    assert reverse("password_reset") in page.content.decode()  # "Quên mật khẩu?"
    response = client.post(reverse("password_reset"), {"email": officer.email})
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Xin chào" in body and officer.username in body
    link = re.search(r"http://testserver(/tai-khoan/dat-lai-mat-khau/\S+)", body).group(1)
    form_page = client.get(link, follow=True)
    assert "Đặt mật khẩu mới" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.url == reverse("password_reset_complete")
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    # The link works once.
    assert "không hợp lệ" in client.get(link, follow=True).content.decode()
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {AuditKind.PASSWORD_RESET_REQUESTED, AuditKind.PASSWORD_CHANGED} <= kinds


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post(reverse("password_reset"), {"email": "khong-co@example.test"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_reset_link_expires(client, officer, monkeypatch):
    uid = urlsafe_base64_encode(force_bytes(officer.pk))
    token = default_token_generator.make_token(officer)
    expired = datetime.datetime.now() + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    # Django's token clock (naive local time) is meant to be mocked so.
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: expired)
    page = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    assert "không hợp lệ" in page.content.decode()


# --- 4. audit log -----------------------------------------------------------------------------


def test_managers_and_superusers_read_the_audit_log_others_get_403(
    client, manager, staff, officer, viewer, admin_user
):
    sign_in(Client(), "ai-do", "sai")
    for user in (manager, admin_user):
        client.force_login(user)
        page = client.get(reverse("audit_log"))
        assert page.status_code == 200
        assert "ai-do" in page.content.decode()
    for user in (staff, officer, viewer):
        client.force_login(user)
        assert client.get(reverse("audit_log")).status_code == 403


def test_the_audit_log_filters(client, manager):
    sign_in(Client(), "ai-do", "sai")
    client.force_login(manager)  # a sign-in event
    only_failed = client.get(reverse("audit_log"), {"kind": AuditKind.LOGIN_FAILED})
    text = only_failed.content.decode()
    assert "ai-do" in text and "Đăng nhập không thành công" in text
    by_name = client.get(reverse("audit_log"), {"username": "khong-ai"})
    assert "Không có sự kiện nào khớp bộ lọc." in by_name.content.decode()


@pytest.mark.parametrize("events", [1, 60])
def test_the_audit_log_runs_a_fixed_number_of_queries(
    client, manager, officer, events, django_assert_num_queries
):
    for n in range(events):
        AuditEvent.objects.create(kind=AuditKind.LOGIN, user=officer, username=f"u{n}")
    client.force_login(manager)
    # session, user, count, page of events with their users
    with django_assert_num_queries(4):
        assert client.get(reverse("audit_log")).status_code == 200


def test_audit_events_are_append_only(officer):
    event = AuditEvent.objects.create(kind=AuditKind.LOGIN, user=officer)
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


# --- 8. headers, sessions, messages -----------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(client, officer):
    client.force_login(officer)
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    script = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
    assert "img-src 'self' data:" in policy


def test_no_template_has_an_inline_script():
    inline = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            if "src=" not in tag and "application/json" not in tag:
                inline.append(f"{path.name}: {tag}")
        if re.search(r"\son[a-z]+=\"", path.read_text()):
            inline.append(f"{path.name}: an on… event attribute")
    assert not inline


def test_pages_and_downloads_behind_login_are_not_stored(client, officer):
    assert "no-store" not in client.get(reverse("password_reset")).get("Cache-Control", "")
    client.force_login(officer)
    for url in (reverse("home"), reverse("facilities:export")):
        assert "no-store" in client.get(url)["Cache-Control"]


def test_an_idle_session_ends(client, officer, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    start = timezone.now()
    client.force_login(officer)
    with time_machine.travel(start, tick=False):
        page = client.get(reverse("home"))
    assert 'data-idle-timeout="1800"' in page.content.decode()
    # Activity at 20 minutes keeps the session; the bell's polling at 45 does not.
    with time_machine.travel(start + datetime.timedelta(minutes=20), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=45), tick=False):
        client.get(reverse("notifications:badge"), HTTP_HX_REQUEST="true")
    with time_machine.travel(start + datetime.timedelta(minutes=51), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    login_page = client.get(response.url)
    assert "không có thao tác trong 30 phút" in login_page.content.decode()
    assert AuditEvent.objects.filter(kind=AuditKind.IDLE_LOGOUT, user=officer).exists()


def test_the_session_ends_with_the_browser_by_default(client, staff):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    sign_in(client, staff.username)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]


def test_a_csrf_failure_is_explained_in_vietnamese():
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Không thể gửi biểu mẫu" in response.content.decode()


def test_a_nul_byte_is_refused_in_vietnamese(client):
    response = client.post(reverse("password_reset"), {"email": "a\x00@example.test"})
    assert "ký tự NUL" in response.content.decode()
    assert "Null characters" not in response.content.decode()


def test_demo_like_accounts_keep_working_without_a_forced_change(officer):
    assert not officer.must_change_password
    assert make_user("them", Role.VIEWER).must_change_password is False


def test_the_demo_manager_signs_in_with_the_documented_secret(client, settings):
    settings.TWO_FACTOR_REQUIRED = True
    call_command("seed_demo", stdout=io.StringIO())
    lanhdao = User.objects.get(username="lanhdao")
    assert not lanhdao.must_change_password
    sign_in(client, "lanhdao", "khuyencong")
    assert client.get(reverse("home")).url.startswith(reverse("two_factor_verify"))
    key = base64.b32decode("NNUHK6LFNZRW63THFVSGK3LPFUZGMYJB")  # README, "Sign-in and audit"
    code = f"{totp(key):06d}"
    client.post(reverse("two_factor_verify"), {"token": code})
    assert client.get(reverse("home")).status_code == 200


def test_a_password_set_in_the_admin_is_logged_and_must_be_replaced(client, admin_user, officer):
    client.force_login(admin_user)
    url = reverse("admin:auth_user_password_change", args=[officer.pk])
    response = client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD) and officer.must_change_password
    event = AuditEvent.objects.get(kind=AuditKind.PASSWORD_CHANGED)
    assert event.user == officer and event.details == {"by": admin_user.username}
