"""Building blocks every report uses: the area a report looks at, the money and outcome
aggregates (see projects/reports/__init__.py for the definitions), and budget use."""

import math
from collections import defaultdict
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from khuyencong import access
from khuyencong.models import Locality, User
from projects.models import (
    OUTCOME_FIELDS,
    SIGNED_AMOUNT,
    AcceptanceOutcome,
    AcceptanceReview,
    Allocation,
    Disbursement,
    FundingSource,
    Project,
    Status,
)
from projects.planning import budget

# Review outcomes whose achieved figures count.
COUNTED_OUTCOMES = [AcceptanceOutcome.ACCEPTED, AcceptanceOutcome.WITH_CONDITIONS]
# A project past its end date in one of these states is no longer waiting for anything
# (rejected ones are closed too, see Project.is_closed).
FINISHED_STATUSES = [Status.ACCEPTED, Status.SETTLED, Status.CANCELLED, Status.REJECTED]
OUTCOME_KEYS = [key for key, _label in OUTCOME_FIELDS]


# --- small helpers ------------------------------------------------------------------------


def average_growth(first, last, years) -> Decimal | None:
    """Average annual growth in percent, rounded to two decimals: 7 039 → 9 000 in 6 years is
    4.18. None when it cannot be computed (no first value, no years between)."""
    if not first or not years or first < 0 or last is None or last < 0:
        return None
    rate = (math.pow(last / first, 1 / years) - 1) * 100
    return Decimal(repr(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent_of(part, whole) -> Decimal | None:
    """part / whole in percent, two decimals; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def format_percent(value) -> str:
    """4.18 → "4,18%" (Vietnamese decimal comma); None → "–"."""
    if value is None:
        return "–"
    return f"{Decimal(value):.2f}".replace(".", ",") + "%"


@dataclass(frozen=True)
class Area:
    """Where a report looks: what the user may see, narrowed to a locality subtree if chosen."""

    user: User
    locality: Locality | None = None

    @property
    def is_province(self) -> bool:
        """The whole province: only then do allocations (not split by locality) apply."""
        return self.locality is None and access.sees_whole_province(self.user)

    @property
    def root(self) -> Locality | None:
        """The node whose children the by-locality tables list (None: the top of the tree)."""
        if self.locality is not None:
            return self.locality
        if not access.sees_whole_province(self.user):
            return self.user.locality
        return None

    def scope(self, qs: QuerySet, field: str = "locality") -> QuerySet:
        qs = access.scope_by_locality(qs, self.user, field)
        if self.locality is not None:
            qs = qs.filter(**{f"{field}__path__startswith": self.locality.path})
        return qs

    def projects(self) -> QuerySet:
        return self.scope(Project.objects.all())

    @property
    def label(self) -> str:
        if self.locality is not None:
            return self.locality.full_name
        if self.root is not None:
            return self.root.full_name
        return _("Toàn tỉnh")


def localities_in_scope(user: User) -> QuerySet:
    """Every locality (also merged, inactive ones that still hold records) the user may see."""
    qs = Locality.objects.all()
    if access.sees_whole_province(user):
        return qs
    if user.is_active and user.locality_id:
        return qs.filter(path__startswith=user.locality.path)
    return qs.none()


@dataclass
class Group:
    """One line of a breakdown: a label and the figures summed under it."""

    key: object
    label: str
    figures: object


def roll_up(rows: dict, root: Locality | None, make) -> list[Group]:
    """Sum per-locality figures `rows` {locality_id: figures} into the children of `root`.

    One query (the localities of the subtree); the loop runs over localities, not records.
    A record filed at `root` itself gets its own line.
    """
    if root is None:
        tops = list(Locality.objects.filter(parent__isnull=True)[:2])
        if len(tops) == 1:
            # One province: list its districts (or communes), not the province itself.
            root = tops[0]
    root_path = root.path if root else ""
    nodes = list(
        Locality.objects.filter(path__startswith=root_path)
        .order_by("path")
        .values("id", "path", "name", "kind", "parent_id")
    )
    by_id = {node["id"]: node for node in nodes}
    top_ids = {node["id"] for node in nodes if node["parent_id"] == (root.pk if root else None)}
    by_path = {node["path"]: node for node in nodes if node["id"] in top_ids}
    kinds = dict(Locality._meta.get_field("kind").choices)
    groups: dict[object, Group] = {}
    for node in nodes:
        if node["id"] in top_ids:
            label = f"{kinds.get(node['kind'], '')} {node['name']}".strip()
            groups[node["id"]] = Group(node["id"], label, make())
    direct_key = "direct"
    for locality_id, figures in rows.items():
        node = by_id.get(locality_id)
        if node is None:
            continue
        if root is not None and node["id"] == root.pk:
            if direct_key not in groups:
                groups[direct_key] = Group(
                    direct_key, _("%(name)s (trực tiếp)") % {"name": root.full_name}, make()
                )
            groups[direct_key].figures.add(figures)
            continue
        segment = node["path"][len(root_path) :].split("/")[0]
        top = by_path.get(f"{root_path}{segment}/")
        if top is not None:
            groups[top["id"]].figures.add(figures)
    ordered = [g for key, g in groups.items() if key != direct_key]
    if direct_key in groups:
        ordered.insert(0, groups[direct_key])
    return ordered


class Addable:
    """Dataclass mixin: add another instance field by field (None stays None)."""

    def add(self, other) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, int | Decimal) and isinstance(theirs, int | Decimal):
                setattr(self, f.name, mine + theirs)

    @classmethod
    def sum_of(cls, items):
        result = cls()
        for item in items:
            result.add(item)
        return result


@dataclass
class Funds(Addable):
    """Money of projects carried out, as projects/planning/budget.py defines it."""

    projects: int = 0
    approved: int = 0
    disbursed: int = 0
    settled: int = 0
    released: int = 0
    counterpart: int = 0  # achieved where recorded, else planned: counted_counterpart()
    counterpart_planned: int = 0  # what the applications committed


@dataclass
class Outcomes(Addable):
    """Outcomes achieved (or expected), one field per entry of OUTCOME_FIELDS."""

    jobs_created: int = 0
    people_trained: int = 0
    employed_after_training: int = 0
    managers_trained: int = 0
    machines_installed: int = 0
    fair_participations: int = 0
    counterpart_invested: int = 0

    @property
    def kc_workers(self) -> int:
        """Workers employed thanks to khuyến công projects."""
        return self.jobs_created + self.employed_after_training


# --- the building blocks ------------------------------------------------------------------


def approved_projects(projects: QuerySet) -> QuerySet:
    """Projects that drew on an allocation (approved at some point; may be cancelled since)."""
    return projects.filter(approved_amount__isnull=False, allocation__isnull=False)


def counted_reviews() -> QuerySet:
    """The one acceptance review per project whose achieved outcomes count (see module doc).

    "Latest" is written as "no later passing review of the same project exists": databases
    run that as an anti-join, where "id = (latest id)" becomes a subquery per review.
    """
    later = AcceptanceReview.objects.filter(
        project_id=OuterRef("project_id"), outcome__in=COUNTED_OUTCOMES, cancelled_at__isnull=True
    ).filter(
        Q(scheduled_date__gt=OuterRef("scheduled_date"))
        | Q(scheduled_date=OuterRef("scheduled_date"), pk__gt=OuterRef("pk"))
    )
    return (
        AcceptanceReview.objects.filter(outcome__in=COUNTED_OUTCOMES, cancelled_at__isnull=True)
        .exclude(Exists(later))
        .exclude(project__status=Status.CANCELLED)
    )


def counted_counterpart() -> Coalesce:
    """A project's counterpart funds as the reports count them: what its counted acceptance
    review recorded as actually invested, where one recorded an amount (the review form leaves
    it empty, stored as 0, when not known); otherwise what the application committed."""
    recorded = (
        counted_reviews()
        .filter(project_id=OuterRef("pk"), counterpart_invested__gt=0)
        .values("counterpart_invested")[:1]
    )
    return Coalesce(
        Subquery(recorded, output_field=BigIntegerField()),
        F("counterpart_funds"),
        output_field=BigIntegerField(),
    )


def funds_by(projects: QuerySet, keys: list[str]) -> dict[tuple, Funds]:
    """Funds of `projects` grouped by `keys` (project fields): two queries."""
    carried = approved_projects(projects)
    live = ~Q(status=Status.CANCELLED)
    result: dict[tuple, Funds] = defaultdict(Funds)
    rows = (
        carried.annotate(counted_cp=counted_counterpart())
        .values(*keys)
        .annotate(
            n=Count("id", filter=live),
            approved_sum=Sum("approved_amount"),
            settled_sum=Sum("settled_amount", filter=Q(status=Status.SETTLED)),
            settled_approved=Sum("approved_amount", filter=Q(status=Status.SETTLED)),
            cancelled_approved=Sum("approved_amount", filter=Q(status=Status.CANCELLED)),
            counterpart_sum=Sum("counted_cp", filter=live),
            counterpart_planned=Sum("counterpart_funds", filter=live),
        )
        .order_by()
    )
    for row in rows:
        f = result[tuple(row[k] for k in keys)]
        f.projects = row["n"]
        f.approved = row["approved_sum"] or 0
        f.settled = row["settled_sum"] or 0
        f.released = (row["settled_approved"] or 0) - f.settled + (row["cancelled_approved"] or 0)
        f.counterpart = row["counterpart_sum"] or 0
        f.counterpart_planned = row["counterpart_planned"] or 0
    money = (
        Disbursement.objects.filter(project__in=carried)
        .values(*[f"project__{k}" for k in keys])
        .annotate(
            # SIGNED_AMOUNT: a reversal (ghi đảo) takes back what it reverses.
            total=Sum(SIGNED_AMOUNT),
            cancelled=Sum(SIGNED_AMOUNT, filter=Q(project__status=Status.CANCELLED)),
        )
        .order_by()
    )
    for row in money:
        f = result[tuple(row[f"project__{k}"] for k in keys)]
        f.disbursed = row["total"] or 0
        # What a cancelled project already received stays spent.
        f.released -= row["cancelled"] or 0
    return dict(result)


def outcomes_by(projects: QuerySet, keys: list[str]) -> dict[tuple, Outcomes]:
    """Outcomes achieved by `projects`, grouped by `keys` (project fields): one query."""
    rows = (
        counted_reviews()
        .filter(project__in=projects)
        .values(*[f"project__{k}" for k in keys])
        .annotate(
            **{f"sum_{k}": Sum(f"achieved_{k}") for k in OUTCOME_KEYS},
            sum_counterpart=Sum("counterpart_invested"),
        )
        .order_by()
    )
    result = {}
    for row in rows:
        values = {k: row[f"sum_{k}"] or 0 for k in OUTCOME_KEYS}
        result[tuple(row[f"project__{k}"] for k in keys)] = Outcomes(
            **values, counterpart_invested=row["sum_counterpart"] or 0
        )
    return result


def expected_by(projects: QuerySet, keys: list[str]) -> dict[tuple, Outcomes]:
    """Outcomes promised by the projects carried out, grouped by `keys`: one query."""
    rows = (
        approved_projects(projects)
        .exclude(status=Status.CANCELLED)
        .values(*keys)
        .annotate(**{f"sum_{k}": Sum(f"expected_{k}") for k in OUTCOME_KEYS})
        .order_by()
    )
    return {
        tuple(row[k] for k in keys): Outcomes(**{k: row[f"sum_{k}"] or 0 for k in OUTCOME_KEYS})
        for row in rows
    }


def sum_by(cells: dict[tuple, Addable], index: int, make) -> dict:
    out: dict = defaultdict(make)
    for key, figures in cells.items():
        out[key[index]].add(figures)
    return dict(out)


# --- budget use (dashboard, annual report) ------------------------------------------------


@dataclass
class BudgetRow:
    year: int
    source: FundingSource
    allocated: int | None
    funds: Funds

    @property
    def remaining(self) -> int | None:
        if self.allocated is None:
            return None
        return self.allocated - self.funds.approved + self.funds.released


def budget_use(
    area: Area, years: list[int], funding_source: FundingSource | None = None
) -> list[BudgetRow]:
    """Allocated, approved, disbursed, settled and remaining per year and funding source.

    Province-wide the figures are projects/planning/budget.py's own (`allocation_figures`), so
    they are the allocation pages' figures; for a narrower area see the module docstring.
    """
    sources = list(FundingSource.objects.all())
    if funding_source is not None:
        sources = [s for s in sources if s.pk == funding_source.pk]
    cells: dict[tuple, Funds] = defaultdict(Funds)
    allocated: dict[tuple, int] = defaultdict(int)
    if area.is_province:
        allocations = list(
            Allocation.objects.filter(
                year__in=years, funding_source__in=[s.pk for s in sources]
            ).order_by()
        )
        figures = budget.allocation_figures(allocations)
        for allocation in allocations:
            key = (allocation.year, allocation.funding_source_id)
            f = figures[allocation.pk]
            allocated[key] += f.allocated
            cells[key].add(
                Funds(
                    projects=f.projects,
                    approved=f.approved,
                    disbursed=f.disbursed,
                    settled=f.settled,
                    released=f.released,
                )
            )
        counterpart = counterpart_by(area.projects().filter(year__in=years))
        for key, (counted, planned) in counterpart.items():
            cells[key].counterpart = counted
            cells[key].counterpart_planned = planned
    else:
        projects = area.projects().filter(year__in=years)
        cells.update(funds_by(projects, ["year", "funding_source_id"]))
    rows = []
    for year in sorted(years):
        for source in sources:
            key = (year, source.pk)
            rows.append(
                BudgetRow(
                    year=year,
                    source=source,
                    allocated=allocated.get(key, 0) if area.is_province else None,
                    funds=cells.get(key, Funds()),
                )
            )
    return rows


def counterpart_by(projects: QuerySet) -> dict[tuple, tuple[int, int]]:
    """(counted, planned) counterpart funds per (year, funding source): one query."""
    rows = (
        approved_projects(projects)
        .exclude(status=Status.CANCELLED)
        .annotate(counted_cp=counted_counterpart())
        .values("year", "funding_source_id")
        .annotate(total=Sum("counted_cp"), planned=Sum("counterpart_funds"))
        .order_by()
    )
    return {(r["year"], r["funding_source_id"]): (r["total"] or 0, r["planned"] or 0) for r in rows}
