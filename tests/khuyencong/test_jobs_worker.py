"""A real Celery worker against the local Redis runs a large export asked for over HTTP: the
page polls the progress until it is done, the file downloads, and the owner is told with the
download link.

Same set-up as tests/projects/reminders/test_tasks_worker.py (PostgreSQL; skipped with the
reason on in-memory SQLite or without Redis, failed instead under KC_REQUIRE_SERVICES=1).
"""

import io
import time

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from khuyencong.models import Job, JobStatus, Notification
from tests.conftest import make_facility
from tests.projects.process.test_turns_worker import (  # noqa: F401  (fixtures)
    portal_publishes_to_the_test_broker,
)
from tests.projects.reminders.test_tasks_worker import (  # noqa: F401  (worker is a fixture)
    wait_for,
    worker,
)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_exports_in_the_background_and_the_owner_downloads_it(
    worker,  # noqa: F811
    portal_publishes_to_the_test_broker,  # noqa: F811
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
