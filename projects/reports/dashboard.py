"""Tổng quan: the figures of the home page, and what is overdue."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from facilities.models import Facility
from khuyencong import access
from khuyencong.models import User
from projects.models import (
    FollowUpAction,
    Project,
    Status,
)
from projects.reports.annual import AnnualReport, annual_report
from projects.reports.base import Area, BudgetRow, Funds, budget_use, projects_by
from projects.reports.tables import Chart, Column, Table, funds_table

# --- dashboard ----------------------------------------------------------------------------


@dataclass
class Dashboard:
    year: int
    area: Area
    budget: list[BudgetRow]
    annual: AnnualReport
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


def dashboard(*, area: Area, year: int, budget_years: int = 5) -> Dashboard:
    years = list(range(year - budget_years + 1, year + 1))
    by_status = projects_by(area.totals().filter(year=year), ["status"])
    counts = {key[0]: n for key, n in by_status.items()}
    budget = [
        row
        for row in budget_use(area, years)
        # Years before the portal held any budget would only add rows of zeros.
        if row.year == year or row.allocated or row.funds != Funds()
    ]
    return Dashboard(
        year=year,
        area=area,
        budget=budget,
        annual=annual_report(
            area=area, year=year, budget_rows=[r for r in budget if r.year == year]
        ),
        by_status=[(value, str(label), counts.get(value, 0)) for value, label in Status.choices],
    )


IMPLEMENTING = [Status.APPROVED, Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE]


def overdue_projects(user: User, today: datetime.date) -> QuerySet:
    """Projects in implementation (approved, in progress or awaiting acceptance) past their end
    date: drafts and applications still being decided are not late to finish anything."""
    return (
        access.scope_by_locality(Project.objects.for_list(), user)
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
    return area.scope(Facility.objects.all()).count()
