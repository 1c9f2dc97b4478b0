import datetime

import pytest
from django.utils import timezone

from projects.applications import workflow
from projects.applications.workflow import TransitionError
from projects.models import Allocation, NormStatus, Project, ProjectEvent, Status

M = 1_000_000
pytestmark = pytest.mark.django_db


class TestCreate:
    def test_it_numbers_projects_per_source_and_year(self, make_project, officer):
        first = make_project(officer)
        second = make_project(officer)
        assert first.code == "KCĐP-2026-001"
        assert second.code == "KCĐP-2026-002"
        assert first.status == Status.DRAFT
        assert first.created_by == officer

    def test_it_refuses_a_locality_outside_the_officers_scope(
        self, make_project, officer, commune_b1
    ):
        with pytest.raises(TransitionError, match="không thuộc địa bàn"):
            make_project(officer, locality=commune_b1)

    def test_it_refuses_a_facility_of_another_locality(self, make_project, officer, facility_b):
        with pytest.raises(TransitionError, match="Đơn vị thụ hưởng"):
            make_project(officer, facility=facility_b)

    def test_managers_and_viewers_do_not_draft_applications(self, make_project, manager, viewer):
        for user in (manager, viewer):
            with pytest.raises(TransitionError):
                make_project(user)

    def test_the_database_refuses_funds_that_do_not_add_up(self, make_project, officer):
        from django.db import IntegrityError

        with pytest.raises(IntegrityError):
            make_project(officer, total_cost=100 * M, requested_support=50 * M)

    def test_the_database_refuses_an_end_before_the_start(self, make_project, officer):
        from django.db import IntegrityError

        with pytest.raises(IntegrityError):
            make_project(officer, end_date=datetime.date(2026, 1, 1))


class TestTransitions:
    def test_the_full_path_records_who_when_and_why(
        self, make_project, walk, officer, staff, manager, allocation
    ):
        project = make_project(officer)
        project = walk(
            project,
            "approved",
            officer=officer,
            staff=staff,
            manager=manager,
            allocation=allocation,
        )
        assert project.status == Status.APPROVED
        assert project.approved_amount == 250 * M
        assert project.allocation == allocation
        events = list(project.events.values_list("action", "from_status", "to_status", "actor"))
        assert events == [
            ("create", "draft", "draft", officer.pk),
            ("submit", "draft", "submitted", officer.pk),
            ("appraise", "submitted", "appraised", staff.pk),
            ("approve", "appraised", "approved", manager.pk),
        ]
        assert project.appraised_by == staff
        assert project.no_conflict_declared

    def test_return_and_resubmit(self, make_project, officer, staff):
        project = workflow.submit(project=make_project(officer), by=officer)
        project = workflow.return_for_revision(project=project, by=staff, reason="Thiếu dự toán")
        assert project.status == Status.RETURNED
        assert project.return_reason == "Thiếu dự toán"
        project = workflow.submit(project=project, by=officer)
        assert project.status == Status.SUBMITTED

    def test_return_needs_a_reason(self, make_project, officer, staff):
        project = workflow.submit(project=make_project(officer), by=officer)
        with pytest.raises(TransitionError, match="lý do"):
            workflow.return_for_revision(project=project, by=staff, reason="  ")
        project.refresh_from_db()
        assert project.status == Status.SUBMITTED

    @pytest.mark.parametrize("who", ["officer", "manager", "viewer"])
    def test_only_centre_staff_appraise(self, make_project, officer, manager, viewer, who):
        user = {"officer": officer, "manager": manager, "viewer": viewer}[who]
        project = workflow.submit(project=make_project(officer), by=officer)
        with pytest.raises(TransitionError, match="không có quyền"):
            workflow.appraise(
                project=project,
                by=user,
                recommended_amount=10 * M,
                opinion="x",
                no_conflict=True,
            )
        project.refresh_from_db()
        assert project.status == Status.SUBMITTED

    def test_appraisal_needs_the_no_conflict_declaration(self, make_project, officer, staff):
        project = workflow.submit(project=make_project(officer), by=officer)
        with pytest.raises(TransitionError, match="xung đột lợi ích"):
            workflow.appraise(
                project=project,
                by=staff,
                recommended_amount=10 * M,
                opinion="Tốt",
                no_conflict=False,
            )

    def test_appraisal_cannot_recommend_more_than_requested(self, make_project, officer, staff):
        project = workflow.submit(project=make_project(officer), by=officer)
        with pytest.raises(TransitionError, match="không được vượt"):
            workflow.appraise(
                project=project,
                by=staff,
                recommended_amount=251 * M,
                opinion="Tốt",
                no_conflict=True,
            )

    @pytest.mark.parametrize("who", ["officer", "staff", "viewer"])
    def test_only_managers_approve_or_reject(
        self, make_project, walk, officer, staff, manager, viewer, allocation, who
    ):
        user = {"officer": officer, "staff": staff, "viewer": viewer}[who]
        project = walk(
            make_project(officer), "appraised", officer=officer, staff=staff, manager=manager
        )
        with pytest.raises(TransitionError):
            workflow.approve(
                project=project,
                by=user,
                decision_number="1",
                decision_date=datetime.date.today(),
                approved_amount=10 * M,
                allocation=allocation,
            )
        with pytest.raises(TransitionError):
            workflow.reject(project=project, by=user, reason="Không phù hợp")
        project.refresh_from_db()
        assert project.status == Status.APPRAISED

    def test_reject_records_the_reason(self, make_project, walk, officer, staff, manager):
        project = walk(
            make_project(officer), "appraised", officer=officer, staff=staff, manager=manager
        )
        project = workflow.reject(project=project, by=manager, reason="Trùng nội dung")
        assert project.status == Status.REJECTED
        assert project.rejection_reason == "Trùng nội dung"
        assert project.events.last().comment == "Trùng nội dung"

    def test_a_draft_cannot_be_approved(self, make_project, officer, manager, allocation):
        project = make_project(officer)
        with pytest.raises(TransitionError, match="trạng thái “Nháp”"):
            workflow.approve(
                project=project,
                by=manager,
                decision_number="1",
                decision_date=datetime.date.today(),
                approved_amount=10 * M,
                allocation=allocation,
            )

    def test_an_officer_of_another_district_cannot_submit(
        self, make_project, officer, other_officer
    ):
        project = make_project(officer)
        with pytest.raises(TransitionError, match="không thuộc địa bàn"):
            workflow.submit(project=project, by=other_officer)
        assert workflow.available_actions(project, other_officer) == []

    def test_cancel_needs_a_reason_and_is_final(self, make_project, officer, staff):
        project = make_project(officer)
        with pytest.raises(TransitionError):
            workflow.cancel(project=project, by=staff, reason="")
        project = workflow.cancel(project=project, by=staff, reason="Cơ sở rút đề án")
        assert project.status == Status.CANCELLED
        with pytest.raises(TransitionError):
            workflow.cancel(project=project, by=staff, reason="lần hai")
        with pytest.raises(TransitionError):
            workflow.submit(project=project, by=officer)

    def test_officers_cannot_cancel(self, make_project, officer):
        with pytest.raises(TransitionError, match="không có quyền"):
            workflow.cancel(project=make_project(officer), by=officer, reason="x")

    def test_available_actions_follow_role_and_state(
        self, make_project, officer, staff, manager, viewer
    ):
        project = make_project(officer)

        def names(user):
            return [a.name for a in workflow.available_actions(project, user)]

        assert names(officer) == ["submit"]
        assert names(staff) == ["submit", "cancel"]
        assert names(manager) == ["cancel"]
        assert names(viewer) == []
        project = workflow.submit(project=project, by=officer)
        assert names(officer) == []
        assert names(staff) == ["return", "appraise", "cancel"]

    def test_a_refused_transition_changes_nothing(self, make_project, officer, staff):
        project = make_project(officer)
        before = ProjectEvent.objects.count()
        with pytest.raises(TransitionError):
            workflow.return_for_revision(project=project, by=staff, reason="x")
        project.refresh_from_db()
        assert project.status == Status.DRAFT
        assert ProjectEvent.objects.count() == before


class TestApprovalMoney:
    def test_approval_must_fit_the_allocation(
        self, make_project, walk, officer, staff, manager, allocation
    ):
        allocation.amount = 200 * M
        allocation.save()
        project = walk(
            make_project(officer), "appraised", officer=officer, staff=staff, manager=manager
        )
        with pytest.raises(TransitionError, match="Không đủ kinh phí"):
            workflow.approve(
                project=project,
                by=manager,
                decision_number="1",
                decision_date=datetime.date(2026, 2, 1),
                approved_amount=250 * M,
                allocation=allocation,
            )
        project = workflow.approve(
            project=project,
            by=manager,
            decision_number="1",
            decision_date=datetime.date(2026, 2, 1),
            approved_amount=200 * M,
            allocation=allocation,
        )
        assert project.approved_amount == 200 * M

    def test_the_second_approval_sees_the_first(
        self, make_project, walk, officer, staff, manager, allocation
    ):
        allocation.amount = 400 * M
        allocation.save()
        first = walk(
            make_project(officer),
            "approved",
            officer=officer,
            staff=staff,
            manager=manager,
            allocation=allocation,
        )
        assert first.approved_amount == 250 * M
        second = walk(
            make_project(officer), "appraised", officer=officer, staff=staff, manager=manager
        )
        with pytest.raises(TransitionError, match="150.000.000 ₫"):
            workflow.approve(
                project=second,
                by=manager,
                decision_number="2",
                decision_date=datetime.date(2026, 2, 1),
                approved_amount=250 * M,
                allocation=allocation,
            )

    def test_the_allocation_must_match_source_and_year(
        self, make_project, walk, officer, staff, manager, allocation, national_source
    ):
        project = walk(
            make_project(officer), "appraised", officer=officer, staff=staff, manager=manager
        )
        allocation.funding_source = national_source
        allocation.save()
        with pytest.raises(TransitionError, match="cùng nguồn kinh phí"):
            workflow.approve(
                project=project,
                by=manager,
                decision_number="1",
                decision_date=datetime.date(2026, 2, 1),
                approved_amount=10 * M,
                allocation=allocation,
            )

    def test_approved_amount_cannot_exceed_the_request(
        self, make_project, walk, officer, staff, manager, allocation
    ):
        project = walk(
            make_project(officer), "appraised", officer=officer, staff=staff, manager=manager
        )
        with pytest.raises(TransitionError, match="không được vượt"):
            workflow.approve(
                project=project,
                by=manager,
                decision_number="1",
                decision_date=datetime.date(2026, 2, 1),
                approved_amount=251 * M,
                allocation=allocation,
            )


def over_norm(make_project, officer, national_source, requested=350 * M):
    """Machinery, national: 50% of cost, at most 300.000.000 ₫ per facility (TT 28/2018)."""
    return make_project(
        officer,
        funding_source=national_source,
        total_cost=1000 * M,
        requested_support=requested,
        counterpart_funds=1000 * M - requested,
    )


def raise_request(project, officer, amount):
    return workflow.edit_project(
        project=project, by=officer, requested_support=amount, counterpart_funds=1000 * M - amount
    )


class TestNormsInWorkflow:
    def test_submit_refuses_a_request_above_the_norm_naming_limit_and_basis(
        self, make_project, officer, national_source
    ):
        project = over_norm(make_project, officer, national_source, requested=400 * M)
        with pytest.raises(TransitionError) as error:
            workflow.submit(project=project, by=officer)
        message = str(error.value)
        assert "300.000.000 ₫" in message
        assert "Thông tư 28/2018/TT-BTC" in message
        assert "Lãnh đạo chưa cho phép" in message
        project.refresh_from_db()
        assert project.status == Status.DRAFT

    def test_an_over_norm_application_is_kept_as_a_draft_awaiting_the_manager(
        self, make_project, officer, national_source
    ):
        project = over_norm(make_project, officer, national_source, requested=400 * M)
        project.refresh_from_db()
        assert project.requested_support == 400 * M  # the real figure, not a lowered one
        assert project.norm_limit == 300 * M
        assert project.norm_status == NormStatus.AWAITING

    def test_an_override_for_350_million_does_not_let_990_million_through(
        self, make_project, officer, manager, national_source
    ):
        project = over_norm(make_project, officer, national_source)
        workflow.override_norm(project=project, by=manager, amount=350 * M, reason="Vùng cao")
        project = raise_request(project, officer, 990 * M)
        assert project.norm_status == NormStatus.AWAITING
        with pytest.raises(TransitionError) as error:
            workflow.submit(project=project, by=officer)
        assert "chỉ cho phép vượt định mức đến 350.000.000 ₫" in str(error.value)
        assert "990.000.000 ₫" in str(error.value)
        project.refresh_from_db()
        assert project.status == Status.DRAFT
        # Lowering stays within what was allowed.
        project = raise_request(project, officer, 340 * M)
        assert workflow.submit(project=project, by=officer).status == Status.SUBMITTED

    def test_submit_reads_the_request_under_the_lock_not_the_callers_copy(
        self, make_project, officer, manager, national_source
    ):
        project = over_norm(make_project, officer, national_source)
        workflow.override_norm(project=project, by=manager, amount=350 * M, reason="Vùng cao")
        raise_request(project, officer, 990 * M)
        assert project.requested_support == 350 * M  # a stale copy
        with pytest.raises(TransitionError, match="350.000.000 ₫"):
            workflow.submit(project=project, by=officer)

    def test_a_manager_override_lets_it_through_and_is_recorded(
        self, make_project, officer, manager, national_source
    ):
        project = over_norm(make_project, officer, national_source, requested=400 * M)
        project = workflow.override_norm(
            project=project, by=manager, amount=400 * M, reason="Dây chuyền công nghệ"
        )
        assert project.norm_status == NormStatus.ALLOWED
        assert project.norm_override_at is not None
        project = workflow.submit(project=project, by=officer)
        assert project.status == Status.SUBMITTED
        override = project.events.get(action="override_norm")
        assert override.actor == manager
        assert "400.000.000 ₫" in override.comment
        assert "Dây chuyền công nghệ" in override.comment
        assert project.history.filter(norm_override_amount=400 * M).exists()

    def test_appraisal_and_approval_refuse_amounts_above_norm_and_override(
        self, make_project, officer, staff, manager, national_source
    ):
        allocation = Allocation.objects.create(
            year=2026,
            funding_source=national_source,
            decision_number="02/QĐ-BCT",
            decision_date=datetime.date(2026, 1, 10),
            amount=1000 * M,
        )
        project = over_norm(make_project, officer, national_source, requested=400 * M)
        workflow.override_norm(project=project, by=manager, amount=400 * M, reason="Vùng cao")
        project = workflow.submit(project=project, by=officer, today=datetime.date(2026, 1, 20))
        # The manager then decides the real figure is lower.
        workflow.override_norm(project=project, by=manager, amount=350 * M, reason="Chỉ 350")
        appraisal = {"by": staff, "opinion": "Khả thi", "no_conflict": True}
        with pytest.raises(TransitionError, match="đến 350.000.000 ₫"):
            workflow.appraise(project=project, recommended_amount=400 * M, **appraisal)
        project = workflow.appraise(project=project, recommended_amount=350 * M, **appraisal)
        decision = {
            "by": manager,
            "decision_number": "7/QĐ",
            "decision_date": datetime.date(2026, 2, 1),
            "allocation": allocation,
        }
        with pytest.raises(TransitionError, match="đến 350.000.000 ₫"):
            workflow.approve(project=project, approved_amount=360 * M, **decision)
        project = workflow.approve(project=project, approved_amount=350 * M, **decision)
        assert project.status == Status.APPROVED

    def test_a_request_exactly_at_the_norm_is_within_it(
        self, make_project, officer, national_source
    ):
        project = over_norm(make_project, officer, national_source, requested=300 * M)
        assert project.norm_status == NormStatus.WITHIN

    def test_only_managers_override_with_a_reason_an_amount_and_an_over_norm_request(
        self, make_project, officer, staff, manager, national_source
    ):
        project = over_norm(make_project, officer, national_source)
        with pytest.raises(TransitionError, match="Chỉ Lãnh đạo"):
            workflow.override_norm(project=project, by=staff, amount=350 * M, reason="x")
        with pytest.raises(TransitionError, match="lý do"):
            workflow.override_norm(project=project, by=manager, amount=350 * M, reason="")
        with pytest.raises(TransitionError, match="phải cao hơn"):
            workflow.override_norm(project=project, by=manager, amount=300 * M, reason="x")
        within = over_norm(make_project, officer, national_source, requested=300 * M)
        with pytest.raises(TransitionError, match="trong định mức"):
            workflow.override_norm(project=within, by=manager, amount=350 * M, reason="x")
        assert not ProjectEvent.objects.filter(action="override_norm").exists()

    def test_the_norm_at_the_projects_own_date_applies(
        self, make_project, officer, national_source
    ):
        # 250 of 600 million: above the 2014 cap (200), within the 2018 cap (300).
        old = make_project(officer, funding_source=national_source, year=2017)
        filed = timezone.make_aware(datetime.datetime(2017, 6, 1, 9))
        Project.objects.filter(pk=old.pk).update(created_at=filed)
        with pytest.raises(TransitionError, match="200.000.000 ₫"):
            workflow.submit(project=old, by=officer)  # in 2026, still 2017's norm
        # Entered in 2026 for plan year 2017: the norm of mid-2017, not today's.
        late = make_project(officer, funding_source=national_source, year=2017)
        assert late.norm_limit == 200 * M
        with pytest.raises(TransitionError, match="200.000.000 ₫"):
            workflow.submit(project=late, by=officer)
        current = make_project(officer, funding_source=national_source)
        assert workflow.submit(project=current, by=officer).status == Status.SUBMITTED
