"""Công việc chạy nền: the user's own background jobs (khuyencong/jobs.py), their progress and
their files.

Every query is narrowed to `owner=request.user` before anything else, for every method:
another user's job is a 404 whoever asks, the centre's staff and managers included.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from khuyencong import audit, jobs
from khuyencong.excel import XLSX_TYPE
from khuyencong.models import AuditKind, Job

RECENT = 50
# The job page asks for the progress this often while the job is not finished.
POLL_SECONDS = 2


def _get_own_or_404(request, pk) -> Job:
    try:
        return Job.objects.get(pk=pk, owner=request.user)
    except Job.DoesNotExist as exc:
        raise Http404 from exc


def _refuse_writes(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return None


@login_required
def job_list(request):
    if refused := _refuse_writes(request):
        return refused
    own = Job.objects.filter(owner=request.user).order_by("-created_at", "-pk")[:RECENT]
    return render(
        request,
        "jobs/list.html",
        {"jobs": own, "retention_days": settings.JOB_FILE_RETENTION_DAYS},
    )


@login_required
def job_detail(request, pk):
    job = _get_own_or_404(request, pk)
    if refused := _refuse_writes(request):
        return refused
    return render(request, "jobs/detail.html", _context(job))


@login_required
def job_progress(request, pk):
    """The polled fragment: once the job is finished it comes back without the poll."""
    job = _get_own_or_404(request, pk)
    if refused := _refuse_writes(request):
        return refused
    return render(request, "jobs/_progress.html", _context(job) | {"oob_status": True})


@login_required
def job_download(request, pk):
    job = _get_own_or_404(request, pk)
    if refused := _refuse_writes(request):
        return refused
    why_not = jobs.may_download(job, request.user)
    if why_not:
        messages.error(request, why_not)
        return redirect(job)
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.file_name or "ket-qua.xlsx",
        content_type=XLSX_TYPE,
    )
    audit.record(request, AuditKind.EXPORT, obj=job.file_name or job.title)
    return response


def _context(job: Job) -> dict:
    return {
        "job": job,
        "expired": jobs.is_expired(job),
        "poll_seconds": POLL_SECONDS,
    }
