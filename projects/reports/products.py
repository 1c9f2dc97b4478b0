"""4. Sản phẩm CNNT tiêu biểu: recognitions by level, year, sector and locality."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, Min, Sum
from django.utils.translation import gettext as _

from facilities.models import RecognitionLevel, RecognitionTotals, Sector
from khuyencong import compiled
from projects.reports.base import Addable, Area, Group, sectors_of_reports
from projects.reports.tables import Column, Table

# --- 4. outstanding products --------------------------------------------------------------


@dataclass
class LevelCounts(Addable):
    commune: int = 0
    district: int = 0
    provincial: int = 0
    regional: int = 0
    national: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, level) for level in RecognitionLevel.values)


@dataclass
class ProductReport:
    """Sản phẩm CNNT tiêu biểu: recognitions by level, year, sector and locality."""

    area: Area
    first_year: int
    last_year: int
    level: str | None
    sector: Sector | None
    by_year: dict[int, LevelCounts]
    by_sector: list[Group]
    by_locality: list[Group]

    @property
    def heading(self) -> str:
        return _("Sản phẩm công nghiệp nông thôn tiêu biểu")

    @property
    def period(self) -> str:
        parts = [
            _("Giai đoạn %(start)s–%(end)s") % {"start": self.first_year, "end": self.last_year},
            self.area.label,
        ]
        if self.level:
            parts.append(str(RecognitionLevel(self.level).label))
        if self.sector:
            parts.append(self.sector.name)
        return " · ".join(parts)

    @property
    def levels(self) -> list[tuple[str, str]]:
        return [
            (value, str(label))
            for value, label in RecognitionLevel.choices
            if not self.level or value == self.level
        ]

    def _table(self, key, title, first, rows: list[tuple[str, LevelCounts]]) -> Table:
        levels = self.levels
        total = LevelCounts.sum_of(counts for _label, counts in rows)
        return Table(
            key,
            title,
            [
                Column("label", first, "text"),
                *[Column(value, label) for value, label in levels],
                Column("total", _("Tổng số")),
            ],
            [[label, *[getattr(c, value) for value, _l in levels], c.total] for label, c in rows],
            [_("Tổng cộng"), *[getattr(total, value) for value, _l in levels], total.total],
        )

    def tables(self) -> list[Table]:
        levels = [value for value, _label in self.levels]
        years = range(self.first_year, self.last_year + 1)
        by_year = self._table(
            "by_year",
            _("Theo năm công nhận"),
            _("Năm"),
            [(str(y), self.by_year.get(y, LevelCounts())) for y in years],
        ).make_chart(levels, stacked=True)
        by_sector = self._table(
            "by_sector",
            _("Theo ngành nghề"),
            _("Ngành nghề"),
            [(g.label, g.figures) for g in self.by_sector],
        ).make_chart(levels, stacked=True, horizontal=True)
        by_locality = self._table(
            "by_locality",
            _("Theo địa bàn"),
            _("Địa bàn"),
            [(g.label, g.figures) for g in self.by_locality],
        ).make_chart(levels, stacked=True, horizontal=True)
        return [by_year, by_sector, by_locality]


def recognition_years(area: Area) -> tuple[int, int] | None:
    span = area.scope(RecognitionTotals.objects.all(), "facility_locality").aggregate(
        first=Min("year"), last=Max("year")
    )
    return (span["first"], span["last"]) if span["first"] else None


def product_report(
    *,
    area: Area,
    first_year: int,
    last_year: int,
    level: str | None = None,
    sector: Sector | None = None,
) -> ProductReport:
    """Read from the registry's running totals (RecognitionTotals: recognitions per year,
    level, locality and main sector of the facility; facilities/summaries.py), not from every
    recognition joined with its product and facility: three grouped queries."""
    recognitions = area.scope(RecognitionTotals.objects.all(), "facility_locality").filter(
        year__gte=first_year, year__lte=last_year
    )
    if level:
        recognitions = recognitions.filter(level=level)
    if sector is not None:
        recognitions = recognitions.filter(main_sector=sector)

    # Each statement depends only on the scope, the years, the level and the sector: compiled
    # once per process for each (khuyencong.compiled), not built by the ORM on every view.
    statement = (
        area.scope_key,
        first_year,
        last_year,
        level or None,
        sector.pk if sector is not None else None,
    )

    def counts(key: str) -> dict:
        out: dict = defaultdict(LevelCounts)
        rows = compiled.values_rows(
            ("products.counts", key, *statement),
            lambda: recognitions.values(key, "level").annotate(n=Sum("recognitions")).order_by(),
        )
        for row in rows:
            setattr(out[row[key]], row["level"], row["n"])
        return dict(out)

    by_sector_counts = counts("main_sector_id")
    sectors = [sector] if sector is not None else sectors_of_reports()
    return ProductReport(
        area=area,
        first_year=first_year,
        last_year=last_year,
        level=level or None,
        sector=sector,
        by_year=counts("year"),
        by_sector=[Group(s.pk, s.name, by_sector_counts.get(s.pk, LevelCounts())) for s in sectors],
        by_locality=area.roll_up(counts("facility_locality_id"), LevelCounts),
    )
