"""A real Celery worker against the local Redis: one approval, committed in the portal, asks a
worker to deliver, and the author gets exactly one portal notification and one e-mail.

Same set-up as tests/projects/reminders/test_tasks_worker.py (PostgreSQL; skipped with the
reason on in-memory SQLite or without Redis, failed instead under KC_REQUIRE_SERVICES=1).
"""

import datetime
from email.header import decode_header, make_header

import pytest

from khuyencong.celery import app
from khuyencong.models import Notification, Reminder
from projects.applications import workflow
from tests.projects.conftest import YEAR
from tests.projects.reminders.test_tasks_worker import (  # noqa: F401  (worker is a fixture)
    BROKER_URL,
    sent_messages,
    wait_for,
    worker,
)


def _point_the_portal_at(url: str) -> None:
    # The app caches its connection pool and the producer pool made from it: drop both, so
    # the next publish opens a connection to `url`.
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def portal_publishes_to_the_test_broker():
    """The portal process publishes where the test worker listens (Redis), then goes back."""
    previous = app.conf.broker_url
    _point_the_portal_at(BROKER_URL)
    yield
    _point_the_portal_at(previous)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_approval_tells_the_author_once_by_portal_and_e_mail(
    worker,  # noqa: F811
    portal_publishes_to_the_test_broker,
    officer,
    staff,
    manager,
    make_project,
    walk,
    allocation,
):
    log, mail_dir = worker
    project = make_project(officer)  # filed by `walk` on 20/01 of its year
    project = walk(project, "appraised", officer=officer, staff=staff, manager=manager)

    project = workflow.approve(
        project=project,
        by=manager,
        decision_number="15/QĐ-SCT",
        decision_date=datetime.date(YEAR, 2, 20),
        approved_amount=200_000_000,
        allocation=allocation,
    )

    def delivered():
        # The steps before told staff and the manager; this test follows the approval only.
        return Reminder.objects.filter(kind="step_decided", state="sent").exists()

    wait_for(delivered, "the worker to deliver the approval notice", log)
    assert "Traceback" not in log.read_text(), log.read_text()
    row = Reminder.objects.get(kind="step_decided")
    assert row.recipient == officer
    notification = Notification.objects.get(recipient=officer)
    assert notification.kind == "step_decided"
    assert notification.url == f"{project.get_absolute_url()}#dien-bien"
    [message] = [m for m in sent_messages(mail_dir) if m["To"] == officer.email]
    subject = str(make_header(decode_header(message["Subject"])))
    assert project.code in subject and "phê duyệt" in subject
    assert message["To"] == officer.email
