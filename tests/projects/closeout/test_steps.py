import datetime

import pytest

from khuyencong.models import Role
from projects.applications import workflow
from projects.applications.workflow import TransitionError
from projects.closeout import disbursements, steps
from projects.models import (
    AcceptanceOutcome,
    AcceptanceReview,
    DisbursementKind,
    DocumentKind,
    FollowUpAction,
    ProgressReport,
    ProjectDocument,
    ProjectEvent,
    Status,
)
from projects.planning import budget
from tests.conftest import make_user
from tests.projects.conftest import ASKED, DECIDED, report_progress
from tests.projects.conftest import CLOSEOUT_YEAR as YEAR

CONTRACT = datetime.date(YEAR, 3, 1)
REVIEW_DAY = datetime.date(YEAR, 11, 20)


def d(month, day):
    return datetime.date(YEAR, month, day)


@pytest.fixture
def approved(make_approved_project):
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
        or [
            {
                "name": "Hoàng Văn Nam",
                "organisation": "Sở Công Thương",
                "council_role": "Chủ tịch hội đồng",
            }
        ],
        checklist={"contract": True, "report": True},
    )


def not_accepted(review, by, owner, outcome=AcceptanceOutcome.WITH_CONDITIONS, **extra):
    values = {
        "findings": "Chưa đủ hồ sơ lắp đặt.",
        "required_actions": "Bổ sung biên bản bàn giao thiết bị.",
        "follow_up_owner": owner,
        "follow_up_due": d(12, 10),
    }
    values.update(extra)
    return steps.record_review_outcome(review=review, by=by, outcome=outcome, **values)


@pytest.fixture
def accepted(awaiting, staff, manager):
    review = schedule(awaiting, staff)
    steps.record_review_outcome(
        review=review,
        by=manager,
        outcome=AcceptanceOutcome.ACCEPTED,
        findings="Đạt yêu cầu.",
        achieved_people_trained=30,
        achieved_employed_after_training=25,
        achieved_jobs_created=10,
        counterpart_invested=90_000_000,
    )
    awaiting.refresh_from_db()
    return awaiting


def events(project):
    return list(project.events.values_list("action", "from_status", "to_status"))


# --- start --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestStart:
    def test_it_records_the_contract_and_starts_the_work(self, approved, staff):
        project = steps.start(
            project=approved,
            by=staff,
            contract_number=" 08/HĐ-KC ",
            contract_date=CONTRACT,
            report_every_months=3,
        )
        project.refresh_from_db()
        assert project.status == Status.IN_PROGRESS
        assert (project.contract_number, project.contract_date) == ("08/HĐ-KC", CONTRACT)
        assert project.report_every_months == 3
        assert events(project)[-1] == ("start", Status.APPROVED, Status.IN_PROGRESS)
        assert "08/HĐ-KC" in project.events.last().comment

    def test_it_keeps_the_default_schedule_when_none_is_given(self, in_progress):
        assert in_progress.report_every_months is None

    @pytest.mark.parametrize("months", [0, 13, -1])
    def test_it_refuses_a_schedule_outside_one_to_twelve_months(self, approved, staff, months):
        with pytest.raises(TransitionError, match="từ 1 đến 12 tháng"):
            steps.start(
                project=approved,
                by=staff,
                contract_number="08",
                contract_date=CONTRACT,
                report_every_months=months,
            )

    def test_it_requires_the_contract_number_and_date(self, approved, staff):
        with pytest.raises(TransitionError, match="số hợp đồng"):
            steps.start(project=approved, by=staff, contract_number=" ", contract_date=CONTRACT)
        with pytest.raises(TransitionError, match="ngày ký hợp đồng"):
            steps.start(project=approved, by=staff, contract_number="08", contract_date=None)
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED

    def test_it_refuses_a_contract_signed_before_the_decision(self, approved, staff):
        with pytest.raises(TransitionError) as refused:
            steps.start(
                project=approved,
                by=staff,
                contract_number="08",
                contract_date=DECIDED - datetime.timedelta(days=1),
            )
        assert "14/02/2025" in str(refused.value) and "15/02/2025" in str(refused.value)

    def test_it_lets_only_centre_staff_start(self, approved, officer, manager, viewer):
        for user in (officer, manager, viewer):
            with pytest.raises(TransitionError, match="không có quyền"):
                steps.start(project=approved, by=user, contract_number="08", contract_date=CONTRACT)
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED

    def test_it_starts_only_an_approved_project(self, in_progress, staff):
        with pytest.raises(TransitionError, match="Đang thực hiện"):
            steps.start(project=in_progress, by=staff, contract_number="09", contract_date=CONTRACT)


# --- request acceptance -------------------------------------------------------------------


@pytest.mark.django_db
class TestRequestAcceptance:
    def test_the_district_officer_asks_for_acceptance(self, in_progress, officer):
        report_progress(in_progress, officer)
        project = steps.request_acceptance(project=in_progress, by=officer)
        assert project.status == Status.AWAITING_ACCEPTANCE
        assert events(project)[-1] == (
            "request_acceptance",
            Status.IN_PROGRESS,
            Status.AWAITING_ACCEPTANCE,
        )

    def test_centre_staff_may_ask_too(self, in_progress, staff):
        report_progress(in_progress, staff)
        assert steps.request_acceptance(project=in_progress, by=staff).status == (
            Status.AWAITING_ACCEPTANCE
        )

    def test_it_refuses_the_officer_of_another_district(self, in_progress, other_officer):
        with pytest.raises(TransitionError, match="không thuộc địa bàn"):
            steps.request_acceptance(project=in_progress, by=other_officer)

    def test_it_refuses_manager_and_viewer(self, in_progress, manager, viewer):
        for user in (manager, viewer):
            with pytest.raises(TransitionError, match="không có quyền"):
                steps.request_acceptance(project=in_progress, by=user)

    def test_it_refuses_a_project_not_yet_started(self, approved, officer):
        with pytest.raises(TransitionError, match="Đã phê duyệt"):
            steps.request_acceptance(project=approved, by=officer)


# --- acceptance review --------------------------------------------------------------------


@pytest.mark.django_db
class TestScheduleReview:
    def test_it_schedules_a_council_of_users_and_outside_members(self, in_progress, staff, manager):
        review = schedule(
            in_progress,
            staff,
            members=[
                {"user": manager, "council_role": "Chủ tịch hội đồng"},
                {
                    "name": "Lò Thị Mai",
                    "organisation": "Phòng Kinh tế huyện A",
                    "council_role": "Ủy viên",
                },
            ],
        )
        assert review.scheduled_date == REVIEW_DAY
        assert review.checklist == {
            "contract": True,
            "report": True,
            "invoices": False,
            "handover": False,
            "photos": False,
        }
        seats = {(m.user, m.name, m.organisation, m.council_role) for m in review.members.all()}
        assert seats == {
            (manager, "", "", "Chủ tịch hội đồng"),
            (None, "Lò Thị Mai", "Phòng Kinh tế huyện A", "Ủy viên"),
        }
        assert events(in_progress)[-1] == (
            "schedule_review",
            Status.IN_PROGRESS,
            Status.IN_PROGRESS,
        )

    def test_it_schedules_while_awaiting_acceptance(self, awaiting, staff):
        assert schedule(awaiting, staff).project == awaiting

    @pytest.mark.parametrize(
        ("members", "message"),
        [
            ([], "ít nhất một thành viên"),
            ([{"name": "Lò Thị Mai", "council_role": "Ủy viên"}], "đơn vị công tác"),
            ([{"name": "Lò Thị Mai", "organisation": "Sở"}], "vai trò trong hội đồng"),
        ],
    )
    def test_it_refuses_an_incomplete_council(self, in_progress, staff, members, message):
        with pytest.raises(TransitionError, match=message):
            steps.schedule_review(
                project=in_progress,
                by=staff,
                scheduled_date=REVIEW_DAY,
                place="Xưởng",
                members=members,
            )
        assert not AcceptanceReview.objects.exists()

    def test_it_refuses_the_same_user_twice(self, in_progress, staff, manager):
        seat = {"user": manager, "council_role": "Ủy viên"}
        with pytest.raises(TransitionError, match="hai lần"):
            schedule(in_progress, staff, members=[seat, seat])

    def test_it_refuses_an_unknown_checklist_item(self, in_progress, staff):
        with pytest.raises(TransitionError, match="danh mục"):
            steps.schedule_review(
                project=in_progress,
                by=staff,
                scheduled_date=REVIEW_DAY,
                place="Xưởng",
                members=[{"user": staff, "council_role": "Thư ký"}],
                checklist={"bribes": True},
            )

    def test_it_refuses_a_date_before_the_contract(self, in_progress, staff):
        with pytest.raises(TransitionError, match="Ngày nghiệm thu .* trước ngày ký hợp đồng"):
            schedule(in_progress, staff, day=CONTRACT - datetime.timedelta(days=1))

    def test_only_centre_staff_schedule(self, in_progress, officer, manager, viewer):
        for user in (officer, manager, viewer):
            with pytest.raises(TransitionError, match="không có quyền"):
                schedule(in_progress, user)

    def test_it_refuses_a_project_not_yet_started(self, approved, staff):
        with pytest.raises(TransitionError, match="Đã phê duyệt"):
            schedule(approved, staff)


@pytest.mark.django_db
class TestReviewOutcome:
    def test_accepted_accepts_the_project_on_the_review_date(self, accepted):
        review = accepted.acceptance_reviews.get()
        assert accepted.status == Status.ACCEPTED
        assert accepted.accepted_on == REVIEW_DAY
        assert review.outcome == AcceptanceOutcome.ACCEPTED
        assert (review.achieved_people_trained, review.achieved_employed_after_training) == (
            30,
            25,
        )
        assert review.achieved_jobs_created == 10
        assert review.counterpart_invested == 90_000_000
        assert events(accepted)[-1] == ("accept", Status.AWAITING_ACCEPTANCE, Status.ACCEPTED)
        assert not FollowUpAction.objects.exists()

    def test_it_may_accept_straight_from_in_progress(self, in_progress, staff):
        review = schedule(in_progress, staff)
        steps.record_review_outcome(review=review, by=staff, outcome=AcceptanceOutcome.ACCEPTED)
        in_progress.refresh_from_db()
        assert in_progress.status == Status.ACCEPTED

    def test_with_conditions_sends_the_project_back_with_a_follow_up(
        self, awaiting, staff, manager, officer
    ):
        review = not_accepted(schedule(awaiting, staff), manager, officer)
        awaiting.refresh_from_db()
        assert awaiting.status == Status.IN_PROGRESS
        assert awaiting.accepted_on is None
        assert review.outcome == AcceptanceOutcome.WITH_CONDITIONS
        action = FollowUpAction.objects.get()
        assert (action.owner, action.due_date, action.visit) == (officer, d(12, 10), None)
        assert action.description == "Bổ sung biên bản bàn giao thiết bị."
        assert events(awaiting)[-1] == ("reopen", Status.AWAITING_ACCEPTANCE, Status.IN_PROGRESS)

    def test_not_accepted_while_in_progress_is_logged_without_a_move(
        self, in_progress, staff, officer
    ):
        not_accepted(
            schedule(in_progress, staff), staff, officer, outcome=AcceptanceOutcome.NOT_ACCEPTED
        )
        in_progress.refresh_from_db()
        assert in_progress.status == Status.IN_PROGRESS
        assert events(in_progress)[-1] == (
            "review_outcome",
            Status.IN_PROGRESS,
            Status.IN_PROGRESS,
        )
        assert "Không đạt" in in_progress.events.last().comment
        assert FollowUpAction.objects.count() == 1

    @pytest.mark.parametrize(
        ("missing", "message"),
        [
            ({"required_actions": ""}, "cần bổ sung"),
            ({"follow_up_owner": None}, "người chịu trách nhiệm"),
            ({"follow_up_due": None}, "hạn hoàn thành"),
            ({"findings": " "}, "nhận xét"),
        ],
    )
    def test_a_failed_review_needs_actions_an_owner_and_a_due_date(
        self, awaiting, staff, officer, missing, message
    ):
        review = schedule(awaiting, staff)
        with pytest.raises(TransitionError, match=message):
            not_accepted(review, staff, officer, **missing)
        review.refresh_from_db()
        awaiting.refresh_from_db()
        assert review.outcome == ""
        assert awaiting.status == Status.AWAITING_ACCEPTANCE
        assert not FollowUpAction.objects.exists()

    def test_the_owner_must_work_on_the_project(self, awaiting, staff, other_officer, viewer):
        review = schedule(awaiting, staff)
        for user in (other_officer, viewer):
            with pytest.raises(TransitionError, match="không thể chịu trách nhiệm"):
                not_accepted(review, staff, user)

    def test_the_due_date_is_not_before_the_review(self, awaiting, staff, officer):
        with pytest.raises(TransitionError, match="Hạn hoàn thành"):
            not_accepted(schedule(awaiting, staff), staff, officer, follow_up_due=d(11, 1))

    def test_it_cannot_be_recorded_before_the_project_is_in_progress(self, approved, staff):
        # A review put on an approved project by hand: the rule itself must refuse it.
        review = AcceptanceReview.objects.create(
            project=approved, scheduled_date=REVIEW_DAY, place="Xưởng"
        )
        with pytest.raises(TransitionError, match="Đã phê duyệt"):
            steps.record_review_outcome(review=review, by=staff, outcome=AcceptanceOutcome.ACCEPTED)
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED and approved.accepted_on is None

    def test_it_is_recorded_once(self, in_progress, staff, officer):
        review = schedule(in_progress, staff)
        not_accepted(review, staff, officer)
        with pytest.raises(TransitionError, match="đã được ghi nhận kết quả"):
            steps.record_review_outcome(review=review, by=staff, outcome=AcceptanceOutcome.ACCEPTED)

    def test_it_waits_for_the_review_day(self, in_progress, staff):
        review = schedule(in_progress, staff)
        with pytest.raises(TransitionError, match="Chưa đến ngày nghiệm thu"):
            steps.record_review_outcome(
                review=review,
                by=staff,
                outcome=AcceptanceOutcome.ACCEPTED,
                today=REVIEW_DAY - datetime.timedelta(days=1),
            )

    def test_it_refuses_more_employed_than_trained(self, in_progress, staff):
        with pytest.raises(TransitionError, match="không được lớn hơn"):
            steps.record_review_outcome(
                review=schedule(in_progress, staff),
                by=staff,
                outcome=AcceptanceOutcome.ACCEPTED,
                achieved_people_trained=10,
                achieved_employed_after_training=11,
            )

    def test_it_refuses_negative_results_and_unknown_outcomes(self, in_progress, staff):
        review = schedule(in_progress, staff)
        with pytest.raises(TransitionError, match="việc làm tạo mới"):
            steps.record_review_outcome(
                review=review, by=staff, outcome="accepted", achieved_jobs_created=-1
            )
        with pytest.raises(TransitionError, match="Hãy chọn kết quả"):
            steps.record_review_outcome(review=review, by=staff, outcome="passed")

    def test_it_keeps_the_minutes_of_this_project_only(
        self, in_progress, staff, make_approved_project
    ):
        other = make_approved_project(title="Đề án khác")
        foreign = ProjectDocument.objects.create(
            project=other, kind=DocumentKind.MINUTES, file="x.pdf", original_name="x.pdf", size=1
        )
        own = ProjectDocument.objects.create(
            project=in_progress,
            kind=DocumentKind.MINUTES,
            file="y.pdf",
            original_name="y.pdf",
            size=1,
        )
        review = schedule(in_progress, staff)
        with pytest.raises(TransitionError, match="chính đề án này"):
            steps.record_review_outcome(
                review=review, by=staff, outcome=AcceptanceOutcome.ACCEPTED, minutes=foreign
            )
        review = steps.record_review_outcome(
            review=review, by=staff, outcome=AcceptanceOutcome.ACCEPTED, minutes=own
        )
        assert review.minutes == own

    def test_only_centre_staff_and_managers_record_it(
        self, in_progress, staff, officer, viewer, other_officer
    ):
        review = schedule(in_progress, staff)
        for user in (officer, viewer, other_officer):
            with pytest.raises(TransitionError, match="không có quyền"):
                steps.record_review_outcome(
                    review=review, by=user, outcome=AcceptanceOutcome.ACCEPTED
                )


# --- settlement ---------------------------------------------------------------------------


@pytest.mark.django_db
class TestSettle:
    def test_it_settles_and_releases_the_rest_to_the_allocation(
        self, accepted, staff, closeout_allocation
    ):
        disbursements.disburse(
            project=accepted,
            by=staff,
            kind=DisbursementKind.ADVANCE,
            date=d(3, 10),
            amount=100_000_000,
            voucher_number="PC-01",
        )
        disbursements.disburse(
            project=accepted,
            by=staff,
            kind=DisbursementKind.PAYMENT,
            date=d(11, 25),
            amount=80_000_000,
            voucher_number="PC-02",
        )
        before = budget.allocation_figures([closeout_allocation])[closeout_allocation.pk]
        assert (before.approved, before.disbursed, before.released) == (
            200_000_000,
            180_000_000,
            0,
        )
        assert before.remaining == 800_000_000

        project = steps.settle(
            project=accepted,
            by=staff,
            settled_amount=180_000_000,
            decision_number="99/QĐ-SCT",
            settled_on=d(12, 15),
        )

        project.refresh_from_db()
        assert project.status == Status.SETTLED
        assert (project.settled_amount, project.settlement_decision_number) == (
            180_000_000,
            "99/QĐ-SCT",
        )
        assert project.settled_on == d(12, 15)
        assert events(project)[-1] == ("settle", Status.ACCEPTED, Status.SETTLED)
        after = budget.allocation_figures([closeout_allocation])[closeout_allocation.pk]
        assert (after.approved, after.disbursed, after.settled, after.released) == (
            200_000_000,
            180_000_000,
            180_000_000,
            20_000_000,
        )
        assert after.remaining == 820_000_000
        assert after.allocated == after.remaining + after.approved - after.released

    def test_it_refuses_more_than_approved(self, accepted, staff):
        with pytest.raises(TransitionError) as refused:
            steps.settle(
                project=accepted,
                by=staff,
                settled_amount=200_000_001,
                decision_number="99",
                settled_on=d(12, 15),
            )
        assert "200.000.001 ₫" in str(refused.value) and "200.000.000 ₫" in str(refused.value)

    def test_it_refuses_less_than_already_disbursed(self, accepted, staff):
        disbursements.disburse(
            project=accepted,
            by=staff,
            kind=DisbursementKind.PAYMENT,
            date=d(11, 25),
            amount=150_000_000,
            voucher_number="PC-01",
        )
        with pytest.raises(TransitionError) as refused:
            steps.settle(
                project=accepted,
                by=staff,
                settled_amount=140_000_000,
                decision_number="99",
                settled_on=d(12, 15),
            )
        message = str(refused.value)
        assert "150.000.000 ₫" in message and "10.000.000 ₫" in message and "thu hồi" in message
        accepted.refresh_from_db()
        assert accepted.status == Status.ACCEPTED and accepted.settled_amount is None

    def test_it_cannot_settle_before_acceptance(self, awaiting, make_approved_project, staff):
        approved = make_approved_project(title="Đề án chưa thực hiện")
        for project, status in ((approved, "Đã phê duyệt"), (awaiting, "Chờ nghiệm thu")):
            with pytest.raises(TransitionError, match=status):
                steps.settle(
                    project=project,
                    by=staff,
                    settled_amount=0,
                    decision_number="99",
                    settled_on=d(12, 15),
                )

    def test_it_refuses_a_date_before_acceptance_or_in_the_future(self, accepted, staff):
        with pytest.raises(TransitionError, match="trước ngày nghiệm thu"):
            steps.settle(
                project=accepted,
                by=staff,
                settled_amount=0,
                decision_number="99",
                settled_on=REVIEW_DAY - datetime.timedelta(days=1),
            )
        with pytest.raises(TransitionError, match="sau ngày hôm nay"):
            steps.settle(
                project=accepted,
                by=staff,
                settled_amount=0,
                decision_number="99",
                settled_on=d(12, 15),
                today=d(12, 14),
            )

    def test_it_requires_a_decision_number(self, accepted, manager):
        with pytest.raises(TransitionError, match="số quyết định"):
            steps.settle(
                project=accepted,
                by=manager,
                settled_amount=0,
                decision_number="",
                settled_on=d(12, 15),
            )

    def test_only_centre_staff_and_managers_settle(self, accepted, manager, officer, viewer):
        for user in (officer, viewer):
            with pytest.raises(TransitionError, match="không có quyền"):
                steps.settle(
                    project=accepted,
                    by=user,
                    settled_amount=0,
                    decision_number="99",
                    settled_on=d(12, 15),
                )
        steps.settle(
            project=accepted,
            by=manager,
            settled_amount=0,
            decision_number="99",
            settled_on=d(12, 15),
        )
        accepted.refresh_from_db()
        assert accepted.status == Status.SETTLED


@pytest.mark.django_db
class TestCancel:
    def test_a_project_under_way_may_be_cancelled_with_a_reason(self, in_progress, manager):
        project = workflow.cancel(project=in_progress, by=manager, reason="Cơ sở ngừng sản xuất")
        assert project.status == Status.CANCELLED
        assert project.cancellation_reason == "Cơ sở ngừng sản xuất"

    def test_a_settled_project_cannot_be_cancelled(self, accepted, staff, manager):
        steps.settle(
            project=accepted,
            by=staff,
            settled_amount=0,
            decision_number="99",
            settled_on=d(12, 15),
        )
        with pytest.raises(TransitionError, match="Đã quyết toán"):
            workflow.cancel(project=accepted, by=manager, reason="Nhầm")

    def test_nothing_is_recorded_on_a_cancelled_project(self, in_progress, staff, officer):
        workflow.cancel(project=in_progress, by=staff, reason="Cơ sở ngừng sản xuất")
        with pytest.raises(TransitionError, match="Đã hủy"):
            steps.record_visit(
                project=in_progress,
                by=officer,
                date=d(6, 1),
                place="Xưởng",
                progress_percent=10,
                officers=[officer],
            )


@pytest.mark.django_db
def test_it_walks_the_whole_way_from_approval_to_settlement(accepted, staff):
    steps.settle(
        project=accepted,
        by=staff,
        settled_amount=0,
        decision_number="99",
        settled_on=d(12, 15),
    )
    actions = [action for action, _from, _to in events(accepted)]
    assert actions == [
        "create",
        "submit",
        "appraise",
        "approve",
        "start",
        "request_acceptance",
        "schedule_review",
        "accept",
        "settle",
    ]


# --- monitoring ---------------------------------------------------------------------------


def visit(project, by, **extra):
    values = {
        "date": d(6, 1),
        "place": "Xưởng dệt, xã A Một",
        "progress_percent": 40,
        "findings": "Đã mở 1 lớp.",
        "problems": "Thiếu khung dệt.",
        "officers": [by],
        "other_participants": "Chủ cơ sở",
        "actions": [],
    }
    values.update(extra)
    return steps.record_visit(project=project, by=by, **values)


@pytest.mark.django_db
class TestMonitoringVisit:
    def test_it_records_a_visit_with_its_follow_up_actions(self, in_progress, officer, staff):
        recorded = visit(
            in_progress,
            officer,
            officers=[officer, staff],
            actions=[("Mua thêm khung dệt", officer, d(7, 1)), ("Báo cáo sĩ số", staff, d(6, 15))],
        )
        assert recorded.progress_percent == 40
        assert set(recorded.officers.all()) == {officer, staff}
        assert [(a.description, a.owner, a.due_date) for a in recorded.actions.all()] == [
            ("Báo cáo sĩ số", staff, d(6, 15)),
            ("Mua thêm khung dệt", officer, d(7, 1)),
        ]
        assert all(a.project == in_progress and a.done_at is None for a in recorded.actions.all())

    def test_centre_staff_record_visits_too_while_awaiting_acceptance(self, awaiting, staff):
        assert visit(awaiting, staff).project == awaiting

    def test_it_refuses_the_officer_of_another_district(self, in_progress, other_officer):
        with pytest.raises(TransitionError, match="không thuộc địa bàn"):
            visit(in_progress, other_officer)

    def test_it_refuses_manager_and_viewer(self, in_progress, manager, viewer):
        for user in (manager, viewer):
            with pytest.raises(TransitionError, match="không có quyền"):
                visit(in_progress, user)

    def test_it_refuses_a_project_not_yet_started(self, approved, officer):
        with pytest.raises(TransitionError, match="Đã phê duyệt"):
            visit(approved, officer)

    def test_it_refuses_a_visit_in_the_future(self, in_progress, officer):
        with pytest.raises(TransitionError, match="sau ngày hôm nay"):
            visit(in_progress, officer, date=d(6, 2), today=d(6, 1))

    def test_it_refuses_progress_above_100(self, in_progress, officer):
        with pytest.raises(TransitionError, match="từ 0 đến 100"):
            visit(in_progress, officer, progress_percent=101)

    def test_it_refuses_an_officer_or_owner_from_another_district(
        self, in_progress, officer, other_officer
    ):
        with pytest.raises(TransitionError, match="cán bộ kiểm tra"):
            visit(in_progress, officer, officers=[officer, other_officer])
        with pytest.raises(TransitionError, match="không thể chịu trách nhiệm"):
            visit(in_progress, officer, actions=[("Sửa máy", other_officer, d(7, 1))])
        assert not in_progress.monitoring_visits.exists()

    def test_it_refuses_an_action_due_before_the_visit(self, in_progress, officer):
        with pytest.raises(TransitionError, match="Hạn hoàn thành"):
            visit(in_progress, officer, actions=[("Sửa máy", officer, d(5, 1))])


@pytest.mark.django_db
class TestCompleteAction:
    @pytest.fixture
    def action(self, in_progress, staff, officer):
        return visit(
            in_progress, staff, actions=[("Mua khung dệt", officer, d(7, 1))]
        ).actions.get()

    @pytest.mark.parametrize("who", ["officer", "staff", "manager"])
    def test_the_owner_centre_staff_or_a_manager_mark_it_done(self, action, request, who):
        user = request.getfixturevalue(who)
        done = steps.complete_action(action=action, by=user, note="Đã mua 5 khung")
        assert done.done_at is not None
        assert (done.done_by, done.done_note) == (user, "Đã mua 5 khung")

    def test_it_is_marked_done_once(self, action, officer, staff):
        steps.complete_action(action=action, by=officer, note="Xong")
        with pytest.raises(TransitionError, match="đã được đánh dấu hoàn thành"):
            steps.complete_action(action=action, by=staff, note="Xong lần nữa")
        action.refresh_from_db()
        assert action.done_by == officer

    def test_others_may_not(self, action, other_officer, viewer, district_a):
        colleague = make_user("canbo_a2", Role.DISTRICT_OFFICER, district_a)
        for user in (other_officer, viewer, colleague):
            with pytest.raises(TransitionError, match="Chỉ người chịu trách nhiệm"):
                steps.complete_action(action=action, by=user, note="Xong")
        action.refresh_from_db()
        assert action.done_at is None

    def test_it_needs_a_note(self, action, officer):
        with pytest.raises(TransitionError, match="kết quả khắc phục"):
            steps.complete_action(action=action, by=officer, note="  ")


@pytest.mark.django_db
class TestProgressReport:
    def report(self, project, by, **extra):
        values = {
            "period_start": d(3, 1),
            "period_end": d(5, 31),
            "progress_percent": 30,
            "money_spent": 50_000_000,
            "problems": "",
            "content": "Đã mở lớp thứ nhất.",
        }
        values.update(extra)
        return steps.file_progress_report(project=project, by=by, **values)

    def test_the_district_officer_files_a_report(self, in_progress, officer):
        report = self.report(in_progress, officer)
        assert (report.period_start, report.period_end) == (d(3, 1), d(5, 31))
        assert (report.progress_percent, report.money_spent) == (30, 50_000_000)
        assert report.submitted_by == officer

    def test_centre_staff_file_too_while_awaiting_acceptance(self, awaiting, staff):
        assert self.report(awaiting, staff).project == awaiting

    def test_one_report_per_period(self, in_progress, officer, staff):
        self.report(in_progress, officer)
        with pytest.raises(TransitionError, match="đã có báo cáo tiến độ"):
            self.report(in_progress, staff, period_end=d(5, 30))
        assert ProgressReport.objects.count() == 1

    def test_it_refuses_a_period_that_ends_before_it_starts(self, in_progress, officer):
        with pytest.raises(TransitionError, match="phải sau ngày bắt đầu"):
            self.report(in_progress, officer, period_end=d(2, 28))

    def test_it_refuses_a_period_before_the_project(self, in_progress, officer):
        with pytest.raises(TransitionError, match="trước khi đề án bắt đầu"):
            self.report(in_progress, officer, period_start=d(2, 1))

    def test_it_refuses_a_period_not_yet_begun(self, in_progress, officer):
        with pytest.raises(TransitionError, match="chưa đến"):
            self.report(in_progress, officer, today=d(2, 28))

    def test_it_refuses_bad_figures(self, in_progress, officer):
        with pytest.raises(TransitionError, match="từ 0 đến 100"):
            self.report(in_progress, officer, progress_percent=120)
        with pytest.raises(TransitionError, match="không âm"):
            self.report(in_progress, officer, money_spent=-1)

    def test_it_refuses_the_officer_of_another_district_and_the_viewer(
        self, in_progress, other_officer, viewer, manager
    ):
        with pytest.raises(TransitionError, match="không thuộc địa bàn"):
            self.report(in_progress, other_officer)
        for user in (viewer, manager):
            with pytest.raises(TransitionError, match="không có quyền"):
                self.report(in_progress, user)

    def test_it_refuses_a_project_not_yet_started(self, approved, officer):
        with pytest.raises(TransitionError, match="Đã phê duyệt"):
            self.report(approved, officer)


@pytest.mark.django_db
class TestPermissions:
    def test_may_do_follows_role_scope_and_state(
        self, in_progress, approved, officer, other_officer
    ):
        assert steps.may_do(steps.RECORD_VISIT, in_progress, officer)
        assert not steps.may_do(steps.RECORD_VISIT, in_progress, other_officer)
        assert not steps.may_do(steps.RECORD_VISIT, approved, officer)

    def test_the_new_transitions_are_registered(self, in_progress, staff, officer):
        for action in ("start", "request_acceptance", "accept", "reopen", "settle"):
            assert action in workflow.ACTIONS
        offered = {a.name for a in workflow.available_actions(in_progress, officer)}
        assert offered == {"request_acceptance"}
        assert ProjectEvent.objects.filter(project=in_progress, action="start").exists()
