"""Celery tasks of the core: thin wrappers over khuyencong/notifications.py.

Late acknowledgement (settings) means a task whose worker dies is run again; that is safe
because every row is claimed before it is delivered.
"""

from celery import shared_task
from django.db import DatabaseError

from khuyencong import notifications

RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(acks_late=True, soft_time_limit=9 * 60, time_limit=10 * 60, **RETRY)
def send_pending_reminders() -> dict:
    """Deliver due outbox rows, then retry digests that failed earlier."""
    stats = notifications.send_pending()
    stats.update(
        {f"digest_{k}": v for k, v in notifications.send_digests(retries_only=True).items()}
    )
    return dict(stats)


@shared_task(acks_late=True, soft_time_limit=9 * 60, time_limit=10 * 60, **RETRY)
def send_digests() -> dict:
    """The daily e-mail digest, one per recipient who chose it."""
    return dict(notifications.send_digests())
