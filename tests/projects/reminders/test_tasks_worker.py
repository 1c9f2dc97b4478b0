"""A real Celery worker against the local Redis: the scan, triggered twice at once, delivers the
reminder and stores it exactly once.

Runs on PostgreSQL (the worker process must see the test database); skipped with a reason when
Redis does not answer or the database is in-memory SQLite, failed instead under
KC_REQUIRE_SERVICES=1 (CI). The broker is CELERY_TEST_BROKER_URL (default Redis DB 14).
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from email import message_from_string
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from khuyencong.celery import app
from khuyencong.models import Notification, Reminder
from projects.reminders import tasks
from tests.projects.reminders.builders import make_project
from tests.services import skip_or_fail

BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(settings.BASE_DIR)


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        skip_or_fail(f"no Redis answers at {BROKER_URL}: {exc}")
    # The test broker database holds only this test's queue: start from an empty one.
    client.flushdb()


def database_url_or_skip() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        if db["NAME"] == ":memory:" or "mode=memory" in str(db["NAME"]):
            skip_or_fail("the test database is in-memory SQLite: a worker process cannot see it")
        return f"sqlite:///{db['NAME']}"
    if connection.vendor != "postgresql":
        skip_or_fail(f"unsupported database for the worker test: {connection.vendor}")
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def wait_for(predicate, what: str, log: Path, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")


def sent_messages(mail_dir: Path) -> list[Message]:
    """Messages the file-based backend wrote (one file per connection, a rule between them)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(message_from_string(chunk.strip()))
    return messages


def finished(log: Path, task: str) -> int:
    return len(re.findall(rf"{re.escape(task)}\[[0-9a-f-]+\] succeeded", log.read_text()))


@pytest.fixture
def worker(tmp_path):
    redis_or_skip()
    database_url = database_url_or_skip()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": BROKER_URL,
        "KC_TEST_MAIL_DIR": str(mail_dir),
        "KC_VAR_DIR": str(tmp_path / "var"),
        # Files the worker writes (background jobs) where the test process reads them.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "khuyencong",
        "worker",
        "-l",
        "info",
        "--concurrency",
        "2",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"kc-test-{uuid.uuid4().hex[:8]}@%h",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: " ready." in log.read_text(), "the worker to start", log, timeout=60)
        yield log, mail_dir
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_delivers_the_reminder_exactly_once(worker, commune_a1, staff):
    log, mail_dir = worker
    project = make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
    # Real time here: the worker does not share a frozen clock.

    with app.connection_for_write(BROKER_URL) as broker:
        # Two scans at once, as if beat and a cron run overlapped.
        tasks.scan_reminders.apply_async(connection=broker)
        tasks.scan_reminders.apply_async(connection=broker)

    def all_done():
        return (
            finished(log, "projects.reminders.tasks.scan_reminders") == 2
            and finished(log, "khuyencong.tasks.send_pending_reminders") == 2
        )

    wait_for(all_done, "both scans and both senders to finish", log)
    assert "Traceback" not in log.read_text(), log.read_text()

    reminder = Reminder.objects.get()
    assert reminder.recipient == staff and reminder.state == "sent"
    assert Notification.objects.get().recipient == staff
    [message] = sent_messages(mail_dir)
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == f"[Khuyến công] Đề án {project.code} chờ thẩm định đã 10 ngày"
    assert message["To"] == "trungtam@example.test"
