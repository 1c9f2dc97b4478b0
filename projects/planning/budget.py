"""Money per allocation: allocated, approved, disbursed, settled, released, remaining.

Nothing here is stored: every figure is summed from the projects and disbursements, in a fixed
number of queries whatever the number of allocations. The identity that always holds:

    remaining = allocated − approved + released

where `released` is what was approved but will never be spent: the unspent part of settled
projects (approved − settled) and of cancelled ones (approved − disbursed).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from projects.models import SIGNED_AMOUNT, Allocation, Disbursement, Project, Status
from projects.models.project import COMMITTED_STATUSES


@dataclass
class AllocationFigures:
    allocated: int = 0
    approved: int = 0
    disbursed: int = 0
    settled: int = 0
    released: int = 0
    projects: int = 0

    @property
    def remaining(self) -> int:
        return self.allocated - self.approved + self.released

    @property
    def used_percent(self) -> float:
        return (
            0.0 if not self.allocated else 100 * (self.allocated - self.remaining) / self.allocated
        )


@dataclass
class Totals(AllocationFigures):
    by_source: dict = field(default_factory=dict)


def allocation_figures(allocations: QuerySet | list) -> dict[int, AllocationFigures]:
    """Figures for each allocation, keyed by its id (2 queries, whatever the count)."""
    allocations = list(allocations)
    ids = [a.pk for a in allocations]
    figures = {a.pk: AllocationFigures(allocated=a.amount) for a in allocations}
    if not ids:
        return figures
    project_rows = (
        Project.objects.filter(
            allocation_id__in=ids,
            approved_amount__isnull=False,
            status__in=[*COMMITTED_STATUSES, Status.CANCELLED],
        )
        .values("allocation_id")
        .annotate(
            approved=Sum("approved_amount"),
            settled=Sum("settled_amount", filter=Q(status=Status.SETTLED)),
            settled_approved=Sum("approved_amount", filter=Q(status=Status.SETTLED)),
            cancelled_approved=Sum("approved_amount", filter=Q(status=Status.CANCELLED)),
            live_projects=Count("id", filter=~Q(status=Status.CANCELLED)),
        )
        .order_by()
    )
    for row in project_rows:
        f = figures[row["allocation_id"]]
        f.approved = row["approved"] or 0
        f.settled = row["settled"] or 0
        f.released = (row["settled_approved"] or 0) - f.settled + (row["cancelled_approved"] or 0)
        f.projects = row["live_projects"]
    money_rows = (
        Disbursement.objects.filter(project__allocation_id__in=ids)
        .values("project__allocation_id")
        .annotate(
            # SIGNED_AMOUNT: a reversal (ghi đảo) takes back what it reverses.
            total=Sum(SIGNED_AMOUNT),
            cancelled=Sum(SIGNED_AMOUNT, filter=Q(project__status=Status.CANCELLED)),
        )
        .order_by()
    )
    for row in money_rows:
        f = figures[row["project__allocation_id"]]
        f.disbursed = row["total"] or 0
        # What a cancelled project already received stays spent.
        f.released -= row["cancelled"] or 0
    return figures


def remaining_for(allocation: Allocation) -> int:
    return allocation_figures([allocation])[allocation.pk].remaining


def totals(allocations: QuerySet | list) -> Totals:
    """Sum of the figures of several allocations, overall and per funding source code."""
    allocations = list(allocations)
    figures = allocation_figures(allocations)
    total = Totals()
    by_source: dict[str, AllocationFigures] = defaultdict(AllocationFigures)
    for allocation in allocations:
        f = figures[allocation.pk]
        for bucket in (total, by_source[allocation.funding_source.code]):
            bucket.allocated += f.allocated
            bucket.approved += f.approved
            bucket.disbursed += f.disbursed
            bucket.settled += f.settled
            bucket.released += f.released
            bucket.projects += f.projects
    total.by_source = dict(by_source)
    return total
