"""Celery tasks of the projects app: thin wrappers over projects/reminders/rules.py."""

import logging
from datetime import date

from celery import shared_task
from django.db import DatabaseError

from khuyencong.ops.stamps import stamp
from khuyencong.tasks import send_pending_reminders
from projects.reminders import rules

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    soft_time_limit=9 * 60,
    time_limit=10 * 60,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=3,
)
def scan_reminders(day: str | None = None) -> int:
    """The daily scan (`day` as ISO date, default today), then delivery of what it stored."""
    result = rules.scan(today=date.fromisoformat(day) if day else None)
    stamp("reminder_scan")  # read by the health check and by catch_up_scan
    send_pending_reminders.delay()
    return len(result.items)


@shared_task(
    acks_late=True,
    soft_time_limit=9 * 60,
    time_limit=10 * 60,
    # Beat sends one every REMINDERS_CATCH_UP_EVERY_MINUTES: a backlog is dropped, not replayed.
    expires=10 * 60,
)
def catch_up_scan() -> int | None:
    """Run the daily scan now if its time passed without one (beat or a worker starting)."""
    if not rules.scan_missed():
        return None
    logger.warning("The daily reminder scan did not run at its time; catching up now")
    return scan_reminders()
