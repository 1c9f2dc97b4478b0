"""The outbox and its delivery: claim, e-mail now, digest, portal only, retries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import CommandError, call_command
from django.urls import reverse

from khuyencong import notifications
from khuyencong.celery import app
from khuyencong.models import (
    Delivery,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderState,
)

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
TODAY = NOW.date()
KIND = "test_kind"


class FlakyBackend(LocmemBackend):
    """The SMTP layer, faked: fails the first `failures` messages, always for addresses in
    `refused`; runs `before_send` (when set) first, as a hung server would take its time."""

    failures = 0
    refused: set[str] = set()
    before_send = None

    def send_messages(self, messages):
        if FlakyBackend.before_send is not None:
            FlakyBackend.before_send(messages)
        for message in messages:
            if FlakyBackend.failures > 0:
                FlakyBackend.failures -= 1
                raise ConnectionError("máy chủ thư không trả lời")
            if set(message.to) & FlakyBackend.refused:
                raise ValueError(f"địa chỉ bị từ chối: {message.to}")
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def test_kind():
    notifications.register_kind(KIND, "Việc thử nghiệm", roles=["centre_staff", "manager"])
    yield
    notifications._KINDS.pop(KIND, None)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.khuyencong.test_notifications.FlakyBackend"
    FlakyBackend.failures = 0
    FlakyBackend.refused = set()
    FlakyBackend.before_send = None
    yield FlakyBackend
    FlakyBackend.before_send = None


def notify(obj, *users, kind=KIND, **extra):
    return notifications.notify(
        kind=kind,
        obj=obj,
        recipients=users,
        title=extra.pop("title", f"Việc cần làm về {obj}"),
        body=extra.pop("body", "Nội dung chi tiết."),
        url=extra.pop("url", "/co-so/"),
        **extra,
    )


def choose(user, delivery, kind=KIND):
    NotificationPreference.objects.create(user=user, kind=kind, delivery=delivery)


@pytest.mark.django_db
class TestOutbox:
    def test_it_stores_one_row_per_recipient_and_nothing_twice_the_same_day(
        self, district_a, staff, manager
    ):
        assert len(notify(district_a, staff, manager)) == 2
        assert notify(district_a, staff, manager) == []
        assert Reminder.objects.count() == 2
        assert set(Reminder.objects.values_list("day", flat=True)) == {TODAY}

    def test_the_next_day_is_a_new_reminder(self, frozen, district_a, staff):
        notify(district_a, staff)
        frozen.shift(timedelta(days=1))
        assert len(notify(district_a, staff)) == 1

    def test_a_dry_run_stores_nothing(self, district_a, staff):
        items = notifications.enqueue(
            [
                notifications.outgoing(
                    kind=KIND, obj=district_a, recipient=staff, day=TODAY, title="Thử"
                )
            ],
            dry_run=True,
        )
        assert len(items) == 1 and not Reminder.objects.exists()


@pytest.mark.django_db
class TestSendNow:
    def test_it_emails_in_vietnamese_with_text_html_and_a_link(self, district_a, staff):
        notify(district_a, staff, title="Đề án DA-01 chờ thẩm định đã 10 ngày", url="/de-an/7/")
        stats = notifications.send_pending()
        assert stats["sent"] == 1
        [message] = mail.outbox
        assert message.subject == "[Khuyến công] Đề án DA-01 chờ thẩm định đã 10 ngày"
        assert "Kính gửi Trungtam," in message.body
        assert "Xem chi tiết: http://127.0.0.1:8000/de-an/7/" in message.body
        assert "http://127.0.0.1:8000/thong-bao/cai-dat/" in message.body
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert 'href="http://127.0.0.1:8000/de-an/7/"' in html and "Xem chi tiết" in html
        reminder = Reminder.objects.get()
        assert reminder.state == ReminderState.SENT and reminder.sent_at is not None

    def test_it_creates_the_portal_notification_once(self, district_a, staff):
        notify(district_a, staff)
        notifications.send_pending()
        notifications.send_pending()
        notification = Notification.objects.get()
        assert notification.recipient == staff and notification.url == "/co-so/"
        assert notification.obj == district_a and not notification.is_read
        assert len(mail.outbox) == 1

    def test_portal_only_sends_no_email(self, district_a, staff):
        choose(staff, Delivery.PORTAL_ONLY)
        notify(district_a, staff)
        notifications.send_pending()
        assert not mail.outbox
        assert Notification.objects.count() == 1
        assert Reminder.objects.get().state == ReminderState.PORTAL_ONLY

    def test_a_user_without_an_email_address_gets_the_portal_notification(self, district_a, staff):
        staff.email = ""
        staff.save()
        notify(district_a, staff)
        notifications.send_pending()
        assert not mail.outbox and Notification.objects.count() == 1

    def test_the_default_delivery_is_a_setting(self, settings, district_a, staff):
        settings.REMINDERS_DEFAULT_DELIVERY = "portal"
        notify(district_a, staff)
        notifications.send_pending()
        assert not mail.outbox


@pytest.mark.django_db
class TestDigest:
    def test_it_gathers_a_users_reminders_into_one_daily_email(
        self, district_a, district_b, staff, manager
    ):
        choose(staff, Delivery.DAILY_DIGEST)
        notify(district_a, staff, manager, title="Việc thứ nhất")
        notify(district_b, staff, title="Việc thứ hai")
        notifications.send_pending()
        assert [m.to for m in mail.outbox] == [["lanhdao@example.test"]]
        assert Notification.objects.filter(recipient=staff).count() == 2
        mail.outbox.clear()

        stats = notifications.send_digests()
        assert stats["sent"] == 1
        [digest] = mail.outbox
        assert digest.to == ["trungtam@example.test"]
        assert digest.subject == "[Khuyến công] Tổng hợp 2 việc cần chú ý ngày 10/03/2026"
        assert "1. Việc thứ nhất" in digest.body and "2. Việc thứ hai" in digest.body
        assert "http://127.0.0.1:8000/co-so/" in digest.body
        assert "Việc thứ hai" in digest.alternatives[0][0]
        assert set(Reminder.objects.filter(recipient=staff).values_list("state", flat=True)) == {
            ReminderState.SENT
        }
        assert notifications.send_digests() == {}

    def test_a_digest_missed_at_its_time_is_caught_up_by_the_periodic_sender(
        self, frozen, district_a, staff
    ):
        choose(staff, Delivery.DAILY_DIGEST)
        frozen.move_to(NOW.replace(hour=7, minute=0))
        notify(district_a, staff)
        notifications.send_pending()
        # 07:30 passes without the daily run (broker down); the next periodic pass sends it.
        frozen.move_to(NOW.replace(hour=7, minute=35))
        assert notifications.send_digests(retries_only=True) == {"sent": 1}
        assert len(mail.outbox) == 1

    def test_a_digest_run_out_of_time_leaves_the_rest_to_the_periodic_sender(
        self, frozen, flaky, district_a, staff, manager, officer, other_officer, viewer
    ):
        many = [staff, manager, officer, other_officer, viewer]
        frozen.move_to(NOW.replace(hour=7, minute=0))
        for user in many:
            choose(user, Delivery.DAILY_DIGEST)
            notify(district_a, user)
        notifications.send_pending()
        frozen.move_to(NOW.replace(hour=7, minute=30))  # the daily run
        sent = []

        def out_of_time_at_the_third(messages):
            if len(sent) == 2:
                raise SoftTimeLimitExceeded()
            sent.append(messages)

        flaky.before_send = out_of_time_at_the_third
        assert notifications.send_digests() == {"sent": 2, "stopped": 1}
        flaky.before_send = None
        frozen.shift(timedelta(minutes=5))
        assert notifications.send_digests(retries_only=True) == {"sent": 3}
        assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in many)
        assert not Reminder.objects.filter(claim_token__isnull=False).exists()

    def test_the_periodic_sender_leaves_fresh_digests_for_the_daily_run(self, district_a, staff):
        choose(staff, Delivery.DAILY_DIGEST)
        notify(district_a, staff)
        notifications.send_pending()
        assert notifications.send_digests(retries_only=True) == {}
        assert not mail.outbox


@pytest.mark.django_db
class TestRetries:
    def test_a_failed_email_is_retried_with_backoff_and_sent_once(
        self, frozen, flaky, district_a, staff
    ):
        flaky.failures = 1
        notify(district_a, staff)
        assert notifications.send_pending()["retry"] == 1
        reminder = Reminder.objects.get()
        assert reminder.state == ReminderState.PENDING and reminder.attempts == 1
        assert "máy chủ thư không trả lời" in reminder.last_error
        assert reminder.next_attempt_at == NOW + timedelta(minutes=5)
        # The portal notification is there already.
        assert Notification.objects.count() == 1

        frozen.shift(timedelta(minutes=4))
        assert notifications.send_pending() == {}
        frozen.shift(timedelta(minutes=1))
        assert notifications.send_pending()["sent"] == 1
        assert len(mail.outbox) == 1
        reminder.refresh_from_db()
        assert reminder.state == ReminderState.SENT and reminder.attempts == 2
        assert Notification.objects.count() == 1

    def test_it_keeps_retrying_for_days_with_capped_backoff_then_fails_and_can_be_resent(
        self, frozen, settings, flaky, district_a, staff
    ):
        settings.REMINDERS_RETRY_FOR_DAYS = 3
        settings.REMINDERS_RETRY_MAX_SECONDS = 6 * 3600
        settings.REMINDERS_PAUSE_AFTER_FAILURES = 0  # one row here: no pause in the way
        flaky.failures = 10_000
        notify(district_a, staff)
        waits = []
        while True:
            notifications.send_pending()
            reminder = Reminder.objects.get()
            if reminder.state != ReminderState.PENDING:
                break
            now = datetime.now(tz=ZoneInfo("UTC"))
            waits.append(reminder.next_attempt_at - now)
            frozen.shift(reminder.next_attempt_at - now)
        minutes = [wait // timedelta(minutes=1) for wait in waits]
        assert minutes[:8] == [5, 10, 20, 40, 80, 160, 320, 360]
        assert max(waits) == timedelta(hours=6)
        # Failed for good only after three days of outage, the last try on the third day.
        assert reminder.state == ReminderState.FAILED
        assert reminder.retry_until == NOW + timedelta(days=3)
        assert datetime.now(tz=ZoneInfo("UTC")) == NOW + timedelta(days=3)
        assert reminder.attempts == len(waits) + 1 and not mail.outbox
        assert notifications.send_pending() == {}

        # The mail server is back: staff resend it, it goes out once.
        flaky.failures = 0
        assert notifications.resend(Reminder.objects.all()) == 1
        assert notifications.resend(Reminder.objects.all()) == 0  # waiting already
        assert notifications.send_pending() == {"sent": 1}
        assert notifications.send_pending() == {}
        assert len(mail.outbox) == 1 and Notification.objects.count() == 1
        reminder.refresh_from_db()
        assert reminder.state == ReminderState.SENT and reminder.attempts == 1
        assert reminder.retry_until is None and reminder.last_error == ""

    def test_one_bad_recipient_does_not_stop_the_others(
        self, flaky, district_a, staff, manager, officer
    ):
        flaky.refused = {"lanhdao@example.test"}
        notify(district_a, staff, manager, officer)
        stats = notifications.send_pending()
        assert stats["sent"] == 2 and stats["retry"] == 1
        assert sorted(m.to[0] for m in mail.outbox) == [
            "canbo_a@example.test",
            "trungtam@example.test",
        ]
        assert Notification.objects.count() == 3

    def test_a_poison_row_is_pushed_back_then_given_up_while_the_others_go_on(
        self, frozen, settings, monkeypatch, district_a, staff, manager
    ):
        settings.REMINDERS_MAX_ATTEMPTS = 2
        original = notifications._create_notification

        def broken_for_manager(reminder):
            if reminder.recipient == manager:
                raise RuntimeError("dữ liệu hỏng")
            return original(reminder)

        monkeypatch.setattr(notifications, "_create_notification", broken_for_manager)
        notify(district_a, staff, manager)
        assert notifications.send_pending() == {"sent": 1, "error": 1}
        frozen.shift(timedelta(minutes=10))
        assert notifications.send_pending() == {"error": 1}
        poison = Reminder.objects.get(recipient=manager)
        assert poison.state == ReminderState.FAILED and "dữ liệu hỏng" in poison.last_error
        frozen.shift(timedelta(minutes=10))
        assert notifications.send_pending() == {}

    def test_a_failed_digest_is_retried_by_the_periodic_sender(
        self, frozen, flaky, district_a, staff
    ):
        choose(staff, Delivery.DAILY_DIGEST)
        notify(district_a, staff)
        notifications.send_pending()
        flaky.failures = 1
        assert notifications.send_digests()["retry"] == 1
        frozen.shift(timedelta(minutes=5))
        assert notifications.send_digests(retries_only=True)["sent"] == 1
        assert len(mail.outbox) == 1


@pytest.fixture
def many(district_a, staff, manager, officer, other_officer, viewer):
    """Five recipients of one reminder each, by e-mail, in a stable order."""
    users = [staff, manager, officer, other_officer, viewer]
    for user in users:
        notify(district_a, user)
    return users


@pytest.mark.django_db
class TestMailServerDown:
    def test_portal_notifications_never_wait_behind_emails(
        self, flaky, district_a, staff, manager, officer
    ):
        choose(officer, Delivery.PORTAL_ONLY)
        choose(manager, Delivery.DAILY_DIGEST)
        notify(district_a, staff)
        notify(district_a, manager, officer)  # stored after the e-mail row, due later
        seen = []

        def first_email(messages):
            # By the first e-mail, every row already shows in the portal.
            seen.append(
                (
                    Notification.objects.count(),
                    set(Reminder.objects.exclude(recipient=staff).values_list("state", flat=True)),
                )
            )

        flaky.before_send = first_email
        flaky.failures = 1
        assert notifications.send_pending() == {"portal": 1, "digest": 1, "retry": 1}
        assert seen == [(3, {ReminderState.PORTAL_ONLY, ReminderState.AWAITING_DIGEST})]

    def test_failures_in_a_row_pause_emails_without_spending_the_others_tries(
        self, frozen, settings, flaky, caplog, many
    ):
        settings.REMINDERS_PAUSE_AFTER_FAILURES = 3
        settings.REMINDERS_PAUSE_MINUTES = 15
        flaky.failures = 10_000
        assert notifications.send_pending() == {"retry": 3, "paused": 1}
        attempts = sorted(Reminder.objects.values_list("attempts", flat=True))
        assert attempts == [0, 0, 1, 1, 1]  # two rows were not tried at all
        assert Notification.objects.count() == 5  # but everybody has the portal notification
        assert notifications.email_paused_until() == NOW + timedelta(minutes=15)
        paused_logs = [r for r in caplog.records if "e-mail paused until" in r.getMessage()]
        assert len(paused_logs) == 1 and paused_logs[0].levelname == "ERROR"

        # While paused, passes try nothing (not even the rows whose backoff ran out).
        frozen.shift(timedelta(minutes=10))
        assert notifications.send_pending() == {"paused": 1}
        assert notifications.send_digests() == {"paused": 1}
        assert sorted(Reminder.objects.values_list("attempts", flat=True)) == attempts
        assert len([r for r in caplog.records if "e-mail paused until" in r.getMessage()]) == 1

        # The server is back after the pause: every e-mail goes out once.
        flaky.failures = 0
        frozen.shift(timedelta(minutes=5))
        assert notifications.send_pending() == {"sent": 5}
        assert len(mail.outbox) == 5 and Notification.objects.count() == 5

    def test_a_success_between_failures_does_not_pause(self, settings, flaky, many):
        settings.REMINDERS_PAUSE_AFTER_FAILURES = 2
        flaky.refused = {"lanhdao@example.test", "canbo_b@example.test"}  # 2nd and 4th
        assert notifications.send_pending() == {"sent": 3, "retry": 2}
        assert notifications.email_paused_until() is None

    def test_a_failed_digest_counts_towards_the_pause(self, settings, flaky, many):
        settings.REMINDERS_PAUSE_AFTER_FAILURES = 2
        for user in many:
            choose(user, Delivery.DAILY_DIGEST)
        notifications.send_pending()
        flaky.failures = 10_000
        assert notifications.send_digests() == {"retry": 2, "paused": 1}
        assert Reminder.objects.filter(attempts=0).count() == 3

    def test_smtp_connections_time_out(self, settings):
        from django.conf import global_settings

        from khuyencong import settings as portal_settings

        assert global_settings.EMAIL_TIMEOUT is None  # Django would wait forever
        assert portal_settings.EMAIL_TIMEOUT == 10


@pytest.mark.django_db
class TestTimeLimit:
    def test_the_soft_time_limit_gives_the_row_back_and_ends_the_pass(
        self, frozen, flaky, caplog, many
    ):
        sent = []

        def out_of_time_at_the_second(messages):
            if len(sent) == 1:
                raise SoftTimeLimitExceeded()
            sent.append(messages)

        flaky.before_send = out_of_time_at_the_second
        assert notifications.send_pending() == {"sent": 1, "stopped": 1}
        assert len(mail.outbox) == 1
        # Not a mail failure: nothing is marked failed or retried, no try is spent, no claim left.
        rows = list(Reminder.objects.order_by("pk"))
        assert [r.state for r in rows] == ["sent"] + ["pending"] * 4
        assert [r.attempts for r in rows] == [1, 0, 0, 0, 0]
        assert all(r.claim_token is None and r.last_error == "" for r in rows)
        assert all(r.next_attempt_at <= NOW for r in rows[1:])
        assert not [r for r in caplog.records if "failed" in r.getMessage()]

        # The next pass (another task) sends the rest, each once.
        flaky.before_send = None
        assert notifications.send_pending() == {"sent": 4}
        assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in many)

    def test_the_task_stops_cleanly_and_leaves_the_digests_for_later(
        self, monkeypatch, flaky, many
    ):
        from khuyencong import tasks

        def out_of_time(messages):
            raise SoftTimeLimitExceeded()

        flaky.before_send = out_of_time
        digests = []
        monkeypatch.setattr(notifications, "send_digests", lambda **kw: digests.append(kw))
        app.conf.task_always_eager = True
        try:
            assert tasks.send_pending_reminders.apply().get() == {"stopped": 1}
        finally:
            app.conf.task_always_eager = False
        assert digests == [] and Reminder.objects.filter(state="pending").count() == 5


@pytest.mark.django_db
class TestResend:
    def test_it_puts_back_finished_rows_only(self, district_a, staff, manager, officer):
        choose(manager, Delivery.DAILY_DIGEST)
        notify(district_a, staff, manager, officer)
        notifications.send_pending()
        Reminder.objects.filter(recipient=officer).update(state=ReminderState.FAILED)
        # The digest row is on its way: left alone.
        assert notifications.resend(Reminder.objects.all()) == 2
        assert notifications.send_pending() == {"sent": 2}
        assert len(mail.outbox) == 4
        assert Notification.objects.count() == 3  # the portal notification is not repeated

    def test_the_admin_action_resends_once(self, client, admin_user, district_a, staff, manager):
        notify(district_a, staff, manager)
        notifications.send_pending()
        Reminder.objects.update(state=ReminderState.FAILED, last_error="SMTP down")
        chosen = list(Reminder.objects.values_list("pk", flat=True))
        client.force_login(admin_user)
        url = reverse("admin:khuyencong_reminder_changelist")
        for _twice in range(2):
            page = client.post(url, {"action": "resend", "_selected_action": chosen}, follow=True)
        assert "0 nhắc việc vào hàng chờ gửi lại" in page.content.decode()
        assert "2 nhắc việc đang chờ gửi được giữ nguyên" in page.content.decode()
        mail.outbox.clear()
        assert notifications.send_pending() == {"sent": 2}
        assert notifications.send_pending() == {}
        assert len(mail.outbox) == 2

    def test_the_command_resends_failed_rows_of_a_kind_since_a_day(
        self, frozen, district_a, staff, manager, capsys
    ):
        notify(district_a, staff, manager)
        notify(district_a, staff, kind="other_kind")
        notify(district_a, manager, day=TODAY - timedelta(days=5))
        notifications.send_pending()
        Reminder.objects.exclude(recipient=staff, kind=KIND).update(state=ReminderState.FAILED)
        call_command("resend_reminders", "--failed", "--since", TODAY.isoformat(), "--kind", KIND)
        assert "1 reminder(s) put back" in capsys.readouterr().out
        assert set(Reminder.objects.filter(state="pending").values_list("kind", "day")) == {
            (KIND, TODAY)
        }
        call_command("resend_reminders", "--since", "01/03/2026", "--dry-run")
        assert "3 reminder(s) would be resent" in capsys.readouterr().out
        with pytest.raises(CommandError):
            call_command("resend_reminders")
        with pytest.raises(CommandError):
            call_command("resend_reminders", "--kind", "no_such_kind")


@pytest.mark.django_db
class TestClaim:
    def test_a_claimed_row_is_not_sent_by_another_sender(self, district_a, staff):
        notify(district_a, staff)
        token = notifications._claim(Reminder.objects.all(), NOW)
        assert token is not None
        assert notifications.send_pending() == {}
        assert not mail.outbox and not Notification.objects.exists()

    def test_a_row_left_by_a_dead_worker_is_sent_once_its_lease_runs_out(
        self, frozen, district_a, staff
    ):
        notify(district_a, staff)
        # A worker claims the row and dies before sending anything.
        notifications._claim(Reminder.objects.all(), NOW)
        frozen.shift(timedelta(minutes=9))
        assert notifications.send_pending() == {}
        frozen.shift(timedelta(minutes=1))
        assert notifications.send_pending()["sent"] == 1
        assert len(mail.outbox) == 1 and Notification.objects.count() == 1

    def test_a_worker_dying_after_the_notification_does_not_duplicate_it(
        self, frozen, monkeypatch, district_a, staff
    ):
        notify(district_a, staff)

        def die(*args, **kwargs):
            raise SystemExit("worker killed")

        monkeypatch.setattr(notifications, "_delivery", die)
        with pytest.raises(SystemExit):
            notifications.send_pending()
        monkeypatch.undo()
        frozen.shift(timedelta(minutes=10))
        notifications.send_pending()
        assert Notification.objects.count() == 1 and len(mail.outbox) == 1


@pytest.mark.django_db
class TestPreferencesAndReading:
    def test_it_fills_in_the_default_and_stores_a_choice(self, staff):
        assert notifications.preferences_for(staff)[KIND] == Delivery.EMAIL_NOW
        notifications.set_preferences(user=staff, choices={KIND: Delivery.DAILY_DIGEST})
        notifications.set_preferences(user=staff, choices={KIND: Delivery.PORTAL_ONLY})
        assert notifications.preferences_for(staff)[KIND] == Delivery.PORTAL_ONLY
        assert NotificationPreference.objects.count() == 1

    def test_it_refuses_an_unknown_kind_or_delivery(self, staff):
        with pytest.raises(ValueError):
            notifications.set_preferences(user=staff, choices={"no_such_kind": "email"})
        with pytest.raises(ValueError):
            notifications.set_preferences(user=staff, choices={KIND: "pigeon"})

    def test_it_lists_kinds_for_the_users_role(self, staff, officer):
        assert KIND in {kind.code for kind in notifications.kinds_for(staff)}
        assert KIND not in {kind.code for kind in notifications.kinds_for(officer)}
        # The project kinds are found without importing projects here.
        assert "awaiting_appraisal" in {kind.code for kind in notifications.kinds()}

    def test_it_counts_and_marks_unread(self, district_a, staff, manager):
        notify(district_a, staff, manager)
        notify(district_a, staff, kind="other_kind")
        notifications.send_pending()
        assert notifications.unread_count(staff) == 2
        first = Notification.objects.filter(recipient=staff).first()
        notifications.mark_read(user=staff, notification_id=first.pk)
        assert notifications.unread_count(staff) == 1
        with pytest.raises(Notification.DoesNotExist):
            notifications.mark_read(
                user=manager, notification_id=first.pk
            )  # another user's notification
        assert notifications.mark_all_read(user=staff) == 1
        assert notifications.unread_count(staff) == 0
        assert notifications.unread_count(manager) == 1


def test_it_builds_absolute_links(settings):
    settings.PORTAL_BASE_URL = "https://khuyencong.example/"
    assert notifications.absolute_url("/de-an/1/") == "https://khuyencong.example/de-an/1/"
    assert notifications.absolute_url("") == ""
