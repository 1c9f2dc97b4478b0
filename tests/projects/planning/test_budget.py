import datetime

import pytest

from projects.models import Allocation, Disbursement, Project, Status
from projects.planning import budget

M = 1_000_000
pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(make_project, walk, officer, staff, manager, allocation):
    def make(amount):
        project = make_project(officer)
        return walk(
            project,
            "approved",
            officer=officer,
            staff=staff,
            manager=manager,
            allocation=allocation,
            amount=amount,
        )

    return make


def pay(project, amount):
    Disbursement.objects.create(
        project=project,
        kind="payment",
        date=datetime.date(2026, 5, 1),
        amount=amount,
        voucher_number=f"PC-{project.pk}-{amount}",
    )


def test_an_untouched_allocation_is_all_remaining(allocation):
    figures = budget.allocation_figures([allocation])[allocation.pk]
    assert (figures.allocated, figures.approved, figures.remaining) == (1000 * M, 0, 1000 * M)


def test_figures_add_up_through_approval_payment_settlement_and_cancellation(allocation, approved):
    a = approved(200 * M)
    b = approved(150 * M)
    c = approved(100 * M)
    pay(a, 120 * M)
    pay(b, 50 * M)
    pay(c, 30 * M)
    # a is settled at 180 (20 go back); c is cancelled after 30 were paid (70 go back).
    Project.objects.filter(pk=a.pk).update(status=Status.SETTLED, settled_amount=180 * M)
    Project.objects.filter(pk=c.pk).update(status=Status.CANCELLED)

    f = budget.allocation_figures([allocation])[allocation.pk]
    assert f.approved == 450 * M
    assert f.disbursed == 200 * M
    assert f.settled == 180 * M
    assert f.released == 20 * M + 70 * M
    assert f.remaining == 1000 * M - 450 * M + 90 * M
    assert f.projects == 2
    assert f.allocated == f.remaining + f.approved - f.released


def test_projects_not_yet_approved_do_not_count(allocation, make_project, officer):
    make_project(officer)
    assert budget.remaining_for(allocation) == 1000 * M


def test_the_query_count_does_not_grow_with_allocations(
    django_assert_num_queries, local_source, approved, allocation
):
    approved(10 * M)
    for year in range(2015, 2025):
        Allocation.objects.create(
            year=year,
            funding_source=local_source,
            decision_number=f"{year}",
            decision_date=datetime.date(year, 1, 5),
            amount=100 * M,
        )
    allocations = list(Allocation.objects.for_list())
    with django_assert_num_queries(2):
        figures = budget.allocation_figures(allocations)
    assert len(figures) == 11


def test_totals_group_by_source(allocation, approved, national_source):
    approved(100 * M)
    Allocation.objects.create(
        year=2026,
        funding_source=national_source,
        decision_number="QG-1",
        decision_date=datetime.date(2026, 1, 5),
        amount=900 * M,
    )
    total = budget.totals(Allocation.objects.for_list())
    assert total.allocated == 1900 * M
    assert total.by_source["KCĐP"].remaining == 900 * M
    assert total.by_source["KCQG"].remaining == 900 * M
    assert total.remaining == 1800 * M
