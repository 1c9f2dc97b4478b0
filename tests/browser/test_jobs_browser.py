"""A large export in a real browser: the job page shows a named progress bar, htmx polls it,
and the download appears without reloading once the job is done."""

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import login_as
from tests.conftest import make_facility, run_queued_jobs


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_job_page_polls_and_offers_the_file_when_done(
    page, live_server, officer, commune_a1, settings, tmp_path, artifacts
):
    settings.JOB_EXPORT_IMMEDIATE_MAX_ROWS = 1
    settings.MEDIA_ROOT = str(tmp_path)
    make_facility(commune_a1, name="Công ty TNHH Giang Hiền")
    make_facility(commune_a1, name="Hộ kinh doanh Dao rèn")
    login_as(page, live_server, officer)
    page.goto(f"{live_server.url}/co-so/")
    page.get_by_role("link", name="Xuất Excel").click()

    bar = page.get_by_role("progressbar", name="Tiến độ: Xuất Excel danh sách cơ sở CNNT (2 cơ sở)")
    expect(bar).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Đang chờ máy chủ xử lý")

    run_queued_jobs()  # the worker's part, in this process

    link = page.get_by_role("link", name=re.compile(r"Tải về danh-sach-co-so-cnnt-"))
    expect(link).to_be_visible(timeout=10_000)  # brought by the poll, no reload
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_role("status")).to_contain_text("Đã xuất 2 cơ sở.")
    page.screenshot(path=artifacts / "job-done.png", full_page=True)
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(info.value.path().read_bytes())).active
    names = sorted(row[1].value for row in sheet.iter_rows(min_row=5) if row[1].value)
    assert names == ["Công ty TNHH Giang Hiền", "Hộ kinh doanh Dao rèn"]
