"""1. Báo cáo kết quả hoạt động khuyến công năm."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from khuyencong import compiled
from projects.models import (
    ActivityType,
    FundingSource,
)
from projects.reports.base import (
    OUTCOME_KEYS,
    Area,
    BudgetRow,
    Funds,
    Group,
    Outcomes,
    budget_use,
    expected_of_rows,
    expected_query,
    funds_of_rows,
    funds_query,
    outcomes_of_rows,
    outcomes_query,
    percent_of,
)
from projects.reports.reconciliation import reconciliation
from projects.reports.tables import (
    Column,
    Table,
    budget_cells,
    funds_columns,
    funds_table,
    outcome_label,
    sum_optional,
)

# --- 1. annual report ---------------------------------------------------------------------


@dataclass
class AnnualReport:
    """Báo cáo kết quả hoạt động khuyến công năm."""

    year: int
    area: Area
    funding_source: FundingSource | None
    by_source: list[BudgetRow]
    by_activity: list[Group]
    by_locality: list[Group]
    outcomes_by_activity: list[Group]
    expected: Outcomes
    achieved: Outcomes
    # Reported figures and the plan beside the records (reconciliation.py), on the report page.
    reconciliation: object = None

    @property
    def heading(self) -> str:
        return _("Báo cáo kết quả hoạt động khuyến công năm %(year)s") % {"year": self.year}

    @property
    def period(self) -> str:
        parts = [_("Năm %(year)s") % {"year": self.year}, self.area.label]
        if self.funding_source:
            parts.append(self.funding_source.name)
        return " · ".join(parts)

    @property
    def totals(self) -> Funds:
        return Funds.sum_of(g.figures for g in self.by_activity)

    def tables(self) -> list[Table]:
        with_budget = self.area.is_province
        source_rows = [
            [r.source.name, *budget_cells(r.allocated, r.funds, r.remaining)]
            for r in self.by_source
        ]
        total = Funds.sum_of(r.funds for r in self.by_source)
        by_source = Table(
            "by_source",
            _("Kinh phí theo nguồn"),
            [Column("label", _("Nguồn kinh phí"), "text"), *funds_columns(True)],
            source_rows,
            [
                _("Tổng cộng"),
                *budget_cells(
                    sum_optional(r.allocated for r in self.by_source),
                    total,
                    sum_optional(r.remaining for r in self.by_source),
                ),
            ],
            note=""
            if with_budget
            else _("Kinh phí được giao là của toàn tỉnh, không chia theo địa bàn."),
        ).make_chart(["approved", "disbursed", "settled"])
        by_activity = funds_table(
            "by_activity",
            _("Theo nội dung khuyến công"),
            _("Nội dung khuyến công"),
            self.by_activity,
        ).make_chart(["approved", "disbursed"], horizontal=True)
        by_locality = funds_table(
            "by_locality", _("Theo địa bàn"), _("Địa bàn"), self.by_locality
        ).make_chart(["approved", "disbursed"], horizontal=True)
        outcomes = Table(
            "outcomes",
            _("Kết quả đạt được"),
            [
                Column("label", _("Kết quả"), "text"),
                Column("expected", _("Kết quả dự kiến")),
                Column("achieved", _("Kết quả đạt được")),
                Column("percent", _("Tỷ lệ hoàn thành"), "percent"),
            ],
            [
                [
                    outcome_label(k),
                    getattr(self.expected, k),
                    getattr(self.achieved, k),
                    percent_of(getattr(self.achieved, k), getattr(self.expected, k)),
                ]
                for k in OUTCOME_KEYS
            ]
            + [
                [
                    _("Vốn đối ứng thực tế đã đầu tư (đồng)"),
                    sum(g.figures.counterpart_planned for g in self.by_activity),
                    self.achieved.counterpart_invested,
                    percent_of(
                        self.achieved.counterpart_invested,
                        sum(g.figures.counterpart_planned for g in self.by_activity),
                    ),
                ]
            ],
            note=_(
                "Kết quả đạt được lấy từ lần nghiệm thu đạt gần nhất của mỗi đề án "
                "(Đạt hoặc Đạt, cần bổ sung hoàn thiện)."
            ),
        )
        outcome_keys = OUTCOME_KEYS
        by_activity_outcomes = Table(
            "outcomes_by_activity",
            _("Kết quả đạt được theo nội dung khuyến công"),
            [
                Column("label", _("Nội dung khuyến công"), "text"),
                *[Column(k, outcome_label(k)) for k in outcome_keys],
            ],
            [
                [g.label, *[getattr(g.figures, k) for k in outcome_keys]]
                for g in self.outcomes_by_activity
            ],
            [
                _("Tổng cộng"),
                *[getattr(self.achieved, k) for k in outcome_keys],
            ],
        )
        tables = [by_source, by_activity, by_locality, outcomes, by_activity_outcomes]
        if self.reconciliation is not None:
            tables += self.reconciliation.tables()
        return tables


def annual_report(
    *,
    area: Area,
    year: int,
    funding_source: FundingSource | None = None,
    budget_rows: list[BudgetRow] | None = None,
    reconcile: bool = False,
) -> AnnualReport:
    """`budget_rows`: this year's `budget_use` rows when the caller already has them;
    `reconcile`: add the reconciliation with reported figures (the report page, not the
    dashboard)."""
    totals = area.totals().filter(year=year)
    # Without the locality: the province's rows when the area is the province.
    year_totals = area.year_totals().filter(year=year)
    if funding_source is not None:
        totals = totals.filter(funding_source=funding_source)
        year_totals = year_totals.filter(funding_source=funding_source)
    # Each breakdown grouped by the database: a few dozen rows, not one per activity type and
    # locality to add up in Python. Each statement depends only on the scope, the year and the
    # source: compiled once per process for each (khuyencong.compiled), not built by the ORM
    # on every view.
    key = (area.scope_key, year, funding_source.pk if funding_source is not None else None)
    by_type, by_locality, by_year = ["activity_type_id"], ["locality_id"], ["year"]

    def rows(name: str, build) -> list[dict]:
        return compiled.values_rows((f"annual.{name}", *key), build)

    funds_by_type = {
        k[0]: f
        for k, f in funds_of_rows(
            rows("funds_by_type", lambda: funds_query(year_totals, by_type)), by_type
        ).items()
    }
    funds_by_locality = {
        k[0]: f
        for k, f in funds_of_rows(
            rows("funds_by_locality", lambda: funds_query(totals, by_locality)), by_locality
        ).items()
    }
    outcomes = outcomes_of_rows(
        rows("outcomes", lambda: outcomes_query(year_totals, by_type)), by_type
    )
    outcomes_by_type = {k[0]: o for k, o in outcomes.items()}
    expected = expected_of_rows(
        rows("expected", lambda: expected_query(year_totals, by_year)), by_year
    )
    types = compiled.values_rows(
        ("annual.activity_types",), lambda: ActivityType.objects.values("pk", "name", "is_active")
    )
    shown_types = [t for t in types if t["is_active"] or t["pk"] in funds_by_type]
    return AnnualReport(
        year=year,
        area=area,
        funding_source=funding_source,
        by_source=budget_rows
        if budget_rows is not None
        else budget_use(area, [year], funding_source),
        by_activity=[
            Group(t["pk"], t["name"], funds_by_type.get(t["pk"], Funds())) for t in shown_types
        ],
        by_locality=area.roll_up(funds_by_locality, Funds),
        outcomes_by_activity=[
            Group(t["pk"], t["name"], outcomes_by_type.get(t["pk"], Outcomes()))
            for t in shown_types
        ],
        expected=Outcomes.sum_of(expected.values()),
        achieved=Outcomes.sum_of(outcomes.values()),
        reconciliation=reconciliation(area=area, years=[year]) if reconcile else None,
    )
