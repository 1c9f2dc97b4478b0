"""Celery tasks of the projects app: thin wrappers over projects/reminders/rules.py."""

from datetime import date

from celery import shared_task
from django.db import DatabaseError

from khuyencong.ops.stamps import stamp
from khuyencong.tasks import send_pending_reminders
from projects.reminders import rules


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
    stamp("reminder_scan")  # read by the health check (khuyencong/ops/health.py)
    send_pending_reminders.delay()
    return len(result.items)
