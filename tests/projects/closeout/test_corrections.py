"""Corrections of close-out records: edit or cancel (with a reason) a review, a visit, a
follow-up, a progress report; reverse a disbursement; who may; the trail in the history; and
what a cancelled or reversed record no longer counts in."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from projects.applications.workflow import TransitionError
from projects.closeout import disbursements, schedule, steps
from projects.closeout.forms import DisbursementForm
from projects.models import (
    AcceptanceOutcome,
    Disbursement,
    DisbursementKind,
    ProgressReport,
    Status,
)
from projects.planning import budget
from projects.reports.base import counted_reviews
from projects.reports.register import register_projects
from tests.conftest import make_user
from tests.projects.closeout.test_steps import CONTRACT, REVIEW_DAY, d, visit
from tests.projects.closeout.test_steps import schedule as schedule_review
from tests.projects.conftest import CLOSEOUT_YEAR as YEAR
from tests.projects.conftest import report_progress
from tests.projects.screens import messages_of

pytestmark = pytest.mark.django_db

M = 1_000_000
PAYMENT = DisbursementKind.PAYMENT
ADVANCE = DisbursementKind.ADVANCE


@pytest.fixture
def approved(make_approved_project):
    return make_approved_project()


@pytest.fixture
def in_progress(approved, staff):
    return steps.start(
        project=approved, by=staff, contract_number="08/HĐ-KC", contract_date=CONTRACT
    )


@pytest.fixture
def settled(in_progress, officer, staff, manager):
    report_progress(in_progress, staff)
    steps.request_acceptance(project=in_progress, by=officer, today=d(9, 30))
    review = schedule_review(in_progress, staff, day=d(10, 1))
    steps.record_review_outcome(
        review=review, by=manager, outcome=AcceptanceOutcome.ACCEPTED, today=d(10, 2)
    )
    return steps.settle(
        project=in_progress,
        by=manager,
        settled_amount=150 * M,
        decision_number="99/QĐ",
        settled_on=d(10, 5),
        today=d(10, 6),
    )


def event_actions(project):
    return list(project.events.values_list("action", flat=True))


def last_comment(project):
    return project.events.order_by("-pk").first().comment


def pay(project, by, amount, kind=PAYMENT, voucher=None, day=None):
    return disbursements.disburse(
        project=project,
        by=by,
        kind=kind,
        date=day or d(4, 1),
        amount=amount,
        voucher_number=voucher or f"PC-{amount}-{kind}",
    )


def report(project, by, start=None, end=None, percent=30):
    return steps.file_progress_report(
        project=project,
        by=by,
        period_start=start or d(3, 1),
        period_end=end or d(5, 31),
        progress_percent=percent,
        money_spent=10 * M,
    )


# --- acceptance reviews ---------------------------------------------------------------------


class TestReviews:
    def test_a_second_review_on_top_of_a_pending_one_is_refused_naming_it(self, in_progress, staff):
        schedule_review(in_progress, staff)
        with pytest.raises(TransitionError) as refused:
            schedule_review(in_progress, staff, day=d(12, 1))
        assert f"{REVIEW_DAY:%d/%m/%Y}" in str(refused.value)
        assert "hủy" in str(refused.value)
        assert in_progress.acceptance_reviews.count() == 1

    def test_a_cancelled_review_never_blocks_the_next(self, in_progress, staff):
        first = schedule_review(in_progress, staff)
        steps.cancel_review(review=first, by=staff, reason="Hội đồng đổi lịch")
        first.refresh_from_db()
        assert first.cancelled and first.cancelled_by == staff
        assert first.cancel_reason == "Hội đồng đổi lịch"
        second = schedule_review(in_progress, staff, day=d(12, 1))
        assert second.pk != first.pk
        assert event_actions(in_progress)[-2:] == ["cancel_review", "schedule_review"]

    def test_cancelling_logs_the_reason_and_keeps_the_old_values_in_history(
        self, in_progress, staff
    ):
        review = schedule_review(in_progress, staff)
        steps.cancel_review(review=review, by=staff, reason="Trùng lịch")
        assert "Trùng lịch" in last_comment(in_progress)
        latest = review.history.latest()
        assert (latest.history_user, latest.cancel_reason) == (staff, "Trùng lịch")

    @pytest.mark.parametrize("who", ["officer", "viewer", "other_officer"])
    def test_only_centre_staff_and_managers_of_the_scope_cancel(
        self, request, who, in_progress, staff, manager
    ):
        review = schedule_review(in_progress, staff)
        with pytest.raises(TransitionError):
            steps.cancel_review(review=review, by=request.getfixturevalue(who), reason="Lý do")
        steps.cancel_review(review=review, by=manager, reason="Lý do")

    def test_a_review_with_an_outcome_or_already_cancelled_is_not_cancelled(
        self, in_progress, staff, manager
    ):
        review = schedule_review(in_progress, staff, day=d(6, 1))
        steps.record_review_outcome(
            review=review, by=manager, outcome=AcceptanceOutcome.ACCEPTED, today=d(6, 2)
        )
        with pytest.raises(TransitionError, match="đã có kết quả"):
            steps.cancel_review(review=review, by=staff, reason="Nhầm")

    def test_it_needs_a_reason_and_refuses_twice(self, in_progress, staff):
        review = schedule_review(in_progress, staff)
        with pytest.raises(TransitionError, match="lý do"):
            steps.cancel_review(review=review, by=staff, reason="  ")
        steps.cancel_review(review=review, by=staff, reason="Đổi lịch")
        with pytest.raises(TransitionError, match="đã bị hủy"):
            steps.cancel_review(review=review, by=staff, reason="Lần nữa")

    def test_no_outcome_is_recorded_on_a_cancelled_review(self, in_progress, staff, manager):
        review = schedule_review(in_progress, staff, day=d(6, 1))
        steps.cancel_review(review=review, by=staff, reason="Đổi lịch")
        with pytest.raises(TransitionError, match="đã bị hủy"):
            steps.record_review_outcome(
                review=review, by=manager, outcome=AcceptanceOutcome.ACCEPTED, today=d(6, 2)
            )

    def test_a_forgotten_pending_review_of_a_settled_project_can_be_cancelled(self, settled, staff):
        # The data of the bug: a second review left "without outcome" on a settled project.
        forgotten = settled.acceptance_reviews.create(scheduled_date=d(9, 1), place="Xưởng")
        steps.cancel_review(review=forgotten, by=staff, reason="Lịch trùng, đã nghiệm thu")
        forgotten.refresh_from_db()
        assert forgotten.cancelled

    def test_edit_changes_date_place_and_council_while_no_outcome(
        self, in_progress, staff, manager
    ):
        review = schedule_review(in_progress, staff)
        steps.edit_review(
            review=review,
            by=staff,
            reason="Chủ tịch bận",
            scheduled_date=d(11, 25),
            place="UBND xã",
            members=[{"user": manager, "council_role": "Chủ tịch"}],
            checklist={"contract": True},
        )
        review.refresh_from_db()
        assert (review.scheduled_date, review.place) == (d(11, 25), "UBND xã")
        assert [m.user for m in review.members.all()] == [manager]
        assert event_actions(in_progress)[-1] == "edit_review"
        assert "Chủ tịch bận" in last_comment(in_progress)
        assert review.history.count() == 2

    def test_edit_keeps_the_scheduling_checks(self, in_progress, staff, officer):
        review = schedule_review(in_progress, staff)
        values = {"reason": "Sửa", "place": "UBND xã", "members": []}
        with pytest.raises(TransitionError, match="ít nhất một thành viên"):
            steps.edit_review(review=review, by=staff, scheduled_date=d(11, 1), **values)
        with pytest.raises(TransitionError, match="trước ngày ký hợp đồng"):
            steps.edit_review(review=review, by=staff, scheduled_date=d(1, 1), **values)
        with pytest.raises(TransitionError, match="không có quyền"):
            steps.edit_review(review=review, by=officer, scheduled_date=d(11, 1), **values)

    def test_cancelled_reviews_count_nowhere(self, in_progress, staff, client, login):
        review = schedule_review(in_progress, staff, day=timezone.localdate())
        steps.cancel_review(review=review, by=staff, reason="Đổi lịch")
        assert not counted_reviews().filter(pk=review.pk).exists()
        page = login(staff).get(reverse("projects:upcoming_reviews"))
        assert list(page.context["page"].object_list) == []


# --- visits and follow-ups ------------------------------------------------------------------


class TestVisits:
    def test_the_author_edits_their_own_visit_while_the_project_is_open(
        self, in_progress, officer, staff
    ):
        recorded = visit(in_progress, officer, today=d(6, 2))
        steps.edit_visit(
            visit=recorded,
            by=officer,
            reason="Gõ nhầm tiến độ",
            date=d(6, 1),
            place="Xưởng",
            progress_percent=45,
            officers=[officer, staff],
            today=d(6, 2),
        )
        recorded.refresh_from_db()
        assert recorded.progress_percent == 45
        assert set(recorded.officers.all()) == {officer, staff}
        assert event_actions(in_progress)[-1] == "edit_visit"
        assert "40%" in last_comment(in_progress) and "45%" in last_comment(in_progress)

    def test_another_district_officer_does_not_edit_it_nor_does_the_author_cancel(
        self, in_progress, officer, district_a
    ):
        colleague = make_user("canbo_a2", "district_officer", district_a)
        recorded = visit(in_progress, officer, today=d(6, 2))
        values = {"reason": "Sửa", "date": d(6, 1), "place": "X", "progress_percent": 1}
        with pytest.raises(TransitionError):
            steps.edit_visit(visit=recorded, by=colleague, officers=[colleague], **values)
        with pytest.raises(TransitionError):
            steps.cancel_visit(visit=recorded, by=officer, reason="Nhầm")

    def test_the_edit_keeps_the_checks_of_recording(self, in_progress, officer):
        recorded = visit(in_progress, officer, today=d(6, 2))
        with pytest.raises(TransitionError, match="0 đến 100"):
            steps.edit_visit(
                visit=recorded,
                by=officer,
                reason="Sửa",
                date=d(6, 1),
                place="X",
                progress_percent=101,
                officers=[officer],
                today=d(6, 2),
            )

    def test_cancelling_a_visit_cancels_its_open_follow_ups_and_drops_it_from_reminders(
        self, in_progress, officer, staff
    ):
        recorded = visit(
            in_progress,
            officer,
            today=d(6, 2),
            actions=[("Mua khung dệt", officer, d(6, 10)), ("Báo cáo", officer, d(6, 11))],
        )
        done = recorded.actions.first()
        steps.complete_action(action=done, by=officer, note="Đã mua")
        steps.cancel_visit(visit=recorded, by=staff, reason="Ghi nhầm đề án")
        states = dict(recorded.actions.values_list("pk", "cancelled_at"))
        assert states[done.pk] is None
        assert sum(1 for at in states.values() if at) == 1
        assert "Ghi nhầm đề án" in last_comment(in_progress)

    def test_a_settled_project_refuses_corrections(self, settled, staff):
        recorded = settled.monitoring_visits.create(
            date=d(6, 1), place="X", progress_percent=50, created_by=staff
        )
        with pytest.raises(TransitionError, match="Đã quyết toán|trạng thái"):
            steps.cancel_visit(visit=recorded, by=staff, reason="Nhầm")


class TestFollowUps:
    def test_edit_and_cancel_leave_a_trail_and_overdue_lists_drop_it(
        self, in_progress, officer, staff, login
    ):
        recorded = visit(
            in_progress, officer, today=d(6, 2), actions=[("Mua khung", officer, d(6, 10))]
        )
        action = recorded.actions.get()
        steps.edit_follow_up(
            action=action,
            by=officer,
            reason="Gia hạn",
            description="Mua khung dệt",
            owner=staff,
            due_date=d(7, 1),
        )
        action.refresh_from_db()
        assert (action.owner, action.due_date) == (staff, d(7, 1))
        assert action.history.count() == 2
        steps.cancel_follow_up(action=action, by=staff, reason="Không cần nữa")
        assert event_actions(in_progress)[-2:] == ["edit_follow_up", "cancel_follow_up"]
        page = login(staff).get(reverse("projects:overdue_actions"))
        assert list(page.context["page"].object_list) == []
        action.refresh_from_db()
        assert not steps.may_complete(action, staff)
        with pytest.raises(TransitionError, match="đã bị hủy"):
            steps.complete_action(action=action, by=staff, note="Xong")

    def test_a_done_action_is_not_corrected(self, in_progress, officer, staff):
        recorded = visit(
            in_progress, officer, today=d(6, 2), actions=[("Mua khung", officer, d(6, 10))]
        )
        action = recorded.actions.get()
        steps.complete_action(action=action, by=officer, note="Đã mua")
        with pytest.raises(TransitionError, match="đã hoàn thành"):
            steps.cancel_follow_up(action=action, by=staff, reason="Nhầm")


# --- progress reports -----------------------------------------------------------------------


class TestReports:
    def test_a_cancelled_report_leaves_its_period_missing_and_a_new_one_may_be_filed(
        self, in_progress, officer, staff
    ):
        filed = report(in_progress, officer)
        in_progress.refresh_from_db()
        first = schedule.report_periods(in_progress, d(7, 1))[0]
        assert first.report == filed and not first.missing
        steps.cancel_report(report=filed, by=staff, reason="Số liệu sai kỳ")
        in_progress = type(in_progress).objects.get(pk=in_progress.pk)
        first = schedule.report_periods(in_progress, d(7, 1))[0]
        assert first.report is None and first.missing
        again = report(in_progress, officer, percent=35)
        assert ProgressReport.objects.filter(project=in_progress).count() == 2
        assert again.cancelled_at is None

    def test_the_author_edits_figures_with_the_same_checks(self, in_progress, officer, staff):
        filed = report(in_progress, officer)
        with pytest.raises(TransitionError, match="0 đến 100"):
            steps.edit_report(
                report=filed, by=officer, reason="Sửa", progress_percent=120, money_spent=0
            )
        steps.edit_report(
            report=filed, by=officer, reason="Gõ nhầm", progress_percent=32, money_spent=12 * M
        )
        filed.refresh_from_db()
        assert (filed.progress_percent, filed.money_spent) == (32, 12 * M)
        assert "Gõ nhầm" in last_comment(in_progress)
        with pytest.raises(TransitionError):
            steps.cancel_report(report=filed, by=officer, reason="Nhầm")


# --- disbursement reversal ------------------------------------------------------------------


class TestReversal:
    def test_a_reversal_is_a_new_row_that_every_figure_subtracts(
        self, in_progress, staff, manager, closeout_allocation
    ):
        pay(in_progress, staff, 50 * M, ADVANCE, voucher="PC-01")
        wrong = pay(in_progress, staff, 30 * M, voucher="PC-02")
        before = budget.allocation_figures([closeout_allocation])[closeout_allocation.pk]
        reversal = disbursements.reverse_disbursement(
            disbursement=wrong, by=manager, reason="Chi nhầm đề án", date=d(4, 5)
        )
        assert (reversal.kind, reversal.amount, reversal.reverses) == (PAYMENT, 30 * M, wrong)
        assert Disbursement.objects.filter(project=in_progress).count() == 3
        figures = disbursements.project_money(in_progress)
        assert (figures.advanced, figures.paid, figures.disbursed) == (50 * M, 0, 50 * M)
        # The project page adds up the rows it lists instead: the same figures.
        listed = disbursements.money_of(in_progress, in_progress.disbursements.all())
        assert listed == figures
        after = budget.allocation_figures([closeout_allocation])[closeout_allocation.pk]
        assert after.disbursed == before.disbursed - 30 * M
        registered = register_projects(type(in_progress).objects.filter(pk=in_progress.pk))
        assert registered.get().disbursed == 50 * M
        assert event_actions(in_progress)[-1] == "reverse_disbursement"
        assert "Chi nhầm đề án" in last_comment(in_progress)

    def test_the_money_reversed_may_be_paid_again(self, in_progress, staff):
        # Before acceptance the advance limit (70 % of 200 M for training) is the ceiling.
        wrong = pay(in_progress, staff, 140 * M, voucher="PC-01")
        with pytest.raises(TransitionError):
            pay(in_progress, staff, 1 * M, voucher="PC-02")
        disbursements.reverse_disbursement(
            disbursement=wrong, by=staff, reason="Sai số tiền", date=d(4, 2)
        )
        pay(in_progress, staff, 120 * M, voucher="PC-03")
        assert disbursements.project_money(in_progress).undisbursed == 80 * M

    def test_once_only_never_a_reversal_and_not_after_settlement(self, in_progress, staff, officer):
        wrong = pay(in_progress, staff, 10 * M)
        with pytest.raises(TransitionError, match="không có quyền"):
            disbursements.reverse_disbursement(
                disbursement=wrong, by=officer, reason="Nhầm", date=d(4, 2)
            )
        with pytest.raises(TransitionError, match="lý do"):
            disbursements.reverse_disbursement(
                disbursement=wrong, by=staff, reason="", date=d(4, 2)
            )
        reversal = disbursements.reverse_disbursement(
            disbursement=wrong, by=staff, reason="Nhầm", date=d(4, 2)
        )
        with pytest.raises(TransitionError, match="đã được ghi đảo"):
            disbursements.reverse_disbursement(
                disbursement=wrong, by=staff, reason="Lần nữa", date=d(4, 3)
            )
        with pytest.raises(TransitionError, match="bút toán ghi đảo"):
            disbursements.reverse_disbursement(
                disbursement=reversal, by=staff, reason="Đảo lại", date=d(4, 3)
            )

    def test_a_settled_project_refuses_a_reversal(self, in_progress, staff, settled):
        paid = Disbursement.objects.create(
            project=settled, kind=PAYMENT, date=d(4, 1), amount=M, voucher_number="PC-X"
        )
        with pytest.raises(TransitionError, match="trạng thái"):
            disbursements.reverse_disbursement(
                disbursement=paid, by=staff, reason="Nhầm", date=d(10, 6)
            )


class TestVoucherNumbers:
    def test_the_database_refuses_a_voucher_twice_on_one_project(self, in_progress, approved):
        Disbursement.objects.create(
            project=in_progress, kind=PAYMENT, date=d(4, 1), amount=M, voucher_number="PC-01"
        )
        # An empty voucher (a reversal without its own) is not a duplicate.
        for _ in range(2):
            Disbursement.objects.create(
                project=in_progress, kind=PAYMENT, date=d(4, 1), amount=M, voucher_number=""
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            Disbursement.objects.create(
                project=in_progress, kind=PAYMENT, date=d(4, 2), amount=M, voucher_number="PC-01"
            )

    def test_the_form_says_so_on_the_field(self, in_progress, staff):
        pay(in_progress, staff, M, voucher="PC-01")
        form = DisbursementForm(
            {
                "kind": PAYMENT,
                "date": f"02/04/{YEAR}",
                "amount": "1.000.000",
                "voucher_number": " PC-01 ",
            },
            project=in_progress,
            user=staff,
        )
        assert not form.is_valid()
        assert form.errors["voucher_number"] == ["Chứng từ số PC-01 đã được nhập cho đề án này."]

    def test_the_form_defaults_to_a_payment_with_or_without_an_advance(self, in_progress, staff):
        assert DisbursementForm(project=in_progress, user=staff)["kind"].initial == PAYMENT
        pay(in_progress, staff, 10 * M, ADVANCE)
        form = DisbursementForm(project=in_progress, user=staff)
        assert form["kind"].initial == PAYMENT
        radios = str(form["kind"])
        assert 'value="advance"' in radios
        checked = radios[radios.index("checked") - 200 : radios.index("checked")]
        assert 'value="payment"' in checked and radios.count("checked") == 1


# --- screens --------------------------------------------------------------------------------


def url(name, project, pk):
    return reverse(f"projects:{name}", args=[project.pk, pk])


class TestScreens:
    def test_staff_see_sua_huy_and_ghi_dao_a_viewer_sees_none(
        self, login, in_progress, staff, viewer, officer
    ):
        review = schedule_review(in_progress, staff)
        paid = pay(in_progress, staff, M)
        page = login(staff).get(in_progress.get_absolute_url()).content.decode()
        assert url("edit_review", in_progress, review.pk) in page
        assert url("cancel_review", in_progress, review.pk) in page
        assert url("reverse_disbursement", in_progress, paid.pk) in page
        page = login(viewer).get(in_progress.get_absolute_url()).content.decode()
        assert url("cancel_review", in_progress, review.pk) not in page
        assert url("reverse_disbursement", in_progress, paid.pk) not in page

    def test_a_cancelled_review_is_struck_through_with_its_reason(self, login, in_progress, staff):
        review = schedule_review(in_progress, staff)
        response = login(staff).post(
            url("cancel_review", in_progress, review.pk), {"reason": "Hội đồng đổi lịch"}
        )
        assert response.status_code == 302
        assert "Đã hủy" in messages_of(login(staff).get(response.url))[0]
        page = login(staff).get(in_progress.get_absolute_url()).content.decode()
        assert "Hội đồng đổi lịch" in page
        section = page[page.index(f'id="nghiem-thu-{review.pk}"') :]
        assert "<s>" in section[:600]
        assert "Chưa có kết quả" not in section[: section.index("Hội đồng nghiệm thu")]

    def test_a_reason_is_required_on_the_form(self, login, in_progress, staff):
        review = schedule_review(in_progress, staff)
        response = login(staff).post(url("cancel_review", in_progress, review.pk), {"reason": ""})
        assert response.status_code == 200
        assert "Hãy nêu lý do." in response.content.decode()
        review.refresh_from_db()
        assert not review.cancelled

    def test_a_viewer_gets_403_and_another_district_404(
        self, login, in_progress, staff, viewer, other_officer
    ):
        paid = pay(in_progress, staff, M)
        target = url("reverse_disbursement", in_progress, paid.pk)
        assert login(viewer).post(target, {"reason": "x"}).status_code == 403
        assert login(other_officer).get(target).status_code == 404

    def test_reversing_from_the_page(self, login, in_progress, manager, staff):
        paid = pay(in_progress, staff, 5 * M, voucher="PC-07")
        response = login(manager).post(
            url("reverse_disbursement", in_progress, paid.pk),
            {"date": f"{timezone.localdate():%d/%m/%Y}", "voucher_number": "", "reason": "Nhầm"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert paid.reversal.amount == 5 * M
        page = login(staff).get(in_progress.get_absolute_url()).content.decode()
        assert "Ghi đảo thanh toán" in page
        assert f"Đã ghi đảo ngày {timezone.localdate():%d/%m/%Y}" in page  # on the undone row
        assert url("reverse_disbursement", in_progress, paid.pk) not in page

    def test_the_author_edits_a_report_from_the_page(self, login, in_progress, officer):
        filed = report(in_progress, officer)
        target = url("edit_report", in_progress, filed.pk)
        assert target in login(officer).get(in_progress.get_absolute_url()).content.decode()
        response = login(officer).post(
            target,
            {"progress_percent": "33", "money_spent": "11.000.000", "reason": "Gõ nhầm"},
        )
        assert response.status_code == 302
        filed.refresh_from_db()
        assert filed.progress_percent == 33
        in_progress.refresh_from_db()
        assert in_progress.status == Status.IN_PROGRESS
        assert in_progress.events.order_by("-pk").first().action == "edit_report"
