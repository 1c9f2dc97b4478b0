"""Order of steps (issue 10, point 4): each step's date follows the steps before it, acceptance
is asked only after progress is shown, nothing beyond the advance limit is paid before the
acceptance review has passed, and a manager may grant a recorded exception."""

import datetime

import pytest
from django.urls import reverse

from projects.applications.workflow import TransitionError
from projects.closeout import disbursements, exceptions, steps
from projects.models import (
    ActivityType,
    DisbursementKind,
    ExceptionRule,
    ProjectEvent,
    RuleException,
    Status,
)
from tests.projects.conftest import ASKED, DECIDED, report_progress
from tests.projects.conftest import CLOSEOUT_YEAR as YEAR
from tests.projects.screens import messages_of

M = 1_000_000
CONTRACT = datetime.date(YEAR, 3, 1)
ADVANCE, PAYMENT = DisbursementKind.ADVANCE, DisbursementKind.PAYMENT

pytestmark = pytest.mark.django_db


def d(month, day):
    return datetime.date(YEAR, month, day)


@pytest.fixture
def machinery_project(make_approved_project):
    # 150 million of machinery: the user's case of a 100% advance accepted at approval.
    return make_approved_project(activity="UDMM", approved_amount=150 * M)


@pytest.fixture
def started(machinery_project, staff):
    return steps.start(
        project=machinery_project, by=staff, contract_number="08", contract_date=CONTRACT
    )


def pay(project, by, amount, kind, day=None, voucher=None):
    return disbursements.disburse(
        project=project,
        by=by,
        kind=kind,
        date=day or d(4, 1),
        amount=amount,
        voucher_number=voucher or f"PC-{amount}-{kind}",
    )


def accept(project, staff, officer, manager):
    report_progress(project, officer)
    steps.request_acceptance(project=project, by=officer, today=ASKED)
    review = steps.schedule_review(
        project=project,
        by=staff,
        scheduled_date=d(11, 20),
        place="Xưởng",
        members=[{"user": manager, "council_role": "Chủ tịch"}],
    )
    steps.record_review_outcome(review=review, by=manager, outcome="accepted")
    project.refresh_from_db()
    return project


class TestAdvanceLimits:
    def test_every_activity_type_has_a_limit_with_its_basis(self):
        for activity in ActivityType.objects.all():
            assert activity.max_advance_percent is not None, activity.code
            assert activity.advance_legal_basis, activity.code

    def test_machinery_and_demonstration_models_are_marked_unconfirmed(self):
        for code in ("UDMM", "MHTD"):
            activity = ActivityType.objects.get(code=code)
            assert activity.max_advance_percent == 30
            assert not activity.advance_confirmed
            assert "chưa xác nhận" in activity.advance_legal_basis
        assert ActivityType.objects.get(code="DTN").advance_confirmed

    def test_a_full_advance_of_machinery_is_refused_naming_the_limit(self, started, staff):
        with pytest.raises(TransitionError) as refused:
            pay(started, staff, 150 * M, ADVANCE)
        message = str(refused.value)
        assert "30%" in message and "45.000.000 ₫" in message
        assert "chưa xác nhận" in message
        pay(started, staff, 45 * M, ADVANCE)

    def test_the_catalogue_marks_unconfirmed_limits(self, login, manager):
        response = login(manager).get(reverse("planning:catalogue"))
        assert "chưa xác nhận" in response.content.decode()


class TestPaymentsBeforeAcceptance:
    def test_no_payment_before_the_contract(self, machinery_project, staff):
        with pytest.raises(TransitionError, match="Thứ tự các bước: chỉ thanh toán sau khi"):
            pay(machinery_project, staff, 1 * M, PAYMENT)

    def test_a_payment_is_not_dated_before_the_contract(self, started, staff):
        with pytest.raises(TransitionError, match=r"Ngày chi \(28/02/2025\).*ngày ký hợp đồng"):
            pay(started, staff, 1 * M, PAYMENT, day=d(2, 28))

    def test_an_advance_is_not_dated_before_the_decision(self, started, staff):
        with pytest.raises(TransitionError, match="trước ngày quyết định phê duyệt"):
            pay(started, staff, 1 * M, ADVANCE, day=DECIDED - datetime.timedelta(days=1))

    def test_payments_stop_at_the_advance_limit_until_the_review_passes(
        self, started, staff, officer, manager
    ):
        pay(started, staff, 40 * M, ADVANCE)
        pay(started, staff, 5 * M, PAYMENT)
        with pytest.raises(TransitionError) as refused:
            pay(started, staff, 1, PAYMENT)
        message = str(refused.value)
        assert "trước khi nghiệm thu đạt" in message
        assert "trước nghiệm thu chỉ được giải ngân trong mức tạm ứng tối đa 30%" in message
        assert "Thông tư 36/2013/TT-BCT" in message
        project = accept(started, staff, officer, manager)
        pay(project, staff, 105 * M, PAYMENT)
        assert disbursements.project_money(project).undisbursed == 0


class TestExceptions:
    def test_a_manager_allows_more_before_acceptance_with_a_reason(self, started, staff, manager):
        granted = exceptions.grant_exception(
            project=started,
            by=manager,
            rule=ExceptionRule.ADVANCE_LIMIT,
            amount=60 * M,
            reason="Cơ sở phải đặt cọc 40% giá trị máy.",
        )
        assert (granted.amount, granted.granted_by) == (60 * M, manager)
        event = ProjectEvent.objects.filter(project=started).last()
        assert event.action == "grant_exception" and "60.000.000 ₫" in event.comment
        pay(started, staff, 60 * M, ADVANCE)
        with pytest.raises(TransitionError, match="mức Lãnh đạo cho phép"):
            pay(started, staff, 1, PAYMENT)

    @pytest.mark.parametrize("who", ["staff", "officer", "viewer"])
    def test_only_a_manager_grants_one(self, started, who, request):
        with pytest.raises(TransitionError, match="Chỉ Lãnh đạo"):
            exceptions.grant_exception(
                project=started,
                by=request.getfixturevalue(who),
                rule=ExceptionRule.ADVANCE_LIMIT,
                amount=60 * M,
                reason="Đặt cọc",
            )
        assert not RuleException.objects.exists()

    def test_it_needs_a_reason_and_an_amount_within_the_approval(self, started, manager):
        grant = exceptions.grant_exception
        rule = ExceptionRule.ADVANCE_LIMIT
        with pytest.raises(TransitionError, match="lý do"):
            grant(project=started, by=manager, rule=rule, amount=60 * M, reason=" ")
        with pytest.raises(TransitionError, match="số tiền được phép"):
            grant(project=started, by=manager, rule=rule, amount=None, reason="Đặt cọc")
        with pytest.raises(TransitionError, match="không được vượt kinh phí"):
            grant(project=started, by=manager, rule=rule, amount=150 * M + 1, reason="Đặt cọc")
        assert not RuleException.objects.exists()

    def test_the_project_page_offers_the_screen_to_managers_only(
        self, login, started, manager, staff
    ):
        url = reverse("projects:action", args=[started.pk, "grant_exception"])
        page = login(staff).get(started.get_absolute_url()).content.decode()
        assert url not in page
        response = login(staff).post(url, {"rule": "advance_limit"}, follow=True)
        assert "Chỉ Lãnh đạo" in messages_of(response)[0]
        assert url in login(manager).get(started.get_absolute_url()).content.decode()
        response = login(manager).post(
            url,
            {"rule": "advance_limit", "amount": "60.000.000", "reason": "Đặt cọc máy"},
            follow=True,
        )
        assert "Đã ghi nhận ngoại lệ" in messages_of(response)[0]
        page = response.content.decode()
        assert "Đặt cọc máy" in page and "Cho phép ngoại lệ quy tắc" in page
        assert RuleException.objects.get().amount == 60 * M


class TestAcceptanceRequest:
    def test_it_is_refused_without_a_progress_report(self, started, officer):
        with pytest.raises(TransitionError) as refused:
            steps.request_acceptance(project=started, by=officer, today=ASKED)
        message = str(refused.value)
        assert "Thứ tự các bước" in message and "80%" in message
        assert "chưa có báo cáo" in message

    def test_it_is_refused_at_10_percent(self, started, officer):
        report_progress(started, officer, percent=10)
        with pytest.raises(TransitionError, match=r"hiện có: 10%"):
            steps.request_acceptance(project=started, by=officer, today=ASKED)

    def test_a_report_at_80_percent_is_enough(self, started, officer):
        report_progress(started, officer, percent=80)
        project = steps.request_acceptance(project=started, by=officer, today=ASKED)
        assert (project.status, project.acceptance_requested_on) == (
            Status.AWAITING_ACCEPTANCE,
            ASKED,
        )

    def test_a_monitoring_visit_shows_progress_too(self, started, staff):
        steps.record_visit(
            project=started,
            by=staff,
            date=d(10, 1),
            place="Xưởng",
            progress_percent=95,
            officers=[staff],
        )
        assert steps.request_acceptance(project=started, by=staff, today=ASKED).status == (
            Status.AWAITING_ACCEPTANCE
        )

    def test_a_manager_may_waive_the_progress_with_a_reason(self, started, officer, manager):
        exceptions.grant_exception(
            project=started,
            by=manager,
            rule=ExceptionRule.ACCEPTANCE_PROGRESS,
            reason="Cơ sở hoàn thành sớm, báo cáo cuối kỳ nộp cùng hồ sơ nghiệm thu.",
        )
        assert steps.request_acceptance(project=started, by=officer, today=ASKED).status == (
            Status.AWAITING_ACCEPTANCE
        )

    def test_it_is_not_dated_before_the_contract(self, started, officer):
        report_progress(started, officer)
        with pytest.raises(TransitionError, match="trước ngày ký hợp đồng"):
            steps.request_acceptance(project=started, by=officer, today=d(2, 20))


class TestDates:
    def test_a_review_is_not_before_the_acceptance_request(self, started, officer, staff):
        report_progress(started, officer)
        steps.request_acceptance(project=started, by=officer, today=ASKED)
        with pytest.raises(
            TransitionError,
            match=r"Ngày nghiệm thu \(31/10/2025\) không được trước ngày đề nghị nghiệm thu",
        ):
            steps.schedule_review(
                project=started,
                by=staff,
                scheduled_date=d(10, 31),
                place="Xưởng",
                members=[{"user": staff, "council_role": "Chủ tịch"}],
            )

    def test_a_contract_is_not_in_the_future_nor_before_the_decision(
        self, machinery_project, staff
    ):
        start = steps.start
        with pytest.raises(TransitionError, match="không được sau ngày hôm nay"):
            start(
                project=machinery_project,
                by=staff,
                contract_number="1",
                contract_date=datetime.date(9999, 12, 31),
            )
        with pytest.raises(TransitionError, match="trước ngày quyết định phê duyệt đề án"):
            start(
                project=machinery_project,
                by=staff,
                contract_number="1",
                contract_date=DECIDED - datetime.timedelta(days=1),
            )

    def test_a_settlement_is_not_before_the_acceptance(self, started, staff, officer, manager):
        project = accept(started, staff, officer, manager)
        with pytest.raises(TransitionError, match="trước ngày nghiệm thu"):
            steps.settle(
                project=project,
                by=manager,
                settled_amount=150 * M,
                decision_number="99",
                settled_on=d(11, 19),
            )

    def test_a_visit_is_not_before_the_contract(self, started, staff):
        with pytest.raises(TransitionError, match="Ngày kiểm tra .* trước ngày ký hợp đồng"):
            steps.record_visit(
                project=started,
                by=staff,
                date=d(2, 28),
                place="Xưởng",
                progress_percent=10,
                officers=[staff],
            )
