import datetime

import pytest

from projects.applications import workflow
from projects.applications.workflow import TransitionError
from projects.models import ProjectEvent, Status

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


class TestNormsInWorkflow:
    def test_submit_refuses_a_request_above_the_norm_naming_limit_and_basis(
        self, make_project, officer, national_source
    ):
        # Machinery, national: 50% of cost, at most 300.000.000 ₫ per facility (TT 28/2018).
        project = make_project(
            officer,
            funding_source=national_source,
            total_cost=1000 * M,
            requested_support=400 * M,
            counterpart_funds=600 * M,
        )
        with pytest.raises(TransitionError) as error:
            workflow.submit(project=project, by=officer, today=datetime.date(2026, 3, 1))
        message = str(error.value)
        assert "300.000.000 ₫" in message
        assert "Thông tư 28/2018/TT-BTC" in message
        project.refresh_from_db()
        assert project.status == Status.DRAFT

    def test_a_manager_override_lets_it_through_and_is_recorded(
        self, make_project, officer, manager, national_source
    ):
        project = make_project(
            officer,
            funding_source=national_source,
            total_cost=1000 * M,
            requested_support=400 * M,
            counterpart_funds=600 * M,
        )
        project = workflow.override_norm(
            project=project, by=manager, reason="Dây chuyền công nghệ: tối đa 1,5 lần"
        )
        project = workflow.submit(project=project, by=officer, today=datetime.date(2026, 3, 1))
        assert project.status == Status.SUBMITTED
        override = project.events.get(action="override_norm")
        assert override.actor == manager
        assert "1,5 lần" in override.comment

    def test_only_managers_override_and_only_with_a_reason(
        self, make_project, officer, staff, manager
    ):
        project = make_project(officer)
        with pytest.raises(TransitionError, match="Chỉ Lãnh đạo"):
            workflow.override_norm(project=project, by=staff, reason="x")
        with pytest.raises(TransitionError, match="lý do"):
            workflow.override_norm(project=project, by=manager, reason="")

    def test_the_norm_in_force_on_the_date_applies(self, make_project, officer, national_source):
        # 250 of 600 million: above the 2014 cap (200), within the 2018 cap (300).
        project = make_project(officer, funding_source=national_source)
        with pytest.raises(TransitionError, match="200.000.000 ₫"):
            workflow.submit(project=project, by=officer, today=datetime.date(2017, 6, 1))
        project = workflow.submit(project=project, by=officer, today=datetime.date(2026, 3, 1))
        assert project.status == Status.SUBMITTED
