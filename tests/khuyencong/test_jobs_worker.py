"""A real Celery worker against the local Redis runs a large export asked for over HTTP: the
page polls the progress until it is done, the file downloads, and the owner is told with the
download link.

Same set-up as tests/projects/reminders/test_tasks_worker.py (PostgreSQL; skipped with the
reason on in-memory SQLite or without Redis, failed instead under KC_REQUIRE_SERVICES=1).
"""

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from kombu import pools
from openpyxl import load_workbook

from facilities.models import Facility, LegalForm
from khuyencong import jobs
from khuyencong.celery import app
from khuyencong.models import Job, JobStatus, Notification
from tests.conftest import make_facility
from tests.projects.process.test_turns_worker import _point_the_portal_at
from tests.projects.reminders.test_tasks_worker import (  # noqa: F401  (worker is a fixture)
    BROKER_URL,
    ROOT,
    database_url_or_skip,
    redis_or_skip,
    wait_for,
    worker,
)


def _point_at(url: str) -> None:
    # kombu also keeps producer pools per broker URL, process-wide: a pool closed when the
    # previous test pointed the portal back would be handed out again for the same URL.
    pools.reset()
    _point_the_portal_at(url)


@pytest.fixture
def portal_publishes_to_the_test_broker():
    previous = app.conf.broker_url
    _point_at(BROKER_URL)
    yield
    _point_at(previous)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_exports_in_the_background_and_the_owner_downloads_it(
    worker,  # noqa: F811
    portal_publishes_to_the_test_broker,
    settings,
    login,
    officer,
    commune_a1,
    commune_b1,
):
    log, _mail_dir = worker
    settings.JOB_EXPORT_IMMEDIATE_MAX_ROWS = 2
    for n in range(5):
        make_facility(commune_a1, name=f"Cơ sở huyện A số {n}")
    make_facility(commune_b1, name="Cơ sở của huyện B")
    client = login(officer)

    response = client.get(reverse("facilities:export"))
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    progress_url = reverse("jobs:progress", args=[job.pk])
    assert f'hx-get="{progress_url}"' in client.get(job.get_absolute_url()).text
    fragments = []

    def finished():
        fragments.append(client.get(progress_url).text)
        return "hx-trigger" not in fragments[-1]

    started = time.monotonic()
    wait_for(finished, "the export job to finish", log)
    assert time.monotonic() - started < 90
    assert "Traceback" not in log.read_text(), log.read_text()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert "Đã xuất 5 cơ sở." in fragments[-1]

    download = reverse("jobs:download", args=[job.pk])
    assert download in fragments[-1]
    response = client.get(download)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[1].value for row in sheet.iter_rows(min_row=5) if row[1].value]
    assert sorted(names) == [f"Cơ sở huyện A số {n}" for n in range(5)]

    # The worker also delivers the notice (send_pending_reminders, asked for by the job).
    wait_for(
        lambda: Notification.objects.filter(recipient=officer).exists(),
        "the notice of the finished job",
        log,
    )
    notice = Notification.objects.get(recipient=officer)
    assert notice.url == download
    assert notice.title == f"Đã xong: {job.title}"


def _start_worker(tmp_path, name: str):
    """A worker in a process group of its own, so the test can kill it outright (SIGKILL: no
    chance to finish or hand anything back), as the machine's OOM killer or a power cut would."""
    database_url = database_url_or_skip()
    log = tmp_path / f"{name}.log"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": BROKER_URL,
        "KC_TEST_MAIL_DIR": str(tmp_path),
        "KC_VAR_DIR": str(tmp_path / f"var-{name}"),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "khuyencong", "worker", "-l", "info",
        "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-n", f"kc-test-{name}-{uuid.uuid4().hex[:8]}@%h",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    wait_for(lambda: " ready." in log.read_text(), f"worker {name} to start", log, timeout=60)
    return process, log


def _kill(process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_whose_worker_is_killed_midway_restarts_and_finishes(
    tmp_path,
    portal_publishes_to_the_test_broker,
    settings,
    officer,
    commune_a1,
    sector,
):
    redis_or_skip()
    facilities = [
        Facility(
            name=f"Cơ sở số {n}",
            legal_form=LegalForm.ENTERPRISE,
            tax_code=f"{4810000000 + n}",
            locality=commune_a1,
            main_sector=sector,
        )
        for n in range(6000)
    ]
    Facility.objects.bulk_create(facilities, batch_size=1000)
    first, first_log = _start_worker(tmp_path, "first")
    try:
        job = jobs.submit(owner=officer, kind="facilities.export", title="Xuất", parameters={})
        wait_for(
            lambda: Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists(),
            "the first worker to start the job",
            first_log,
        )
    finally:
        _kill(first)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.attempts == 1  # killed before it finished

    second, second_log = _start_worker(tmp_path, "second")
    try:
        # The sweep (beat, every minute) finds the silent job and hands it out again.
        settings.JOB_STALE_SECONDS = 1
        time.sleep(1.5)
        assert jobs.sweep()["requeued"] == 1
        wait_for(
            lambda: Job.objects.filter(pk=job.pk, status=JobStatus.DONE).exists(),
            "the second worker to finish the job",
            second_log,
            timeout=180,
        )
    finally:
        _kill(second)
    job.refresh_from_db()
    assert job.attempts == 2 and job.message == "Đã xuất 6000 cơ sở."
    assert (job.progress_done, job.progress_total) == (6000, 6000)
    sheet = load_workbook(job.file.path, read_only=True).active
    assert sum(1 for row in sheet.iter_rows(min_row=5, values_only=True) if row[1]) == 6000
