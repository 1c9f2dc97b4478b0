"""After approval in a real browser: centre staff record a monitoring visit with a follow-up
action, schedule an acceptance review with a portal user and an outside member on the council,
and record the outcome "Đạt" with the results achieved."""

# Project builders come from tests/projects/conftest.py: imported by name, requested by name.
# ruff: noqa: F401, F811

import datetime

import pytest

from projects.closeout import steps
from projects.closeout.forms import person_label
from projects.models import (
    AcceptanceOutcome,
    AcceptanceReview,
    DocumentKind,
    MonitoringVisit,
    Project,
    Status,
)
from tests.browser.conftest import login_as
from tests.projects.conftest import CLOSEOUT_YEAR as YEAR
from tests.projects.conftest import (
    closeout_allocation,
    local_source,
    make_approved_project,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def open_task(page, name):
    """Open the dialog of a close-out form on the project page and return its form."""
    page.click(f"button[data-task={name}]")
    form = page.locator(f"#modal-task-{name} form")
    form.wait_for(state="visible")
    return form


def test_staff_record_a_visit_and_an_acceptance_review(
    page, live_server, artifacts, tmp_path, make_approved_project, staff, officer, manager
):
    project = steps.start(
        project=make_approved_project(expected_people_trained=30),
        by=staff,
        contract_number="08/HĐ-KC",
        contract_date=datetime.date(YEAR, 3, 1),
    )
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    assert "Đang thực hiện" in page.inner_text("#project-status")

    # A monitoring visit with one follow-up action for the district officer.
    form = open_task(page, "visit")
    form.locator("input[name=date]").fill(f"10/06/{YEAR}")
    form.locator("input[name=progress_percent]").fill("45")
    form.locator("textarea[name=findings]").fill("Đã mở lớp, 30 học viên; thiếu 2 khung dệt.")
    form.locator("input[name='actions-0-description']").fill("Mua bổ sung 2 khung dệt")
    form.locator("select[name='actions-0-owner']").select_option(label=person_label(officer))
    form.locator("input[name='actions-0-due_date']").fill(f"30/06/{YEAR}")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success:has-text('Đã ghi nhận kiểm tra, giám sát')")
    visits = page.inner_text("#kiem-tra")
    assert "thiếu 2 khung dệt" in visits and "Mua bổ sung 2 khung dệt" in visits

    # The acceptance review: a manager chairs, an outside member sits on the council.
    form = open_task(page, "review")
    form.locator("input[name=scheduled_date]").fill(f"20/11/{YEAR}")
    form.locator("input[name=place]").fill("Xưởng dệt, xã A Một")
    form.locator("input[name=checklist][value=contract]").check()
    form.locator("input[name=checklist][value=report]").check()
    form.locator("select[name='members-0-user']").select_option(label=person_label(manager))
    form.locator("input[name='members-0-council_role']").fill("Chủ tịch hội đồng")
    form.locator("input[name='members-1-name']").fill("Lò Thị Mai")
    form.locator("input[name='members-1-organisation']").fill("Phòng Kinh tế huyện A")
    form.locator("input[name='members-1-council_role']").fill("Ủy viên")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success:has-text('Đã lập lịch nghiệm thu')")
    council = page.inner_text("#nghiem-thu")
    assert "Lò Thị Mai" in council and manager.display_name in council

    # The outcome: accepted, with what was achieved and the minutes.
    review = AcceptanceReview.objects.get()
    minutes = tmp_path / "bien-ban-nghiem-thu.pdf"
    minutes.write_bytes(b"%PDF-1.4\n% bien ban nghiem thu\n")
    form = open_task(page, f"outcome-{review.pk}")
    form.locator("input[name=outcome][value=accepted]").check()
    form.locator("textarea[name=findings]").fill("Lớp học đạt yêu cầu, học viên thành thạo.")
    form.locator("input[name=achieved_people_trained]").fill("30")
    form.locator("input[name=achieved_employed_after_training]").fill("26")
    form.locator("input[name=achieved_jobs_created]").fill("12")
    form.locator("input[name=counterpart_invested]").fill("95.000.000")
    form.locator("input[name=minutes]").set_input_files(str(minutes))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#project-status:has-text('Đã nghiệm thu')")
    acceptance = page.inner_text("#nghiem-thu")
    assert "Đạt" in acceptance and "bien-ban-nghiem-thu.pdf" in acceptance
    page.locator("#nghiem-thu").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "acceptance.png"), full_page=True)

    project = Project.objects.get()
    assert (project.status, project.accepted_on) == (Status.ACCEPTED, datetime.date(YEAR, 11, 20))
    visit = MonitoringVisit.objects.get()
    assert visit.progress_percent == 45 and list(visit.officers.all()) == [staff]
    assert visit.actions.get().owner == officer
    review.refresh_from_db()
    assert review.outcome == AcceptanceOutcome.ACCEPTED
    assert (review.achieved_people_trained, review.achieved_employed_after_training) == (30, 26)
    assert review.counterpart_invested == 95_000_000
    assert review.minutes.kind == DocumentKind.MINUTES
    assert {m.user or m.name for m in review.members.all()} == {manager, "Lò Thị Mai"}
