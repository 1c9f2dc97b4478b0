"""Deadlines of the law as data (issue 10, point 6) and the order of the decision after the
filing: the national registration deadline (20/05 of the year before the plan year) on the form
and as a "đăng ký muộn" flag, the settlement deadline (22/01 of the year after acceptance) on the
project page and in the register."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from projects.applications import workflow
from projects.applications.forms import ProjectForm
from projects.applications.workflow import TransitionError
from projects.models import DeadlineCode, LegalDeadline, Status
from tests.projects.conftest import YEAR

pytestmark = pytest.mark.django_db


def at(day: datetime.date):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(9)), tick=False)


class TestRegistration:
    def test_the_deadline_is_seeded_with_its_legal_basis(self):
        rule = LegalDeadline.objects.get(code=DeadlineCode.NATIONAL_REGISTRATION)
        assert rule.due_for(2027) == datetime.date(2026, 5, 20)
        assert "Thông tư 46/2012/TT-BCT" in rule.legal_basis

    def test_a_national_project_filed_after_20_may_is_flagged_late(
        self, make_project, officer, national_source
    ):
        on_time = make_project(officer, funding_source=national_source, year=2027)
        late = make_project(officer, funding_source=national_source, year=2027)
        with at(datetime.date(2026, 5, 20)):
            on_time = workflow.submit(project=on_time, by=officer)
        with at(datetime.date(2026, 5, 21)):
            late = workflow.submit(project=late, by=officer)
        assert (on_time.submitted_on, on_time.registered_late) == (
            datetime.date(2026, 5, 20),
            False,
        )
        assert (late.submitted_on, late.registered_late) == (datetime.date(2026, 5, 21), True)

    def test_a_local_project_is_never_late(self, make_project, officer):
        project = make_project(officer, year=2027)
        with at(datetime.date(2026, 12, 1)):
            assert not workflow.submit(project=project, by=officer).registered_late

    def test_a_resubmission_keeps_the_first_filing_date(self, make_project, officer, staff):
        project = make_project(officer)
        workflow.submit(project=project, by=officer, today=datetime.date(YEAR, 1, 10))
        workflow.return_for_revision(project=project, by=staff, reason="Bổ sung")
        project = workflow.submit(project=project, by=officer, today=datetime.date(YEAR, 1, 30))
        assert project.submitted_on == datetime.date(YEAR, 1, 10)

    def test_the_form_shows_the_deadline_and_warns_when_late(
        self, officer, national_source, commune_a1
    ):
        data = {"funding_source": str(national_source.pk), "year": "2027"}
        form = ProjectForm(data, user=officer, today=datetime.date(2026, 6, 1))
        notice = form.registration_notice()
        assert notice["due"] == datetime.date(2026, 5, 20)
        assert notice["national"] and notice["late"]
        early = ProjectForm(data, user=officer, today=datetime.date(2026, 5, 1))
        assert not early.registration_notice()["late"]

    def test_the_project_page_flags_a_late_registration(
        self, login, make_project, officer, national_source
    ):
        project = make_project(officer, funding_source=national_source, year=2027)
        with at(datetime.date(2026, 6, 1)):
            workflow.submit(project=project, by=officer)
        page = login(officer).get(project.get_absolute_url()).content.decode()
        assert 'id="registered-late"' in page and "20/05/2026" in page


class TestDecisionOrder:
    @pytest.fixture
    def appraised(self, make_project, walk, officer, staff, manager, allocation):
        project = make_project(officer)
        return walk(project, "appraised", officer=officer, staff=staff, manager=manager)

    def approve(self, project, manager, allocation, day, today=None):
        return workflow.approve(
            project=project,
            by=manager,
            decision_number="45/QĐ",
            decision_date=day,
            approved_amount=project.requested_support,
            allocation=allocation,
            today=today or datetime.date(YEAR, 6, 1),
        )

    @pytest.mark.parametrize(
        ("day", "rule"),
        [
            (datetime.date(1, 1, 1), "trước ngày nộp đề án"),
            (datetime.date(9999, 12, 31), "sau ngày hôm nay"),
            (datetime.date(YEAR, 7, 1), "sau ngày hôm nay"),
            (datetime.date(YEAR, 1, 19), "trước ngày nộp đề án"),
        ],
    )
    def test_a_decision_in_the_future_or_before_the_filing_is_refused(
        self, appraised, manager, allocation, day, rule
    ):
        with pytest.raises(TransitionError, match=f"Thứ tự các bước: Ngày quyết định.*{rule}"):
            self.approve(appraised, manager, allocation, day)
        appraised.refresh_from_db()
        assert appraised.status == Status.APPRAISED

    def test_a_decision_on_the_filing_day_is_allowed(self, appraised, manager, allocation):
        project = self.approve(appraised, manager, allocation, datetime.date(YEAR, 1, 20))
        assert project.status == Status.APPROVED


class TestSettlementDeadline:
    @pytest.fixture
    def accepted(self, make_approved_project):
        project = make_approved_project()
        project.status = Status.ACCEPTED
        project.accepted_on = datetime.date(2025, 11, 20)
        project.save()
        return project

    def test_it_is_22_january_of_the_year_after_acceptance(self, accepted, login, staff):
        with at(datetime.date(2026, 1, 22)):
            page = login(staff).get(accepted.get_absolute_url()).content.decode()
        assert "22/01/2026" in page and 'id="settlement-overdue"' not in page

    def test_the_project_page_flags_it_overdue(self, accepted, login, staff):
        with at(datetime.date(2026, 1, 23)):
            page = login(staff).get(accepted.get_absolute_url()).content.decode()
        assert 'id="settlement-overdue"' in page and "Quá hạn quyết toán" in page

    def test_the_register_flags_it_overdue(self, accepted, login, staff):
        with at(datetime.date(2026, 1, 23)):
            response = login(staff).get(
                reverse("reports:register"), {"year_from": 2025, "year_to": 2025}
            )
        assert "22/01/2026 – quá hạn quyết toán" in response.content.decode()
