"""Building blocks every report uses: the area a report looks at, the money and outcome
aggregates (see projects/reports/__init__.py for the definitions), and budget use."""

import math
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, cached_property

from django.db.models import (
    BigIntegerField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
)
from django.db.models.functions import Coalesce
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from facilities.models import Sector
from khuyencong import access, compiled
from khuyencong.localities import covered_ids
from khuyencong.models import Locality, User, kind_labels
from projects.models import (
    COUNTED_OUTCOMES,  # noqa: F401  (projects.reports exports it)
    OUTCOME_FIELDS,
    AcceptanceReview,
    Allocation,
    FundingSource,
    Project,
    ProjectTotals,
    ProvinceTotals,
    Status,
)
from projects.planning import summaries

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


class Grouping(TextChoices):
    """How a by-locality table groups records filed under units that have since ended."""

    NOW = "now", gettext_lazy("Theo đơn vị hành chính hiện nay")
    THEN = "then", gettext_lazy("Theo đơn vị hành chính của năm báo cáo")


@dataclass(frozen=True)
class Area:
    """Where a report looks: what the user may see, narrowed to a locality subtree if chosen.

    `grouping` and `period` (first and last day of the report's years) say which units the
    by-locality tables list: today's (records of ended units go to their successor) or those
    in force in the report's years (a past year's report then never changes with the tree).
    """

    user: User
    locality: Locality | None = None
    grouping: str = Grouping.NOW
    period: tuple[date, date] | None = None

    @property
    def is_province(self) -> bool:
        """The whole province: only then do allocations (not split by locality) apply."""
        return self.locality is None and access.sees_whole_province(self.user)

    @cached_property
    def covered(self) -> list[Locality]:
        """The localities an officer covers (empty for province-wide roles)."""
        if access.sees_whole_province(self.user):
            return []
        return self.user.covered_localities

    @property
    def root(self) -> Locality | None:
        """The node whose children the by-locality tables list (None: the top of the tree)."""
        if self.locality is not None:
            return self.locality
        if len(self.covered) == 1:
            return self.covered[0]
        return None

    def scope(self, qs: QuerySet, field: str = "locality") -> QuerySet:
        qs = access.scope_by_locality(qs, self.user, field)
        if self.locality is not None:
            qs = qs.filter(**{f"{field}__in": self.under})
        return qs

    @property
    def scope_key(self) -> tuple:
        """Everything `scope()` narrows by, for a statement compiled once per key
        (khuyencong.compiled): the whole province or the units covered, and the chosen unit's
        subtree (read from the tree, so a merger changes the key)."""
        whole = access.sees_whole_province(self.user)
        return (
            whole,
            None if whole else access.covered_locality_ids(self.user),
            None if self.locality is None else self.under,
        )

    @cached_property
    def under(self) -> frozenset[int]:
        """The chosen locality's subtree and the units that went into it (read once)."""
        return access_ids_under(self.locality)

    def projects(self) -> QuerySet:
        return self.scope(Project.objects.all())

    def roll_up(self, rows: dict, make) -> list["Group"]:
        within = None
        if self.root is None and not access.sees_whole_province(self.user):
            within = {loc.pk for loc in self.covered}
        return roll_up(
            rows,
            self.root,
            make,
            grouping=self.grouping,
            period=self.period,
            within=within,
            nodes=self.tree,
        )

    @cached_property
    def tree(self) -> list[dict]:
        """Every locality, ordered by path, as `roll_up` reads them: read once per area, so
        the page that shows a breakdown may offer the same rows in its filter."""
        return compiled.values_rows(("reports.roll_up.tree",), _tree)

    def totals(self) -> QuerySet:
        """The running totals (ProjectTotals) of the projects filed in the area."""
        return self.scope(ProjectTotals.objects.all())

    def year_totals(self) -> QuerySet:
        """`totals()` for reads that do not group or filter by locality: for the whole
        province, the province's rows (ProvinceTotals, the same sums added up over the
        localities, a tenth of the rows to read)."""
        if self.is_province:
            return ProvinceTotals.objects.all()
        return self.totals()

    @property
    def label(self) -> str:
        if self.locality is not None:
            return self.locality.full_name
        if self.covered:
            return ", ".join(loc.full_name for loc in self.covered)
        return _("Toàn tỉnh")


def access_ids_under(locality: Locality) -> frozenset[int]:
    """A chosen locality's subtree and the units that went into it."""
    return covered_ids([locality.pk])


def localities_in_scope(user: User) -> QuerySet:
    """Every locality (also ended ones that still hold records) the user may see."""
    return access.localities_in_scope(user)


@dataclass
class Group:
    """One line of a breakdown: a label and the figures summed under it."""

    key: object
    label: str
    figures: object


def _in_period(node: dict, period: tuple[date, date] | None) -> bool:
    if period is None:
        return node["valid_to"] is None
    first, last = period
    return (node["valid_from"] is None or node["valid_from"] <= last) and (
        node["valid_to"] is None or node["valid_to"] >= first
    )


def _tree() -> QuerySet:
    return Locality.objects.order_by("path").values(
        "id",
        "path",
        "name",
        "kind",
        "parent_id",
        "current_id",
        "valid_from",
        "valid_to",
        "former_name",
    )


def roll_up(
    rows: dict,
    root: Locality | None,
    make,
    *,
    grouping: str = Grouping.NOW,
    period: tuple[date, date] | None = None,
    within: set[int] | None = None,
    nodes: list[dict] | None = None,
) -> list[Group]:
    """Sum per-locality figures `rows` {locality_id: figures} into the children of `root`.

    Rows are keyed by the unit each record was filed under. Grouping NOW first carries ended
    units to the unit in force that holds them today; THEN keeps them, and lists the units in
    force during `period`. A record filed at `root` itself gets its own line; one filed at an
    ended unit outside `root` (an officer's commune before a merger) gets a line of its own.
    One query (the tree, unless `nodes` holds its rows); the loops run over localities, not
    records.
    """
    # Translated once per language, not at every label.
    kinds = kind_labels(get_language())

    def label_of(node: dict) -> str:
        return f"{kinds.get(node['kind'], '')} {node['name']}".strip()

    if nodes is None:
        nodes = compiled.values_rows(("reports.roll_up.tree",), _tree)
    by_id = {node["id"]: node for node in nodes}
    by_path = {node["path"]: node for node in nodes}
    root_label = None
    if root is None:
        tops = [node for node in nodes if node["parent_id"] is None]
        if len(tops) == 1:
            # One province: list its communes (or districts), not the province itself.
            root = Locality(pk=tops[0]["id"], path=tops[0]["path"])
            root_label = label_of(tops[0])
    root_id = root.pk if root is not None else None
    root_path = root.path if root is not None else ""

    def label(node: dict) -> str:
        name = label_of(node)
        if node["valid_to"] is None or grouping == Grouping.THEN:
            return name  # by the units of its years, a unit reads as it did then
        return _("%(name)s (đến %(day)s)") % {
            "name": node["former_name"] or name,
            "day": f"{node['valid_to']:%d/%m/%Y}",
        }

    groups: dict[object, Group] = {}
    for node in nodes:
        if node["parent_id"] == root_id and (within is None or node["id"] in within):
            if grouping == Grouping.NOW and node["valid_to"] is not None:
                continue
            if grouping == Grouping.THEN and not _in_period(node, period):
                continue
            groups[node["id"]] = Group(node["id"], label(node), make())
    direct_key = "direct"
    for locality_id, figures in rows.items():
        node = by_id.get(locality_id)
        if node is None:
            continue
        if grouping == Grouping.NOW and node["current_id"] is not None:
            node = by_id.get(node["current_id"], node)
        if root_id is not None and node["id"] == root_id:
            if direct_key not in groups:
                name = root_label if root_label else root.full_name
                groups[direct_key] = Group(
                    direct_key, _("%(name)s (trực tiếp)") % {"name": name}, make()
                )
            groups[direct_key].figures.add(figures)
            continue
        if node["path"].startswith(root_path):
            segment = node["path"][len(root_path) :].split("/")[0]
            top = by_path.get(f"{root_path}{segment}/", node)
        else:
            top = node
        if top["id"] not in groups:
            groups[top["id"]] = Group(top["id"], label(top), make())
        groups[top["id"]].figures.add(figures)
    ordered = [g for key, g in groups.items() if key != direct_key]
    if direct_key in groups:
        ordered.insert(0, groups[direct_key])
    return ordered


class Addable:
    """Dataclass mixin: add another instance field by field (None stays None)."""

    def add(self, other) -> None:
        names = _field_names(type(self))
        if type(other) is type(self):
            # The same dataclass: its fields read and written in the instances' dicts, a plain
            # int added at once (a breakdown by locality adds hundreds of these a view).
            mine, theirs = self.__dict__, other.__dict__
            for name in names:
                a, b = mine[name], theirs[name]
                if (type(a) is int and type(b) is int) or (
                    isinstance(a, int | Decimal) and isinstance(b, int | Decimal)
                ):
                    mine[name] = a + b
            return
        for name in names:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, int | Decimal) and isinstance(theirs, int | Decimal):
                setattr(self, name, mine + theirs)

    @classmethod
    def sum_of(cls, items):
        result = cls()
        for item in items:
            result.add(item)
        return result


@cache
def _field_names(cls) -> tuple[str, ...]:
    # dataclasses.fields() builds its tuple on every call; reports add thousands of times.
    return tuple(f.name for f in fields(cls))


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

    def add(self, other) -> None:
        # Addable.add field by field through getattr and isinstance, written out: a breakdown
        # by locality adds a hundred or more of these a view. Numbers only, as there.
        if type(other) is not Funds or not _all_int(self, other):
            return super().add(other)
        self.projects += other.projects
        self.approved += other.approved
        self.disbursed += other.disbursed
        self.settled += other.settled
        self.released += other.released
        self.counterpart += other.counterpart
        self.counterpart_planned += other.counterpart_planned


def _all_int(*funds: Funds) -> bool:
    """Every field of every Funds a plain int (not None, not a Decimal to keep exact)."""
    # Told by their sum, a plain int only then (None or a text fails; a Decimal or a float
    # gives its own type): half the steps of asking each field's type, and a breakdown by
    # locality asks this a hundred or more times a view.
    total = 0
    try:
        for f in funds:
            total += (
                f.projects
                + f.approved
                + f.disbursed
                + f.settled
                + f.released
                + f.counterpart
                + f.counterpart_planned
            )
    except TypeError:
        return False
    return type(total) is int


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


def sectors_of_reports() -> list[Sector]:
    """Every sector, in its order, as the breakdowns by sector list them (their statement
    compiled once per process: khuyencong.compiled)."""
    return compiled.instances(("reports.sectors",), Sector.objects.all)


def counted_reviews() -> QuerySet:
    """The one acceptance review per project whose achieved outcomes count (see module doc)."""
    return AcceptanceReview.objects.counted()


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


# The aggregates below read ProjectTotals (projects/models/summary.py), which holds exactly these
# sums per year, source, activity type, locality, allocation and status: no join with the
# disbursements, no "latest passing review" anti-join over every review, and at most one row per
# project (fewer where projects share every key).


def carried(totals: QuerySet) -> QuerySet:
    """The rows of `approved_projects`: an approved amount on an allocation."""
    return totals.filter(has_amount=True, allocation__isnull=False)


def funds_by(totals: QuerySet, keys: list[str]) -> dict[tuple, Funds]:
    """Funds of the projects counted in `totals` (ProjectTotals rows, e.g. `Area.totals()`),
    grouped by `keys`: one query."""
    return funds_of_rows(funds_query(totals, keys), keys)


def funds_query(totals: QuerySet, keys: list[str]) -> QuerySet:
    """The grouped query of `funds_by`, whose rows `funds_of_rows` reads."""
    return carried(totals).values(*keys).annotate(**funds_sums()).order_by()


def funds_sums(within: Q | None = None) -> dict[str, Sum]:
    """The sums of a group of ProjectTotals rows that `funds_of_rows` reads, over the group's
    rows that match `within` (all of them when None): `carried(totals)` grouped, or the
    groups of every row with `within` the carried ones, for a query that sums other rows
    besides."""

    def of(condition: Q | None = None) -> Q | None:
        if within is None or condition is None:
            return within if condition is None else condition
        return within & condition

    live = ~Q(status=Status.CANCELLED)
    settled = Q(status=Status.SETTLED)
    cancelled = Q(status=Status.CANCELLED)
    return {
        "n": Sum("projects", filter=of(live)),
        "approved_sum": Sum("approved", filter=of()),
        "settled_sum": Sum("settled", filter=of(settled)),
        "settled_approved": Sum("approved", filter=of(settled)),
        "cancelled_approved": Sum("approved", filter=of(cancelled)),
        "counterpart_sum": Sum("counterpart_counted", filter=of(live)),
        "counterpart_planned": Sum("counterpart", filter=of(live)),
        "disbursed_sum": Sum("disbursed", filter=of()),
        "cancelled_disbursed": Sum("disbursed", filter=of(cancelled)),
    }


def funds_of_rows(rows, keys: list[str]) -> dict[tuple, Funds]:
    """The Funds of each group of `funds_query`'s rows."""
    result: dict[tuple, Funds] = {}
    for row in rows:
        f = result[tuple(row[k] for k in keys)] = Funds()
        f.projects = row["n"] or 0
        f.approved = row["approved_sum"] or 0
        f.settled = row["settled_sum"] or 0
        f.disbursed = row["disbursed_sum"] or 0
        # What a cancelled project already received stays spent.
        f.released = (
            (row["settled_approved"] or 0)
            - f.settled
            + (row["cancelled_approved"] or 0)
            - (row["cancelled_disbursed"] or 0)
        )
        f.counterpart = row["counterpart_sum"] or 0
        f.counterpart_planned = row["counterpart_planned"] or 0
    return result


def outcomes_by(totals: QuerySet, keys: list[str]) -> dict[tuple, Outcomes]:
    """Outcomes achieved by the projects counted in `totals`, grouped by `keys`: one query.
    Only groups with a counted review are listed."""
    return outcomes_of_rows(outcomes_query(totals, keys), keys)


def outcomes_query(totals: QuerySet, keys: list[str]) -> QuerySet:
    """The grouped query of `outcomes_by`, whose rows `outcomes_of_rows` reads."""
    return (
        totals.filter(reviews__gt=0)
        .values(*keys)
        .annotate(
            **{f"sum_{k}": Sum(f"achieved_{k}") for k in OUTCOME_KEYS},
            sum_counterpart=Sum("counterpart_invested"),
        )
        .order_by()
    )


def outcomes_of_rows(rows, keys: list[str]) -> dict[tuple, Outcomes]:
    """The Outcomes of each group of `outcomes_query`'s rows."""
    return {
        tuple(row[k] for k in keys): Outcomes(
            **{k: row[f"sum_{k}"] or 0 for k in OUTCOME_KEYS},
            counterpart_invested=row["sum_counterpart"] or 0,
        )
        for row in rows
    }


def project_outcomes_by(projects: QuerySet, keys: list[str]) -> dict[tuple, Outcomes]:
    """outcomes_by for a set of projects the totals cannot select (e.g. by the facility's
    sector), read from the reviews themselves: one query."""
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
    return {
        tuple(row[f"project__{k}"] for k in keys): Outcomes(
            **{k: row[f"sum_{k}"] or 0 for k in OUTCOME_KEYS},
            counterpart_invested=row["sum_counterpart"] or 0,
        )
        for row in rows
    }


def expected_by(totals: QuerySet, keys: list[str]) -> dict[tuple, Outcomes]:
    """Outcomes promised by the projects carried out, grouped by `keys`: one query."""
    return expected_of_rows(expected_query(totals, keys), keys)


def expected_query(totals: QuerySet, keys: list[str]) -> QuerySet:
    """The grouped query of `expected_by`, whose rows `expected_of_rows` reads."""
    return (
        carried(totals)
        .exclude(status=Status.CANCELLED)
        .values(*keys)
        .annotate(**{f"sum_{k}": Sum(f"expected_{k}") for k in OUTCOME_KEYS})
        .order_by()
    )


def expected_of_rows(rows, keys: list[str]) -> dict[tuple, Outcomes]:
    """The Outcomes of each group of `expected_query`'s rows."""
    return {
        tuple(row[k] for k in keys): Outcomes(**{k: row[f"sum_{k}"] or 0 for k in OUTCOME_KEYS})
        for row in rows
    }


def projects_by(totals: QuerySet, keys: list[str]) -> dict[tuple, int]:
    """How many projects (any state) `totals` counts, grouped by `keys`: one query."""
    return projects_of_rows(projects_query(totals, keys), keys)


def projects_query(totals: QuerySet, keys: list[str]) -> QuerySet:
    """The grouped query of `projects_by`, whose rows `projects_of_rows` reads."""
    return totals.values(*keys).annotate(n=Sum("projects")).order_by()


def projects_of_rows(rows, keys: list[str]) -> dict[tuple, int]:
    return {tuple(row[k] for k in keys): row["n"] or 0 for row in rows}


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
    # The statements below depend only on the scope, the years and the sources: compiled once
    # per process for each (khuyencong.compiled), not built by the ORM on every view.
    sources = compiled.instances(("budget_use.sources",), FundingSource.objects.all)
    if funding_source is not None:
        sources = [s for s in sources if s.pk == funding_source.pk]
    cells: dict[tuple, Funds] = defaultdict(Funds)
    allocated: dict[tuple, int] = defaultdict(int)
    totals = area.year_totals().filter(year__in=years)
    keys = ["year", "funding_source_id"]
    by_year_and_source = funds_of_rows(
        compiled.values_rows(
            ("budget_use.funds", area.scope_key, tuple(years)), lambda: funds_query(totals, keys)
        ),
        keys,
    )
    if area.is_province:
        source_ids = [s.pk for s in sources]
        allocations = compiled.instances(
            ("budget_use.allocations", tuple(years), tuple(source_ids)),
            lambda: Allocation.objects.filter(
                year__in=years, funding_source__in=source_ids
            ).order_by(),
        )
        figures = summaries.allocation_figures(allocations)
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
        for key, f in by_year_and_source.items():
            cells[key].counterpart = f.counterpart
            cells[key].counterpart_planned = f.counterpart_planned
    else:
        cells.update(by_year_and_source)
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
