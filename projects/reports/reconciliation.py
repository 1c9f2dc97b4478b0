"""Đối chiếu: what the province reported upward against what its own records say.

Two checks, province-wide only (the reported figures are the province's, not a district's):

- **Reported indicators** (`ReportedFigure`, entered with their source by the centre): each is
  set beside the same figure computed from the records, and every difference is flagged.
  The registry's figures follow the package's definitions: facilities and workers are those
  of facilities with yearly figures that year; production value the sum of those reported;
  khuyến công jobs from counted acceptance reviews of the year's projects; projects and their
  funds are projects carried out (approved, not cancelled) and their approved amounts.
- **Plan totals**: for each year's annual plan, the sum of its funding sources against the
  approved amounts of the year's projects and against a reported total of khuyến công funds,
  if one was entered. The 2022 case: 9 projects and 1,075 million reported, against 850
  million local + 900 million national in the plan — flagged, not silently shown.

A fixed number of queries whatever the number of years: reported figures, yearly figures by
year, outcomes by year, projects by year, plan sources by year.
"""

from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils.translation import gettext as _

from facilities.models import FigureTotals
from khuyencong import compiled
from khuyencong.money import format_vnd
from projects.models import PlanBudget, ReportedFigure, ReportedIndicator, Status
from projects.reports.base import Area, outcomes_of_rows, outcomes_query
from projects.reports.base import carried as carried_totals
from projects.reports.tables import Column, Table

MATCH = "match"
DIFFERS = "differs"
NOT_REPORTED = "not_reported"


@dataclass
class Comparison:
    year: int
    indicator: str
    registry: int | None
    reported: ReportedFigure | None

    @property
    def state(self) -> str:
        if self.reported is None:
            return NOT_REPORTED
        return MATCH if self.reported.value == (self.registry or 0) else DIFFERS

    @property
    def difference(self) -> int | None:
        if self.reported is None:
            return None
        return self.reported.value - (self.registry or 0)


@dataclass
class PlanCheck:
    year: int
    sources: int  # the plan's funding sources added up
    projects: int  # projects carried out that year
    approved: int  # their approved amounts
    reported_funds: int | None
    reported_projects: int | None
    flags: list[str] = field(default_factory=list)


@dataclass
class Reconciliation:
    years: list[int]
    comparisons: list[Comparison]
    plans: list[PlanCheck]

    @property
    def differences(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.state == DIFFERS]

    @property
    def flagged_plans(self) -> list[PlanCheck]:
        return [p for p in self.plans if p.flags]

    def tables(self) -> list[Table]:
        labels = dict(ReportedIndicator.choices)
        states = {
            MATCH: _("Khớp"),
            DIFFERS: _("⚠ Chênh lệch"),
            NOT_REPORTED: _("Chưa nhập số liệu đã báo cáo"),
        }
        indicators = Table(
            "reconciliation",
            _("Đối chiếu số liệu đã báo cáo với số liệu của cổng"),
            [
                Column("year", _("Năm"), "year"),
                Column("indicator", _("Chỉ tiêu"), "text"),
                Column("registry", _("Theo số liệu của cổng")),
                Column("reported", _("Đã báo cáo")),
                Column("difference", _("Chênh lệch (đã báo cáo − cổng)")),
                Column("source", _("Nguồn số liệu đã báo cáo"), "text"),
                Column("state", _("Đối chiếu"), "text"),
            ],
            [
                [
                    c.year,
                    str(labels[c.indicator]),
                    c.registry,
                    c.reported.value if c.reported else None,
                    c.difference,
                    c.reported.source if c.reported else "",
                    str(states[c.state]),
                ]
                for c in self.comparisons
            ],
            note=_(
                "Số liệu của cổng: cơ sở và lao động của các cơ sở có số liệu hằng năm; lao động "
                "có việc làm từ kết quả nghiệm thu đạt; đề án và kinh phí là các đề án được phê "
                "duyệt, không bị hủy. Mọi chênh lệch đều được đánh dấu."
            ),
        )
        plans = Table(
            "plan_check",
            _("Đối chiếu tổng kinh phí kế hoạch năm"),
            [
                Column("year", _("Năm"), "year"),
                Column("sources", _("Tổng các nguồn của kế hoạch"), "money"),
                Column("approved", _("Tổng kinh phí các đề án được phê duyệt"), "money"),
                Column("projects", _("Số đề án")),
                Column("reported_funds", _("Tổng kinh phí đã báo cáo"), "money"),
                Column("reported_projects", _("Số đề án đã báo cáo")),
                Column("state", _("Đối chiếu"), "text"),
            ],
            [
                [
                    p.year,
                    p.sources,
                    p.approved,
                    p.projects,
                    p.reported_funds,
                    p.reported_projects,
                    " ".join(p.flags) if p.flags else str(_("Khớp")),
                ]
                for p in self.plans
            ],
        )
        # No annual plan in these years: nothing to check, no empty sheet.
        return [indicators, plans] if self.plans else [indicators]


def _money(value: int) -> str:
    return format_vnd(value)


def reconciliation(
    *,
    area: Area,
    years: list[int],
    outcomes: dict | None = None,
    figures: dict[int, dict] | None = None,
) -> Reconciliation | None:
    """None unless the area is the whole province. `outcomes`: `outcomes_by(area.year_totals()
    over these years, ["year"])` when the caller already has it (one query less). `figures`:
    the registry's sums of these years (year → its row, with the FIGURE_SUMS n, w, p and pn of
    facility_stats) when the caller has read them already (one read of every yearly figure's
    totals less)."""
    if not area.is_province or not years:
        return None
    years = sorted(years)
    # Each statement below depends only on the years (and the province's scope): compiled once
    # per process for each (khuyencong.compiled), not built by the ORM on every view.
    key = (area.scope_key, tuple(years))
    reported = {
        (r.year, r.indicator): r
        for r in compiled.instances(
            ("reconciliation.reported", *key),
            lambda: ReportedFigure.objects.filter(year__in=years).order_by(),
        )
    }
    # The registry's and the projects' running totals (facilities/summaries.py,
    # projects/planning/summaries.py) hold these sums: no scan of figures or projects.
    if figures is not None:
        figures = {year: {**row} for year, row in figures.items() if year in years}
    else:
        figures = _figures(area, years, key)
    for row in figures.values():
        # No facility gave a production value that year: not reported, not 0.
        if not row["pn"]:
            row["p"] = None
    totals = area.year_totals().filter(year__in=years)
    if outcomes is None:
        outcomes = outcomes_of_rows(
            compiled.values_rows(
                ("reconciliation.outcomes", *key), lambda: outcomes_query(totals, ["year"])
            ),
            ["year"],
        )
    carried = {
        row["year"]: row
        for row in compiled.values_rows(
            ("reconciliation.carried", *key),
            lambda: (
                carried_totals(totals)
                .exclude(status=Status.CANCELLED)
                .values("year")
                .annotate(n=Sum("projects"), s=Sum("approved"))
                .order_by()
            ),
        )
    }
    plan_sources = {
        row["plan__year"]: row["s"] or 0
        for row in compiled.values_rows(
            ("reconciliation.plans", *key),
            lambda: (
                PlanBudget.objects.filter(plan__year__in=years)
                .values("plan__year")
                .annotate(s=Sum("amount"))
                .order_by()
            ),
        )
    }

    def registry(year: int, indicator: str) -> int | None:
        f = figures.get(year, {})
        c = carried.get(year, {})
        return {
            ReportedIndicator.FACILITIES: f.get("n", 0),
            ReportedIndicator.WORKERS: f.get("w") or 0,
            ReportedIndicator.PRODUCTION_VALUE: f.get("p"),
            ReportedIndicator.KC_JOBS: outcomes[(year,)].kc_workers if (year,) in outcomes else 0,
            ReportedIndicator.PROJECTS: c.get("n", 0),
            ReportedIndicator.KC_FUNDS: c.get("s") or 0,
        }[indicator]

    comparisons = [
        Comparison(year, indicator, registry(year, indicator), reported.get((year, indicator)))
        for year in years
        for indicator in ReportedIndicator.values
    ]
    plans = []
    for year in years:
        if year not in plan_sources:
            continue
        funds = reported.get((year, ReportedIndicator.KC_FUNDS))
        count = reported.get((year, ReportedIndicator.PROJECTS))
        check = PlanCheck(
            year=year,
            sources=plan_sources[year],
            projects=carried.get(year, {}).get("n", 0),
            approved=carried.get(year, {}).get("s") or 0,
            reported_funds=funds.value if funds else None,
            reported_projects=count.value if count else None,
        )
        if check.reported_funds is not None and check.reported_funds != check.sources:
            check.flags.append(
                _("⚠ Tổng kinh phí đã báo cáo %(reported)s khác tổng các nguồn %(sources)s.")
                % {"reported": _money(check.reported_funds), "sources": _money(check.sources)}
            )
        if check.approved != check.sources:
            check.flags.append(
                _("⚠ Kinh phí các đề án %(approved)s khác tổng các nguồn %(sources)s.")
                % {"approved": _money(check.approved), "sources": _money(check.sources)}
            )
        if check.reported_projects is not None and check.reported_projects != check.projects:
            check.flags.append(
                _("⚠ Đã báo cáo %(reported)s đề án, cổng có %(projects)s.")
                % {"reported": check.reported_projects, "projects": check.projects}
            )
        plans.append(check)
    return Reconciliation(years, comparisons, plans)


def _figures(area: Area, years: list[int], key: tuple) -> dict[int, dict]:
    """The registry's sums of `years` (FigureTotals), year → row."""
    return {
        row["year"]: row
        for row in compiled.values_rows(
            ("reconciliation.figures", *key),
            lambda: (
                area.scope(FigureTotals.objects.filter(year__in=years), "facility_locality")
                .values("year")
                .annotate(
                    n=Sum("facilities"),
                    w=Sum("workers"),
                    p=Sum("production"),
                    pn=Sum("production_reported"),
                )
                .order_by()
            ),
        )
    }
