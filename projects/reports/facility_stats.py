"""3. Thống kê cơ sở CNNT: facilities, workers, revenue and production value per year, by
sector and locality, with average annual growth.

Two counts of facilities, labelled apart on every table: *registered* (trong sổ) is every
facility of the registry in the area, whatever it reported; *reporting* (có số liệu) is those
with yearly figures for that year. The sums of workers, revenue and production value are over
the reporting ones.

A year in which no facility of the area reported figures is "chưa có số liệu", not 0: it is
shown so and left out of the growth rate, which runs from the first to the last year *with
data* in the chosen period (`used_years`); the page says which years those were. Production
value is optional on a yearly figure, so its years with data are those where at least one
facility reported it, and its sums cover those facilities only.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Min, Sum
from django.utils.translation import gettext as _

from facilities.models import FigureTotals, RegistryTotals, Sector
from khuyencong import compiled
from projects.reports.base import (
    Addable,
    Area,
    Group,
    average_growth,
    outcomes_by,
    project_outcomes_by,
    sectors_of_reports,
)
from projects.reports.reconciliation import reconciliation
from projects.reports.tables import NO_DATA, Column, Table

# --- 3. facility statistics ---------------------------------------------------------------


@dataclass
class YearFigures:
    """One year of the area: facilities that reported, and the sums of what they reported."""

    facilities: int = 0
    workers: int = 0
    revenue: int = 0
    production: int = 0
    production_reported: int = 0  # facilities that gave a production value


@dataclass
class Span(Addable):
    """A group (sector or locality) in the first and last year used, and its registry count."""

    registered: int = 0
    first_facilities: int = 0
    last_facilities: int = 0
    first_workers: int = 0
    last_workers: int = 0
    first_revenue: int = 0
    last_revenue: int = 0
    first_production: int = 0
    last_production: int = 0


@dataclass
class Indicator:
    """One line of the growth table: the years it was computed between, and the values."""

    label: str
    first_year: int | None
    last_year: int | None
    first: int | None
    last: int | None
    growth: Decimal | None
    missing: list[int]  # years of the period without data for this indicator
    money: bool = False  # an amount in đồng (the label says no unit: the report's unit does)


# Indicators of the growth table: key, label (built when called), value of a year, whether the
# year has data for it, whether it is an amount.
def _indicators():
    reported = lambda y: y.facilities > 0  # noqa: E731
    return [
        ("facilities", _("Số cơ sở có số liệu"), lambda y: y.facilities, reported, False),
        ("workers", _("Số lao động"), lambda y: y.workers, reported, False),
        ("revenue", _("Doanh thu"), lambda y: y.revenue, reported, True),
        (
            "production",
            _("Giá trị sản xuất"),
            lambda y: y.production,
            lambda y: y.production_reported > 0,
            True,
        ),
    ]


@dataclass
class FacilityStats:
    area: Area
    first_year: int
    last_year: int
    sector: Sector | None
    registered: int
    by_year: dict[int, YearFigures]
    kc_workers: dict[int, int]
    by_sector: list[Group]
    by_locality: list[Group]
    reconciliation: object = None  # reconciliation.Reconciliation, province-wide

    @property
    def heading(self) -> str:
        return _("Thống kê cơ sở công nghiệp nông thôn")

    @property
    def period(self) -> str:
        parts = [
            _("Giai đoạn %(start)s–%(end)s") % {"start": self.first_year, "end": self.last_year},
            self.area.label,
        ]
        if self.sector:
            parts.append(self.sector.name)
        return " · ".join(parts)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    def year(self, y: int) -> YearFigures:
        return self.by_year.get(y, YearFigures())

    @property
    def years_with_data(self) -> list[int]:
        return [y for y in self.years if self.year(y).facilities]

    @property
    def years_without_data(self) -> list[int]:
        return [y for y in self.years if not self.year(y).facilities]

    @property
    def used_years(self) -> tuple[int, int] | None:
        """The first and last year with figures in the period: the ends of every growth rate
        and of the breakdowns by sector and locality."""
        with_data = self.years_with_data
        return (with_data[0], with_data[-1]) if with_data else None

    def indicators(self) -> dict[str, Indicator]:
        out = {}
        for key, label, value, has_data, money in _indicators():
            years = [y for y in self.years if has_data(self.year(y))]
            missing = [y for y in self.years if y not in years]
            if not years:
                out[key] = Indicator(label, None, None, None, None, None, missing, money)
                continue
            first, last = years[0], years[-1]
            a, b = value(self.year(first)), value(self.year(last))
            out[key] = Indicator(
                label, first, last, a, b, average_growth(a, b, last - first), missing, money
            )
        return out

    @property
    def workers_growth(self) -> Decimal | None:
        return self.indicators()["workers"].growth

    @property
    def facilities_growth(self) -> Decimal | None:
        return self.indicators()["facilities"].growth

    @property
    def revenue_growth(self) -> Decimal | None:
        return self.indicators()["revenue"].growth

    @property
    def production_growth(self) -> Decimal | None:
        return self.indicators()["production"].growth

    @property
    def first(self) -> YearFigures:
        used = self.used_years
        return self.year(used[0]) if used else YearFigures()

    @property
    def last(self) -> YearFigures:
        used = self.used_years
        return self.year(used[1]) if used else YearFigures()

    @property
    def kc_first(self) -> int:
        return self.kc_workers.get(self.first_year, 0)

    @property
    def kc_last(self) -> int:
        return self.kc_workers.get(self.last_year, 0)

    @property
    def kc_workers_growth(self) -> Decimal | None:
        return average_growth(self.kc_first, self.kc_last, self.last_year - self.first_year)

    @property
    def years_note(self) -> str:
        """Which years the growth rates used, and which had no data."""
        used = self.used_years
        if used is None:
            return _("Không có năm nào trong giai đoạn có số liệu của cơ sở.")
        text = _(
            "Tốc độ tăng tính từ năm %(first)s đến năm %(last)s, năm đầu và năm cuối có số liệu "
            "trong giai đoạn."
        ) % {"first": used[0], "last": used[1]}
        if self.years_without_data:
            text += " " + _("Chưa có số liệu (không tính vào tốc độ tăng): năm %(years)s.") % {
                "years": ", ".join(str(y) for y in self.years_without_data)
            }
        return text

    def tables(self) -> list[Table]:
        def shown(y: int, value, has_data: bool):
            return value if has_data else NO_DATA

        rows = []
        for y in self.years:
            f = self.year(y)
            reported = f.facilities > 0
            rows.append(
                [
                    y,
                    shown(y, f.facilities, reported),
                    shown(y, f.workers, reported),
                    shown(y, f.revenue, reported),
                    shown(y, f.production, f.production_reported > 0),
                    self.kc_workers.get(y, 0),
                ]
            )
        by_year = Table(
            "by_year",
            _("Cơ sở, lao động, doanh thu và giá trị sản xuất theo năm"),
            [
                Column("year", _("Năm"), "year"),
                Column("facilities", _("Số cơ sở có số liệu")),
                Column("workers", _("Số lao động")),
                Column("revenue", _("Doanh thu"), "money"),
                Column("production", _("Giá trị sản xuất"), "money"),
                Column("kc_workers", _("Lao động có việc làm từ hoạt động khuyến công")),
            ],
            rows,
            note=_(
                "Số cơ sở trong sổ (toàn bộ cơ sở đã đăng ký trên địa bàn): %(n)s. Số cơ sở có "
                "số liệu: cơ sở đã báo cáo số liệu hằng năm của năm đó; lao động, doanh thu và "
                "giá trị sản xuất là tổng của các cơ sở này."
            )
            % {"n": f"{self.registered:,}".replace(",", ".")}
            + " "
            + self.years_note,
        ).make_chart(["workers", "facilities", "kc_workers"], kind="line", secondary=(1,))
        indicators = self.indicators()
        growth_rows = [
            [
                f"{i.label} ({_('đồng')})" if i.money else i.label,
                i.first_year,
                i.first,
                i.last_year,
                i.last,
                i.growth,
            ]
            for i in indicators.values()
        ]
        growth_rows.append(
            [
                _("Lao động có việc làm từ hoạt động khuyến công"),
                self.first_year,
                self.kc_first,
                self.last_year,
                self.kc_last,
                self.kc_workers_growth,
            ]
        )
        growth = Table(
            "growth",
            _("Tốc độ tăng bình quân/năm %(start)s–%(end)s")
            % {"start": self.first_year, "end": self.last_year},
            [
                Column("label", _("Chỉ tiêu"), "text"),
                Column("first_year", _("Năm đầu có số liệu"), "year"),
                Column("first", _("Số liệu năm đầu")),
                Column("last_year", _("Năm cuối có số liệu"), "year"),
                Column("last", _("Số liệu năm cuối")),
                Column("growth", _("Tốc độ tăng bình quân/năm"), "percent"),
            ],
            growth_rows,
            # Revenue and production value are amounts: in the unit the report is filed in.
            money_rows={index: i.label for index, i in enumerate(indicators.values()) if i.money},
            note=_(
                "Tốc độ tăng bình quân/năm = (năm cuối / năm đầu)^(1/số năm) − 1, giữa năm đầu "
                "và năm cuối có số liệu của từng chỉ tiêu. Lao động có việc làm từ hoạt động "
                "khuyến công = việc làm tạo mới + có việc làm sau đào tạo, theo kết quả nghiệm "
                "thu đạt của các đề án trong năm."
            )
            + " "
            + self.years_note,
        )
        tables = [
            by_year,
            growth,
            self._split("by_sector", _("Theo ngành nghề"), _("Ngành nghề"), self.by_sector),
            self._split("by_locality", _("Theo địa bàn"), _("Địa bàn"), self.by_locality),
        ]
        if self.reconciliation is not None:
            tables.append(self.reconciliation.tables()[0])
        return tables

    def _split(self, key: str, title: str, first_label: str, groups: list[Group]) -> Table:
        used = self.used_years or (self.first_year, self.last_year)
        first, last = used
        span = last - first

        def pair(name: str, label: str, kind: str = "int") -> list[Column]:
            return [
                Column(f"{name}_first", f"{label} {first}", kind),
                Column(f"{name}_last", f"{label} {last}", kind),
                Column(
                    f"{name}_growth",
                    _("Tăng bình quân/năm (%(what)s)") % {"what": label},
                    "percent",
                ),
            ]

        columns = [
            Column("label", first_label, "text"),
            Column("registered", _("Số cơ sở trong sổ")),
            *pair("facilities", _("Số cơ sở có số liệu")),
            *pair("workers", _("Lao động")),
            *pair("revenue", _("Doanh thu"), "money"),
            *pair("production", _("Giá trị sản xuất"), "money"),
        ]

        def cells(s: Span) -> list:
            out = [s.registered]
            for name in ("facilities", "workers", "revenue", "production"):
                a, b = getattr(s, f"first_{name}"), getattr(s, f"last_{name}")
                out += [a, b, average_growth(a, b, span)]
            return out

        return Table(
            key,
            title,
            columns,
            [[g.label, *cells(g.figures)] for g in groups],
            [_("Tổng cộng"), *cells(Span.sum_of(g.figures for g in groups))],
            note=_(
                "So sánh năm %(first)s với năm %(last)s (năm đầu và năm cuối có số liệu của "
                "giai đoạn)."
            )
            % {"first": first, "last": last},
        ).make_chart(["workers_first", "workers_last"], horizontal=True)


def facility_years(area: Area) -> tuple[int, int] | None:
    """The first and last year with yearly figures in the area (one query)."""
    span = area.scope(FigureTotals.objects.all(), "facility_locality").aggregate(
        first=Min("year"), last=Max("year")
    )
    return (span["first"], span["last"]) if span["first"] else None


# The sums of a group of FigureTotals rows (facilities/summaries.py): a row exists only for
# facilities that reported, so a count of facilities is a sum of counts.
FIGURE_SUMS = {
    "n": Sum("facilities"),
    "w": Sum("workers"),
    "r": Sum("revenue"),
    "p": Sum("production"),
    "pn": Sum("production_reported"),
}


def facility_stats(
    *,
    area: Area,
    first_year: int,
    last_year: int,
    sector: Sector | None = None,
    reconcile: bool = False,
) -> FacilityStats:
    """`reconcile`: add the reported figures beside the records (all sectors only: the
    province reports its totals).

    Read from the registry's running totals (FigureTotals, RegistryTotals), which hold the
    counts and sums of the yearly figures per year, locality of the facility (the scope),
    locality filed under (the by-locality table) and main sector: three queries, whatever the
    number of facilities."""
    figures = area.scope(FigureTotals.objects.all(), "facility_locality").filter(
        year__gte=first_year, year__lte=last_year
    )
    registry = area.scope(RegistryTotals.objects.all())
    if sector is not None:
        figures = figures.filter(main_sector=sector)
        registry = registry.filter(main_sector=sector)
    # Each statement below depends only on the scope, the years and the sector: compiled once
    # per process for each (khuyencong.compiled), not built by the ORM on every view.
    key = (area.scope_key, first_year, last_year, sector.pk if sector is not None else None)
    year_rows = {
        row["year"]: row
        for row in compiled.values_rows(
            ("facility_stats.by_year", *key),
            lambda: figures.values("year").annotate(**FIGURE_SUMS).order_by(),
        )
    }
    by_year = {
        year: YearFigures(
            row["n"] or 0, row["w"] or 0, row["r"] or 0, row["p"] or 0, row["pn"] or 0
        )
        for year, row in year_rows.items()
    }
    with_data = sorted(y for y, f in by_year.items() if f.facilities)
    first_used, last_used = (with_data[0], with_data[-1]) if with_data else (first_year, last_year)

    def spans(column: str) -> dict:
        # Grouped in the database: a few dozen rows reach Python, not one per summary row.
        out: dict = defaultdict(Span)
        rows = compiled.values_rows(
            ("facility_stats.spans", column, first_used, last_used, *key),
            lambda: (
                figures.filter(year__in=[first_used, last_used])
                .values(column, "year")
                .annotate(**FIGURE_SUMS)
                .order_by()
            ),
        )
        for row in rows:
            # With one year used both ends are the same figures.
            span = out[row[column]]
            if row["year"] == first_used:
                span.first_facilities = row["n"] or 0
                span.first_workers = row["w"] or 0
                span.first_revenue = row["r"] or 0
                span.first_production = row["p"] or 0
            if row["year"] == last_used:
                span.last_facilities = row["n"] or 0
                span.last_workers = row["w"] or 0
                span.last_revenue = row["r"] or 0
                span.last_production = row["p"] or 0
        registered = compiled.values_rows(
            ("facility_stats.registered", column, *key),
            lambda: registry.values(column).annotate(n=Sum("facilities")).order_by(),
        )
        for row in registered:
            out[row[column]].registered = row["n"] or 0
        return dict(out)

    sector_spans = spans("main_sector_id")
    # By the unit each year's figures were filed under (a facility may have moved since); the
    # registry's locality is the facility's own.
    locality_spans = spans("locality_id")
    sectors = [sector] if sector is not None else sectors_of_reports()
    if sector is None:
        totals = area.year_totals().filter(year__gte=first_year, year__lte=last_year)
        achieved = outcomes_by(totals, ["year"])
    else:
        # The totals are not split by the facility's sector: read the reviews.
        projects = area.projects().filter(
            year__gte=first_year, year__lte=last_year, facility__main_sector=sector
        )
        achieved = project_outcomes_by(projects, ["year"])
    kc = {key[0]: o.kc_workers for key, o in achieved.items()}
    return FacilityStats(
        area=area,
        first_year=first_year,
        last_year=last_year,
        sector=sector,
        registered=sum(span.registered for span in sector_spans.values()),
        by_year=by_year,
        kc_workers=kc,
        by_sector=[Group(s.pk, s.name, sector_spans.get(s.pk, Span())) for s in sectors],
        by_locality=area.roll_up(locality_spans, Span),
        # The registry's sums of every year of the period, all sectors: read above already.
        reconciliation=reconciliation(
            area=area,
            years=list(range(first_year, last_year + 1)),
            outcomes=achieved,
            figures=year_rows,
        )
        if reconcile and sector is None
        else None,
    )
