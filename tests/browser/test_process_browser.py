"""The whole life of one project in a real browser, where each next person starts from their
"Việc của tôi" (menu → the group of their work → the project) and takes the step there:
officer submits, centre staff appraise, manager approves, staff sign the contract, the officer
asks for the acceptance review, staff schedule it and record the outcome, staff settle."""

import datetime

import pytest

from khuyencong.models import Reminder, Role
from projects.applications import workflow
from projects.closeout import steps
from projects.closeout.forms import person_label
from projects.models import ActivityType, Allocation, FundingSource, Project, Status
from tests.browser.conftest import login_as
from tests.conftest import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def from_my_work(page, live_server, user, group: str, code: str) -> None:
    """Sign in as `user`, open Việc của tôi from the menu, open the project from `group`."""
    page.context.clear_cookies()
    login_as(page, live_server, user)
    page.click("#mainnav a[href='/de-an/viec-cua-toi/']")
    page.wait_for_url("**/de-an/viec-cua-toi/")
    link = page.locator(f"#nhom-{group} tr[data-project='{code}'] a")
    assert link.count() == 1, f"{user.username} does not find {code} in group {group}"
    link.click()
    page.wait_for_selector("#project-status")


def take_action(page, name):
    page.click(f"button[data-action={name}]")
    form = page.locator(f"#modal-{name} form")
    form.wait_for(state="visible")
    return form


def open_task(page, name):
    page.click(f"button[data-task={name}]")
    form = page.locator(f"#modal-task-{name} form")
    form.wait_for(state="visible")
    return form


def test_each_next_person_finds_the_project_in_their_work_list(
    page, live_server, artifacts, district_a, commune_a1, facility_a
):
    officer = make_user("canbo_a", Role.DISTRICT_OFFICER, district_a, full_name="Nông Văn Dũng")
    staff = make_user("trungtam", Role.CENTRE_STAFF, full_name="Bế Thị Hương")
    manager = make_user("lanhdao", Role.MANAGER, full_name="Đàm Văn Hải")
    today = datetime.date.today()
    source = FundingSource.objects.get(code="KCĐP")
    Allocation.objects.create(
        year=today.year,
        funding_source=source,
        decision_number="202/QĐ-UBND",
        decision_date=datetime.date(today.year, 1, 15),
        amount=850_000_000,
    )
    project = workflow.create_project(
        by=officer,
        title="Đào tạo nghề dệt thổ cẩm cho phụ nữ xã A Một",
        activity_type=ActivityType.objects.get(code="DTN"),
        funding_source=source,
        year=today.year,
        facility=facility_a,
        locality=commune_a1,
        implementing_unit=facility_a.name,
        total_cost=200_000_000,
        requested_support=150_000_000,
        counterpart_funds=50_000_000,
        # Ends within a month: the officer is asked to request the acceptance review.
        start_date=today - datetime.timedelta(days=20),
        end_date=today + datetime.timedelta(days=10),
    )
    code = project.code

    from_my_work(page, live_server, officer, "to_submit", code)
    take_action(page, "submit").locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Chờ thẩm định')")

    from_my_work(page, live_server, staff, "to_appraise", code)
    form = take_action(page, "appraise")
    form.locator("textarea[name=opinion]").fill("Đề án khả thi, dự toán hợp lý.")
    form.locator("input[name=no_conflict]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Chờ phê duyệt')")

    from_my_work(page, live_server, manager, "to_approve", code)
    form = take_action(page, "approve")
    form.locator("input[name=decision_number]").fill("35/QĐ-SCT")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Đã phê duyệt')")

    from_my_work(page, live_server, staff, "to_sign", code)
    form = take_action(page, "start")
    form.locator("input[name=contract_number]").fill("08/HĐ-KC")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Đang thực hiện')")

    # A monitoring visit finds the work done (an acceptance request needs that much progress).
    steps.record_visit(
        project=Project.objects.get(code=code),
        by=staff,
        date=today,
        place="Xưởng dệt",
        progress_percent=100,
        officers=[staff],
    )
    from_my_work(page, live_server, officer, "to_request_acceptance", code)
    take_action(page, "request_acceptance").locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Chờ nghiệm thu')")

    from_my_work(page, live_server, staff, "to_schedule_review", code)
    form = open_task(page, "review")
    form.locator("input[name=scheduled_date]").fill(f"{today:%d/%m/%Y}")
    form.locator("input[name=place]").fill("Xưởng dệt, xã A Một")
    form.locator("select[name='members-0-user']").select_option(label=person_label(manager))
    form.locator("input[name='members-0-council_role']").fill("Chủ tịch hội đồng")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success:has-text('Đã lập lịch nghiệm thu')")

    # The manager sits on the council: the review is in their list too.
    from_my_work(page, live_server, manager, "council", code)
    from_my_work(page, live_server, staff, "to_record_outcome", code)
    review = Project.objects.get(code=code).acceptance_reviews.get()
    form = open_task(page, f"outcome-{review.pk}")
    form.locator("input[name=outcome][value=accepted]").check()
    form.locator("textarea[name=findings]").fill("Lớp học đạt yêu cầu.")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Đã nghiệm thu')")

    from_my_work(page, live_server, staff, "to_settle", code)
    form = take_action(page, "settle")
    form.locator("input[name=settled_amount]").fill("150.000.000")
    form.locator("input[name=decision_number]").fill("99/QĐ-SCT")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Đã quyết toán')")
    page.screenshot(path=str(artifacts / "whole-life-settled.png"), full_page=True)

    assert Project.objects.get(code=code).status == Status.SETTLED
    # Each hand-over told the next person (the outbox rows the worker delivers).
    told = set(Reminder.objects.values_list("kind", "recipient__username"))
    assert {
        ("step_submitted", "trungtam"),
        ("step_appraised", "lanhdao"),
        ("step_decided", "canbo_a"),
        ("step_started", "canbo_a"),
        ("step_acceptance_requested", "trungtam"),
        ("step_review_scheduled", "lanhdao"),
        ("step_review_outcome", "canbo_a"),
        ("step_settled", "canbo_a"),
        ("step_settled", "lanhdao"),
    } <= told
    # And nobody has anything left to do on it.
    page.click("#mainnav a[href='/de-an/viec-cua-toi/']")
    assert code not in page.inner_text("main")
