import datetime
import os
import threading
import time

import pytest
from django.db import connection

from projects.applications import workflow
from projects.applications.workflow import TransitionError
from projects.closeout import disbursements, steps
from projects.models import Disbursement, DisbursementKind, Status
from projects.planning import budget
from tests.projects.conftest import ASKED, report_progress
from tests.projects.conftest import CLOSEOUT_YEAR as YEAR

ADVANCE = DisbursementKind.ADVANCE
PAYMENT = DisbursementKind.PAYMENT


def d(month, day):
    return datetime.date(YEAR, month, day)


def pay(project, by, amount, kind=ADVANCE, voucher=None, **extra):
    values = {"date": d(4, 1), "voucher_number": voucher or f"PC-{amount}-{kind}"}
    values.update(extra)
    return disbursements.disburse(project=project, by=by, kind=kind, amount=amount, **values)


@pytest.fixture
def approved(make_approved_project):
    return make_approved_project(activity="DTN", approved_amount=200_000_000)


@pytest.fixture
def started(approved, staff):
    return steps.start(project=approved, by=staff, contract_number="08", contract_date=d(3, 1))


def accept(project, staff, officer, manager):
    """Walk a started project through a passing acceptance review on 20/11."""
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


@pytest.mark.django_db
class TestDisburse:
    def test_it_records_advances_and_payments(self, started, staff, manager):
        approved = started
        first = pay(approved, staff, 100_000_000, ADVANCE, voucher=" PC-01 ", note="Tạm ứng đợt 1")
        pay(approved, manager, 40_000_000, PAYMENT, voucher="PC-02")
        assert (first.kind, first.amount, first.voucher_number) == (ADVANCE, 100_000_000, "PC-01")
        assert (first.created_by, first.note) == (staff, "Tạm ứng đợt 1")
        figures = disbursements.project_money(approved)
        assert (figures.approved, figures.advanced, figures.paid) == (
            200_000_000,
            100_000_000,
            40_000_000,
        )
        assert (figures.disbursed, figures.undisbursed) == (140_000_000, 60_000_000)
        assert disbursements.money_of(approved, approved.disbursements.all()) == figures

    def test_it_pays_up_to_the_approved_amount_and_not_a_dong_more(
        self, started, staff, officer, manager
    ):
        approved = accept(started, staff, officer, manager)
        pay(approved, staff, 150_000_000, PAYMENT)
        with pytest.raises(TransitionError) as refused:
            pay(approved, staff, 50_000_001, PAYMENT)
        message = str(refused.value)
        assert "50.000.001 ₫" in message
        assert "150.000.000 ₫" in message and "200.000.000 ₫" in message
        assert "50.000.000 ₫" in message
        pay(approved, staff, 50_000_000, PAYMENT)
        assert disbursements.project_money(approved).undisbursed == 0

    def test_it_refuses_an_advance_above_the_activity_limit(self, started, staff):
        approved = started
        pay(approved, staff, 100_000_000, ADVANCE)
        with pytest.raises(TransitionError) as refused:
            pay(approved, staff, 40_000_001, ADVANCE)
        message = str(refused.value)
        assert "70%" in message
        assert "140.000.000 ₫" in message
        assert "Thông tư 36/2013/TT-BCT" in message
        assert "Đào tạo nghề" in message
        assert Disbursement.objects.count() == 1
        pay(approved, staff, 40_000_000, ADVANCE)
        # Before acceptance a payment counts against the same limit.
        with pytest.raises(TransitionError, match="trước khi nghiệm thu đạt"):
            pay(approved, staff, 1, PAYMENT)

    def test_cluster_infrastructure_advances_stop_at_30_percent(self, make_approved_project, staff):
        project = make_approved_project(activity="LKCCN", approved_amount=500_000_000)
        assert disbursements.advance_limit(project) == 150_000_000
        with pytest.raises(TransitionError, match="30%"):
            pay(project, staff, 150_000_001, ADVANCE)
        pay(project, staff, 150_000_000, ADVANCE)

    def test_an_activity_whose_limit_is_cleared_advances_up_to_the_approved_amount(
        self, make_approved_project, staff
    ):
        project = make_approved_project(activity="MHTD", approved_amount=300_000_000)
        project.activity_type.max_advance_percent = None
        project.activity_type.save()
        assert disbursements.advance_limit(project) is None
        pay(project, staff, 300_000_000, ADVANCE)
        with pytest.raises(TransitionError, match="chỉ còn được giải ngân 0 ₫"):
            pay(project, staff, 1, ADVANCE)

    def test_the_limit_follows_the_activity_type_data(self, approved, staff):
        approved.activity_type.max_advance_percent = 10
        approved.activity_type.save()
        with pytest.raises(TransitionError, match="10%"):
            pay(approved, staff, 20_000_001, ADVANCE)

    @pytest.mark.parametrize("amount", [0, -5, 1.5, True])
    def test_it_refuses_an_amount_that_is_not_positive_whole_dong(self, approved, staff, amount):
        with pytest.raises(TransitionError, match="lớn hơn 0"):
            pay(approved, staff, amount, voucher="PC-1")

    def test_it_requires_a_unique_voucher_number(self, approved, staff):
        with pytest.raises(TransitionError, match="số chứng từ"):
            pay(approved, staff, 1_000_000, voucher="  ")
        pay(approved, staff, 1_000_000, voucher="PC-01")
        with pytest.raises(TransitionError, match="PC-01 đã được nhập"):
            pay(approved, staff, 2_000_000, voucher="PC-01")

    def test_it_refuses_an_unknown_kind(self, approved, staff):
        with pytest.raises(TransitionError, match="loại giải ngân"):
            pay(approved, staff, 1_000_000, kind="gift")

    def test_it_checks_the_date(self, approved, staff):
        with pytest.raises(TransitionError, match="sau ngày hôm nay"):
            pay(approved, staff, 1_000_000, date=d(4, 2), today=d(4, 1))
        with pytest.raises(TransitionError, match="trước ngày quyết định"):
            pay(approved, staff, 1_000_000, date=d(2, 14))
        with pytest.raises(TransitionError, match="ngày chi"):
            pay(approved, staff, 1_000_000, date=None)

    def test_only_centre_staff_and_managers_disburse(self, approved, officer, viewer):
        for user in (officer, viewer):
            with pytest.raises(TransitionError, match="không có quyền"):
                pay(approved, user, 1_000_000)
        assert not Disbursement.objects.exists()

    def test_it_pays_out_through_every_stage_until_settlement(
        self, approved, staff, officer, manager
    ):
        project = steps.start(
            project=approved, by=staff, contract_number="08", contract_date=d(3, 1)
        )
        pay(project, staff, 10_000_000, PAYMENT, voucher="1")
        report_progress(project, officer)
        project = steps.request_acceptance(project=project, by=officer, today=ASKED)
        pay(project, staff, 10_000_000, PAYMENT, voucher="2")
        review = steps.schedule_review(
            project=project,
            by=staff,
            scheduled_date=d(11, 20),
            place="Xưởng",
            members=[{"user": manager, "council_role": "Chủ tịch"}],
        )
        steps.record_review_outcome(review=review, by=manager, outcome="accepted")
        pay(project, staff, 10_000_000, PAYMENT, voucher="3")
        steps.settle(
            project=project,
            by=manager,
            settled_amount=30_000_000,
            decision_number="99",
            settled_on=d(12, 1),
        )
        with pytest.raises(TransitionError, match="Đã quyết toán"):
            pay(project, staff, 10_000_000, voucher="4")

    def test_it_refuses_projects_not_approved_or_cancelled(
        self, approved, make_approved_project, staff, officer, facility_a
    ):
        workflow.cancel(project=approved, by=staff, reason="Cơ sở ngừng hoạt động")
        with pytest.raises(TransitionError, match="Đã hủy"):
            pay(approved, staff, 1_000_000)
        draft = workflow.create_project(
            by=officer,
            title="Nháp",
            activity_type=approved.activity_type,
            funding_source=approved.funding_source,
            year=YEAR,
            facility=facility_a,
            locality=facility_a.locality,
            implementing_unit="Cơ sở",
            total_cost=10,
            requested_support=10,
            start_date=d(3, 1),
            end_date=d(4, 1),
        )
        assert draft.status == Status.DRAFT
        with pytest.raises(TransitionError, match="Nháp"):
            pay(draft, staff, 1)

    def test_the_allocation_shows_what_was_disbursed(self, started, staff, closeout_allocation):
        approved = started
        pay(approved, staff, 70_000_000, ADVANCE)
        pay(approved, staff, 30_000_000, PAYMENT)
        figures = budget.allocation_figures([closeout_allocation])[closeout_allocation.pk]
        assert (figures.allocated, figures.approved, figures.disbursed) == (
            1_000_000_000,
            200_000_000,
            100_000_000,
        )
        assert figures.remaining == 800_000_000

    def test_cancelling_after_payment_keeps_what_was_paid_spent(
        self, approved, staff, closeout_allocation
    ):
        pay(approved, staff, 70_000_000, ADVANCE)
        workflow.cancel(project=approved, by=staff, reason="Cơ sở ngừng hoạt động")
        figures = budget.allocation_figures([closeout_allocation])[closeout_allocation.pk]
        assert figures.released == 130_000_000
        assert figures.remaining == 930_000_000
        assert figures.allocated == figures.remaining + figures.approved - figures.released


# --- concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        reason = (
            "Row locks (SELECT … FOR UPDATE) need PostgreSQL; SQLite runs one writer at a time. "
            "Run with DATABASE_URL=postgres://…"
        )
        if os.environ.get("KC_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_disbursements_at_once_never_pass_the_approved_amount(
    postgres, make_approved_project, staff, manager, monkeypatch
):
    project = make_approved_project(approved_amount=200_000_000)
    # Widen the window between reading the sums and writing the row: without the project
    # lock, both threads would read "nothing paid yet" and both would pay.
    summed = disbursements.project_money

    def slow_sum(locked_project):
        figures = summed(locked_project)
        time.sleep(0.3)
        return figures

    monkeypatch.setattr(disbursements, "project_money", slow_sum)
    start = threading.Barrier(2)
    outcomes = []

    def disburse(user, voucher):
        try:
            start.wait(timeout=10)
            pay(project, user, 120_000_000, ADVANCE, voucher=voucher)
            outcomes.append("paid")
        except TransitionError as refused:
            outcomes.append(str(refused))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=disburse, args=(staff, "PC-01")),
        threading.Thread(target=disburse, args=(manager, "PC-02")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes, key=lambda o: o != "paid")[0] == "paid"
    assert outcomes.count("paid") == 1, outcomes
    refusal = next(o for o in outcomes if o != "paid")
    # Advances (payments need a contract): the second sees the first in the sum.
    assert "chỉ còn được giải ngân 80.000.000 ₫" in refusal
    assert Disbursement.objects.filter(project=project).count() == 1
    assert disbursements.project_money(project).disbursed == 120_000_000
