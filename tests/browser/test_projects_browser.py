"""One full path in a real browser: a district officer files and submits an application, centre
staff appraise it, a manager approves it against the year's allocation."""

import datetime

import pytest

from khuyencong.models import Role
from projects.models import Allocation, FundingSource, Project, Status
from tests.browser.conftest import login_as
from tests.conftest import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def take_action(page, name):
    """Open the action's dialog on the detail page and return its form."""
    page.click(f"button[data-action={name}]")
    form = page.locator(f"#modal-{name} form")
    form.wait_for(state="visible")
    return form


def test_officer_submits_staff_appraises_manager_approves(
    page, live_server, artifacts, district_a, commune_a1, facility_a
):
    officer = make_user("canbo_a", Role.DISTRICT_OFFICER, district_a, full_name="Nông Văn Dũng")
    staff = make_user("trungtam", Role.CENTRE_STAFF, full_name="Bế Thị Hương")
    manager = make_user("lanhdao", Role.MANAGER, full_name="Đàm Văn Hải")
    year = datetime.date.today().year
    Allocation.objects.create(
        year=year,
        funding_source=FundingSource.objects.get(code="KCĐP"),
        decision_number="202/QĐ-UBND",
        decision_date=datetime.date(year, 1, 15),
        amount=850_000_000,
    )

    # The district officer files the application through the form and submits it.
    login_as(page, live_server, officer)
    page.goto(f"{live_server.url}/de-an/lap-moi/")
    page.fill("#id_title", "Hỗ trợ ứng dụng máy móc thiết bị máy cán tôn")
    page.select_option(
        "#id_activity_type", label="Ứng dụng máy móc thiết bị tiên tiến, chuyển giao công nghệ"
    )
    page.select_option("#id_funding_source", label="Khuyến công địa phương (KCĐP)")
    page.fill("#id_year", str(year))
    page.select_option("#id_facility", label=f"{facility_a.name} ({commune_a1.name})")
    page.fill("#id_implementing_unit", facility_a.name)
    page.fill("#id_total_cost", "420.000.000")
    page.fill("#id_requested_support", "150.000.000")
    page.fill("#id_counterpart_funds", "270.000.000")
    page.fill("#id_start_date", f"01/04/{year}")
    page.fill("#id_end_date", f"30/11/{year}")
    page.click("#project-form button[type=submit]")
    page.wait_for_url(lambda url: "/lap-moi/" not in url)
    assert "Nháp" in page.inner_text("#project-status")
    form = take_action(page, "submit")
    form.locator("textarea[name=comment]").fill("Kính đề nghị Trung tâm thẩm định.")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Chờ thẩm định')")
    project_url = page.url

    # Centre staff appraise it.
    page.context.clear_cookies()
    login_as(page, live_server, staff)
    page.goto(project_url)
    form = take_action(page, "appraise")
    assert form.locator("input[name=recommended_amount]").input_value() == "150.000.000"
    form.locator("textarea[name=opinion]").fill("Đề án khả thi, dự toán hợp lý.")
    form.locator("input[name=no_conflict]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Chờ phê duyệt')")

    # A manager approves it against the allocation of the year.
    page.context.clear_cookies()
    login_as(page, live_server, manager)
    page.goto(project_url)
    form = take_action(page, "approve")
    form.locator("input[name=decision_number]").fill("35/QĐ-SCT")
    assert "còn lại 850.000.000 ₫" in form.locator("select[name=allocation]").inner_text()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Đã phê duyệt')")

    assert page.inner_text("#approved-amount") == "150.000.000 ₫"
    timeline = page.inner_text("#dien-bien")
    for step in ("Lập đề án", "Nộp đề án", "Thẩm định", "Phê duyệt"):
        assert step in timeline
    page.screenshot(path=str(artifacts / "project-approved.png"), full_page=True)

    project = Project.objects.get()
    assert project.status == Status.APPROVED
    assert project.created_by == officer
    assert project.approved_by == manager
