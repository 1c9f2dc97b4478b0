"""2. Báo cáo thực hiện chương trình khuyến công giai đoạn: targets against results."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from khuyencong import compiled
from projects.models import (
    FundingSource,
    Indicator,
    IndicatorMeasure,
    Programme,
    ProgrammeBudget,
    Status,
    Target,
)
from projects.reports.base import (
    Area,
    Funds,
    Outcomes,
    budget_use,
    carried,
    outcomes_of_rows,
    outcomes_query,
    percent_of,
    projects_of_rows,
    projects_query,
)
from projects.reports.reconciliation import reconciliation
from projects.reports.tables import Column, Table, sum_optional

# --- 2. programme report ------------------------------------------------------------------

# Words that start a programme's name but are common nouns inside a sentence.
COMMON_OPENINGS = ("Chương trình", "Kế hoạch")


def in_sentence(name: str) -> str:
    """A programme's name inside a sentence, in Vietnamese sentence case:
    "Chương trình khuyến công tỉnh …" → "chương trình khuyến công tỉnh …"."""
    for opening in COMMON_OPENINGS:
        if name.startswith(opening):
            return name[0].lower() + name[1:]
    return name


@dataclass
class TargetResult:
    indicator: Indicator
    target: int
    by_year: dict[int, int]

    @property
    def result(self) -> int:
        return sum(self.by_year.values())

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.result, self.target)


@dataclass
class ProgrammeFunds:
    source: FundingSource
    planned: int
    allocated: int | None
    funds: Funds

    @property
    def used_percent(self) -> Decimal | None:
        """Disbursed against planned."""
        return percent_of(self.funds.disbursed, self.planned)


@dataclass
class ProgrammeReport:
    """Báo cáo thực hiện chương trình khuyến công giai đoạn."""

    programme: Programme
    area: Area
    targets: list[TargetResult]
    funds: list[ProgrammeFunds]
    reconciliation: object = None  # reconciliation.Reconciliation, province-wide

    @property
    def heading(self) -> str:
        return _("Báo cáo thực hiện %(name)s") % {"name": in_sentence(self.programme.name)}

    @property
    def period(self) -> str:
        return " · ".join(
            [
                _("Giai đoạn %(start)s–%(end)s")
                % {"start": self.programme.start_year, "end": self.programme.end_year},
                self.area.label,
            ]
        )

    @property
    def years(self) -> list[int]:
        return list(self.programme.years)

    def tables(self) -> list[Table]:
        years = self.years
        targets = Table(
            "targets",
            _("Chỉ tiêu và kết quả thực hiện"),
            [
                Column("label", _("Nội dung"), "text"),
                Column("unit", _("Đơn vị tính"), "text"),
                Column("target", _("Chỉ tiêu giai đoạn")),
                *[Column(f"y{y}", str(y)) for y in years],
                Column("result", _("Kết quả thực hiện")),
                Column("percent", _("Tỷ lệ hoàn thành"), "percent"),
            ],
            [
                [
                    t.indicator.name,
                    t.indicator.unit,
                    t.target,
                    *[t.by_year.get(y, 0) for y in years],
                    t.result,
                    t.percent,
                ]
                for t in self.targets
            ],
        ).make_chart(["target", "result"], horizontal=True)
        with_budget = self.area.is_province
        funds_rows = [
            [
                f.source.name,
                f.planned,
                f.allocated,
                f.funds.approved,
                f.funds.disbursed,
                f.funds.settled,
                f.used_percent,
            ]
            for f in self.funds
        ]
        planned = sum(f.planned for f in self.funds)
        disbursed = sum(f.funds.disbursed for f in self.funds)
        funds = Table(
            "funds",
            _("Kinh phí kế hoạch và thực hiện theo nguồn"),
            [
                Column("label", _("Nguồn kinh phí"), "text"),
                Column("planned", _("Kế hoạch giai đoạn"), "money"),
                Column("allocated", _("Được giao"), "money"),
                Column("approved", _("Đã phê duyệt"), "money"),
                Column("disbursed", _("Đã giải ngân"), "money"),
                Column("settled", _("Đã quyết toán"), "money"),
                Column("used_percent", _("Tỷ lệ giải ngân so với kế hoạch"), "percent"),
            ],
            funds_rows,
            [
                _("Tổng cộng"),
                planned,
                sum_optional(f.allocated for f in self.funds),
                sum(f.funds.approved for f in self.funds),
                disbursed,
                sum(f.funds.settled for f in self.funds),
                percent_of(disbursed, planned),
            ],
            note=""
            if with_budget
            else _("Kế hoạch và kinh phí được giao là của toàn tỉnh, không chia theo địa bàn."),
        ).make_chart(["planned", "approved", "disbursed"])
        tables = [targets, funds]
        if self.reconciliation is not None:
            tables += self.reconciliation.tables()
        return tables


def programme_report(
    *, area: Area, programme: Programme, reconcile: bool = True
) -> ProgrammeReport:
    years = list(programme.years)
    totals = area.year_totals().filter(year__in=years)
    # Each statement below depends only on the scope, the programme and its years: compiled
    # once per process for each (khuyencong.compiled), not built by the ORM on every view.
    key = (area.scope_key, programme.pk, tuple(years))
    targets = compiled.instances(
        ("programme.targets", programme.pk),
        lambda: Target.objects.filter(programme=programme).select_related(
            "indicator", "indicator__activity_type"
        ),
    )
    # Projects carried out per activity type and year (for project_count indicators).
    by_type_and_year, by_year = ["activity_type_id", "year"], ["year"]
    counts = projects_of_rows(
        compiled.values_rows(
            ("programme.counts", *key),
            lambda: projects_query(
                carried(totals).exclude(status=Status.CANCELLED), by_type_and_year
            ),
        ),
        by_type_and_year,
    )
    achieved_by_year = outcomes_of_rows(
        compiled.values_rows(("programme.outcomes", *key), lambda: outcomes_query(totals, by_year)),
        by_year,
    )
    results = []
    for target in targets:
        indicator = target.indicator
        if indicator.measure == IndicatorMeasure.PROJECT_COUNT:
            by_year = {y: counts.get((indicator.activity_type_id, y), 0) for y in years}
        else:
            by_year = {
                y: getattr(achieved_by_year.get((y,), Outcomes()), indicator.outcome_field, 0)
                for y in years
            }
        results.append(TargetResult(indicator, target.value, by_year))
    planned = {
        b["funding_source_id"]: b["planned_amount"]
        for b in compiled.values_rows(
            ("programme.planned", programme.pk),
            lambda: ProgrammeBudget.objects.filter(programme=programme).values(
                "funding_source_id", "planned_amount"
            ),
        )
    }
    per_source: dict[int, ProgrammeFunds] = {}
    for row in budget_use(area, years):
        item = per_source.setdefault(
            row.source.pk,
            ProgrammeFunds(
                row.source,
                planned.get(row.source.pk, 0),
                0 if row.allocated is not None else None,
                Funds(),
            ),
        )
        if row.allocated is not None:
            item.allocated += row.allocated
        item.funds.add(row.funds)
    return ProgrammeReport(
        programme,
        area,
        results,
        list(per_source.values()),
        reconciliation(area=area, years=years, outcomes=achieved_by_year) if reconcile else None,
    )


def default_programme(today: datetime.date) -> Programme | None:
    return (
        Programme.objects.filter(start_year__lte=today.year, end_year__gte=today.year).first()
        or Programme.objects.order_by("-end_year").first()
    )
