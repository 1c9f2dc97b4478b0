"""Background jobs (khuyencong/jobs.py): large exports and imports run by a worker for their
owner, with progress, a notification, a download kept for a while and only for the owner.

The runner is called in this process the way the task calls it (`jobs.run`); the real worker,
the broker and the HTTP round trip are in test_jobs_worker.py.
"""

import datetime
import io
import uuid

import pytest
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from facilities.models import Facility
from khuyencong import jobs, notifications
from khuyencong.models import Job, JobStatus, Notification, Role
from tests.conftest import make_facility, run_queued_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    # Exports of more than one row run as jobs here; one row or none stays immediate.
    settings.JOB_EXPORT_IMMEDIATE_MAX_ROWS = 1
    settings.MEDIA_ROOT = str(tmp_path / "media")


def names_in(content: bytes, first_row: int = 5) -> list[str]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [row[1].value for row in sheet.iter_rows(min_row=first_row) if row[1].value]


def download(client, job) -> bytes:
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200, response
    assert "attachment;" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def submit_facility_export(client, **query) -> Job:
    response = client.get(reverse("facilities:export"), query)
    job = Job.objects.latest("pk")
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    return job


# --- small exports stay immediate, large ones become a job -----------------------------------


def test_a_small_export_downloads_at_once(login, officer, facility_a):
    response = login(officer).get(reverse("facilities:export"))
    assert response.status_code == 200
    assert names_in(response.getvalue()) == ["Công ty TNHH Giang Hiền"]
    assert not Job.objects.exists()


def test_it_exports_a_large_list_in_the_background_within_the_owners_scope(
    login, officer, facility_a, facility_b, commune_a1
):
    make_facility(commune_a1, name="Hộ kinh doanh Dao rèn")
    client = login(officer)
    job = submit_facility_export(client)
    assert job.owner == officer and job.status == JobStatus.QUEUED
    assert job.title == "Xuất Excel danh sách cơ sở CNNT (2 cơ sở)"
    page = client.get(job.get_absolute_url()).text
    assert "Đang chờ máy chủ xử lý" in page and "Bạn có thể rời trang này" in page

    assert run_queued_jobs() == ["done"]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.message == "Đã xuất 2 cơ sở."
    assert (job.progress_done, job.progress_total) == (2, 2)
    assert job.file_name.startswith("danh-sach-co-so-cnnt-") and job.file_name.endswith(".xlsx")
    # Officer A's file holds district A only: B's facility never reaches it.
    assert sorted(names_in(download(client, job))) == [
        "Công ty TNHH Giang Hiền",
        "Hộ kinh doanh Dao rèn",
    ]


def test_the_filter_of_the_request_is_kept(login, staff, facility_a, facility_b, commune_a1):
    make_facility(commune_a1, name="Công ty TNHH Giang Hiền 2")
    client = login(staff)
    job = submit_facility_export(client, q="giang hien")
    assert job.parameters == {"query": "q=giang+hien"}
    run_queued_jobs()
    assert sorted(names_in(download(client, Job.objects.get()))) == [
        "Công ty TNHH Giang Hiền",
        "Công ty TNHH Giang Hiền 2",
    ]


def test_the_project_list_exports_in_the_background(login, staff, officer, facility_a):
    from tests.projects.reminders.builders import make_project

    make_project(facility_a.locality, facility=facility_a)
    make_project(facility_a.locality, facility=facility_a)
    client = login(staff)
    response = client.get(reverse("projects:export"))
    job = Job.objects.get()
    assert response.url == job.get_absolute_url()
    assert job.title == "Xuất Excel danh mục đề án (2 đề án)"
    assert run_queued_jobs() == ["done"]
    sheet = load_workbook(io.BytesIO(download(client, Job.objects.get()))).active
    assert sheet["A1"].value == "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG"
    assert [row[0].value for row in sheet.iter_rows(min_row=5)][:2] == [1, 2]


def test_the_scope_is_the_owners_when_the_job_runs(
    login, officer, facility_a, facility_b, commune_a1
):
    make_facility(commune_a1, name="Hộ kinh doanh Dao rèn")
    job = submit_facility_export(login(officer))
    # Made a province-wide viewer before a worker took the job: the file is read as that.
    officer.role = Role.VIEWER
    officer.save()
    run_queued_jobs()
    job.refresh_from_db()
    assert job.message == "Đã xuất 3 cơ sở."


def test_a_job_of_a_locked_account_fails(login, officer, facility_a, commune_a1):
    make_facility(commune_a1)
    job = submit_facility_export(login(officer))
    officer.is_active = False
    officer.save()
    assert run_queued_jobs() == ["failed"]
    job.refresh_from_db()
    assert job.error == "Tài khoản yêu cầu công việc này đã bị khóa." and not job.file


# --- the job page, its progress and the notice -------------------------------------------------


def test_the_progress_fragment_polls_until_the_job_ends(login, officer, facility_a, commune_a1):
    make_facility(commune_a1)
    client = login(officer)
    job = submit_facility_export(client)
    fragment = client.get(reverse("jobs:progress", args=[job.pk])).text
    assert 'hx-trigger="every 2s"' in fragment
    assert 'role="progressbar"' in fragment
    assert 'aria-label="Tiến độ: Xuất Excel danh sách cơ sở CNNT (2 cơ sở)"' in fragment

    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, progress_done=1, progress_total=2
    )
    fragment = client.get(reverse("jobs:progress", args=[job.pk])).text
    assert 'aria-valuenow="50"' in fragment and "đã xử lý 1/2 dòng" in fragment

    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    run_queued_jobs()
    fragment = client.get(reverse("jobs:progress", args=[job.pk])).text
    assert "hx-trigger" not in fragment
    assert 'aria-valuenow="100"' in fragment
    assert reverse("jobs:download", args=[job.pk]) in fragment
    listing = client.get(reverse("jobs:list")).text
    assert job.title in listing and job.file_name in listing


def test_the_owner_is_told_with_the_download_link(login, officer, facility_a, commune_a1):
    make_facility(commune_a1)
    job = submit_facility_export(login(officer))
    run_queued_jobs()
    notifications.send_pending()
    notice = Notification.objects.get(recipient=officer)
    assert notice.title == "Đã xong: Xuất Excel danh sách cơ sở CNNT (2 cơ sở)"
    assert notice.url == reverse("jobs:download", args=[job.pk])


def test_a_failed_job_tells_the_owner_why(login, officer, facility_a, commune_a1):
    make_facility(commune_a1)
    job = submit_facility_export(login(officer))
    officer.is_active = False
    officer.save()
    run_queued_jobs()
    notifications.send_pending()
    notice = Notification.objects.get(recipient=officer)
    assert notice.title.startswith("Không thành công: ")
    assert notice.url == job.get_absolute_url()


# --- only the owner, and only within the scope the file was made for ----------------------------


def test_another_users_job_is_a_404(client, login, officer, other_officer, staff, facility_a):
    make_facility(facility_a.locality)
    job = submit_facility_export(login(officer))
    run_queued_jobs()
    for user in (other_officer, staff):
        client.force_login(user)
        for name in ("jobs:detail", "jobs:progress", "jobs:download"):
            url = reverse(name, args=[job.pk])
            assert client.get(url).status_code == 404, (user, url)
            assert client.post(url).status_code == 404, (user, url)
        assert job.title not in client.get(reverse("jobs:list")).text


def test_the_file_is_refused_once_the_owners_scope_changed(login, officer, facility_a):
    make_facility(facility_a.locality)
    client = login(officer)
    job = submit_facility_export(client)
    run_queued_jobs()
    officer.role = Role.VIEWER  # the scope is now the whole province, not district A
    officer.save()
    response = client.get(reverse("jobs:download", args=[job.pk]), follow=True)
    assert response.redirect_chain == [(job.get_absolute_url(), 302)]
    assert "Phạm vi địa bàn của bạn đã thay đổi" in response.text


# --- retention -----------------------------------------------------------------------------------


def test_files_are_deleted_when_they_expire(login, officer, facility_a, settings):
    settings.JOB_FILE_RETENTION_DAYS = 3
    make_facility(facility_a.locality)
    client = login(officer)
    job = submit_facility_export(client)
    run_queued_jobs()
    job.refresh_from_db()
    assert job.expires_at - job.finished_at == datetime.timedelta(days=3)
    name = job.file.name
    assert default_storage.exists(name)

    assert jobs.sweep(now=job.expires_at - datetime.timedelta(seconds=1))["expired"] == 0
    assert default_storage.exists(name)
    assert jobs.sweep(now=job.expires_at)["expired"] == 1
    assert not default_storage.exists(name)
    job.refresh_from_db()
    assert not job.file and job.status == JobStatus.DONE

    response = client.get(reverse("jobs:download", args=[job.pk]), follow=True)
    assert "Tệp này không còn: tệp kết quả chỉ được giữ 3 ngày. Hãy xuất lại." in response.text
    assert "Tệp kết quả đã hết thời hạn lưu và đã được xóa." in response.text


def test_an_expired_file_is_refused_before_the_sweep_deletes_it(
    login, officer, facility_a, time_machine
):
    make_facility(facility_a.locality)
    client = login(officer)
    job = submit_facility_export(client)
    run_queued_jobs()
    job.refresh_from_db()
    time_machine.move_to(job.expires_at + datetime.timedelta(minutes=1))
    client = login(officer)  # the sign-in of a week ago has ended
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 302 and response.url == job.get_absolute_url()


# --- the runner: claimed once, restarted cleanly, stale jobs recovered -------------------------


def queued_job(owner, facility) -> Job:
    make_facility(facility.locality)
    return jobs.submit(owner=owner, kind="facilities.export", title="Xuất", parameters={})


def test_a_job_runs_once_however_often_it_is_delivered(officer, facility_a):
    job = queued_job(officer, facility_a)
    assert jobs.run(job.pk) == "done"
    assert jobs.run(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.attempts == 1


def test_a_running_job_with_a_live_worker_is_left_alone(officer, facility_a):
    job = queued_job(officer, facility_a)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, claim_token=uuid.uuid4(), heartbeat_at=timezone.now()
    )
    assert jobs.run(job.pk) == "skipped"
    assert jobs.sweep() == {"requeued": 0, "failed": 0, "handed_again": 0, "expired": 0}


def test_a_stale_job_is_queued_again_and_restarts_cleanly(officer, facility_a, settings):
    job = queued_job(officer, facility_a)
    # A worker claimed it, wrote half of it and was killed.
    half_dead = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        claim_token=uuid.uuid4(),
        attempts=1,
        heartbeat_at=half_dead,
        progress_done=1,
        progress_total=2,
    )
    # It had even stored its file when it died, before it could say so.
    left_over = default_storage.save(f"jobs/{job.pk}/dead-run.xlsx", io.BytesIO(b"half"))
    assert jobs.sweep()["requeued"] == 1
    job.refresh_from_db()
    assert (job.status, job.progress_done, job.claim_token) == (JobStatus.QUEUED, 0, None)

    assert jobs.run(job.pk) == "done"
    job.refresh_from_db()
    assert job.attempts == 2 and job.progress_done == job.progress_total == 2
    assert default_storage.listdir(f"jobs/{job.pk}")[1] == [job.file.name.split("/")[-1]]
    assert not default_storage.exists(left_over)


def test_a_job_that_keeps_dying_fails_with_a_clear_message(officer, facility_a, settings):
    job = queued_job(officer, facility_a)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        claim_token=uuid.uuid4(),
        attempts=settings.JOB_MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert jobs.sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("Công việc bị gián đoạn 3 lần (máy chủ xử lý dừng giữa chừng)")
    notifications.send_pending()
    assert Notification.objects.get(recipient=officer).title == "Không thành công: Xuất"


def test_a_queued_job_nobody_took_is_handed_again(officer, facility_a, settings):
    job = queued_job(officer, facility_a)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(queued_at=long_ago)
    assert jobs.sweep()["handed_again"] == 1
    assert jobs.sweep()["handed_again"] == 0  # not again before another stale period


def _taken_over(job, progress):
    # Another worker's claim replaces this one's while the work goes on.
    Job.objects.filter(pk=job.pk).update(claim_token=uuid.uuid4())
    progress.set_total(10)
    raise AssertionError("progress must stop a run whose claim was taken over")


def _writes_then_breaks(job, progress):
    Facility.objects.filter(pk=job.parameters["facility"]).update(name="Đổi giữa chừng")
    raise RuntimeError("the worker broke halfway")


jobs.register_kind("tests.taken_over", "test", run=_taken_over)
jobs.register_kind("tests.breaks", "test", run=_writes_then_breaks, atomic=True)


def test_a_worker_whose_claim_was_taken_over_stops_without_writing(officer):
    job = jobs.submit(owner=officer, kind="tests.taken_over", title="t", parameters={})
    assert jobs.run(job.pk) == "lost"
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.progress_total is None


def test_an_atomic_job_that_breaks_leaves_nothing_half_saved(officer, facility_a, caplog):
    job = jobs.submit(
        owner=officer, kind="tests.breaks", title="t", parameters={"facility": facility_a.pk}
    )
    assert jobs.run(job.pk) == "failed"
    facility_a.refresh_from_db()
    assert facility_a.name == "Công ty TNHH Giang Hiền"
    job.refresh_from_db()
    assert job.error.startswith("Có lỗi ngoài ý muốn khi chạy công việc này")
    assert "the worker broke halfway" in caplog.text


def test_progress_inside_an_atomic_job_waits_on_sqlite(officer, facility_a):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writes progress through a connection of its own")
    job = jobs.claim(queued_job(officer, facility_a).pk)
    # SQLite has one writer: a second connection would wait for the job's own transaction.
    jobs.Progress(job, in_transaction=True).set_total(5)
    job.refresh_from_db()
    assert job.progress_total is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_inside_an_atomic_job_is_seen_at_once_on_postgresql(officer, facility_a):
    from django.db import transaction

    job = jobs.claim(queued_job(officer, facility_a).pk)
    progress = jobs.Progress(job, in_transaction=True)
    page = connections.create_connection("default")  # what the polling page reads
    try:
        with transaction.atomic():
            Facility.objects.filter(pk=facility_a.pk).update(name="Đang nhập")
            progress.set_total(5)
            progress.advance(2)
            progress.write()
            with page.cursor() as cursor:
                cursor.execute(
                    "SELECT progress_done, progress_total FROM khuyencong_job WHERE id = %s",
                    [job.pk],
                )
                assert cursor.fetchone() == (2, 5)
    finally:
        progress.close()
        page.close()


def test_the_job_list_reads_a_fixed_number_of_queries(
    login, officer, facility_a, django_assert_num_queries
):
    client = login(officer)
    client.get(reverse("jobs:list"))  # warms the session

    def count_for(n):
        for _ in range(n - Job.objects.count()):
            jobs.submit(owner=officer, kind="facilities.export", title="Xuất", parameters={})
        # session, user, the user's locality (the menu), the jobs
        with django_assert_num_queries(4):
            assert client.get(reverse("jobs:list")).status_code == 200

    count_for(1)
    count_for(20)
