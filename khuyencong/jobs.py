"""Long work in the background: large exports and imports, run by a Celery worker for one user.

    queued ──claim──▶ running ──▶ done (file kept until expires_at) ──expiry──▶ done, no file
       ▲                 │  └───▶ failed (error in Vietnamese, e.g. the rows an import refused)
       └──stale, retry───┘  stale after JOB_MAX_ATTEMPTS claims ──▶ failed

Apps register a kind (`register_kind`) with a `run(job, progress) -> Outcome` function; a view
calls `submit()`, which stores the row and, once the transaction commits, hands its id to the
broker (`khuyencong.tasks.run_job`). Everything the work needs is in the row: a worker that
dies loses nothing but time.

- *Claim.* A worker takes a queued job by compare-and-swap on its status with a fresh
  `claim_token`; a second delivery of the same message finds it running or finished and does
  nothing. Every later write (progress, the outcome) names that token, so a worker whose claim
  was taken over stops at its next progress step (`JobLost`) and never overwrites the new run.
- *Restart cleanly.* A run starts from nothing: progress back to zero, the file is written to a
  temporary file and stored only at the end; an import saves in one transaction together with
  the job's own "done", so a worker killed halfway leaves no rows behind and no job that claims
  to be done.
- *Stale.* Progress beats the heart (`heartbeat_at`). `sweep()` (beat, every minute) puts a
  running job whose heart stopped for JOB_STALE_SECONDS back in the queue, or fails it with a
  clear message after JOB_MAX_ATTEMPTS claims, and hands again a queued job nobody took.
- *Scope.* A kind reads as the owner at run time, through `khuyencong.access`; the owner's
  scope then is remembered (`scope_key`) and the file is handed out only to the owner while
  that scope is unchanged (`may_download`).
- *Retention.* A finished file is kept JOB_FILE_RETENTION_DAYS days; `sweep()` deletes it then.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import IO

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from khuyencong import access, notifications

# By task name: the tasks module wraps this one.
from khuyencong.celery import app as celery_app
from khuyencong.models import Job, JobStatus, Role, User
from khuyencong.stored_text import StoredText

logger = logging.getLogger(__name__)

NOTIFICATION_KIND = "job_finished"
notifications.register_kind(
    NOTIFICATION_KIND,
    gettext_lazy("Xuất, nhập Excel chạy nền đã xong"),
    roles=Role.values,
    description=gettext_lazy("Khi tệp xuất lớn đã sẵn sàng tải về hoặc lần nhập tệp đã xong."),
)


# ---- Kinds -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run produced: an open, rewound file to keep (or None), its download name, a
    sentence for the owner and details for the job page."""

    file: IO[bytes] | None = None
    file_name: str = ""
    message: str = ""
    result: dict = field(default_factory=dict)


class JobRefused(Exception):
    """The work cannot be done as asked (rows with errors, a file gone): the job fails with
    this Vietnamese message; within an atomic kind, everything it wrote is rolled back."""

    def __init__(self, message: str, *, result: dict | None = None):
        super().__init__(message)
        self.result = result or {}


class JobLost(Exception):
    """This worker's claim was taken over (the job was found stale): stop without writing."""


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    run: Callable[[Job, "Progress"], Outcome]
    # Run inside one transaction with the job's own "done" (imports): all or nothing.
    atomic: bool = False


_KINDS: dict[str, Kind] = {}


def register_kind(code: str, label, *, run: Callable, atomic: bool = False) -> Kind:
    kind = Kind(code=code, label=label, run=run, atomic=atomic)
    _KINDS[code] = kind
    return kind


def get_kind(code: str) -> Kind | None:
    return _KINDS.get(code)


# ---- Submitting --------------------------------------------------------------------------------


def submit(*, owner: User, kind: str, title: str, parameters: dict) -> Job:
    """Store a job for `owner` and hand it to a worker once the caller's transaction commits."""
    if kind not in _KINDS:
        raise ValueError(f"Unknown job kind: {kind}")
    job = Job.objects.create(owner=owner, kind=kind, title=str(title)[:255], parameters=parameters)
    transaction.on_commit(lambda: hand_to_worker(job.pk))
    return job


def hand_to_worker(job_id: int) -> None:
    """Publish the job's id; if the broker is down, `sweep()` hands it again later, so the
    request that asked for it never fails for that."""
    try:
        celery_app.send_task("khuyencong.run_job", args=[job_id], retry=False)
    except Exception as exc:
        logger.warning("Could not reach the broker for job %s (%s); the sweep retries", job_id, exc)


def as_owner(job: Job) -> SimpleNamespace:
    """What a list's filter reads of a request, as the job's owner with the query string the
    job was asked with: the filter and the access helpers then narrow to the owner's scope as
    it is when the job runs."""
    return SimpleNamespace(user=job.owner, GET=QueryDict(job.parameters.get("query", "")))


def scope_key(user: User) -> str:
    """A fingerprint of what `user` may see now, from the access helpers alone."""
    if access.sees_whole_province(user):
        return "province"
    ids = sorted(access.localities_for(user).values_list("pk", flat=True))
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:40]


# ---- Progress ----------------------------------------------------------------------------------


class Progress:
    """Counts done/total and writes them (with the heartbeat) at most once a second.

    Inside the transaction of an atomic kind the row would stay invisible until the end, so on
    PostgreSQL the count goes through a second connection of its own; SQLite, which allows one
    writer at a time, shows the count again when the transaction ends."""

    WRITE_EVERY_SECONDS = 1.0

    def __init__(self, job: Job, *, in_transaction: bool = False):
        self.job = job
        # Set for an atomic kind: the work runs inside one transaction.
        self.in_transaction = in_transaction
        self.done = 0
        self.total: int | None = None
        self._written_at = 0.0
        self._side = None

    def set_total(self, total: int) -> None:
        self.total = max(int(total), 0)
        self.write(force=True)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if time.monotonic() - self._written_at >= self.WRITE_EVERY_SECONDS:
            self.write()

    def __call__(self) -> None:
        self.advance()

    def _values(self) -> tuple[int, int | None]:
        done = self.done if self.total is None else min(self.done, self.total)
        return done, self.total

    def write(self, *, force: bool = False) -> None:
        done, total = self._values()
        now = timezone.now()
        self._written_at = time.monotonic()
        if not self.in_transaction:
            updated = _claimed(self.job).update(
                progress_done=done, progress_total=total, heartbeat_at=now
            )
        elif connection.vendor == "postgresql":
            # The other connection misses a claim this transaction cannot see committed (in
            # a test's own transaction); the job's connection tells a real takeover.
            updated = self._write_aside(done, total, now) or _claimed(self.job).exists()
        else:
            return
        if not updated:
            raise JobLost(self.job.pk)

    def _write_aside(self, done: int, total: int | None, now: datetime) -> int:
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Job._meta.db_table} SET progress_done = %s, progress_total = %s, "
                "heartbeat_at = %s WHERE id = %s AND claim_token = %s AND status = %s",
                [done, total, now, self.job.pk, self.job.claim_token, JobStatus.RUNNING],
            )
            return cursor.rowcount

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


def _claimed(job: Job):
    return Job.objects.filter(pk=job.pk, claim_token=job.claim_token, status=JobStatus.RUNNING)


# ---- Running -----------------------------------------------------------------------------------


def claim(job_id: int) -> Job | None:
    """Take a queued job for this worker, or None when it is not queued (finished, or running
    elsewhere: a second delivery of the same message)."""
    now = timezone.now()
    token = uuid.uuid4()
    taken = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        claim_token=token,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        progress_done=0,
        progress_total=None,
        error="",
        message="",
        result={},
    )
    if not taken:
        return None
    return Job.objects.select_related("owner").get(pk=job_id)


def run(job_id: int) -> str:
    """Run one job to its end; returns what happened (skipped, done, failed, lost). Safe to
    call twice for the same id: only the call that claims it does the work."""
    job = claim(job_id)
    if job is None:
        return "skipped"
    kind = get_kind(job.kind)
    progress = Progress(job, in_transaction=bool(kind and kind.atomic))
    try:
        with translation.override(settings.LANGUAGE_CODE):
            try:
                if kind is None:
                    raise JobRefused(_("Loại công việc này không còn được hỗ trợ."))
                if not job.owner.is_active:
                    raise JobRefused(_("Tài khoản yêu cầu công việc này đã bị khóa."))
                # The scope the work reads with, taken before it reads anything.
                scope = scope_key(job.owner)
                if kind.atomic:
                    with transaction.atomic():
                        _finish(job, kind.run(job, progress), progress, scope)
                else:
                    _finish(job, kind.run(job, progress), progress, scope)
                return "done"
            except JobLost:
                logger.warning("Job %s was taken over by another worker; this run stops", job.pk)
                return "lost"
            except JobRefused as refusal:
                _fail(job, str(refusal), result=refusal.result)
            except SoftTimeLimitExceeded:
                _fail(
                    job,
                    _(
                        "Công việc chạy quá thời gian cho phép nên đã dừng. Hãy lọc bớt dữ liệu "
                        "rồi thử lại."
                    ),
                )
            except Exception:
                logger.exception("Job %s (%s) failed", job.pk, job.kind)
                _fail(
                    job,
                    _(
                        "Có lỗi ngoài ý muốn khi chạy công việc này; quản trị hệ thống đã được "
                        "báo. Hãy thử lại sau."
                    ),
                )
            return "failed"
    finally:
        progress.close()


def _store(job: Job, outcome: Outcome) -> str:
    if outcome.file is None:
        return ""
    with outcome.file as handle:
        return default_storage.save(f"jobs/{job.pk}/{uuid.uuid4().hex}.xlsx", File(handle))


def _finish(job: Job, outcome: Outcome, progress: Progress, scope: str) -> None:
    name = _store(job, outcome)
    now = timezone.now()
    expires = now + timedelta(days=settings.JOB_FILE_RETENTION_DAYS) if name else None
    total = progress.total if progress.total is not None else progress.done
    updated = _claimed(job).update(
        status=JobStatus.DONE,
        file=name,
        file_name=outcome.file_name[:200],
        message=str(outcome.message),
        result=outcome.result,
        scope_key=scope,
        progress_done=total,
        progress_total=total,
        finished_at=now,
        heartbeat_at=now,
        expires_at=expires,
        claim_token=None,
    )
    if not updated:
        if name:
            default_storage.delete(name)
        raise JobLost(job.pk)
    job.refresh_from_db()
    _discard_input(job)
    _discard_leftovers(job)
    _tell_owner(job)


def _discard_leftovers(job: Job) -> None:
    """Files of earlier runs of this job whose worker died between storing and finishing."""
    folder = f"jobs/{job.pk}"
    try:
        _folders, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        if f"{folder}/{name}" != job.file.name:
            default_storage.delete(f"{folder}/{name}")


def _fail(job: Job, error: str, *, result: dict | None = None) -> None:
    now = timezone.now()
    updated = _claimed(job).update(
        status=JobStatus.FAILED,
        error=error,
        result=result or {},
        finished_at=now,
        heartbeat_at=now,
        claim_token=None,
    )
    if updated:
        job.refresh_from_db()
        _discard_input(job)
        _tell_owner(job)


def _discard_input(job: Job) -> None:
    """An import's uploaded file is needed only until the job ends."""
    upload = job.parameters.get("upload")
    if upload:
        default_storage.delete(upload)


def _tell_owner(job: Job) -> None:
    # Stored with its message id: each reader sees it in their language (stored_text.py).
    if job.status == JobStatus.DONE:
        title = StoredText(gettext_noop("Đã xong: %(title)s"), {"title": job.title})
        url = reverse("jobs:download", args=[job.pk]) if job.file else job.get_absolute_url()
    else:
        title = StoredText(gettext_noop("Không thành công: %(title)s"), {"title": job.title})
        url = job.get_absolute_url()
    notifications.notify(
        kind=NOTIFICATION_KIND,
        obj=job,
        recipients=[job.owner],
        title=title,
        body=job.message or job.error,
        url=url,
    )
    transaction.on_commit(_deliver_soon)


def _deliver_soon() -> None:
    try:
        celery_app.send_task("khuyencong.tasks.send_pending_reminders", retry=False)
    except Exception as exc:  # the periodic sender delivers when the broker is back
        logger.warning("Could not reach the broker (%s); the periodic sender will deliver.", exc)


# ---- Sweeping: stale jobs, lost messages, expired files ----------------------------------------


def sweep(*, now: datetime | None = None) -> dict:
    """Recover stale and forgotten jobs and delete expired files; safe to run at any time."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    stats = {"requeued": 0, "failed": 0, "handed_again": 0, "expired": 0}

    stale = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale_before)
    for job in stale.select_related("owner"):
        same_claim = Job.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, claim_token=job.claim_token
        )
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            message = _(
                "Công việc bị gián đoạn %(n)s lần (máy chủ xử lý dừng giữa chừng) nên đã dừng "
                "hẳn; chưa có gì được lưu. Hãy thử lại, hoặc lọc bớt dữ liệu nếu tệp rất lớn."
            ) % {"n": job.attempts}
            with translation.override(settings.LANGUAGE_CODE):
                if same_claim.update(
                    status=JobStatus.FAILED,
                    error=message,
                    finished_at=now,
                    claim_token=None,
                ):
                    job.refresh_from_db()
                    _discard_input(job)
                    _tell_owner(job)
                    stats["failed"] += 1
        elif same_claim.update(
            status=JobStatus.QUEUED, claim_token=None, progress_done=0, queued_at=now
        ):
            logger.warning("Job %s stopped answering; queued again", job.pk)
            transaction.on_commit(lambda pk=job.pk: hand_to_worker(pk))
            stats["requeued"] += 1

    forgotten = Job.objects.filter(status=JobStatus.QUEUED, queued_at__lt=stale_before)
    for pk in forgotten.values_list("pk", flat=True):
        if Job.objects.filter(pk=pk, status=JobStatus.QUEUED).update(queued_at=now):
            transaction.on_commit(lambda pk=pk: hand_to_worker(pk))
            stats["handed_again"] += 1

    stats["expired"] = delete_expired_files(now=now)
    return stats


def delete_expired_files(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    for job in Job.objects.filter(expires_at__lte=now).exclude(file=""):
        default_storage.delete(job.file.name)
        count += Job.objects.filter(pk=job.pk, file=job.file.name).update(file="")
    return count


# ---- Reading -----------------------------------------------------------------------------------


def is_expired(job: Job, *, now: datetime | None = None) -> bool:
    return job.expires_at is not None and job.expires_at <= (now or timezone.now())


def may_download(job: Job, user: User) -> str | None:
    """None when `user` may download the file now; else why not, in Vietnamese (the owner
    only: anybody else never reaches this)."""
    if not job.has_file or is_expired(job):
        return _("Tệp này không còn: tệp kết quả chỉ được giữ %(days)s ngày. Hãy xuất lại.") % {
            "days": settings.JOB_FILE_RETENTION_DAYS
        }
    if job.scope_key != scope_key(user):
        return _(
            "Phạm vi địa bàn của bạn đã thay đổi từ khi tệp được tạo nên không tải tệp này được "
            "nữa. Hãy xuất lại."
        )
    return None
