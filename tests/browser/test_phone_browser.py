"""On a phone (390×844): the project list is a column of cards that 15 projects fill in at most
three screens, and its filters stay folded until asked for (issue 15)."""

import pytest

from khuyencong.models import Notification
from projects.models import Status
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
    page.locator("#id_q").wait_for(state="visible")
    page.fill("#id_q", "cơ sở số 3")
    page.locator("#project-filters button[type=submit]").click()
    page.wait_for_url(lambda url: "q=" in url)
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
