"""Notifications and the reminder outbox: the generic machinery, for any object.

Apps say what is due (projects/reminders/rules.py builds `Outgoing` items) and hand it to
`enqueue()` or `notify()`. Each item becomes one `Reminder` row, unique per
(kind, object, recipient, day), so writing the same thing twice — a second scan the same day,
two workers at once — adds nothing.

`send_pending()` delivers the rows. It claims each row first (compare-and-swap on a fresh
`claim_token`, with a lease), then creates the portal notification (one per row, backed by a
one-to-one key) and, as the recipient chose for that kind, sends the e-mail at once, leaves it
for the daily digest (`send_digests()`), or stops at the portal. A worker that dies after the
claim leaves the row for another sender once the lease runs out; a failed e-mail is retried
with exponential backoff, and one bad recipient never stops the others.

The core knows no kinds itself: apps register theirs with `register_kind()` in a module named
`reminders` (found with Django's autodiscovery).
"""

import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from khuyencong.models import (
    Delivery,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderState,
    User,
)

logger = logging.getLogger(__name__)


# ---- Kinds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    # Roles that receive this kind; the preferences page shows a user the kinds of their role.
    roles: tuple[str, ...]
    description: str = ""


_KINDS: dict[str, Kind] = {}
_discovered = False


def register_kind(code: str, label, *, roles: Iterable[str], description="") -> Kind:
    kind = Kind(code=code, label=label, roles=tuple(roles), description=description)
    _KINDS[code] = kind
    return kind


def kinds() -> list[Kind]:
    global _discovered
    if not _discovered:
        autodiscover_modules("reminders")
        _discovered = True
    return list(_KINDS.values())


def kinds_for(user: User) -> list[Kind]:
    if user.is_superuser:
        return kinds()
    return [kind for kind in kinds() if user.role in kind.roles]


def kind_label(code: str) -> str:
    kinds()
    kind = _KINDS.get(code)
    return str(kind.label) if kind else code


# ---- Writing the outbox ------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One thing to tell one person; `day` is the day it is due for (part of the unique key)."""

    kind: str
    content_type_id: int
    object_id: int
    recipient: User = field(compare=False)
    day: date
    title: str
    body: str = ""
    url: str = ""

    @property
    def key(self) -> tuple:
        return (self.kind, self.content_type_id, self.object_id, self.recipient.pk, self.day)


def outgoing(
    *, kind: str, obj: models.Model, recipient: User, day: date, title: str, body="", url=""
) -> Outgoing:
    return Outgoing(
        kind=kind,
        content_type_id=ContentType.objects.get_for_model(obj).pk,
        object_id=obj.pk,
        recipient=recipient,
        day=day,
        title=str(title)[:255],
        body=str(body),
        url=url,
    )


def enqueue(items: Iterable[Outgoing], *, dry_run: bool = False) -> list[Outgoing]:
    """Store the items not stored yet; returns them. Two queries, whatever the number of items.

    The existence check keeps the answer exact in the usual case; the unique constraint (with
    ON CONFLICT DO NOTHING) is what guarantees it when two scans race.
    """
    unique: dict[tuple, Outgoing] = {}
    for item in items:
        unique.setdefault(item.key, item)
    if not unique:
        return []
    ids_by_type: dict[int, set[int]] = {}
    for item in unique.values():
        ids_by_type.setdefault(item.content_type_id, set()).add(item.object_id)
    same_objects = Q()
    for content_type_id, ids in ids_by_type.items():
        same_objects |= Q(content_type_id=content_type_id, object_id__in=sorted(ids))
    existing = set(
        Reminder.objects.filter(
            same_objects,
            kind__in={item.kind for item in unique.values()},
            day__in={item.day for item in unique.values()},
        ).values_list("kind", "content_type_id", "object_id", "recipient_id", "day")
    )
    new = [item for key, item in unique.items() if key not in existing]
    if new and not dry_run:
        Reminder.objects.bulk_create(
            [
                Reminder(
                    kind=item.kind,
                    content_type_id=item.content_type_id,
                    object_id=item.object_id,
                    recipient=item.recipient,
                    day=item.day,
                    title=item.title,
                    body=item.body,
                    url=item.url,
                )
                for item in new
            ],
            ignore_conflicts=True,
        )
    return new


def notify(
    *,
    kind: str,
    obj: models.Model,
    recipients: Iterable[User],
    title: str,
    body: str = "",
    url: str = "",
    day: date | None = None,
) -> list[Outgoing]:
    """Tell `recipients` about `obj`: at most once per kind, object, person and day.

    Delivery (portal, e-mail now or in the digest) follows on the next `send_pending()`.
    """
    day = day or timezone.localdate()
    return enqueue(
        outgoing(kind=kind, obj=obj, recipient=user, day=day, title=title, body=body, url=url)
        for user in recipients
    )


# ---- Preferences -------------------------------------------------------------------------------


def default_delivery() -> str:
    return settings.REMINDERS_DEFAULT_DELIVERY


def preferences_for(user: User) -> dict[str, str]:
    """Delivery per kind code for `user`, defaults filled in."""
    chosen = dict(user.notification_preferences.values_list("kind", "delivery"))
    return {kind.code: chosen.get(kind.code, default_delivery()) for kind in kinds()}


@transaction.atomic
def set_preferences(*, user: User, choices: dict[str, str]) -> None:
    valid = {kind.code for kind in kinds()}
    for code, delivery in choices.items():
        if code not in valid or delivery not in Delivery.values:
            raise ValueError(f"Unknown kind or delivery: {code}={delivery}")
        NotificationPreference.objects.update_or_create(
            user=user, kind=code, defaults={"delivery": delivery}
        )


def _delivery(user: User, kind: str) -> str:
    chosen = (
        NotificationPreference.objects.filter(user=user, kind=kind)
        .values_list("delivery", flat=True)
        .first()
    )
    return chosen or default_delivery()


# ---- Reading -----------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def mark_read(*, user: User, notification_id: int) -> Notification:
    """Raises Notification.DoesNotExist for another user's notification."""
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at=None).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


# ---- Sending -----------------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    if not path or not path.startswith("/"):
        return path
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=settings.REMINDERS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def _lease() -> datetime:
    return timezone.now() + timedelta(seconds=settings.REMINDERS_CLAIM_SECONDS)


def _email_context(recipient: User) -> dict:
    return {
        "recipient": recipient,
        "province": settings.PROVINCE_NAME,
        "portal_url": absolute_url("/"),
        "notifications_url": absolute_url(reverse("notifications:list")),
        "preferences_url": absolute_url(reverse("notifications:preferences")),
    }


def _reminder_email(reminder: Reminder) -> EmailMultiAlternatives:
    context = _email_context(reminder.recipient) | {
        "reminder": reminder,
        "kind_label": kind_label(reminder.kind),
        "link": absolute_url(reminder.url),
    }
    subject = _("[Khuyến công] %(title)s") % {"title": reminder.title}
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("email/reminder.txt", context),
        to=[reminder.recipient.email],
    )
    message.attach_alternative(render_to_string("email/reminder.html", context), "text/html")
    return message


def _digest_email(recipient: User, rows: Sequence[Reminder]) -> EmailMultiAlternatives:
    items = [
        {"reminder": row, "kind_label": kind_label(row.kind), "link": absolute_url(row.url)}
        for row in rows
    ]
    context = _email_context(recipient) | {"items": items, "day": timezone.localdate()}
    subject = _("[Khuyến công] Tổng hợp %(count)d việc cần chú ý ngày %(day)s") % {
        "count": len(items),
        "day": timezone.localdate().strftime("%d/%m/%Y"),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/digest.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(render_to_string("email/digest.html", context), "text/html")
    return message


def _claim(qs, now: datetime) -> uuid.UUID | None:
    """Compare-and-swap: take the rows of `qs` that are still due; None when none were."""
    token = uuid.uuid4()
    taken = qs.filter(next_attempt_at__lte=now).update(
        claim_token=token, next_attempt_at=_lease(), attempts=F("attempts") + 1
    )
    return token if taken else None


def _release(token: uuid.UUID, **changes) -> int:
    """Write the outcome, only if the claim is still ours (the lease was not taken over)."""
    done = Reminder.objects.filter(claim_token=token).update(claim_token=None, **changes)
    if not done:
        logger.warning("Reminder claim %s was taken over before it finished", token)
    return done


def _failed(token: uuid.UUID, rows: Sequence[Reminder], exc: Exception) -> str:
    attempts = max(row.attempts for row in rows)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if attempts >= settings.REMINDERS_MAX_ATTEMPTS:
        logger.error("Reminder e-mail to %s given up: %s", rows[0].recipient.email, error)
        _release(token, state=ReminderState.FAILED, last_error=error)
        return "failed"
    logger.warning("Reminder e-mail to %s failed, will retry: %s", rows[0].recipient.email, error)
    _release(token, next_attempt_at=timezone.now() + _backoff(attempts), last_error=error)
    return "retry"


def _create_notification(reminder: Reminder) -> None:
    Notification.objects.get_or_create(
        reminder=reminder,
        defaults={
            "recipient": reminder.recipient,
            "kind": reminder.kind,
            "title": reminder.title,
            "body": reminder.body,
            "url": reminder.url,
            "content_type_id": reminder.content_type_id,
            "object_id": reminder.object_id,
        },
    )


def _deliver(reminder_id: int, now: datetime, connection) -> str:
    token = _claim(Reminder.objects.filter(pk=reminder_id, state=ReminderState.PENDING), now)
    if token is None:
        return "skipped"  # another sender has it, or has already sent it
    reminder = Reminder.objects.select_related("recipient").get(pk=reminder_id)
    recipient = reminder.recipient
    _create_notification(reminder)
    delivery = _delivery(recipient, reminder.kind)
    if delivery == Delivery.PORTAL_ONLY or not recipient.email or not recipient.is_active:
        _release(token, state=ReminderState.PORTAL_ONLY, last_error="")
        return "portal"
    if delivery == Delivery.DAILY_DIGEST:
        _release(
            token, state=ReminderState.AWAITING_DIGEST, attempts=0, next_attempt_at=timezone.now()
        )
        return "digest"
    try:
        connection.send_messages([_reminder_email(reminder)])
    except Exception as exc:  # any backend error: this row is retried, the others go on
        connection.close()
        return _failed(token, [reminder], exc)
    _release(token, state=ReminderState.SENT, sent_at=timezone.now(), last_error="")
    return "sent"


def send_pending(*, now: datetime | None = None, batch_size: int | None = None) -> Counter:
    """Deliver every due outbox row; returns how many went each way."""
    now = now or timezone.now()
    batch_size = batch_size or settings.REMINDERS_BATCH_SIZE
    stats: Counter = Counter()
    connection = get_connection(fail_silently=False)
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            batch = list(
                Reminder.objects.filter(state=ReminderState.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            for reminder_id in batch:
                try:
                    stats[_deliver(reminder_id, now, connection)] += 1
                except (
                    Exception
                ) as exc:  # a poison row: its lease pushes it back, the batch goes on
                    logger.exception("Reminder %s could not be delivered", reminder_id)
                    Reminder.objects.filter(
                        pk=reminder_id,
                        state=ReminderState.PENDING,
                        attempts__gte=settings.REMINDERS_MAX_ATTEMPTS,
                    ).update(state=ReminderState.FAILED, last_error=repr(exc)[:2000])
                    stats["error"] += 1
            if len(batch) < batch_size:
                break
    connection.close()
    return stats


def send_digests(*, now: datetime | None = None, retries_only: bool = False) -> Counter:
    """One e-mail per recipient gathering their rows that wait for the daily digest."""
    now = now or timezone.now()
    waiting = Reminder.objects.filter(state=ReminderState.AWAITING_DIGEST, next_attempt_at__lte=now)
    if retries_only:
        waiting = waiting.filter(attempts__gt=0)
    stats: Counter = Counter()
    connection = get_connection(fail_silently=False)
    recipient_ids = list(waiting.order_by().values_list("recipient_id", flat=True).distinct())
    with translation.override(settings.LANGUAGE_CODE):
        for recipient_id in recipient_ids:
            token = _claim(waiting.filter(recipient_id=recipient_id), now)
            if token is None:
                continue
            rows = list(
                Reminder.objects.filter(claim_token=token)
                .select_related("recipient")
                .order_by("day", "kind", "pk")
            )
            if not rows:
                continue
            recipient = rows[0].recipient
            if not recipient.email or not recipient.is_active:
                _release(token, state=ReminderState.PORTAL_ONLY)
                stats["portal"] += 1
                continue
            try:
                connection.send_messages([_digest_email(recipient, rows)])
            except Exception as exc:  # this recipient is retried later, the others go on
                connection.close()
                stats[_failed(token, rows, exc)] += 1
                continue
            _release(token, state=ReminderState.SENT, sent_at=timezone.now(), last_error="")
            stats["sent"] += 1
    connection.close()
    return stats
