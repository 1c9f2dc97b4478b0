"""A norm override covers an amount, also when people act at the same moment (PostgreSQL)."""

import pytest

from projects.applications import workflow
from projects.applications.workflow import TransitionError
from projects.models import NormStatus, Project, Status
from tests.projects.applications.test_concurrency import run_together

M = 1_000_000
ROUNDS = 5


def over_norm(make_project, officer, national_source):
    """Machinery, national, 1 billion in total: the norm allows 300 million; 350 are asked."""
    return make_project(
        officer,
        funding_source=national_source,
        total_cost=1000 * M,
        requested_support=350 * M,
        counterpart_funds=650 * M,
    )


def raise_to_990(project, officer):
    return lambda: workflow.edit_project(
        project=project, by=officer, requested_support=990 * M, counterpart_funds=10 * M
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_override_for_350_million_does_not_let_990_million_through(
    make_project, officer, manager, national_source
):
    for _ in range(ROUNDS):
        project = over_norm(make_project, officer, national_source)
        grant = lambda p=project: workflow.override_norm(  # noqa: E731 - one call per thread
            project=p, by=manager, amount=350 * M, reason="Vùng đặc biệt khó khăn"
        )
        results = run_together(grant, raise_to_990(project, officer))
        assert [kind for kind, _ in results] == ["ok", "ok"], results
        with pytest.raises(TransitionError, match="đến 350.000.000 ₫"):
            workflow.submit(project=project, by=officer)
        project.refresh_from_db()
        assert project.status == Status.DRAFT
        assert project.norm_override_amount == 350 * M
        assert project.requested_support == 990 * M
        assert project.norm_status == NormStatus.AWAITING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_raising_the_request_while_it_is_submitted_never_submits_the_raised_amount(
    make_project, officer, manager, national_source
):
    for _ in range(ROUNDS):
        project = over_norm(make_project, officer, national_source)
        workflow.override_norm(project=project, by=manager, amount=350 * M, reason="Vùng cao")
        # `project` is the copy both tabs opened: 350 million, covered.
        results = run_together(
            lambda p=project: workflow.submit(project=p, by=officer),
            raise_to_990(project, officer),
        )
        assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
        project.refresh_from_db()
        if project.status == Status.SUBMITTED:
            assert project.requested_support == 350 * M
            assert "không sửa được nữa" in results[1][1]
        else:
            assert project.requested_support == 990 * M
            assert "đến 350.000.000 ₫" in results[0][1]
    submitted = Project.objects.filter(status=Status.SUBMITTED)
    assert all(p.requested_support <= p.norm_override_amount for p in submitted)
