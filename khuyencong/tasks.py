"""Celery tasks of the core: thin wrappers over khuyencong/notifications.py and jobs.py.

Late acknowledgement (settings) means a task whose worker dies is run again; that is safe
because every row is claimed before it is delivered.
"""

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from khuyencong import jobs, notifications
from khuyencong.ops import backup, stamps

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
    if not stats.get("stopped"):  # out of time: the digests wait for the next run
        stats.update(
            {f"digest_{k}": v for k, v in notifications.send_digests(retries_only=True).items()}
        )
    return dict(stats)


@shared_task(acks_late=True, soft_time_limit=9 * 60, time_limit=10 * 60, **RETRY)
def send_digests() -> dict:
    """The daily e-mail digest, one per recipient who chose it."""
    return dict(notifications.send_digests())


@shared_task(name="khuyencong.heartbeat", ignore_result=True, expires=50)
def heartbeat() -> None:
    """Run by beat every minute: a fresh stamp proves beat, broker and a worker all work
    (read by the health check). Expires so a backlog is dropped, not replayed."""
    stamps.stamp(stamps.WORKER_HEARTBEAT)


@shared_task(
    name="khuyencong.backup", acks_late=False, soft_time_limit=5 * 3600, time_limit=6 * 3600
)
def nightly_backup() -> str:
    """The optional nightly backup (BACKUP_NIGHTLY_TIME); not retried late on a lost worker."""
    result = backup.create_backup()
    stamps.stamp(stamps.BACKUP)
    return result.folder.name


@shared_task(
    name="khuyencong.run_job",
    acks_late=True,
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_SOFT_TIME_LIMIT + 120,
)
def run_job(job_id: int) -> str:
    """One background job (khuyencong/jobs.py). Delivered twice, or again after its worker
    died, it runs at most once at a time: the job is claimed first."""
    return jobs.run(job_id)


@shared_task(name="khuyencong.sweep_jobs", ignore_result=True, expires=50)
def sweep_jobs() -> dict:
    """Run by beat every minute: stale jobs queued again or failed, expired files deleted."""
    return jobs.sweep()
