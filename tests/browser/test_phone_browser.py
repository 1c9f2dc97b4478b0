"""On a phone (390×844): the project list is a column of cards that 15 projects fill in at most
three screens, and its filters stay folded until asked for; the dashboard and the reports put
their key figures first and fold the rest; every list that is a table reads as cards; a section
htmx redraws keeps its fold button (issue 15)."""

import pytest

from khuyencong.demo import DEMO_PASSWORD
from khuyencong.models import Notification
from projects.models import Project, Status
from tests.browser.conftest import PHONE, login_as
from tests.projects.reminders.builders import make_project

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

STATUSES = [Status.DRAFT, Status.SUBMITTED, Status.APPRAISED, Status.IN_PROGRESS, Status.SETTLED]


@pytest.fixture
def fifteen_projects(commune_a1, facility_a):
    return [
        make_project(
            commune_a1,
            status=STATUSES[n % len(STATUSES)],
            facility=facility_a,
            title=(
                f"Hỗ trợ ứng dụng máy móc thiết bị tiên tiến trong sản xuất nông cụ cầm tay "
                f"tại cơ sở số {n} của xã"
            ),
        )
        for n in range(15)
    ]


def test_fifteen_projects_fit_in_three_phone_screens(page, live_server, staff, fifteen_projects):
    page.set_viewport_size(PHONE)
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}/de-an/")
    cards = page.locator("#project-cards > li")
    assert cards.count() == 15
    assert not page.locator("#project-table").is_visible()
    draft = cards.filter(has_text=fifteen_projects[0].code).inner_text()
    assert "Nháp" in draft and "Bước tiếp theo: Nộp đề án" in draft and "200.000.000 ₫" in draft
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 3 * PHONE["height"], height
    # Nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_filters_fold_on_a_phone_until_asked_for(page, live_server, staff, fifteen_projects):
    page.set_viewport_size(PHONE)
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}/de-an/")
    assert not page.locator("#project-filters").is_visible()
    page.get_by_role("button", name="Tìm kiếm, lọc").click()
    # Bootstrap marks the form .show when it has finished unfolding; a click on its button while
    # it still grew was sometimes lost (about one run in four on a loaded machine).
    page.locator("#project-filters.show").wait_for(state="visible")
    page.fill("#id_q", "cơ sở số 3")
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator("#project-filters button[type=submit]").click()
    assert "q=" in page.url
    # A filter in use keeps them open, so the reader sees what narrowed the list.
    assert page.locator("#project-filters").is_visible()
    assert page.locator("#project-cards > li").count() == 1


def test_on_a_desktop_the_list_is_a_table(page, live_server, staff, fifteen_projects):
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}/de-an/")
    assert page.locator("#project-table tbody tr").count() == 15
    assert not page.locator("#project-cards").is_visible()
    assert page.locator("#project-filters").is_visible()


def test_the_project_page_folds_its_sections_on_a_phone(page, live_server, staff, fifteen_projects):
    project = fifteen_projects[3]  # in implementation: the close-out sections are there too
    page.set_viewport_size(PHONE)
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    # The actions come before the sections.
    assert page.locator("#project-actions button").count() > 0
    money = page.get_by_role("button", name="Kinh phí", exact=True)
    assert money.get_attribute("aria-expanded") == "true"  # the key figures stay open
    info = page.get_by_role("button", name="Thông tin đề án")
    assert info.get_attribute("aria-expanded") == "false"
    assert not page.get_by_text("Đơn vị thực hiện").is_visible()
    assert page.evaluate("document.documentElement.scrollHeight") <= 3 * PHONE["height"]
    info.click()
    assert info.get_attribute("aria-expanded") == "true"
    assert page.get_by_text("Đơn vị thực hiện").first.is_visible()
    # A link to a folded section (a notice points at #dien-bien) opens it.
    page.goto(f"{live_server.url}{project.get_absolute_url()}#dien-bien")
    timeline = page.get_by_role("button", name="Diễn biến")
    assert timeline.get_attribute("aria-expanded") == "true"


def test_on_a_desktop_every_section_is_open(page, live_server, staff, fifteen_projects):
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}{fifteen_projects[3].get_absolute_url()}")
    assert page.locator("[data-section-toggle]").count() == 0
    assert page.get_by_text("Đơn vị thực hiện").first.is_visible()


def test_the_unread_count_shows_on_a_phone_without_opening_the_menu(page, live_server, staff):
    Notification.objects.create(recipient=staff, kind="step_submitted", title="Đề án chờ thẩm định")
    page.set_viewport_size(PHONE)
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}/")
    assert not page.locator("#mainnav").is_visible()  # the menu is folded
    badge = page.locator("#notifications-badge .badge")
    badge.wait_for(state="visible")
    assert badge.inner_text() == "1"
    assert page.get_by_role("link", name="Thông báo 1 thông báo chưa đọc").is_visible()
    # Brand, bell and menu button on one line.
    tops = [
        page.locator(selector).bounding_box()["y"]
        for selector in (".navbar-brand", ".navbar-bell", ".navbar-toggler")
    ]
    assert max(tops) - min(tops) < 20, tops


def test_the_facility_list_is_cards_on_a_phone(page, live_server, officer, facility_a):
    page.set_viewport_size(PHONE)
    login_as(page, live_server, officer)
    page.goto(f"{live_server.url}/co-so/")
    card = page.locator("#facility-cards > li").first
    assert facility_a.name in card.inner_text() and facility_a.tax_code in card.inner_text()
    assert not page.locator(".facility-table").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_my_work_reads_as_cards_on_a_phone(page, live_server, staff, fifteen_projects):
    page.set_viewport_size(PHONE)
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}/de-an/viec-cua-toi/")
    row = page.locator("tr.work-item").first
    code, title = row.locator("td").nth(0).bounding_box(), row.locator("td").nth(1).bounding_box()
    assert title["width"] > 300  # the title spans the card, not a squeezed column
    assert title["y"] > code["y"]  # below the code line
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_dashboard_and_the_reports_fit_a_phone(page, live_server, demo):
    """With the demo's year of work the dashboard was 7,600 px tall and the reports 6,700 to
    15,000 px (a dozen tables and charts one under another)."""
    page.set_viewport_size(PHONE)
    login_as(page, live_server, demo["lanhdao"], DEMO_PASSWORD)
    page.goto(f"{live_server.url}/")
    # The year's figures come up on the first screen: the personal boxes and the filter fold.
    figure = page.locator("[data-figure=projects]")
    assert figure.bounding_box()["y"] < PHONE["height"]
    assert "{#" not in page.locator("main").inner_text()
    overdue = page.get_by_role("button", name="Quá hạn")
    assert overdue.get_attribute("aria-expanded") == "false"
    overdue.click()
    assert page.locator(".dashboard-overdue").get_by_text("Việc cần khắc phục quá hạn").is_visible()
    assert page_height(page) <= 3 * PHONE["height"], page_height(page)

    for path in (
        "/",
        "/bao-cao/ket-qua-nam/",
        "/bao-cao/chuong-trinh/",
        "/bao-cao/co-so-cnnt/",
        "/bao-cao/san-pham-tieu-bieu/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page_height(page) <= 3 * PHONE["height"], (path, page_height(page))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        sections = page.locator(".report-section")
        assert sections.count() > 1, path
        # The first table is open, the others fold under their headings and open on a tap.
        assert sections.first.locator("table").is_visible(), path
        last = sections.last
        assert not last.locator("table").is_visible(), path
        last.locator("[data-section-toggle]").click()
        assert last.locator("table").is_visible(), path
    # Charts a phone holds: a vertical chart no taller than 240 px.
    page.goto(f"{live_server.url}/bao-cao/ket-qua-nam/")
    boxes = page.locator(".report-section").first.locator(".chart-box")
    assert boxes.count() and boxes.first.bounding_box()["height"] <= 240
    # The period and area fold behind a button until asked for.
    assert not page.locator("#report-filters").is_visible()
    page.get_by_role("button", name="Kỳ báo cáo, địa bàn").click()
    page.locator("#report-filters").wait_for(state="visible")


LISTS = {
    "/ke-hoach/": "table",
    "/ke-hoach/kinh-phi/": "#allocation-table",
    "/ke-hoach/dinh-muc/": "#norm-table",
    "/de-an/nghiem-thu/": "#review-list",
    "/de-an/viec-qua-han/": "#action-list",
    "/de-an/bao-cao-chua-nop/": "#missing-list",
    "/nhat-ky/": "#audit-table",
    "/cong-viec/": "table",
}


def test_the_lists_that_are_tables_read_as_cards_on_a_phone(page, live_server, demo, make_job):
    make_job(demo["lanhdao"])
    page.set_viewport_size(PHONE)
    login_as(page, live_server, demo["lanhdao"], DEMO_PASSWORD)
    for path, table in LISTS.items():
        page.goto(f"{live_server.url}{path}")
        row = page.locator(f"{table} tbody tr").first
        cells = row.locator("td")
        assert cells.count() > 1, path
        first, tops = cells.first.bounding_box(), []
        for n in range(cells.count()):
            box = cells.nth(n).bounding_box()
            if box and box["height"]:
                tops.append(box["y"])
                # No cell sticks out of the card: nothing to scroll sideways.
                assert box["x"] + box["width"] <= PHONE["width"], (path, n, box)
        # A card: the cells run on several lines instead of one squeezed row.
        assert max(tops) > first["y"] + 10, (path, tops)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        if path.startswith(("/de-an/", "/nhat-ky/")):
            # The filters fold, as on the project list.
            assert not page.locator("#list-filters").is_visible(), path
    # A filter in use keeps them open.
    page.goto(f"{live_server.url}/de-an/viec-qua-han/?q=KC")
    assert page.locator("#list-filters").is_visible()
    page.goto(f"{live_server.url}/nhat-ky/")
    page.get_by_role("button", name="Tìm kiếm, lọc").click()
    page.locator("#list-filters").wait_for(state="visible")
    # An amount on a card says which figure it is.
    page.goto(f"{live_server.url}/ke-hoach/kinh-phi/")
    label = page.evaluate(
        """getComputedStyle(document.querySelector("#allocation-table tbody td[data-label]"),
                            "::before").content"""
    )
    assert "Được giao" in label


def test_a_close_out_section_redrawn_by_htmx_keeps_its_fold(page, live_server, demo):
    project = Project.objects.filter(status=Status.IN_PROGRESS).first()
    page.set_viewport_size(PHONE)
    login_as(page, live_server, demo["trungtam"], DEMO_PASSWORD)
    # After a close-out action the page comes back at its section, open (#kiem-tra).
    page.goto(f"{live_server.url}{project.get_absolute_url()}#kiem-tra")
    visits = page.locator("#kiem-tra [data-section-toggle]")
    assert visits.get_attribute("aria-expanded") == "true"
    reports = page.locator("#bao-cao [data-section-toggle]")
    assert reports.get_attribute("aria-expanded") == "false"
    # htmx redraws both sections from the server (as a partial update would).
    for section in ("#kiem-tra", "#bao-cao"):
        page.evaluate(
            """(id) => new Promise((done) => {
                document.body.addEventListener("htmx:afterSettle", () => done(), {once: true});
                htmx.ajax("GET", location.pathname, {target: id, select: id, swap: "outerHTML"});
            })""",
            section,
        )
    # Each comes back with its fold button, in the state the reader left it.
    visits = page.locator("#kiem-tra [data-section-toggle]")
    assert visits.get_attribute("aria-expanded") == "true"
    assert page.locator("#visit-table").is_visible()
    reports = page.locator("#bao-cao [data-section-toggle]")
    assert reports.get_attribute("aria-expanded") == "false"
    assert not page.locator("#report-table").is_visible()
    reports.click()
    assert page.locator("#report-table").is_visible()
