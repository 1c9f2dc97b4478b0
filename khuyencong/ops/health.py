"""Is the portal able to work? For a monitor (`/healthz`) and for cron (`check_health`).

Each check answers `ok` and a few plain facts; none carries a host name, a URL, a version or an
error text (those go to the log). The whole answer is healthy when every check is ok:

- database: a `SELECT 1` answers;
- broker: a connection to CELERY_BROKER_URL opens within two seconds;
- worker: the last heartbeat (a beat task run by a worker every minute) is at most
  HEALTH_HEARTBEAT_MAX_SECONDS old — so beat *and* a worker are alive;
- reminder_scan: the last daily scan is at most HEALTH_SCAN_MAX_HOURS old (a portal that has
  never scanned yet, e.g. installed today, reports `null` and is not failed for it);
- disk: the file system of MEDIA_ROOT has at least HEALTH_MIN_FREE_MB free.
"""

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from khuyencong.ops import stamps

logger = logging.getLogger(__name__)


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health: database check failed")
        return {"ok": False}
    return {"ok": True}


def _broker() -> dict:
    try:
        from khuyencong.celery import app

        with app.connection_for_write(connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        logger.exception("health: broker check failed")
        return {"ok": False}
    return {"ok": True}


def _last(name: str, database_ok: bool) -> tuple[str | None, int | None]:
    """(time as ISO 8601, age in seconds) of a stamp; (None, None) when there is none."""
    if not database_ok:
        return None, None
    try:
        at = stamps.last(name)
    except Exception:
        logger.exception("health: reading %s failed", name)
        return None, None
    if at is None:
        return None, None
    age = max(0, int((timezone.now() - at).total_seconds()))
    return timezone.localtime(at).isoformat(timespec="seconds"), age


def _disk() -> dict:
    root = Path(settings.MEDIA_ROOT)
    while not root.exists() and root != root.parent:  # nothing uploaded yet: its parent's disk
        root = root.parent
    try:
        free = shutil.disk_usage(root).free
    except OSError:
        logger.exception("health: MEDIA_ROOT cannot be read")
        return {"ok": False, "free_mb": None}
    free_mb = free // (1024 * 1024)
    return {"ok": free_mb >= settings.HEALTH_MIN_FREE_MB, "free_mb": free_mb}


def check() -> dict:
    """{"healthy": bool, "checks": {...}, "time": ISO 8601}."""
    database = _database()
    heartbeat_at, heartbeat_age = _last(stamps.WORKER_HEARTBEAT, database["ok"])
    scan_at, scan_age = _last(stamps.REMINDER_SCAN, database["ok"])
    checks = {
        "database": database,
        "broker": _broker(),
        "worker": {
            "ok": heartbeat_age is not None
            and heartbeat_age <= settings.HEALTH_HEARTBEAT_MAX_SECONDS,
            "last_heartbeat": heartbeat_at,
            "heartbeat_age_seconds": heartbeat_age,
        },
        "reminder_scan": {
            "ok": database["ok"]
            and (scan_age is None or scan_age <= settings.HEALTH_SCAN_MAX_HOURS * 3600),
            "last_scan": scan_at,
            "last_scan_age_seconds": scan_age,
        },
        "disk": _disk(),
    }
    return {
        "healthy": all(item["ok"] for item in checks.values()),
        "checks": checks,
        "time": timezone.localtime().isoformat(timespec="seconds"),
    }
