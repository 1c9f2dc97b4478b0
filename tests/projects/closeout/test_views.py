"""Screens after approval: the close-out sections and forms of the project page, the contract,
acceptance-request and settlement actions, the follow-through lists and the allocation page."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.closeout import disbursements, steps
from projects.models import (
    AcceptanceOutcome,
    AcceptanceReview,
    Disbursement,
    DisbursementKind,
    DocumentKind,
    FollowUpAction,
    MonitoringVisit,
    ProgressReport,
    Project,
    ProjectDocument,
    ProjectEvent,
    Status,
)
from projects.planning import budget
from tests.conftest import make_user
from tests.projects.conftest import ASKED, report_progress
from tests.projects.conftest import CLOSEOUT_YEAR as YEAR
from tests.projects.screens import action_buttons, messages_of

pytestmark = pytest.mark.django_db

M = 1_000_000
CONTRACT = datetime.date(YEAR, 3, 1)
REVIEW_DAY = datetime.date(YEAR, 11, 20)
PDF = b"%PDF-1.4\n% bien ban\n"


def d(month, day):
    return datetime.date(YEAR, month, day)


def dmy(day):
    return f"{day:%d/%m/%Y}"


def today():
    return timezone.localdate()


def detail_url(project):
    return reverse("projects:detail", args=[project.pk])


def url(name, project, *args):
    return reverse(f"projects:{name}", args=[project.pk, *args])


def action_url(project, name):
    return reverse("projects:action", args=[project.pk, name])


def task_buttons(response) -> set[str]:
    """The close-out forms the project page offers (their buttons carry data-task)."""
    return set(re.findall(r'<button[^>]*data-task="([\w-]+)"', response.content.decode()))


def page_of(response) -> str:
    return response.content.decode()


# --- builders -------------------------------------------------------------------------------


@pytest.fixture
def approved(make_approved_project):
    # Vocational training: advances up to 70% of the approved 200 million (TT 36/2013).
    return make_approved_project()


@pytest.fixture
def in_progress(approved, staff):
    return steps.start(
        project=approved, by=staff, contract_number="08/HĐ-KC", contract_date=CONTRACT
    )


@pytest.fixture
def awaiting(in_progress, officer):
    report_progress(in_progress, officer)
    return steps.request_acceptance(project=in_progress, by=officer, today=ASKED)


def schedule(project, by, day=REVIEW_DAY, members=None):
    return steps.schedule_review(
        project=project,
        by=by,
        scheduled_date=day,
        place="Xưởng dệt, xã A Một",
        members=members
        or [{"name": "Hoàng Văn Nam", "organisation": "Sở Công Thương", "council_role": "Ủy viên"}],
        checklist={"contract": True, "report": True},
    )


@pytest.fixture
def accepted(awaiting, staff, manager):
    review = schedule(awaiting, staff)
    steps.record_review_outcome(
        review=review, by=manager, outcome=AcceptanceOutcome.ACCEPTED, achieved_people_trained=30
    )
    awaiting.refresh_from_db()
    return awaiting


@pytest.fixture
def settled(accepted, manager):
    return steps.settle(
        project=accepted,
        by=manager,
        settled_amount=150 * M,
        decision_number="99/QĐ-SCT",
        settled_on=d(12, 20),
    )


@pytest.fixture
def at(request):
    """at("in_progress") → a project of district A in that state (built by the fixtures)."""
    return lambda state: request.getfixturevalue(state)


def visit_data(officers, **extra):
    data = {
        "date": "01/06/2025",
        "place": "Xưởng dệt, xã A Một",
        "progress_percent": "40",
        "officers": [str(o.pk) for o in officers],
        "other_participants": "",
        "findings": "Đã mở 1 lớp.",
        "problems": "",
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-0-description": "",
        "actions-0-owner": "",
        "actions-0-due_date": "",
        "actions-1-description": "",
        "actions-1-owner": "",
        "actions-1-due_date": "",
    }
    data.update(extra)
    return data


def review_data(**extra):
    data = {
        "scheduled_date": dmy(REVIEW_DAY),
        "place": "Xưởng dệt, xã A Một",
        "checklist": ["contract", "report"],
        "members-TOTAL_FORMS": "4",
        "members-INITIAL_FORMS": "0",
    }
    for n in range(4):
        for name in ("user", "name", "organisation", "council_role"):
            data[f"members-{n}-{name}"] = ""
    data.update(extra)
    return data


def outcome_data(**extra):
    data = {
        "outcome": AcceptanceOutcome.ACCEPTED,
        "findings": "Đạt yêu cầu.",
        "achieved_jobs_created": "10",
        "achieved_people_trained": "30",
        "achieved_employed_after_training": "25",
        "achieved_managers_trained": "",
        "achieved_machines_installed": "",
        "achieved_fair_participations": "",
        "counterpart_invested": "90.000.000",
        "required_actions": "",
        "follow_up_owner": "",
        "follow_up_due": "",
    }
    data.update(extra)
    return data


def counts():
    return (
        ProjectEvent.objects.count(),
        MonitoringVisit.objects.count(),
        FollowUpAction.objects.count(),
        ProgressReport.objects.count(),
        Disbursement.objects.count(),
        AcceptanceReview.objects.count(),
        ProjectDocument.objects.count(),
    )


# --- the project page -----------------------------------------------------------------------


# What each persona may do on the project page in each close-out state: (actions, tasks).
OFFERED = {
    "approved": {
        "officer": (set(), set()),
        "staff": ({"start", "cancel"}, {"disburse"}),
        "manager": ({"cancel", "grant_exception"}, {"disburse"}),
    },
    "in_progress": {
        "officer": ({"request_acceptance"}, {"visit", "report"}),
        "staff": ({"request_acceptance", "cancel"}, {"visit", "report", "disburse", "review"}),
        "manager": ({"cancel", "grant_exception"}, {"disburse"}),
    },
    "awaiting": {
        "officer": (set(), {"visit", "report"}),
        "staff": ({"cancel"}, {"visit", "report", "disburse", "review"}),
        "manager": ({"cancel", "grant_exception"}, {"disburse"}),
    },
    "accepted": {
        "officer": (set(), set()),
        "staff": ({"settle", "cancel"}, {"disburse"}),
        "manager": ({"settle", "cancel", "grant_exception"}, {"disburse"}),
    },
    "settled": {"officer": (set(), set()), "staff": (set(), set()), "manager": (set(), set())},
}


class TestProjectPage:
    @pytest.mark.parametrize("state", list(OFFERED))
    @pytest.mark.parametrize("who", ["officer", "staff", "manager", "viewer"])
    def test_it_offers_exactly_the_forms_of_the_role_and_state(
        self, request, login, at, state, who
    ):
        project = at(state)
        response = login(request.getfixturevalue(who)).get(detail_url(project))
        assert response.status_code == 200
        actions, tasks = OFFERED[state].get(who, (set(), set()))
        assert action_buttons(response) == actions
        assert task_buttons(response) == tasks

    def test_accepting_and_reopening_are_never_buttons(self, login, staff, manager, in_progress):
        review = schedule(in_progress, staff)
        for user in (staff, manager):
            response = login(user).get(detail_url(in_progress))
            assert not {"accept", "reopen"} & action_buttons(response)
            # The outcome form of the review is how a project gets accepted.
            assert f"outcome-{review.pk}" in task_buttons(response)

    def test_a_review_in_the_future_has_no_outcome_form_yet(self, login, staff, in_progress):
        schedule(in_progress, staff, day=today() + datetime.timedelta(days=3))
        response = login(staff).get(detail_url(in_progress))
        assert not any(name.startswith("outcome") for name in task_buttons(response))
        assert "Kết quả được ghi nhận sau buổi nghiệm thu." in page_of(response)

    def test_a_cancelled_project_keeps_its_records_and_offers_no_form(
        self, login, staff, manager, in_progress
    ):
        from projects.applications import workflow

        disbursements.disburse(
            project=in_progress,
            by=manager,
            kind=DisbursementKind.ADVANCE,
            date=d(3, 5),
            amount=20 * M,
            voucher_number="TU-01",
        )
        workflow.cancel(project=in_progress, by=manager, reason="Cơ sở ngừng sản xuất")
        cancelled_at = timezone.make_aware(datetime.datetime(YEAR, 4, 15, 9))
        Project.objects.filter(pk=in_progress.pk).update(status_changed_at=cancelled_at)
        response = login(staff).get(detail_url(in_progress))
        assert action_buttons(response) == set() and task_buttons(response) == set()
        assert "TU-01" in page_of(response)
        # Reports were owed until the cancellation (15/04), not after it.
        periods = response.context["closeout"]["periods"]
        assert [(p.start, p.end) for p in periods] == [(d(3, 1), d(5, 31))]
        assert response.context["closeout"]["missing"] == 0

    def test_before_approval_there_are_no_closeout_sections(self, login, staff, make_project):
        page = page_of(login(staff).get(detail_url(make_project(staff))))
        assert 'id="kiem-tra"' not in page and 'id="closeout-nav"' not in page

    def test_it_shows_monitoring_reports_money_and_acceptance(
        self, login, staff, officer, manager, in_progress
    ):
        steps.record_visit(
            project=in_progress,
            by=officer,
            date=d(6, 1),
            place="Xưởng dệt",
            progress_percent=40,
            findings="Thiếu khung dệt.",
            officers=[officer, staff],
            actions=[("Mua thêm khung dệt", officer, d(6, 20))],
        )
        steps.file_progress_report(
            project=in_progress,
            by=officer,
            period_start=d(3, 1),
            period_end=d(5, 31),
            progress_percent=30,
            money_spent=50 * M,
        )
        disbursements.disburse(
            project=in_progress,
            by=manager,
            kind=DisbursementKind.ADVANCE,
            date=d(3, 5),
            amount=100 * M,
            voucher_number="TU-01",
        )
        page = page_of(login(staff).get(detail_url(in_progress)))
        # Monitoring: the visit, its officers and the overdue follow-up action.
        assert "Thiếu khung dệt." in page and officer.display_name in page
        assert "Mua thêm khung dệt" in page and "Quá hạn" in page
        # Reports: the first quarter filed, the later ones past due shown as missing.
        assert "Đã nộp" in page and "Chưa nộp" in page
        assert "3 kỳ chưa nộp" in page
        # Money: approved, advanced, the limit and its legal basis, undisbursed.
        assert "200.000.000 ₫" in page and "100.000.000 ₫" in page
        assert "Tạm ứng tối đa 70%" in page and "140.000.000 ₫" in page
        assert "Thông tư 36/2013/TT-BCT" in page
        assert "TU-01" in page
        assert "Chưa lập lịch nghiệm thu." in page
        assert "Số 08/HĐ-KC ngày 01/03/2025" in page

    def test_an_accepted_project_shows_its_council_checklist_and_results(
        self, login, staff, manager, awaiting
    ):
        review = schedule(
            awaiting,
            staff,
            members=[
                {"user": manager, "council_role": "Chủ tịch hội đồng"},
                {"name": "Lò Thị Mai", "organisation": "Phòng Kinh tế", "council_role": "Ủy viên"},
            ],
        )
        steps.record_review_outcome(
            review=review,
            by=manager,
            outcome=AcceptanceOutcome.ACCEPTED,
            findings="Lớp học đạt yêu cầu.",
            achieved_people_trained=28,
        )
        page = page_of(login(staff).get(detail_url(awaiting)))
        council = page[page.index('class="small mb-0 ps-3 council"') :]
        assert manager.display_name in council and "Chủ tịch hội đồng" in council
        assert "Lò Thị Mai" in council and "Phòng Kinh tế" in council
        assert "bi-check-square-fill" in page
        assert "Lớp học đạt yêu cầu." in page
        assert re.search(r"Người được đào tạo</td><td[^>]*>0</td><td[^>]*>28<", page)
        assert "Đã nghiệm thu" in page

    def test_the_kept_checklist_follows_its_ticks_and_the_language(self, login, staff, awaiting):
        """The checklist's markup is kept per process under its ticks and the language: a
        tick changed shows at once, and so does the other language."""
        review = schedule(awaiting, staff)  # contract and report ticked
        client = login(staff)

        def checklist(language="vi") -> str:
            client.cookies["django_language"] = language
            page = page_of(client.get(detail_url(awaiting)))
            return page[page.index('class="list-unstyled small mb-0 checklist"') :].split("</ul>")[
                0
            ]

        first = checklist()
        assert first.count("bi-check-square-fill") == 2
        AcceptanceReview.objects.filter(pk=review.pk).update(
            checklist={"contract": True, "report": True, "photos": True}
        )
        assert checklist().count("bi-check-square-fill") == 3
        AcceptanceReview.objects.filter(pk=review.pk).update(checklist={"contract": True})
        assert checklist().count("bi-check-square-fill") == 1
        assert checklist("en") != checklist("vi")

    def test_the_query_count_does_not_grow_with_the_records(
        self, login, staff, officer, manager, in_progress, django_assert_num_queries
    ):
        quarters = iter([(d(3, 1), d(5, 31)), (d(6, 1), d(8, 31)), (d(9, 1), d(11, 30))])

        def add(n):
            for i in range(n):
                steps.record_visit(
                    project=in_progress,
                    by=officer,
                    date=d(4, 1 + i),
                    place="Xưởng",
                    progress_percent=10 + i,
                    officers=[officer, staff],
                    actions=[(f"Việc {i}", officer, d(12, 1)), (f"Việc {i}b", staff, d(12, 2))],
                )
                payment = disbursements.disburse(
                    project=in_progress,
                    by=manager,
                    kind=DisbursementKind.PAYMENT,
                    date=d(4, 1 + i),
                    amount=M,
                    voucher_number=f"C-{i}-{n}",
                )
                if n > 1 and i == 0:
                    disbursements.reverse_disbursement(
                        disbursement=payment, by=manager, reason="Nhầm", date=d(4, 2)
                    )
                start, end = next(quarters)
                steps.file_progress_report(
                    project=in_progress,
                    by=officer,
                    period_start=start,
                    period_end=end,
                    progress_percent=50,
                    money_spent=M,
                )
                # One pending review at a time: the earlier one is cancelled (and still shown).
                for pending in in_progress.acceptance_reviews.filter(
                    outcome="", cancelled_at__isnull=True
                ):
                    steps.cancel_review(review=pending, by=staff, reason="Dời lịch")
                schedule(
                    in_progress,
                    staff,
                    day=d(10, 1 + i),
                    members=[
                        {"user": manager, "council_role": "Chủ tịch"},
                        {"user": officer, "council_role": "Ủy viên"},
                        {"name": f"Người {i}", "organisation": "Sở", "council_role": "Thư ký"},
                    ][: 1 + 2 * (n > 1)],
                )

        client = login(staff)
        add(1)
        with CaptureQueriesContext(connection) as one:
            client.get(detail_url(in_progress))
        add(2)
        # Same queries with three visits, six actions, reports, payments, reviews and members.
        with django_assert_num_queries(len(one)):
            response = client.get(detail_url(in_progress))
        assert len(response.context["closeout"]["visits"]) == 3


# --- contract, acceptance request and settlement (workflow actions) -------------------------


class TestStart:
    def test_centre_staff_sign_the_contract_and_start(self, login, staff, approved):
        response = login(staff).post(
            action_url(approved, "start"),
            {
                "contract_number": "12/HĐ-KC",
                "contract_date": "05/03/2025",
                "report_every_months": "6",
            },
            follow=True,
        )
        assert "đã chuyển sang “Đang thực hiện”" in messages_of(response)[0]
        approved.refresh_from_db()
        assert approved.status == Status.IN_PROGRESS
        assert (approved.contract_number, approved.contract_date) == ("12/HĐ-KC", d(3, 5))
        assert approved.report_every_months == 6

    def test_a_contract_before_the_decision_is_refused_on_the_form(self, login, staff, approved):
        before = counts()
        response = login(staff).post(
            action_url(approved, "start"),
            {"contract_number": "12/HĐ-KC", "contract_date": "01/02/2025"},
        )
        assert response.status_code == 200
        assert "không được trước ngày quyết định" in response.context["form"].non_field_errors()[0]
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED and counts() == before

    @pytest.mark.parametrize("months", ["0", "13", "ba"])
    def test_a_schedule_outside_one_to_twelve_months_is_refused(
        self, login, staff, approved, months
    ):
        response = login(staff).post(
            action_url(approved, "start"),
            {
                "contract_number": "12/HĐ-KC",
                "contract_date": "05/03/2025",
                "report_every_months": months,
            },
        )
        assert "report_every_months" in response.context["form"].errors
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED

    @pytest.mark.parametrize("who", ["officer", "manager"])
    def test_only_centre_staff_start(self, request, login, approved, who):
        response = login(request.getfixturevalue(who)).post(
            action_url(approved, "start"),
            {"contract_number": "12/HĐ-KC", "contract_date": "05/03/2025"},
            follow=True,
        )
        assert messages_of(response)[0].startswith("Bạn không có quyền “Ký hợp đồng")
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED and approved.contract_number == ""


class TestRequestAcceptance:
    def test_the_district_officer_asks_for_acceptance(self, login, officer, in_progress):
        report_progress(in_progress, officer)
        response = login(officer).post(
            action_url(in_progress, "request_acceptance"), {"comment": "Đã xong"}, follow=True
        )
        assert "đã chuyển sang “Chờ nghiệm thu”" in messages_of(response)[0]
        in_progress.refresh_from_db()
        assert in_progress.status == Status.AWAITING_ACCEPTANCE

    def test_not_before_the_contract(self, login, officer, approved):
        response = login(officer).post(action_url(approved, "request_acceptance"), {}, follow=True)
        assert "Không thể “Đề nghị nghiệm thu”" in messages_of(response)[0]
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED


class TestSettle:
    def data(self, amount="150.000.000", day="20/12/2025"):
        return {"settled_amount": amount, "decision_number": "99/QĐ-SCT", "settled_on": day}

    def test_it_cannot_settle_before_acceptance(self, login, manager, awaiting):
        before = counts()
        response = login(manager).post(action_url(awaiting, "settle"), self.data(), follow=True)
        assert messages_of(response) == [
            "Không thể “Quyết toán” khi đề án đang ở trạng thái “Chờ nghiệm thu”."
        ]
        awaiting.refresh_from_db()
        assert awaiting.status == Status.AWAITING_ACCEPTANCE and counts() == before

    def test_the_form_shows_what_was_approved_and_disbursed(self, login, manager, accepted):
        disbursements.disburse(
            project=accepted,
            by=manager,
            kind=DisbursementKind.PAYMENT,
            date=d(12, 1),
            amount=120 * M,
            voucher_number="C-1",
        )
        page = page_of(login(manager).get(action_url(accepted, "settle")))
        assert "Kinh phí được phê duyệt 200.000.000 ₫; đã giải ngân 120.000.000 ₫" in page

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("250.000.000", "không được vượt kinh phí được phê duyệt 200.000.000 ₫"),
            ("100.000.000", "không được nhỏ hơn số đã giải ngân 120.000.000 ₫"),
        ],
    )
    def test_a_settlement_outside_disbursed_and_approved_is_refused(
        self, login, manager, accepted, amount, message
    ):
        disbursements.disburse(
            project=accepted,
            by=manager,
            kind=DisbursementKind.PAYMENT,
            date=d(12, 1),
            amount=120 * M,
            voucher_number="C-1",
        )
        response = login(manager).post(action_url(accepted, "settle"), self.data(amount))
        assert message in response.context["form"].errors["settled_amount"][0]
        accepted.refresh_from_db()
        assert accepted.status == Status.ACCEPTED and accepted.settled_amount is None

    def test_every_mistake_is_shown_at_once(self, login, manager, accepted):
        response = login(manager).post(
            action_url(accepted, "settle"),
            {"settled_amount": "250.000.000", "decision_number": " ", "settled_on": "01.01.2025"},
        )
        errors = response.context["form"].errors
        assert set(errors) == {"settled_amount", "decision_number", "settled_on"}
        assert "không được vượt kinh phí được phê duyệt" in errors["settled_amount"][0]
        assert "không được trước ngày nghiệm thu" in errors["settled_on"][0]
        assert page_of(response).count("không được vượt kinh phí được phê duyệt") == 1
        accepted.refresh_from_db()
        assert accepted.settled_amount is None

    def test_settling_releases_the_rest_to_the_allocation(
        self, login, manager, accepted, closeout_allocation
    ):
        response = login(manager).post(action_url(accepted, "settle"), self.data(), follow=True)
        assert "đã chuyển sang “Đã quyết toán”" in messages_of(response)[0]
        accepted.refresh_from_db()
        assert accepted.settled_amount == 150 * M
        assert "Hoàn trả dự toán (được phê duyệt − quyết toán): 50.000.000 ₫" in page_of(response)
        figures = budget.allocation_figures([closeout_allocation])[closeout_allocation.pk]
        assert (figures.settled, figures.released) == (150 * M, 50 * M)


# --- monitoring visits and follow-up actions ------------------------------------------------


class TestVisit:
    def test_an_officer_records_a_visit_with_a_follow_up_action(
        self, login, officer, staff, in_progress
    ):
        data = visit_data(
            [officer, staff],
            **{
                "actions-0-description": "Mua thêm khung dệt",
                "actions-0-owner": str(officer.pk),
                "actions-0-due_date": "30/06/2025",
            },
        )
        response = login(officer).post(url("record_visit", in_progress), data, follow=True)
        assert response.redirect_chain[-1][0] == f"{detail_url(in_progress)}#kiem-tra"
        assert "Đã ghi nhận kiểm tra, giám sát ngày 01/06/2025" in messages_of(response)[0]
        visit = MonitoringVisit.objects.get()
        assert (visit.date, visit.progress_percent, visit.created_by) == (d(6, 1), 40, officer)
        assert set(visit.officers.all()) == {officer, staff}
        action = visit.actions.get()
        assert (action.description, action.owner, action.due_date) == (
            "Mua thêm khung dệt",
            officer,
            d(6, 30),
        )
        assert "Mua thêm khung dệt" in page_of(response)

    @pytest.mark.parametrize(
        ("extra", "field", "message"),
        [
            ({"progress_percent": "150"}, "progress_percent", "Tiến độ là số nguyên từ 0 đến 100."),
            ({"date": "31/02/2025"}, "date", "Nhập ngày theo dạng dd/mm/yyyy"),
            ({"officers": []}, "officers", "Hãy chọn ít nhất một cán bộ kiểm tra."),
        ],
    )
    def test_bad_input_is_refused_on_the_field_and_nothing_is_saved(
        self, login, officer, in_progress, extra, field, message
    ):
        before = counts()
        people = extra.pop("officers", [officer])
        response = login(officer).post(
            url("record_visit", in_progress), visit_data(people, **extra)
        )
        assert response.status_code == 200
        assert message in response.context["form"].errors[field][0]
        assert counts() == before

    def test_a_follow_up_row_needs_an_owner_and_a_due_date(self, login, officer, in_progress):
        before = counts()
        response = login(officer).post(
            url("record_visit", in_progress),
            visit_data([officer], **{"actions-1-description": "Mua thêm khung dệt"}),
        )
        row = response.context["form"].rows.forms[1]
        assert row.errors["owner"] == ["Hãy chọn người chịu trách nhiệm khắc phục."]
        assert row.errors["due_date"] == ["Hãy nhập hạn hoàn thành (dd/mm/yyyy)."]
        assert "Hãy chọn người chịu trách nhiệm khắc phục." in page_of(response)
        assert counts() == before

    def test_the_rule_refuses_a_visit_in_the_future(self, login, officer, in_progress):
        future = today() + datetime.timedelta(days=2)
        response = login(officer).post(
            url("record_visit", in_progress), visit_data([officer], date=dmy(future))
        )
        # The form refuses it first (the rule would too, naming the same limit).
        assert "không được sau hôm nay" in response.context["form"].errors["date"][0]
        assert not MonitoringVisit.objects.exists()

    def test_an_officer_of_another_district_is_not_offered_as_visiting_officer(
        self, login, staff, other_officer, in_progress
    ):
        response = login(staff).get(url("record_visit", in_progress))
        choices = dict(response.context["form"].fields["officers"].choices)
        assert str(other_officer.pk) not in choices and str(staff.pk) in choices
        response = login(staff).post(
            url("record_visit", in_progress), visit_data([staff, other_officer])
        )
        assert "không có trong danh sách" in response.context["form"].errors["officers"][0]

    @pytest.mark.parametrize(("state", "who"), [("in_progress", "manager"), ("approved", "staff")])
    def test_a_refused_visit_says_why_and_saves_nothing(self, request, login, at, state, who):
        project = at(state)
        user = request.getfixturevalue(who)
        before = counts()
        response = login(user).post(url("record_visit", project), visit_data([user]), follow=True)
        assert response.redirect_chain[-1][0] == f"{detail_url(project)}#kiem-tra"
        assert messages_of(response)[0].startswith(("Bạn không có quyền", "Không thể"))
        assert counts() == before


class TestFollowUp:
    @pytest.fixture
    def action(self, in_progress, officer):
        visit = steps.record_visit(
            project=in_progress,
            by=officer,
            date=d(6, 1),
            place="Xưởng",
            progress_percent=40,
            officers=[officer],
            actions=[("Mua thêm khung dệt", officer, d(6, 30))],
        )
        return visit.actions.get()

    def post(self, client, action, note="Đã mua 2 khung dệt"):
        return client.post(
            url("complete_follow_up", action.project, action.pk), {"note": note}, follow=True
        )

    @pytest.mark.parametrize("who", ["officer", "staff", "manager"])
    def test_the_owner_staff_or_a_manager_mark_it_done(self, request, login, action, who):
        response = self.post(login(request.getfixturevalue(who)), action)
        assert messages_of(response) == ["Đã đánh dấu hoàn thành việc “Mua thêm khung dệt”."]
        action.refresh_from_db()
        assert action.done_note == "Đã mua 2 khung dệt" and action.done_at is not None
        assert "Đã hoàn thành" in page_of(response)

    def test_the_page_offers_the_done_form_only_to_who_may_use_it(
        self, login, action, officer, district_a
    ):
        colleague = make_user("canbo_a2", "district_officer", district_a)
        assert f'data-complete="{action.pk}"' in page_of(
            login(officer).get(detail_url(action.project))
        )
        assert f'data-complete="{action.pk}"' not in page_of(
            login(colleague).get(detail_url(action.project))
        )

    def test_a_colleague_who_does_not_own_it_is_refused(self, login, action, district_a):
        colleague = make_user("canbo_a2", "district_officer", district_a)
        response = self.post(login(colleague), action)
        assert messages_of(response)[0].startswith("Chỉ người chịu trách nhiệm")
        action.refresh_from_db()
        assert action.done_at is None

    def test_it_needs_a_note_and_is_done_once(self, login, officer, action):
        client = login(officer)
        assert messages_of(self.post(client, action, note=" ")) == ["Hãy ghi kết quả khắc phục."]
        self.post(client, action)
        response = self.post(client, action, note="Lần hai")
        assert messages_of(response)[0].startswith("Việc này đã được đánh dấu hoàn thành")
        action.refresh_from_db()
        assert action.done_note == "Đã mua 2 khung dệt"

    def test_an_action_of_another_project_is_a_404(
        self, login, officer, staff, action, make_approved_project
    ):
        other = steps.start(
            project=make_approved_project(title="Đề án khác"),
            by=staff,
            contract_number="1",
            contract_date=CONTRACT,
        )
        response = login(officer).post(url("complete_follow_up", other, action.pk), {"note": "x"})
        assert response.status_code == 404
        action.refresh_from_db()
        assert action.done_at is None


# --- progress reports -----------------------------------------------------------------------


class TestProgressReport:
    def data(self, start=None, **extra):
        data = {
            "period": (start or d(3, 1)).isoformat(),
            "progress_percent": "30",
            "money_spent": "50.000.000",
            "problems": "Thiếu khung dệt",
            "content": "",
        }
        data.update(extra)
        return data

    def test_the_district_officer_files_the_first_quarter(self, login, officer, in_progress):
        response = login(officer).post(url("file_report", in_progress), self.data(), follow=True)
        assert messages_of(response) == ["Đã nộp báo cáo tiến độ kỳ 01/03/2025 – 31/05/2025."]
        report = ProgressReport.objects.get()
        assert (report.period_end, report.money_spent, report.submitted_by) == (
            d(5, 31),
            50 * M,
            officer,
        )
        page = page_of(response)
        assert "Đã nộp" in page and "3 kỳ chưa nộp" in page

    def test_the_form_offers_only_periods_without_a_report(self, login, officer, in_progress):
        client = login(officer)
        client.post(url("file_report", in_progress), self.data())
        choices = dict(
            client.get(url("file_report", in_progress)).context["form"].fields["period"].choices
        )
        assert d(3, 1).isoformat() not in choices
        assert "Kỳ 2: 01/06/2025 – 31/08/2025 (quá hạn, chưa nộp)" in choices.values()
        response = client.post(url("file_report", in_progress), self.data(progress_percent="50"))
        assert "đã có báo cáo" in response.context["form"].errors["period"][0]
        assert ProgressReport.objects.count() == 1

    def test_a_period_outside_the_schedule_is_refused(self, login, officer, in_progress):
        response = login(officer).post(url("file_report", in_progress), self.data(start=d(3, 2)))
        assert "không có trong lịch báo cáo" in response.context["form"].errors["period"][0]
        assert not ProgressReport.objects.exists()

    def test_a_manager_does_not_file_reports(self, login, manager, in_progress):
        response = login(manager).post(url("file_report", in_progress), self.data(), follow=True)
        assert messages_of(response)[0].startswith("Bạn không có quyền “Nộp báo cáo tiến độ”")
        assert not ProgressReport.objects.exists()


# --- disbursements --------------------------------------------------------------------------


class TestDisburse:
    def data(self, amount, kind=DisbursementKind.ADVANCE, voucher="TU-01"):
        return {
            "kind": kind,
            "date": "05/03/2025",
            "amount": amount,
            "voucher_number": voucher,
            "note": "",
        }

    def test_staff_record_an_advance(self, login, staff, approved):
        response = login(staff).post(
            url("disburse", approved), self.data("100.000.000"), follow=True
        )
        assert messages_of(response) == ["Đã ghi nhận tạm ứng 100.000.000 ₫, chứng từ số TU-01."]
        assert response.redirect_chain[-1][0] == f"{detail_url(approved)}#kinh-phi"
        assert Disbursement.objects.get().amount == 100 * M
        assert 'id="disbursed">100.000.000 ₫' in page_of(response)

    def test_an_advance_above_the_limit_names_the_rule(self, login, staff, approved):
        response = login(staff).post(url("disburse", approved), self.data("150.000.000"))
        error = response.context["form"].non_field_errors()[0]
        assert "vượt mức tạm ứng tối đa 70% kinh phí được phê duyệt (140.000.000 ₫)" in error
        assert "theo Thông tư 36/2013/TT-BCT" in error
        assert error in page_of(response)
        assert not Disbursement.objects.exists()

    def test_a_payment_above_the_approved_amount_is_refused(self, login, staff, manager, accepted):
        approved = accepted
        disbursements.disburse(
            project=approved,
            by=manager,
            kind=DisbursementKind.PAYMENT,
            date=d(3, 1),
            amount=150 * M,
            voucher_number="C-1",
        )
        response = login(staff).post(
            url("disburse", approved), self.data("60.000.000", DisbursementKind.PAYMENT, "C-2")
        )
        assert (
            "chỉ còn được giải ngân 50.000.000 ₫" in response.context["form"].non_field_errors()[0]
        )
        assert Disbursement.objects.count() == 1

    @pytest.mark.parametrize("amount", ["0", "-5", "1,5"])
    def test_an_amount_that_is_not_positive_whole_dong_is_refused(
        self, login, staff, approved, amount
    ):
        response = login(staff).post(url("disburse", approved), self.data(amount))
        assert response.context["form"].errors["amount"]
        assert not Disbursement.objects.exists()

    def test_district_officers_do_not_disburse(self, login, officer, approved):
        response = login(officer).post(
            url("disburse", approved), self.data("10.000.000"), follow=True
        )
        assert messages_of(response)[0].startswith("Bạn không có quyền “Giải ngân”")
        assert not Disbursement.objects.exists()

    def test_nothing_is_paid_out_on_a_settled_project(self, login, manager, settled):
        response = login(manager).post(
            url("disburse", settled), self.data("1.000.000"), follow=True
        )
        assert "“Đã quyết toán”" in messages_of(response)[0]
        assert not Disbursement.objects.exists()


# --- acceptance review ----------------------------------------------------------------------


class TestScheduleReview:
    def test_staff_schedule_a_council_of_a_user_and_an_outside_member(
        self, login, staff, manager, in_progress
    ):
        data = review_data(
            **{
                "members-0-user": str(manager.pk),
                "members-0-council_role": "Chủ tịch hội đồng",
                "members-2-name": "Lò Thị Mai",
                "members-2-organisation": "Phòng Kinh tế huyện A",
                "members-2-council_role": "Ủy viên",
            }
        )
        response = login(staff).post(url("schedule_review", in_progress), data, follow=True)
        assert messages_of(response) == [
            "Đã lập lịch nghiệm thu ngày 20/11/2025 tại Xưởng dệt, xã A Một."
        ]
        review = AcceptanceReview.objects.get()
        assert review.checklist["contract"] and not review.checklist["photos"]
        seats = {(m.user, m.name, m.organisation, m.council_role) for m in review.members.all()}
        assert seats == {
            (manager, "", "", "Chủ tịch hội đồng"),
            (None, "Lò Thị Mai", "Phòng Kinh tế huyện A", "Ủy viên"),
        }

    def test_the_user_choice_lists_active_users_only(self, login, staff, in_progress, district_a):
        retired = make_user("nghihuu", "centre_staff", is_active=False)
        response = login(staff).get(url("schedule_review", in_progress))
        choices = dict(response.context["form"].rows.forms[0].fields["user"].choices)
        assert str(staff.pk) in choices and str(retired.pk) not in choices

    def test_the_superuser_account_is_not_offered_as_a_council_member(
        self, login, staff, in_progress
    ):
        root = make_user("quantri", "centre_staff", is_superuser=True)
        response = login(staff).get(url("schedule_review", in_progress))
        choices = dict(response.context["form"].rows.forms[0].fields["user"].choices)
        assert str(staff.pk) in choices and str(root.pk) not in choices

    def test_the_council_is_listed_by_its_roles(self, login, staff, awaiting):
        schedule(awaiting, staff)
        page = page_of(login(staff).get(awaiting.get_absolute_url()))
        assert re.search(r'council-role">Ủy viên</span>:\s*Hoàng Văn Nam', page)

    @pytest.mark.parametrize(
        ("row", "field", "message"),
        [
            ({"name": "Lò Thị Mai", "council_role": "Ủy viên"}, "organisation", "đơn vị công tác"),
            ({"name": "Lò Thị Mai", "organisation": "Sở"}, "council_role", "vai trò trong hội"),
            ({"organisation": "Sở", "council_role": "Ủy viên"}, "name", "nhập họ tên"),
        ],
    )
    def test_an_incomplete_member_is_refused_on_the_row(
        self, login, staff, in_progress, row, field, message
    ):
        data = review_data(**{f"members-0-{k}": v for k, v in row.items()})
        response = login(staff).post(url("schedule_review", in_progress), data)
        assert message in response.context["form"].rows.forms[0].errors[field][0]
        assert not AcceptanceReview.objects.exists()

    def test_a_council_without_members_is_refused(self, login, staff, in_progress):
        response = login(staff).post(url("schedule_review", in_progress), review_data())
        assert "ít nhất một thành viên" in response.context["form"].non_field_errors()[0]
        assert not AcceptanceReview.objects.exists()

    def test_a_review_cannot_be_set_before_the_project_is_in_progress(self, login, staff, approved):
        data = review_data(**{"members-0-user": str(staff.pk), "members-0-council_role": "Ủy viên"})
        response = login(staff).post(url("schedule_review", approved), data, follow=True)
        assert messages_of(response) == [
            "Không thể “Lập lịch nghiệm thu” khi đề án đang ở trạng thái “Đã phê duyệt”."
        ]
        assert not AcceptanceReview.objects.exists()


class TestReviewOutcome:
    @pytest.fixture
    def review(self, awaiting, staff):
        return schedule(awaiting, staff)

    def post(self, client, review, data, files=None, follow=False):
        return client.post(
            url("review_outcome", review.project, review.pk),
            {**data, **(files or {})},
            follow=follow,
        )

    def test_accepted_with_results_and_minutes(self, login, manager, review):
        minutes = SimpleUploadedFile("bien-ban.pdf", PDF, content_type="application/pdf")
        response = self.post(
            login(manager), review, outcome_data(), {"minutes": minutes}, follow=True
        )
        assert messages_of(response) == ["Đã ghi nhận kết quả nghiệm thu ngày 20/11/2025: Đạt."]
        project = Project.objects.get(pk=review.project_id)
        assert (project.status, project.accepted_on) == (Status.ACCEPTED, REVIEW_DAY)
        review.refresh_from_db()
        assert (review.achieved_people_trained, review.counterpart_invested) == (30, 90 * M)
        document = review.minutes
        assert (document.kind, document.original_name, document.project) == (
            DocumentKind.MINUTES,
            "bien-ban.pdf",
            project,
        )
        page = page_of(response)
        assert "Đã nghiệm thu" in page and "bien-ban.pdf" in page

    def test_with_conditions_sends_the_project_back_with_a_follow_up(
        self, login, staff, officer, review
    ):
        data = outcome_data(
            outcome=AcceptanceOutcome.WITH_CONDITIONS,
            required_actions="Bổ sung hóa đơn",
            follow_up_owner=str(officer.pk),
            follow_up_due="10/12/2025",
        )
        self.post(login(staff), review, data)
        project = Project.objects.get(pk=review.project_id)
        assert project.status == Status.IN_PROGRESS
        assert project.events.last().action == "reopen"
        action = FollowUpAction.objects.get()
        assert (action.description, action.owner, action.due_date) == (
            "Bổ sung hóa đơn",
            officer,
            d(12, 10),
        )

    def test_a_failed_review_needs_actions_owner_and_due_date(self, login, staff, review):
        before = counts()
        response = self.post(
            login(staff), review, outcome_data(outcome=AcceptanceOutcome.NOT_ACCEPTED, findings="")
        )
        errors = response.context["form"].errors
        assert set(errors) == {"findings", "required_actions", "follow_up_owner", "follow_up_due"}
        assert errors["follow_up_owner"] == ["Hãy chọn người chịu trách nhiệm bổ sung, hoàn thiện."]
        assert counts() == before

    def test_more_employed_than_trained_is_refused(self, login, staff, review):
        response = self.post(
            login(staff), review, outcome_data(achieved_employed_after_training="31")
        )
        assert (
            "không được lớn hơn số người được đào tạo (30)"
            in (response.context["form"].errors["achieved_employed_after_training"][0])
        )

    def test_a_file_that_is_not_a_real_pdf_is_refused_and_nothing_is_saved(
        self, login, staff, review
    ):
        before = counts()
        fake = SimpleUploadedFile("bien-ban.pdf", b"MZ not a pdf", content_type="application/pdf")
        response = self.post(login(staff), review, outcome_data(), {"minutes": fake})
        assert "không phải tệp .pdf thật" in response.context["form"].errors["minutes"][0]
        assert counts() == before

    def test_a_refusal_by_the_rule_keeps_no_minutes(self, login, staff, awaiting):
        coming = schedule(awaiting, staff, day=today() + datetime.timedelta(days=5))
        before = counts()
        minutes = SimpleUploadedFile("bien-ban.pdf", PDF, content_type="application/pdf")
        response = self.post(login(staff), coming, outcome_data(), {"minutes": minutes})
        assert "Chưa đến ngày nghiệm thu" in response.context["form"].non_field_errors()[0]
        assert counts() == before

    def test_an_outcome_is_recorded_once(self, login, staff, manager, review):
        self.post(login(manager), review, outcome_data())
        before = counts()
        response = self.post(login(staff), review, outcome_data(), follow=True)
        assert messages_of(response)[-1].startswith(
            "Không thể “Ghi nhận kết quả nghiệm thu” khi đề án đang ở trạng thái “Đã nghiệm thu”"
        )
        assert counts() == before

    def test_district_officers_do_not_record_outcomes(self, login, officer, review):
        response = self.post(login(officer), review, outcome_data(), follow=True)
        assert messages_of(response)[0].startswith("Bạn không có quyền “Ghi nhận kết quả")
        assert Project.objects.get(pk=review.project_id).status == Status.AWAITING_ACCEPTANCE

    def test_a_cancelled_project_takes_no_outcome(self, login, staff, manager, review):
        from projects.applications import workflow

        workflow.cancel(project=review.project, by=manager, reason="Cơ sở ngừng sản xuất")
        response = self.post(login(staff), review, outcome_data(), follow=True)
        assert "“Đã hủy”" in messages_of(response)[0]
        review.refresh_from_db()
        assert review.outcome == ""


# --- scope and the viewer -------------------------------------------------------------------


class TestScopeAndViewer:
    @pytest.fixture
    def targets(self, in_progress, staff, officer):
        review = schedule(in_progress, staff)
        visit = steps.record_visit(
            project=in_progress,
            by=officer,
            date=d(6, 1),
            place="Xưởng",
            progress_percent=40,
            officers=[officer],
            actions=[("Mua thêm khung dệt", officer, d(6, 30))],
        )
        action = visit.actions.get()
        p = in_progress
        return {
            "visit": url("record_visit", p),
            "report": url("file_report", p),
            "disburse": url("disburse", p),
            "review": url("schedule_review", p),
            "outcome": url("review_outcome", p, review.pk),
            "done": url("complete_follow_up", p, action.pk),
            "request_acceptance": action_url(p, "request_acceptance"),
            "start": action_url(p, "start"),
            "settle": action_url(p, "settle"),
        }

    def post_everything(self, client, targets):
        data = {
            **visit_data([]),
            **review_data(),
            **outcome_data(),
            "note": "x",
            "contract_number": "1",
        }
        return {name: client.post(target, data).status_code for name, target in targets.items()}

    def test_another_districts_officer_gets_404_everywhere(self, login, other_officer, targets):
        client = login(other_officer)
        before = counts()
        assert set(self.post_everything(client, targets).values()) == {404}
        for name, target in targets.items():
            if name != "done":
                assert client.get(target).status_code == 404, name
        for name in ("upcoming_reviews", "overdue_actions", "missing_reports"):
            response = client.get(reverse(f"projects:{name}"))
            assert response.status_code == 200
            assert response.context["page"].paginator.count == 0, name
        assert counts() == before

    def test_a_viewer_reads_but_every_write_is_403(self, login, viewer, targets, in_progress):
        client = login(viewer)
        before = counts()
        assert client.get(detail_url(in_progress)).status_code == 200
        assert set(self.post_everything(client, targets).values()) == {403}
        assert counts() == before
        in_progress.refresh_from_db()
        assert in_progress.status == Status.IN_PROGRESS

    def test_anonymous_users_are_sent_to_log_in(self, client, targets):
        for name, target in targets.items():
            response = client.post(target, {})
            assert response.status_code == 302, name
            assert response["Location"].startswith("/dang-nhap/")


# --- follow-through lists -------------------------------------------------------------------


@pytest.fixture
def make_under_way(make_approved_project, staff):
    """n projects in progress in district A (approved 50 million each)."""

    def make(n, **fields):
        projects = []
        for i in range(n):
            project = make_approved_project(
                approved_amount=50 * M, title=fields.get("title", f"Lớp dạy nghề {i}")
            )
            projects.append(
                steps.start(
                    project=project, by=staff, contract_number=f"{i}/HĐ", contract_date=CONTRACT
                )
            )
        return projects

    return make


class TestUpcomingReviews:
    def test_it_lists_coming_reviews_without_outcome_by_date(
        self, login, staff, manager, make_under_way
    ):
        soon, later, past, done = make_under_way(4)
        schedule(later, staff, day=today() + datetime.timedelta(days=20))
        schedule(soon, staff, day=today())
        schedule(past, staff, day=today() - datetime.timedelta(days=1))
        finished = schedule(done, staff, day=d(11, 1))
        steps.record_review_outcome(review=finished, by=manager, outcome=AcceptanceOutcome.ACCEPTED)
        response = login(staff).get(reverse("projects:upcoming_reviews"))
        assert [r.project for r in response.context["page"].object_list] == [soon, later]
        page = page_of(response)
        assert "hôm nay" in page and "còn 20 ngày" in page and "Hoàng Văn Nam" in page

    def test_the_query_count_does_not_grow_with_the_rows(
        self, login, staff, manager, make_under_way, django_assert_num_queries
    ):
        projects = make_under_way(4)
        coming = today() + datetime.timedelta(days=3)
        members = [
            {"user": manager, "council_role": "Chủ tịch"},
            {"name": "Lò Thị Mai", "organisation": "Sở", "council_role": "Ủy viên"},
        ]
        schedule(projects[0], staff, day=coming, members=members)
        client = login(staff)
        # session, user, count, rows, members, the locality and funding-source choices
        with django_assert_num_queries(7):
            client.get(reverse("projects:upcoming_reviews"))
        for project in projects[1:]:
            schedule(project, staff, day=coming, members=members)
        with django_assert_num_queries(7):
            response = client.get(reverse("projects:upcoming_reviews"))
        assert response.context["page"].paginator.count == 4


class TestOverdueActions:
    def test_it_lists_actions_past_due_and_not_done(
        self, login, officer, staff, make_under_way, other_officer, commune_b1
    ):
        (project,) = make_under_way(1)
        visit = steps.record_visit(
            project=project,
            by=officer,
            date=d(6, 1),
            place="Xưởng",
            progress_percent=40,
            officers=[officer],
            actions=[
                ("Quá hạn", officer, d(6, 30)),
                ("Đã làm", officer, d(6, 20)),
                ("Của cán bộ Trung tâm", staff, d(7, 1)),
                ("Chưa đến hạn", officer, today() + datetime.timedelta(days=1)),
            ],
        )
        steps.complete_action(
            action=visit.actions.get(description="Đã làm"), by=officer, note="Xong"
        )
        client = login(officer)
        response = client.get(reverse("projects:overdue_actions"))
        shown = [a.description for a in response.context["page"].object_list]
        assert shown == ["Quá hạn", "Của cán bộ Trung tâm"]
        assert "quá hạn" in page_of(response)
        mine = client.get(reverse("projects:overdue_actions"), {"mine": "on"})
        assert [a.description for a in mine.context["page"].object_list] == ["Quá hạn"]
        found = client.get(reverse("projects:overdue_actions"), {"q": "lop day nghe"})
        assert found.context["page"].paginator.count == 2

    def test_the_query_count_does_not_grow_with_the_rows(
        self, login, officer, staff, make_under_way, django_assert_num_queries
    ):
        projects = make_under_way(3)

        def late(project, n):
            steps.record_visit(
                project=project,
                by=officer,
                date=d(6, 1),
                place="Xưởng",
                progress_percent=40,
                officers=[officer],
                actions=[(f"Việc {i}", officer, d(6, 30)) for i in range(n)],
            )

        late(projects[0], 1)
        client = login(staff)
        # session, user, count, rows (with project, owner, visit), locality and source choices
        with django_assert_num_queries(6):
            client.get(reverse("projects:overdue_actions"))
        late(projects[1], 3)
        late(projects[2], 2)
        with django_assert_num_queries(6):
            response = client.get(reverse("projects:overdue_actions"))
        assert response.context["page"].paginator.count == 6


class TestMissingReports:
    def test_it_lists_projects_with_a_period_past_due_and_no_report(
        self, login, officer, make_under_way
    ):
        behind, on_time = make_under_way(2)
        for start, end in [(d(3, 1), d(5, 31)), (d(6, 1), d(8, 31)), (d(9, 1), d(11, 30))]:
            steps.file_progress_report(
                project=on_time,
                by=officer,
                period_start=start,
                period_end=end,
                progress_percent=50,
                money_spent=M,
            )
        steps.file_progress_report(
            project=on_time,
            by=officer,
            period_start=d(12, 1),
            period_end=d(12, 31),
            progress_percent=100,
            money_spent=M,
        )
        response = login(officer).get(reverse("projects:missing_reports"))
        rows = response.context["page"].object_list
        assert [project for project, _missing in rows] == [behind]
        assert [period.number for period in rows[0][1]] == [1, 2, 3, 4]
        assert "Kỳ 1: 01/03/2025 – 31/05/2025 (hạn 07/06/2025)" in page_of(response)

    def test_accepted_projects_are_not_chased_for_reports(self, login, staff, accepted):
        response = login(staff).get(reverse("projects:missing_reports"))
        assert response.context["page"].paginator.count == 0

    def test_the_query_count_does_not_grow_with_the_rows(
        self, login, staff, officer, make_under_way, django_assert_num_queries
    ):
        (first,) = make_under_way(1)
        client = login(staff)
        # session, user, projects, their reports, locality and funding-source choices
        with django_assert_num_queries(6):
            client.get(reverse("projects:missing_reports"))
        for project in make_under_way(3):
            steps.file_progress_report(
                project=project,
                by=officer,
                period_start=d(3, 1),
                period_end=d(5, 31),
                progress_percent=20,
                money_spent=M,
            )
        with django_assert_num_queries(6):
            response = client.get(reverse("projects:missing_reports"))
        assert response.context["page"].paginator.count == 4


def test_the_menu_links_the_follow_through_lists(login, officer):
    page = page_of(login(officer).get(reverse("projects:list")))
    assert "Theo dõi thực hiện" in page
    for name in ("upcoming_reviews", "overdue_actions", "missing_reports"):
        assert reverse(f"projects:{name}") in page


# --- the allocation page --------------------------------------------------------------------


class TestAllocationPage:
    def test_it_shows_every_figure_and_they_add_up(
        self, login, staff, manager, settled, closeout_allocation, make_approved_project
    ):
        make_approved_project(approved_amount=100 * M, title="Đề án thứ hai")
        response = login(staff).get(
            reverse("planning:allocation_detail", args=[closeout_allocation.pk])
        )
        page = page_of(response)
        figures = {
            key: re.search(rf'id="{key}">([\d.]+) ₫', page).group(1)
            for key in ("allocated", "approved", "disbursed", "settled", "released", "remaining")
        }
        assert figures == {
            "allocated": "1.000.000.000",
            "approved": "300.000.000",
            "disbursed": "0",
            "settled": "150.000.000",
            "released": "50.000.000",
            "remaining": "750.000.000",
        }
        assert "Còn lại = Được giao − Đã phê duyệt + Đã hoàn lại" in page
        assert "(1.000.000.000 ₫ − 300.000.000 ₫ + 50.000.000 ₫ = 750.000.000 ₫)" in page

    def test_the_list_shows_settled_and_released(self, login, staff, settled):
        page = page_of(login(staff).get(reverse("planning:allocation_list")))
        assert "Đã quyết toán" in page and "Đã hoàn lại" in page
        assert "150.000.000 ₫" in page and "50.000.000 ₫" in page and "850.000.000 ₫" in page
