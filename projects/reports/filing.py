"""Reports as the province files them: the letterhead and signature block (from the one
`ReportFiling` row), and amounts in the unit the user picks.

Units and rounding. Amounts are kept in whole đồng; a report shown in nghìn, triệu or tỷ đồng
divides each amount and rounds it half up (triệu and nghìn to whole units, tỷ to two
decimals). The rule, as in the statistical yearbooks and the province's reports upward:
**every cell, total rows included, is the exact amount rounded on its own**; a total is the
exact total rounded, not the sum of the rounded lines, so it can differ from that sum by a
unit or two, and the table says so. Nothing is ever summed from rounded figures.
"""

import datetime
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khuyencong import compiled
from projects.models import NATIONAL_MOTTO, NATIONAL_SLOGAN, ReportFiling
from projects.reports.tables import Column, Table


class Unit(models.TextChoices):
    DONG = "dong", gettext_lazy("đồng")
    THOUSAND = "nghin", gettext_lazy("nghìn đồng")
    MILLION = "trieu", gettext_lazy("triệu đồng")
    BILLION = "ty", gettext_lazy("tỷ đồng")


FACTORS = {Unit.DONG: 1, Unit.THOUSAND: 1_000, Unit.MILLION: 1_000_000, Unit.BILLION: 10**9}
DECIMALS = {Unit.DONG: 0, Unit.THOUSAND: 0, Unit.MILLION: 0, Unit.BILLION: 2}


def scale(amount, unit: str) -> Decimal | int | None:
    """An amount in đồng in `unit`, rounded half up: 1 075 500 000 → 1 076 (triệu), 1.08 (tỷ)."""
    if amount is None or not isinstance(amount, int | Decimal) or isinstance(amount, bool):
        return amount
    unit = Unit(unit or Unit.DONG)
    if unit == Unit.DONG:
        return amount
    exact = Decimal(amount) / FACTORS[unit]
    return exact.quantize(Decimal(1).scaleb(-DECIMALS[unit]), rounding=ROUND_HALF_UP)


def unit_kind(unit: str) -> str:
    """The kind of a money cell in `unit` (reports/tables.py `Column.kind`)."""
    if not unit or unit == Unit.DONG:
        return "money"
    return "scaled2" if DECIMALS[Unit(unit)] else "scaled"


def unit_note(unit: str) -> str:
    """What a table in `unit` says about its rounding ("" in đồng)."""
    if not unit or unit == Unit.DONG:
        return ""
    return _(
        "Số tiền tính bằng %(unit)s, mỗi ô làm tròn từ số đồng chính xác; dòng tổng cộng là "
        "tổng chính xác làm tròn nên có thể chênh với tổng các dòng đã làm tròn."
    ) % {"unit": Unit(unit).label}


def in_unit(table: Table, unit: str) -> Table:
    """The table with its money columns, and the count columns of its money rows, in `unit`
    (the same table for đồng). A streamed table's rows are converted as they are written."""
    if not unit or unit == Unit.DONG:
        return table
    unit = Unit(unit)
    money = {i for i, c in enumerate(table.columns) if c.kind == "money"}
    if not money and not table.money_rows:
        return table
    kind = unit_kind(unit)
    columns = [
        replace(c, kind=kind, unit=str(unit.label)) if i in money else c
        for i, c in enumerate(table.columns)
    ]

    def row_in_unit(row):
        return [scale(v, unit) if i in money else v for i, v in enumerate(row)]

    rows = table.rows
    rows = [row_in_unit(r) for r in rows] if isinstance(rows, list) else map(row_in_unit, rows)
    row_kinds = dict(table.row_kinds)
    counts = {i for i, c in enumerate(table.columns) if c.kind == "int"}
    for index, label in table.money_rows.items():
        row = rows[index]
        rows[index] = [
            f"{label} ({unit.label})" if i == 0 else scale(v, unit) if i in counts else v
            for i, v in enumerate(row)
        ]
        row_kinds[index] = [kind if i in counts else c.kind for i, c in enumerate(columns)]

    return replace(
        table,
        columns=columns,
        rows=rows,
        total=row_in_unit(table.total) if table.total is not None else None,
        note=f"{table.note} {unit_note(unit)}".strip(),
        row_kinds=row_kinds,
    )


@dataclass(frozen=True)
class Letterhead:
    """What the top and the bottom of a filed report say."""

    parent_agency: str
    agency: str
    number: str  # "Số: 12/BC-TTKC", or "Số:      /BC-TTKC" to be filled in by hand
    place_date: str  # "Cao Bằng, ngày 01 tháng 12 năm 2026"
    prepared_title: str
    prepared_name: str
    approved_title: str
    approved_name: str
    motto: str = NATIONAL_MOTTO
    slogan: str = NATIONAL_SLOGAN


def letterhead(*, number: str = "", on: datetime.date) -> Letterhead:
    # ReportFiling.load(), its statement compiled once per process (khuyencong.compiled): every
    # report page and workbook prints the letterhead.
    found = compiled.instances(
        ("reports.filing",), lambda: ReportFiling.objects.filter(pk=1).order_by("pk")[:1]
    )
    filing = found[0] if found else ReportFiling(pk=1, **ReportFiling.defaults())
    number = (number or "").strip()
    return Letterhead(
        parent_agency=filing.parent_agency,
        agency=filing.agency,
        number=_("Số: %(number)s%(suffix)s")
        % {"number": number or "\u00a0" * 6, "suffix": filing.number_suffix},
        place_date=_("%(place)s, ngày %(day)02d tháng %(month)02d năm %(year)s")
        % {"place": filing.place, "day": on.day, "month": on.month, "year": on.year},
        prepared_title=filing.prepared_title,
        prepared_name=filing.prepared_name,
        approved_title=filing.approved_title,
        approved_name=filing.approved_name,
    )


__all__ = [
    "Column",
    "Letterhead",
    "Unit",
    "in_unit",
    "letterhead",
    "scale",
    "unit_kind",
    "unit_note",
]
