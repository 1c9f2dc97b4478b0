"""Notifications and the reminder outbox: the generic machinery, for any object.

Apps say what is due (projects/reminders/rules.py builds `Outgoing` items) and hand it to
`enqueue()` or `notify()`. Each item becomes one `Reminder` row, unique per
(kind, object, recipient, day), so writing the same thing twice — a second scan the same day,
two workers at once — adds nothing.

`send_pending()` delivers the rows in two passes. It claims each row first (compare-and-swap on
a fresh `claim_token`, with a lease). The first pass creates the portal notifications (one per
row, backed by a one-to-one key) and finishes the rows that need no e-mail now (portal only, or
left for the daily digest, `send_digests()`): fast database work that a slow mail server never
holds up. The second pass sends the e-mails. A worker that dies after the claim leaves the row
for another sender once the lease runs out. A failed e-mail is retried with capped exponential
backoff for REMINDERS_RETRY_FOR_DAYS, then marked failed; `resend()` puts it back. One bad
recipient never stops the others, but REMINDERS_PAUSE_AFTER_FAILURES failures in a row mean the
mail server is down: e-mail pauses for a while instead of spending every row's tries. A Celery
soft time limit gives the current row back untouched and ends the pass.

The core knows no kinds itself: apps register theirs with `register_kind()` in a module named
`reminders` (found with Django's autodiscovery).
"""

import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from celery.exceptions import SoftTimeLimitExceeded
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
from khuyencong.ops import stamps
from khuyencong.stored_text import as_json

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
    texts: dict = field(default_factory=dict, compare=False)

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
        texts={
            key: entry
            for key, entry in (("title", as_json(title)), ("body", as_json(body)))
            if entry
        },
    )


def enqueue(items: Iterable[Outgoing], *, dry_run: bool = False) -> list[Outgoing]:
    """Store the items not stored yet; returns those this call stored. Three queries, whatever
    the number of items.

    The existence check skips the rows stored earlier; the unique constraint (with ON CONFLICT
    DO NOTHING) guarantees each row once when two scans race, and `stored_by` tells each scan
    which of the rows it inserted.
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
    if not new or dry_run:
        return new
    token = uuid.uuid4()
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
                texts=item.texts,
                url=item.url,
                stored_by=token,
            )
            for item in new
        ],
        ignore_conflicts=True,
    )
    # A racing enqueue may have stored some of them first; count only the rows written here, so
    # that two scans at once report together exactly what is stored.
    mine = set(
        Reminder.objects.filter(
            same_objects, kind__in={item.kind for item in new}, stored_by=token
        ).values_list("kind", "content_type_id", "object_id", "recipient_id", "day")
    )
    return [item for item in new if item.key in mine]


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
    """5, 10, 20, 40 … minutes (REMINDERS_RETRY_BASE_SECONDS doubling), capped."""
    doubling = 2 ** min(max(attempts - 1, 0), 20)  # bounded: no overflow after many tries
    seconds = settings.REMINDERS_RETRY_BASE_SECONDS * doubling
    return timedelta(seconds=min(seconds, settings.REMINDERS_RETRY_MAX_SECONDS))


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
    """Compare-and-swap: take the rows of `qs` that are still due; None when none were.

    `qs` must filter the reminder table alone: a join would turn the UPDATE into `id IN
    (subquery)`, which PostgreSQL does not re-check against a row another sender just claimed.
    """
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


@contextmanager
def _given_back_on_time_limit(
    token: uuid.UUID, now: datetime, *, count_try: bool = False
) -> Iterator[None]:
    """At the task's soft time limit, give the claimed rows back, due, for the next pass, and
    let the limit end the pass. Running out of time is not the mail server's fault: it is
    never a failed e-mail, and the try is not counted (`count_try` keeps it for digest rows,
    which the periodic pass picks up by their count; only time makes an e-mail fail)."""
    try:
        yield
    except SoftTimeLimitExceeded:
        changes = {} if count_try else {"attempts": F("attempts") - 1}
        Reminder.objects.filter(claim_token=token).update(
            claim_token=None, next_attempt_at=now, **changes
        )
        raise


def _failed(token: uuid.UUID, rows: Sequence[Reminder], exc: Exception) -> str:
    """A failed e-mail: retried with backoff until `retry_until` (set at the first failure)."""
    now = timezone.now()
    attempts = max(row.attempts for row in rows)
    until = min((row.retry_until for row in rows if row.retry_until), default=None)
    until = until or now + timedelta(days=settings.REMINDERS_RETRY_FOR_DAYS)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if now >= until:
        logger.error("Reminder e-mail to %s given up: %s", rows[0].recipient.email, error)
        _release(token, state=ReminderState.FAILED, last_error=error, retry_until=until)
        return "failed"
    logger.warning("Reminder e-mail to %s failed, will retry: %s", rows[0].recipient.email, error)
    # The last try falls on `until` itself rather than being skipped.
    retry_at = min(now + _backoff(attempts), until)
    _release(token, next_attempt_at=retry_at, last_error=error, retry_until=until)
    return "retry"


def _create_notification(reminder: Reminder) -> None:
    Notification.objects.get_or_create(
        reminder=reminder,
        defaults={
            "recipient": reminder.recipient,
            "kind": reminder.kind,
            "title": reminder.title,
            "body": reminder.body,
            "texts": reminder.texts,
            "url": reminder.url,
            "content_type_id": reminder.content_type_id,
            "object_id": reminder.object_id,
        },
    )


# ---- Pausing e-mail while the mail server is down ----------------------------------------------


def email_paused_until() -> datetime | None:
    """The end of the current pause of e-mail sending, or None when e-mail may go out."""
    until = stamps.last(stamps.EMAIL_PAUSED_UNTIL)
    return until if until is not None and until > timezone.now() else None


class _Breaker:
    """Counts e-mails failing in a row during one pass; at the limit, pauses e-mail for
    REMINDERS_PAUSE_MINUTES (a shared mark, so every worker waits) and tells the pass to stop
    e-mailing. The rows not tried keep their tries."""

    def __init__(self):
        self.in_a_row = 0
        self.last_error = ""

    def record(self, outcome: str, error: str = "") -> bool:
        """True when the pass must stop e-mailing."""
        if outcome == "sent":
            self.in_a_row = 0
        elif outcome in ("retry", "failed"):
            self.in_a_row += 1
            self.last_error = error
        limit = settings.REMINDERS_PAUSE_AFTER_FAILURES
        if limit <= 0 or self.in_a_row < limit:
            return False
        until = timezone.now() + timedelta(minutes=settings.REMINDERS_PAUSE_MINUTES)
        stamps.stamp(stamps.EMAIL_PAUSED_UNTIL, at=until)
        logger.error(
            "%d reminder e-mails failed in a row (last: %s); e-mail paused until %s",
            self.in_a_row,
            self.last_error,
            timezone.localtime(until).isoformat(timespec="minutes"),
        )
        return True


# ---- Sending -----------------------------------------------------------------------------------


def _portal_step(reminder_id: int, now: datetime) -> str:
    """First pass: the portal notification, and the row finished when it needs no e-mail now."""
    token = _claim(Reminder.objects.filter(pk=reminder_id, state=ReminderState.PENDING), now)
    if token is None:
        return "skipped"  # another sender has it, or has already delivered it
    with _given_back_on_time_limit(token, now):
        reminder = Reminder.objects.select_related("recipient").get(pk=reminder_id)
        recipient = reminder.recipient
        _create_notification(reminder)
        delivery = _delivery(recipient, reminder.kind)
        if delivery == Delivery.PORTAL_ONLY or not recipient.email or not recipient.is_active:
            _release(token, state=ReminderState.PORTAL_ONLY, last_error="")
            return "portal"
        if delivery == Delivery.DAILY_DIGEST:
            _release(
                token,
                state=ReminderState.AWAITING_DIGEST,
                attempts=0,
                next_attempt_at=timezone.now(),
            )
            return "digest"
        # E-mail now: back to the queue, due, for the e-mail pass; this was not an e-mail try.
        _release(token, next_attempt_at=now, attempts=F("attempts") - 1)
        return "queued"


def _deliver(reminder_id: int, now: datetime, connection) -> tuple[str, str]:
    """Second pass: the e-mail (the delivery choice is read again, it may have changed).
    Returns the outcome and, for a failed e-mail, the error."""
    token = _claim(Reminder.objects.filter(pk=reminder_id, state=ReminderState.PENDING), now)
    if token is None:
        return "skipped", ""  # another sender has it, or has already sent it
    with _given_back_on_time_limit(token, now):
        reminder = Reminder.objects.select_related("recipient").get(pk=reminder_id)
        recipient = reminder.recipient
        _create_notification(reminder)  # already there unless a sender died before it
        delivery = _delivery(recipient, reminder.kind)
        if delivery == Delivery.PORTAL_ONLY or not recipient.email or not recipient.is_active:
            _release(token, state=ReminderState.PORTAL_ONLY, last_error="")
            return "portal", ""
        if delivery == Delivery.DAILY_DIGEST:
            _release(
                token,
                state=ReminderState.AWAITING_DIGEST,
                attempts=0,
                next_attempt_at=timezone.now(),
            )
            return "digest", ""
        try:
            connection.send_messages([_reminder_email(reminder)])
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:  # any backend error: this row is retried, the others go on
            connection.close()
            return _failed(token, [reminder], exc), f"{type(exc).__name__}: {exc}"
        _release(token, state=ReminderState.SENT, sent_at=timezone.now(), last_error="")
        return "sent", ""


def _poisoned(reminder_id: int, exc: Exception) -> None:
    """A row that breaks outside the mail server: its lease pushes it back; after
    REMINDERS_MAX_ATTEMPTS tries it is failed (and can be resent once fixed)."""
    logger.exception("Reminder %s could not be delivered", reminder_id)
    Reminder.objects.filter(
        pk=reminder_id,
        state=ReminderState.PENDING,
        attempts__gte=settings.REMINDERS_MAX_ATTEMPTS,
    ).update(state=ReminderState.FAILED, last_error=repr(exc)[:2000])


def _due_ids(now: datetime, batch_size: int, *, notified: bool) -> list[int]:
    return list(
        Reminder.objects.filter(
            state=ReminderState.PENDING,
            next_attempt_at__lte=now,
            notification__isnull=not notified,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:batch_size]
    )


def send_pending(*, now: datetime | None = None, batch_size: int | None = None) -> Counter:
    """Deliver every due outbox row; returns how many went each way.

    Keys: portal, digest, sent, retry, failed, error (a poison row), skipped (taken by another
    sender), paused (e-mail is paused), stopped (the soft time limit ended the pass).
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.REMINDERS_BATCH_SIZE
    stats: Counter = Counter()
    connection = get_connection(fail_silently=False)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _portal_pass(now, batch_size, stats)
            if email_paused_until() is not None:
                logger.info("Reminder e-mails wait: e-mail is paused")
                stats["paused"] += 1
            else:
                _email_pass(now, batch_size, stats, connection)
    except SoftTimeLimitExceeded:
        logger.warning(
            "Reminder sending stopped at the time limit; the rest waits for the next run"
        )
        stats["stopped"] += 1
    finally:
        connection.close()
    stats.pop("queued", None)  # an internal step, not an outcome
    return stats


def _portal_pass(now: datetime, batch_size: int, stats: Counter) -> None:
    while True:
        batch = _due_ids(now, batch_size, notified=False)
        for reminder_id in batch:
            try:
                stats[_portal_step(reminder_id, now)] += 1
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # a poison row: its lease pushes it back, the batch goes on
                _poisoned(reminder_id, exc)
                stats["error"] += 1
        if len(batch) < batch_size:
            return


def _email_pass(now: datetime, batch_size: int, stats: Counter, connection) -> None:
    breaker = _Breaker()
    while True:
        batch = _due_ids(now, batch_size, notified=True)
        for reminder_id in batch:
            try:
                outcome, error = _deliver(reminder_id, now, connection)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # a poison row: its lease pushes it back, the batch goes on
                _poisoned(reminder_id, exc)
                stats["error"] += 1
                continue
            stats[outcome] += 1
            if breaker.record(outcome, error):
                stats["paused"] += 1
                return
        if len(batch) < batch_size:
            return


def last_daily_time(hour_minute: tuple[int, int], now: datetime) -> datetime:
    """The latest time of day `hour_minute` (local) at or before `now`: today's or yesterday's."""
    local = timezone.localtime(now)
    day = local.date()
    at = timezone.make_aware(datetime.combine(day, time(*hour_minute)))
    if at > local:
        at = timezone.make_aware(datetime.combine(day - timedelta(days=1), time(*hour_minute)))
    return at


def send_digests(*, now: datetime | None = None, retries_only: bool = False) -> Counter:
    """One e-mail per recipient gathering their rows that wait for the daily digest.

    With `retries_only` (the periodic pass), only what the daily run should have sent: failed
    digests, and rows that were waiting already at the last digest time but are still here
    (the run was missed while the broker was down, or stopped at its time limit).
    """
    now = now or timezone.now()
    waiting = Reminder.objects.filter(state=ReminderState.AWAITING_DIGEST, next_attempt_at__lte=now)
    if retries_only:
        missed = last_daily_time(settings.REMINDERS_DIGEST_TIME, now)
        waiting = waiting.filter(Q(attempts__gt=0) | Q(next_attempt_at__lt=missed))
    stats: Counter = Counter()
    if email_paused_until() is not None:
        logger.info("Reminder digests wait: e-mail is paused")
        stats["paused"] += 1
        return stats
    connection = get_connection(fail_silently=False)
    recipient_ids = list(waiting.order_by().values_list("recipient_id", flat=True).distinct())
    breaker = _Breaker()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for recipient_id in recipient_ids:
                outcome, error = _send_digest(waiting, recipient_id, now, connection)
                if outcome:
                    stats[outcome] += 1
                if breaker.record(outcome, error):
                    stats["paused"] += 1
                    break
    except SoftTimeLimitExceeded:
        logger.warning(
            "Reminder digests stopped at the time limit; the rest waits for the next run"
        )
        stats["stopped"] += 1
    finally:
        connection.close()
    return stats


def _send_digest(waiting, recipient_id: int, now: datetime, connection) -> tuple[str, str]:
    token = _claim(waiting.filter(recipient_id=recipient_id), now)
    if token is None:
        return "", ""
    with _given_back_on_time_limit(token, now, count_try=True):
        rows = list(
            Reminder.objects.filter(claim_token=token)
            .select_related("recipient")
            .order_by("day", "kind", "pk")
        )
        if not rows:
            return "", ""
        recipient = rows[0].recipient
        if not recipient.email or not recipient.is_active:
            _release(token, state=ReminderState.PORTAL_ONLY)
            return "portal", ""
        try:
            connection.send_messages([_digest_email(recipient, rows)])
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:  # this recipient is retried later, the others go on
            connection.close()
            return _failed(token, rows, exc), f"{type(exc).__name__}: {exc}"
        _release(token, state=ReminderState.SENT, sent_at=timezone.now(), last_error="")
        return "sent", ""


# ---- Resending ---------------------------------------------------------------------------------

# Finished rows; a pending or digest row is on its way already and is left alone.
RESENDABLE = [ReminderState.FAILED, ReminderState.SENT, ReminderState.PORTAL_ONLY]


def resend(reminders: models.QuerySet) -> int:
    """Put finished rows of `reminders` back in the outbox: the next pass delivers each once
    more, as its recipient now chooses (the portal notification is not repeated). Returns how
    many were put back."""
    ids = list(reminders.filter(state__in=RESENDABLE).values_list("pk", flat=True))
    # By id on the table alone, with the state checked again in the UPDATE: a row a sender has
    # claimed in between is not touched (see _claim).
    return Reminder.objects.filter(pk__in=ids, state__in=RESENDABLE).update(
        state=ReminderState.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claim_token=None,
        retry_until=None,
        last_error="",
        sent_at=None,
    )
