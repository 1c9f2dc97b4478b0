"""/healthz and `manage.py check_health`: 200 or 503 with a small JSON, no login, nothing
sensitive; the heartbeat and the reminder scan stamp their times."""

import datetime
import io
import json
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from khuyencong import tasks
from khuyencong.ops import health, stamps

pytestmark = pytest.mark.django_db


@pytest.fixture
def healthy(settings):
    settings.HEALTH_MIN_FREE_MB = 0
    stamps.stamp(stamps.WORKER_HEARTBEAT)
    stamps.stamp(stamps.REMINDER_SCAN)


def test_it_answers_200_without_login_when_everything_works(client, healthy):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["healthy"] is True
    assert set(body["checks"]) == {"database", "broker", "worker", "reminder_scan", "disk"}
    assert body["checks"]["worker"]["heartbeat_age_seconds"] < 5
    assert body["checks"]["reminder_scan"]["last_scan"]
    assert body["checks"]["disk"]["free_mb"] > 0


def test_it_says_nothing_sensitive(client, healthy):
    text = client.get("/healthz").content.decode()
    database = django_settings.DATABASES["default"]
    for secret in (
        django_settings.SECRET_KEY,
        django_settings.CELERY_BROKER_URL,
        str(django_settings.MEDIA_ROOT),
        database["NAME"],
        database.get("HOST") or "@",
    ):
        assert secret not in text


def test_it_answers_503_without_a_recent_heartbeat(client, healthy, settings):
    settings.HEALTH_HEARTBEAT_MAX_SECONDS = 300
    stamps.stamp(stamps.WORKER_HEARTBEAT, timezone.now() - datetime.timedelta(minutes=6))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {
        "ok": False,
        "last_heartbeat": mock.ANY,
        "heartbeat_age_seconds": mock.ANY,
    }


def test_it_answers_503_when_no_worker_ever_beat(client, settings):
    settings.HEALTH_MIN_FREE_MB = 0
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["worker"]["last_heartbeat"] is None
    # A portal that has not scanned yet (installed today) is not failed for that.
    assert checks["reminder_scan"] == {"ok": True, "last_scan": None, "last_scan_age_seconds": None}


def test_a_reminder_scan_older_than_a_day_fails(client, healthy):
    stamps.stamp(stamps.REMINDER_SCAN, timezone.now() - datetime.timedelta(hours=27))
    assert client.get("/healthz").json()["checks"]["reminder_scan"]["ok"] is False


def test_it_answers_503_when_the_broker_is_down(client, healthy):
    with mock.patch("khuyencong.celery.app.connection_for_write", side_effect=OSError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False}
    assert "down" not in response.content.decode()


def test_it_answers_503_when_the_database_is_down(client, healthy):
    with mock.patch.object(health, "connection") as broken:
        broken.cursor.side_effect = RuntimeError("connection refused")
        response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False}
    assert checks["worker"]["ok"] is False


def test_it_answers_503_when_the_disk_is_nearly_full(client, healthy, settings):
    settings.HEALTH_MIN_FREE_MB = 10**12
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["disk"]["ok"] is False


def test_it_refuses_post(client):
    assert client.post("/healthz").status_code == 405


def test_the_command_exits_1_when_unhealthy_and_0_when_healthy(settings):
    settings.HEALTH_MIN_FREE_MB = 0
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check_health", stdout=out)
    assert exit_.value.code == 1
    assert json.loads(out.getvalue())["healthy"] is False

    stamps.stamp(stamps.WORKER_HEARTBEAT)
    out = io.StringIO()
    call_command("check_health", "--quiet", stdout=out)
    assert out.getvalue() == ""


def test_the_heartbeat_task_stamps_the_time():
    tasks.heartbeat.apply()
    assert stamps.last(stamps.WORKER_HEARTBEAT) is not None
    assert django_settings.CELERY_BEAT_SCHEDULE["ops-heartbeat"] == {
        "task": "khuyencong.heartbeat",
        "schedule": 60.0,
    }


def test_the_reminder_scan_stamps_the_time():
    from projects.reminders import tasks as project_tasks

    with mock.patch.object(project_tasks.send_pending_reminders, "delay"):
        project_tasks.scan_reminders.apply()
    assert stamps.last(stamps.REMINDER_SCAN) is not None


def test_an_unhealthy_answer_is_a_warning_not_an_error_mail(client, settings, caplog):
    settings.DEBUG = False
    settings.ADMINS = [("IT", "it@caobang.gov.vn")]
    settings.SECURE_SSL_REDIRECT = False
    settings.HEALTH_MIN_FREE_MB = 0
    assert client.get("/healthz").status_code == 503
    assert mail.outbox == []
    assert [r.levelname for r in caplog.records if r.name == "django.request"] == []
    assert "unhealthy: worker" in caplog.text
