"""3. Thống kê cơ sở CNNT: facilities and workers per year, with average annual growth."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    Max,
    Min,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from facilities.models import Sector, YearlyFigure
from projects.reports.base import (
    Addable,
    Area,
    Group,
    average_growth,
    outcomes_by,
    project_outcomes_by,
)
from projects.reports.tables import Column, Table

# --- 3. facility statistics ---------------------------------------------------------------


@dataclass
class Headcount(Addable):
    facilities: int = 0
    workers: int = 0


@dataclass
class Span(Addable):
    """Facilities and workers in the first and in the last year of a period."""

    first_facilities: int = 0
    first_workers: int = 0
    last_facilities: int = 0
    last_workers: int = 0


@dataclass
class FacilityStats:
    """Thống kê cơ sở CNNT: facilities and workers per year, growth, workers thanks to KC."""

    area: Area
    first_year: int
    last_year: int
    sector: Sector | None
    by_year: dict[int, Headcount]
    kc_workers: dict[int, int]
    by_sector: list[Group]
    by_locality: list[Group]

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
    def span(self) -> int:
        return self.last_year - self.first_year

    def growth(self, first: int, last: int) -> Decimal | None:
        return average_growth(first, last, self.span)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def first(self) -> Headcount:
        return self.by_year.get(self.first_year, Headcount())

    @property
    def last(self) -> Headcount:
        return self.by_year.get(self.last_year, Headcount())

    @property
    def workers_growth(self) -> Decimal | None:
        return self.growth(self.first.workers, self.last.workers)

    @property
    def facilities_growth(self) -> Decimal | None:
        return self.growth(self.first.facilities, self.last.facilities)

    @property
    def kc_first(self) -> int:
        return self.kc_workers.get(self.first_year, 0)

    @property
    def kc_last(self) -> int:
        return self.kc_workers.get(self.last_year, 0)

    @property
    def kc_workers_growth(self) -> Decimal | None:
        return self.growth(self.kc_first, self.kc_last)

    def tables(self) -> list[Table]:
        first, last = self.first_year, self.last_year
        by_year = Table(
            "by_year",
            _("Số cơ sở và lao động theo năm"),
            [
                Column("year", _("Năm"), "year"),
                Column("facilities", _("Số cơ sở")),
                Column("workers", _("Số lao động")),
                Column("kc_workers", _("Lao động có việc làm từ hoạt động khuyến công")),
            ],
            [
                [
                    y,
                    self.by_year.get(y, Headcount()).facilities,
                    self.by_year.get(y, Headcount()).workers,
                    self.kc_workers.get(y, 0),
                ]
                for y in self.years
            ],
        ).make_chart(["workers", "facilities", "kc_workers"], kind="line", secondary=(1,))
        growth = Table(
            "growth",
            _("Tốc độ tăng bình quân/năm %(start)s–%(end)s") % {"start": first, "end": last},
            [
                Column("label", _("Chỉ tiêu"), "text"),
                Column("first", str(first)),
                Column("last", str(last)),
                Column("growth", _("Tốc độ tăng bình quân/năm"), "percent"),
            ],
            [
                [
                    _("Số cơ sở"),
                    self.first.facilities,
                    self.last.facilities,
                    self.facilities_growth,
                ],
                [_("Số lao động"), self.first.workers, self.last.workers, self.workers_growth],
                [
                    _("Lao động có việc làm từ hoạt động khuyến công"),
                    self.kc_first,
                    self.kc_last,
                    self.kc_workers_growth,
                ],
            ],
            note=_(
                "Tốc độ tăng bình quân/năm = (năm cuối / năm đầu)^(1/số năm) − 1. "
                "Lao động có việc làm từ hoạt động khuyến công = việc làm tạo mới + có việc làm "
                "sau đào tạo, theo kết quả nghiệm thu đạt của các đề án trong năm."
            ),
        )
        columns = [
            Column("facilities_first", _("Số cơ sở %(year)s") % {"year": first}),
            Column("facilities_last", _("Số cơ sở %(year)s") % {"year": last}),
            Column("facilities_growth", _("Tăng bình quân/năm (cơ sở)"), "percent"),
            Column("workers_first", _("Lao động %(year)s") % {"year": first}),
            Column("workers_last", _("Lao động %(year)s") % {"year": last}),
            Column("workers_growth", _("Tăng bình quân/năm (lao động)"), "percent"),
        ]

        def cells(s: Span) -> list:
            return [
                s.first_facilities,
                s.last_facilities,
                self.growth(s.first_facilities, s.last_facilities),
                s.first_workers,
                s.last_workers,
                self.growth(s.first_workers, s.last_workers),
            ]

        def split(key: str, title: str, first_label: str, groups: list[Group]) -> Table:
            return Table(
                key,
                title,
                [Column("label", first_label, "text"), *columns],
                [[g.label, *cells(g.figures)] for g in groups],
                [_("Tổng cộng"), *cells(Span.sum_of(g.figures for g in groups))],
            ).make_chart(["workers_first", "workers_last"], horizontal=True)

        return [
            by_year,
            growth,
            split("by_sector", _("Theo ngành nghề"), _("Ngành nghề"), self.by_sector),
            split("by_locality", _("Theo địa bàn"), _("Địa bàn"), self.by_locality),
        ]


def facility_years(area: Area) -> tuple[int, int] | None:
    """The first and last year with yearly figures in the area (one query)."""
    span = area.scope(YearlyFigure.objects.all(), "facility__locality").aggregate(
        first=Min("year"), last=Max("year")
    )
    return (span["first"], span["last"]) if span["first"] else None


def facility_stats(
    *, area: Area, first_year: int, last_year: int, sector: Sector | None = None
) -> FacilityStats:
    figures = (
        area.scope(YearlyFigure.objects.all(), "facility__locality")
        .filter(year__gte=first_year, year__lte=last_year)
        .annotate(filed_locality=Coalesce("locality_id", "facility__locality_id"))
    )
    if sector is not None:
        figures = figures.filter(facility__main_sector=sector)
    by_year = {
        row["year"]: Headcount(row["n"], row["w"] or 0)
        for row in figures.values("year").annotate(n=Count("id"), w=Sum("workers")).order_by()
    }

    def spans(key: str) -> dict:
        out: dict = defaultdict(Span)
        rows = (
            figures.filter(year__in=[first_year, last_year])
            .values(key, "year")
            .annotate(n=Count("id"), w=Sum("workers"))
            .order_by()
        )
        for row in rows:
            # With first == last year both ends are the same figures.
            if row["year"] == first_year:
                out[row[key]].first_facilities = row["n"]
                out[row[key]].first_workers = row["w"] or 0
            if row["year"] == last_year:
                out[row[key]].last_facilities = row["n"]
                out[row[key]].last_workers = row["w"] or 0
        return dict(out)

    sector_spans = spans("facility__main_sector_id")
    sectors = [sector] if sector is not None else list(Sector.objects.all())
    if sector is None:
        totals = area.totals().filter(year__gte=first_year, year__lte=last_year)
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
        by_year=by_year,
        kc_workers=kc,
        by_sector=[Group(s.pk, s.name, sector_spans.get(s.pk, Span())) for s in sectors],
        # By the unit each year's figures were filed under (a facility may have moved since).
        by_locality=area.roll_up(spans("filed_locality"), Span),
    )
