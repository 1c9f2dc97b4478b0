"""Times at which background jobs last ran, for the health check.

Any task records that it ran with `stamp("reminder_scan")`; the core never needs to know which
app the task lives in.
"""

import datetime

from django.utils import timezone

from khuyencong.models import ServiceStamp

WORKER_HEARTBEAT = "worker_heartbeat"
REMINDER_SCAN = "reminder_scan"
BACKUP = "backup"
# Not a time something ran: the end of a pause of e-mail sending (khuyencong/notifications.py).
EMAIL_PAUSED_UNTIL = "email_paused_until"


def stamp(name: str, at: datetime.datetime | None = None) -> None:
    ServiceStamp.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})


def last(name: str) -> datetime.datetime | None:
    return ServiceStamp.objects.filter(name=name).values_list("at", flat=True).first()
