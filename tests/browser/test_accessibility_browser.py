"""Every main page, on a phone (390×844) and a desktop (1366×768), as the demo's people see it:
axe-core finds no violation of any impact, and the browser's console stays free of errors (the
`page` fixture fails the test on one). Issue 15.

The demo data (`seed_demo`) gives each page something to show: projects at every stage with
close-out records, notifications read and unread, reports with figures.
"""

import pytest

from khuyencong.demo import DEMO_PASSWORD
from projects.models import Project, Status
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, login_as

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sweep(page, live_server, paths) -> dict[str, list[str]]:
    """axe's findings per page and size; an empty dict when every page passes."""
    found = {}
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            page.wait_for_load_state("networkidle")
            violations = axe_violations(page)
            if violations:
                found[f"{size['width']}px {path}"] = violations
    return found


def test_the_login_page_passes_axe_at_both_sizes_in_both_languages(page, live_server, db):
    assert sweep(page, live_server, ["/dang-nhap/"]) == {}
    page.get_by_role("button", name="English").click()  # the switch on the login page
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Log in"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert sweep(page, live_server, ["/dang-nhap/"]) == {}


def test_centre_staffs_main_pages_pass_axe_at_both_sizes(page, live_server, demo):
    in_progress = Project.objects.filter(status=Status.IN_PROGRESS).first()
    settled = Project.objects.filter(status=Status.SETTLED).first() or in_progress
    submitted = Project.objects.filter(status=Status.SUBMITTED).first() or in_progress
    facility = in_progress.facility
    login_as(page, live_server, demo["trungtam"], DEMO_PASSWORD)
    paths = [
        "/",
        "/de-an/",
        in_progress.get_absolute_url(),
        settled.get_absolute_url(),
        submitted.get_absolute_url(),
        "/de-an/lap-moi/",
        "/co-so/",
        f"/co-so/{facility.pk}/",
        f"/co-so/{facility.pk}/sua/",
        "/bao-cao/",
        "/bao-cao/ket-qua-nam/",
        "/bao-cao/chuong-trinh/",
        "/bao-cao/co-so-cnnt/",
        "/bao-cao/san-pham-tieu-bieu/",
        "/bao-cao/danh-muc-de-an/",
        "/de-an/viec-cua-toi/",
        "/thong-bao/",
    ]
    assert sweep(page, live_server, paths) == {}


def test_a_district_officers_and_a_managers_pages_pass_axe(page, live_server, demo):
    login_as(page, live_server, demo["diaban"], DEMO_PASSWORD)
    draft = Project.objects.filter(status=Status.DRAFT, created_by=demo["diaban"]).first()
    paths = ["/", "/de-an/", "/de-an/viec-cua-toi/", "/thong-bao/", "/co-so/them/"]
    if draft is not None:
        paths += [draft.get_absolute_url(), f"/de-an/{draft.pk}/sua/"]
    found = sweep(page, live_server, paths)
    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    login_as(page, live_server, demo["lanhdao"], DEMO_PASSWORD)
    found |= sweep(page, live_server, ["/", "/nhat-ky/", "/de-an/viec-cua-toi/"])
    assert found == {}


def test_the_planning_follow_through_jobs_and_filing_pages_pass_axe(
    page, live_server, demo, make_job
):
    """The lists read as cards on a phone, and the pages added since the first sweep."""
    job = make_job(demo["lanhdao"])
    login_as(page, live_server, demo["lanhdao"], DEMO_PASSWORD)
    paths = [
        "/ke-hoach/",
        "/ke-hoach/kinh-phi/",
        "/de-an/nghiem-thu/",
        "/de-an/viec-qua-han/",
        "/de-an/bao-cao-chua-nop/",
        "/cong-viec/",
        job.get_absolute_url(),
        "/bao-cao/the-thuc/",
        "/bao-cao/so-lieu-da-bao-cao/",
        "/co-so/nhap-so-lieu/",
    ]
    assert sweep(page, live_server, paths) == {}


def test_a_failing_page_is_reported(page, live_server, db):
    """The check itself can fail: an image without a text alternative is a violation."""
    page.goto(live_server.url + "/dang-nhap/")
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    assert any(line.startswith("image-alt") for line in axe_violations(page))
