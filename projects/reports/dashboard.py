"""Tổng quan: the figures of the home page, and what is overdue."""

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from facilities.models import RegistryTotals
from khuyencong import access, compiled
from khuyencong.models import User
from projects.models import (
    ActivityType,
    Allocation,
    FollowUpAction,
    FundingSource,
    Project,
    ProvinceTotals,
    Status,
)
from projects.planning import summaries
from projects.planning.budget import AllocationFigures
from projects.reports.base import (
    OUTCOME_KEYS,
    Area,
    BudgetRow,
    Funds,
    Group,
    Outcomes,
    funds_of_rows,
    funds_query,
    funds_sums,
)
from projects.reports.tables import Chart, Column, Table, funds_table

# --- dashboard ----------------------------------------------------------------------------


@dataclass
class Dashboard:
    year: int
    area: Area
    budget: list[BudgetRow]
    annual: "YearFigures"
    by_status: list[tuple[str, str, int]]

    @property
    def budget_years(self) -> list[int]:
        return sorted({r.year for r in self.budget})

    def budget_table(self) -> Table:
        rows = [
            [
                f"{r.year} – {r.source.code}",
                r.allocated,
                r.funds.approved,
                r.funds.disbursed,
                r.funds.settled,
                r.remaining,
            ]
            for r in self.budget
        ]
        table = Table(
            "budget",
            _("Sử dụng kinh phí theo năm và nguồn"),
            [
                Column("label", _("Năm – nguồn"), "text"),
                Column("allocated", _("Được giao"), "money"),
                Column("approved", _("Đã phê duyệt"), "money"),
                Column("disbursed", _("Đã giải ngân"), "money"),
                Column("settled", _("Đã quyết toán"), "money"),
                Column("remaining", _("Còn lại"), "money"),
            ],
            rows,
            note=""
            if self.area.is_province
            else _("Kinh phí được giao là của toàn tỉnh, không chia theo địa bàn."),
        )
        # The chart sums the sources of each year; the table beside it lists them.
        per_year: dict[int, Funds] = defaultdict(Funds)
        allocated: dict[int, int] = defaultdict(int)
        for r in self.budget:
            per_year[r.year].add(r.funds)
            allocated[r.year] += r.allocated or 0
        years = self.budget_years
        datasets = []
        if self.area.is_province:
            datasets.append({"label": _("Được giao"), "data": [allocated[y] for y in years]})
        datasets += [
            {"label": _("Đã phê duyệt"), "data": [per_year[y].approved for y in years]},
            {"label": _("Đã giải ngân"), "data": [per_year[y].disbursed for y in years]},
            {"label": _("Đã quyết toán"), "data": [per_year[y].settled for y in years]},
        ]
        table.chart = Chart("bar", [str(y) for y in years], datasets, money=True)
        return table

    def status_table(self) -> Table:
        table = Table(
            "by_status",
            _("Đề án năm %(year)s theo trạng thái") % {"year": self.year},
            [Column("label", _("Trạng thái"), "text"), Column("count", _("Số đề án"))],
            [[label, n] for _value, label, n in self.by_status],
            [_("Tổng cộng"), sum(n for _v, _l, n in self.by_status)],
        )
        # The table lists every status; the ring only those that hold projects, so its
        # legend is not a row of colours for nothing.
        held = [(label, n) for _value, label, n in self.by_status if n]
        table.chart = Chart(
            "doughnut",
            [label for label, _n in held],
            [{"label": _("Số đề án"), "data": [n for _label, n in held]}],
        )
        return table

    def activity_table(self) -> Table:
        groups = [g for g in self.annual.by_activity if g.figures.projects or g.figures.approved]
        table = funds_table(
            "by_activity",
            _("Đề án năm %(year)s theo nội dung khuyến công") % {"year": self.year},
            _("Nội dung khuyến công"),
            groups,
            compact=True,
        ).make_chart(["projects"], horizontal=True)
        table.empty = _("Chưa có đề án nào được phê duyệt kinh phí năm %(year)s.") % {
            "year": self.year
        }
        return table

    def locality_table(self) -> Table:
        return funds_table(
            "by_locality",
            _("Đề án năm %(year)s theo địa bàn") % {"year": self.year},
            _("Địa bàn"),
            self.annual.by_locality,
            compact=True,
        ).make_chart(["projects"], horizontal=True)


@dataclass
class YearFigures:
    """The dashboard's part of the annual report (reports/annual.py): the year's funds by
    activity type and by locality, and the outcomes achieved, with the same figures."""

    by_activity: list[Group]
    by_locality: list[Group]
    achieved: Outcomes

    @property
    def totals(self) -> Funds:
        return Funds.sum_of(g.figures for g in self.by_activity)


def _add_row(f: Funds, row: dict) -> None:
    """Add one grouped row of carried totals (one status) to `f`, as base.funds_by sums them."""
    status = row["status"]
    live = status != Status.CANCELLED
    if live:
        f.projects += row["s_projects"] or 0
        f.counterpart += row["s_counterpart_counted"] or 0
        f.counterpart_planned += row["s_counterpart"] or 0
    f.approved += row["s_approved"] or 0
    f.disbursed += row["s_disbursed"] or 0
    if status == Status.SETTLED:
        f.settled += row["s_settled"] or 0
        f.released += (row["s_approved"] or 0) - (row["s_settled"] or 0)
    elif status == Status.CANCELLED:
        # What a cancelled project already received stays spent.
        f.released += (row["s_approved"] or 0) - (row["s_disbursed"] or 0)


MONEY_SUMS = ("projects", "approved", "settled", "disbursed", "counterpart", "counterpart_counted")
ACHIEVED_SUMS = {f"achieved_{k}": k for k in OUTCOME_KEYS} | {
    "counterpart_invested": "counterpart_invested"
}
# (column of the grouped row, Outcomes field)
ACHIEVED_COLUMNS = tuple((f"s_{name}", key) for name, key in ACHIEVED_SUMS.items())
# (column of the grouped row, status): the projects of each status.
STATUS_COLUMNS = tuple((f"n_{value}", value) for value in Status.values)
# The rows whose funds count (base.carried).
CARRIED = Q(has_amount=True, allocation__isnull=False)


def _year_figures(area: Area, totals, year: int) -> tuple[YearFigures, dict[str, int]]:
    """The year's funds by activity type, outcomes and projects by status in one query grouped
    by activity type (a dozen rows whatever the number of projects: the statuses, the outcomes
    and the funds of the carried rows are its columns, summed by PostgreSQL), and the funds by
    locality in a second one."""

    def build():
        return (
            totals.filter(year=year)
            .values("activity_type_id")
            .annotate(
                # Of a column the index holds (the id is not: the read would go to the table,
                # as it did for an officer's area); never null, so every row counts.
                carried_rows=Count("status", filter=CARRIED),
                **funds_sums(CARRIED),
                **{f"s_{name}": Sum(name) for name in ACHIEVED_SUMS},
                **{column: Sum("projects", filter=Q(status=v)) for column, v in STATUS_COLUMNS},
            )
            .order_by()
        )

    # Compiled once per scope and year (khuyencong.compiled): `totals` is the area's.
    rows = compiled.values_rows(("dashboard.year", area.scope_key, year), build)
    by_status = dict.fromkeys(Status.values, 0)
    achieved = dict.fromkeys(ACHIEVED_SUMS.values(), 0)
    for row in rows:
        for column, value in STATUS_COLUMNS:
            by_status[value] += row[column] or 0
        for column, key in ACHIEVED_COLUMNS:
            achieved[key] += row[column] or 0
    # The activity types with carried rows, as base.funds_by gives them.
    keys = ["activity_type_id"]
    funds = funds_of_rows((row for row in rows if row["carried_rows"]), keys)
    funds_by_type = {key[0]: f for key, f in funds.items()}
    types = compiled.values_rows(
        ("dashboard.activity_types",),
        lambda: ActivityType.objects.values("pk", "name", "is_active"),
    )
    by_activity = [
        Group(t["pk"], t["name"], funds_by_type.get(t["pk"], Funds()))
        for t in types
        if t["is_active"] or t["pk"] in funds_by_type
    ]
    # By locality: from the totals with the locality (the province-wide summary has none).
    keys = ["locality_id"]
    locality_rows = compiled.values_rows(
        ("dashboard.by_locality", area.scope_key, year),
        lambda: funds_query(area.totals().filter(year=year), keys),
    )
    by_locality = {key[0]: f for key, f in funds_of_rows(locality_rows, keys).items()}
    figures = YearFigures(by_activity, area.roll_up(by_locality, Funds), Outcomes(**achieved))
    return figures, by_status


def _budget(area: Area, totals, years: list[int]) -> list[BudgetRow]:
    """reports.base.budget_use for the dashboard's years, from one grouped query of the totals
    (year × source × allocation × status × approved or not) and the allocations."""
    sources = compiled.instances(("dashboard.sources",), FundingSource.objects.all)
    province = area.is_province
    allocations = []
    if province:
        source_ids = tuple(s.pk for s in sources)
        allocations = [
            (a["pk"], a["year"], a["funding_source_id"], a["amount"])
            for a in compiled.values_rows(
                ("dashboard.allocations", tuple(years), source_ids),
                lambda: (
                    Allocation.objects.filter(year__in=years, funding_source__in=source_ids)
                    # Summed, so in no order: the default one joins the funding sources to sort.
                    .order_by()
                    .values("pk", "year", "funding_source_id", "amount")
                ),
            )
        ]
    ids = [pk for pk, _year, _source, _amount in allocations]

    def build():
        # An allocation's figures count every project drawing on it, whatever its year.
        wanted = Q(year__in=years) | Q(allocation_id__in=ids) if ids else Q(year__in=years)
        return (
            totals.filter(wanted)
            .values("year", "funding_source_id", "allocation_id", "status", "has_amount")
            .annotate(**{f"s_{name}": Sum(name) for name in MONEY_SUMS})
            .order_by()
        )

    # Compiled once per scope, years and allocations (khuyencong.compiled).
    rows = compiled.values_rows(
        ("dashboard.budget", area.scope_key, tuple(years), tuple(ids)), build
    )
    cells: dict[tuple, Funds] = {}
    allocated: dict[tuple, int] = defaultdict(int)
    in_years = set(years)
    # Carried rows of the years, per year and source (base.funds_by).
    carried: dict[tuple, Funds] = {}
    for row in rows:
        if row["has_amount"] and row["allocation_id"] is not None and row["year"] in in_years:
            key = (row["year"], row["funding_source_id"])
            if key not in carried:
                carried[key] = Funds()
            _add_row(carried[key], row)
    if province:
        # summaries.allocation_figures, from the same rows and by the same per-row rule.
        per_allocation = {pk: AllocationFigures() for pk in ids}
        summaries.add_allocation_rows(per_allocation, rows)
        for pk, year, source_id, amount in allocations:
            key = (year, source_id)
            allocated[key] += amount
            if key not in cells:
                cells[key] = Funds()
            f = per_allocation[pk]
            cells[key].add(
                Funds(
                    projects=f.projects,
                    approved=f.approved,
                    disbursed=f.disbursed,
                    settled=f.settled,
                    released=f.released,
                )
            )
        for key, f in carried.items():
            if key not in cells:
                cells[key] = Funds()
            cells[key].counterpart = f.counterpart
            cells[key].counterpart_planned = f.counterpart_planned
    else:
        cells = carried
    return [
        BudgetRow(
            year=year,
            source=source,
            allocated=allocated.get((year, source.pk), 0) if province else None,
            funds=cells.get((year, source.pk), Funds()),
        )
        for year in sorted(years)
        for source in sources
    ]


def dashboard(*, area: Area, year: int, budget_years: int = 5) -> Dashboard:
    """The figures of the dashboard: the same as the annual report's and budget_use's
    (tests/projects/reports/test_figures.py compares them), read in fewer, coarser queries:
    province-wide from ProvinceTotals, except the table by locality."""
    years = list(range(year - budget_years + 1, year + 1))
    # Province-wide, the totals without the locality (a few hundred rows a year, however many
    # projects and localities); otherwise the area's own rows.
    totals = ProvinceTotals.objects.all() if area.is_province else area.totals()
    budget = [
        row
        for row in _budget(area, totals, years)
        # Years before the portal held any budget would only add rows of zeros.
        if row.year == year or row.allocated or row.funds != Funds()
    ]
    figures, counts = _year_figures(area, totals, year)
    return Dashboard(
        year=year,
        area=area,
        budget=budget,
        annual=figures,
        by_status=[
            (value, label, counts.get(value, 0)) for value, label in _status_labels(get_language())
        ],
    )


@functools.lru_cache(maxsize=16)
def _status_labels(language: str | None) -> tuple[tuple[str, str], ...]:
    """The statuses and their labels in `language`, the active one (part of the key only;
    translations change only with a deploy)."""
    return tuple((value, str(label)) for value, label in Status.choices)


IMPLEMENTING = [Status.APPROVED, Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE]


def overdue_projects(user: User, today: datetime.date) -> QuerySet:
    """Projects in implementation (approved, in progress or awaiting acceptance) past their end
    date: drafts and applications still being decided are not late to finish anything."""
    return (
        access.scope_by_locality(Project.objects.all(), user)
        .filter(end_date__lt=today, status__in=IMPLEMENTING)
        .order_by("end_date", "pk")
    )


def overdue_actions(user: User, today: datetime.date) -> QuerySet:
    """Follow-up actions past their due date and not done, in the user's scope."""
    return (
        access.scope_by_locality(FollowUpAction.objects.all(), user, "project__locality")
        .filter(done_at__isnull=True, cancelled_at__isnull=True, due_date__lt=today)
        .select_related("project", "owner")
        .order_by("due_date", "pk")
    )


def facility_count(area: Area) -> int:
    """The facilities the area holds, added up from the registry's running totals
    (RegistryTotals: per locality and main sector, kept with every facility written), a few
    rows a locality instead of a count of every facility."""
    return compiled.total(
        ("dashboard.facility_count", area.scope_key),
        lambda: area.scope(RegistryTotals.objects.all()),
        "facilities",
    )
