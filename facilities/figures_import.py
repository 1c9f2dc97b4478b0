"""Import of yearly figures of facilities already in the registry, from an .xlsx file.

`parse_figures(file, user=…)` reads the first sheet and checks every row without saving;
`import_figures(rows, user)` saves all rows or none and says what it did. The view shows the
first as a preview and calls the second on confirmation (a background job can call it too: it
takes plain rows and a user, no request).

A row names a facility by its tax code or its registry code ("Mã cơ sở", CS000123), a year and
the figures of that year. A facility and year with figures already is updated, otherwise
created; a row that changes nothing is left alone. Only facilities within the user's scope can
be named. A row with no year and no figure is skipped, so the template can list every facility
of the user's area and only the filled rows count.

Queries stay constant per batch of rows (BATCH): facilities are looked up by tax code and by
id, existing figures read, new figures created and changed ones updated a batch at a time, and
size classes computed in Python from thresholds read once (`SizeRules`).
"""

import datetime
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.styles import Font, NamedStyle
from openpyxl.utils import get_column_letter
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from facilities import summaries
from facilities.excel import (
    MAX_ROWS,
    _header_key,
    _RowError,
    _tax_code,
    _text,
    _whole_number,
    _year,
)
from facilities.models import Facility, SizeRules, YearlyFigure, parse_registry_code
from khuyencong import access, excel
from khuyencong.models import User

BATCH = 500
CHANGE_REASON = gettext_lazy("Nhập số liệu hằng năm từ Excel")
FIGURE_FIELDS = ("workers", "revenue", "production_value", "capital")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    required: bool = False
    help: str = ""
    example: str = ""


def figure_columns() -> list[Column]:
    """The columns of the file, in the template's order (Vietnamese headers, built when called
    in the active language)."""
    return [
        Column(
            "registry_code",
            _("Mã cơ sở"),
            12,
            help=_("Mã của cơ sở trong sổ (trang chi tiết cơ sở), ví dụ CS000123."),
            example="CS000123",
        ),
        Column(
            "tax_code",
            _("Mã số thuế"),
            16,
            help=_("Dùng khi không ghi Mã cơ sở. Phải ghi Mã cơ sở hoặc Mã số thuế."),
            example="4800123456",
        ),
        Column(
            "name",
            _("Tên cơ sở"),
            36,
            help=_("Chỉ để dễ đọc; không dùng để tìm cơ sở."),
            example=_("Công ty TNHH Minh An"),
        ),
        Column("year", _("Năm"), 8, True, _("Năm của số liệu, không ở tương lai."), "2024"),
        Column("workers", _("Số lao động"), 12, True, _("Số nguyên, không âm."), "25"),
        Column(
            "revenue",
            _("Doanh thu (đồng)"),
            18,
            help=_("Số đồng, không âm; để trống là 0."),
            example="4500000000",
        ),
        Column(
            "production_value",
            _("Giá trị sản xuất (đồng)"),
            18,
            help=_("Số đồng, không âm; để trống nếu cơ sở không báo cáo."),
            example="5200000000",
        ),
        Column(
            "capital",
            _("Tổng nguồn vốn (đồng)"),
            18,
            help=_("Số đồng, không âm; để trống là 0."),
            example="2000000000",
        ),
    ]


@dataclass
class FigureRow:
    number: int  # the row number Excel shows
    raw: dict[str, str]
    facility: Facility | None = None
    year: int | None = None
    values: dict = field(default_factory=dict)  # FIGURE_FIELDS → int or None
    action: str = ""  # "create" | "update" | "same"
    previous: dict | None = None  # the figure on file, for an update
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(column header, value on file, value in the file) of each figure an update changes."""
        if not self.previous:
            return []
        labels = {c.key: c.header for c in figure_columns()}
        return [
            (labels[k], self.previous[k], self.values[k])
            for k in FIGURE_FIELDS
            if self.previous[k] != self.values[k]
        ]


@dataclass
class FigureImport:
    rows: list[FigureRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[FigureRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.rows) and not self.bad_rows

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.ok and r.action == action)

    @property
    def to_create(self) -> int:
        return self.count("create")

    @property
    def to_update(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("same")


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int


class ImportRefused(Exception):
    """The rows no longer hold (a facility moved out of scope, a row with errors)."""


def _batches(items, size=BATCH):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# ---------------------------------------------------------------------------------------------
# Reading


def _header_map(ws, columns: list[Column]) -> tuple[int, dict[str, int]] | None:
    """The header row is the first of the top 15 holding “Năm” and a way to name the facility."""
    wanted = {}
    with translation.override(settings.LANGUAGE_CODE):
        source = {c.key: c.header for c in figure_columns()}
    for column in columns:
        wanted[_header_key(column.header)] = column.key
        wanted[_header_key(source[column.key])] = column.key
    for index, row in enumerate(ws.iter_rows(min_row=1, max_row=15, values_only=True), start=1):
        positions = {}
        for position, value in enumerate(row):
            key = wanted.get(_header_key(value))
            if key and key not in positions:
                positions[key] = position
        if "year" in positions and ({"tax_code", "registry_code"} & positions.keys()):
            return index, positions
    return None


def parse_figures(file, *, user: User) -> FigureImport:
    """Read the first sheet and check every row against the registry. Saves nothing."""
    result = FigureImport()
    columns = figure_columns()
    labels = {c.key: c.header for c in columns}
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a file that is not .xlsx
        result.file_errors.append(
            _("Không đọc được tệp. Hãy dùng tệp Excel .xlsx (ví dụ tệp mẫu của trang này).")
        )
        return result
    cells = []
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        found = _header_map(ws, columns)
        if found is None:
            result.file_errors.append(
                _(
                    "Không tìm thấy dòng tiêu đề có cột “Năm” và cột “Mã cơ sở” hoặc “Mã số "
                    "thuế” trong 15 dòng đầu của trang đầu."
                )
            )
            return result
        header_row, positions = found
        missing = [c.header for c in columns if c.required and c.key not in positions]
        if missing:
            result.file_errors.append(_("Tệp thiếu cột: %(cols)s.") % {"cols": ", ".join(missing)})
            return result
        for number, values in enumerate(
            ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
        ):
            row = {k: values[p] if p < len(values) else None for k, p in positions.items()}
            # A template row naming a facility but holding no figure is not a row to import.
            if all(_text(row.get(k)) == "" for k in ("year", *FIGURE_FIELDS)):
                continue
            if len(cells) >= MAX_ROWS:
                result.file_errors.append(
                    _("Tệp có hơn %(n)s dòng; hãy chia thành nhiều tệp.") % {"n": MAX_ROWS}
                )
                return result
            cells.append((number, row))
    finally:
        wb.close()
    if not cells:
        result.file_errors.append(_("Tệp không có dòng số liệu nào dưới dòng tiêu đề."))
        return result

    for number, row_cells in cells:
        result.rows.append(_read_row(number, row_cells, labels))
    _match_facilities(result.rows, user)
    _compare_with_registry(result.rows)
    return result


def _read_row(number: int, cells: dict, labels: dict) -> FigureRow:
    row = FigureRow(number=number, raw={k: _text(v) for k, v in cells.items()})

    def attempt(func, *args):
        try:
            return func(*args)
        except _RowError as exc:
            row.errors.append(_("Cột “%(col)s”: %(msg)s") % {"col": args[1], "msg": exc})
            return None

    row.year = attempt(_year, cells.get("year"), labels["year"], 1900)
    if not row.raw.get("year"):
        row.errors.append(_("Cột “%(col)s”: thiếu năm.") % {"col": labels["year"]})
    for key in FIGURE_FIELDS:
        row.values[key] = attempt(_whole_number, cells.get(key), labels[key])
    if row.values["workers"] is None and not row.raw.get("workers"):
        row.errors.append(_("Cột “%(col)s”: thiếu số lao động.") % {"col": labels["workers"]})
    for key in ("revenue", "capital"):
        if row.values[key] is None:
            row.values[key] = 0
    code = row.raw.get("registry_code", "")
    row.raw["registry_id"] = ""
    if code:
        pk = parse_registry_code(code)
        if pk is None:
            row.errors.append(
                _("Cột “%(col)s”: “%(value)s” không phải mã cơ sở (ví dụ CS000123).")
                % {"col": labels["registry_code"], "value": code}
            )
        else:
            row.raw["registry_id"] = str(pk)
    row.raw["tax_code"] = _tax_code(cells.get("tax_code"))
    if not code and not row.raw["tax_code"]:
        row.errors.append(
            _("Thiếu cơ sở: ghi cột “%(a)s” hoặc cột “%(b)s”.")
            % {"a": labels["registry_code"], "b": labels["tax_code"]}
        )
    return row


def _match_facilities(rows: list[FigureRow], user: User) -> None:
    """Find each row's facility among all (to say "not found" apart from "not yours"), a batch
    at a time: two queries per batch."""
    labels = {c.key: c.header for c in figure_columns()}
    scoped = access.scope_by_locality(Facility.objects.all(), user)
    for batch in _batches(rows):
        ids = {int(r.raw["registry_id"]) for r in batch if r.raw.get("registry_id")}
        codes = {r.raw["tax_code"] for r in batch if r.raw.get("tax_code")}
        found = Facility.objects.filter(Q(pk__in=ids) | Q(tax_code__in=codes)).select_related(
            "main_sector", "locality"
        )
        by_id = {f.pk: f for f in found}
        by_code = {f.tax_code: f for f in by_id.values() if f.tax_code}
        mine = set(scoped.filter(pk__in=list(by_id)).values_list("pk", flat=True))
        for row in batch:
            by_registry = by_tax = None
            if row.raw.get("registry_id"):
                by_registry = by_id.get(int(row.raw["registry_id"]))
                if by_registry is None:
                    row.errors.append(
                        _("Cột “%(col)s”: không có cơ sở mã %(code)s trong sổ.")
                        % {"col": labels["registry_code"], "code": row.raw["registry_code"]}
                    )
                    continue
            if row.raw.get("tax_code"):
                by_tax = by_code.get(row.raw["tax_code"])
                if by_tax is None:
                    row.errors.append(
                        _("Cột “%(col)s”: không có cơ sở mã số thuế %(code)s trong sổ.")
                        % {"col": labels["tax_code"], "code": row.raw["tax_code"]}
                    )
                    continue
            if by_registry and by_tax and by_registry != by_tax:
                row.errors.append(
                    _(
                        "Mã cơ sở %(code)s là “%(a)s” nhưng mã số thuế %(tax)s là “%(b)s”; "
                        "hai cột phải chỉ cùng một cơ sở."
                    )
                    % {
                        "code": row.raw["registry_code"],
                        "a": by_registry.name,
                        "tax": row.raw["tax_code"],
                        "b": by_tax.name,
                    }
                )
                continue
            facility = by_registry or by_tax
            if facility is None:  # no usable code: already said
                continue
            if facility.pk not in mine:
                row.errors.append(
                    _("Cơ sở “%(name)s” thuộc địa bàn ngoài phạm vi bạn phụ trách.")
                    % {"name": facility.name}
                )
                continue
            row.facility = facility


def _compare_with_registry(rows: list[FigureRow]) -> None:
    """Mark each row create, update or same (one query per batch) and refuse a facility and
    year named twice in the file."""
    first_row: dict[tuple[int, int], int] = {}
    for row in rows:
        if row.facility and row.year:
            key = (row.facility.pk, row.year)
            if key in first_row:
                row.errors.append(
                    _("Cơ sở “%(name)s” năm %(year)s đã có ở dòng %(row)s của tệp.")
                    % {"name": row.facility.name, "year": row.year, "row": first_row[key]}
                )
            else:
                first_row[key] = row.number
    for batch in _batches([r for r in rows if r.ok]):
        existing = _existing(batch)
        for row in batch:
            previous = existing.get((row.facility.pk, row.year))
            if previous is None:
                row.action = "create"
            else:
                row.previous = previous
                row.action = "update" if row.changes else "same"


def _existing(rows: list[FigureRow]) -> dict[tuple[int, int], dict]:
    figures = YearlyFigure.objects.filter(
        facility_id__in={r.facility.pk for r in rows}, year__in={r.year for r in rows}
    ).values("pk", "facility_id", "year", *FIGURE_FIELDS)
    return {(f["facility_id"], f["year"]): f for f in figures}


# ---------------------------------------------------------------------------------------------
# Saving


def import_figures(rows: list[FigureRow], user: User) -> ImportOutcome:
    """Create or update the figures of `rows` (from `parse_figures`, without errors), all or
    none. The scope and what is on file are read again inside the transaction: a facility moved
    out of the user's scope since the preview refuses the whole import, and a figure entered by
    hand meanwhile is updated rather than duplicated (the unique constraint guards the rest)."""
    if not rows or any(not row.ok for row in rows):
        raise ImportRefused(_("Chỉ nhập được khi mọi dòng đều hợp lệ."))
    rules = SizeRules()
    created = updated = unchanged = 0
    touched: set[int] = set()
    scoped = access.scope_by_locality(Facility.objects.all(), user)
    with transaction.atomic():
        for batch in _batches(rows):
            ids = {row.facility.pk for row in batch}
            if scoped.filter(pk__in=ids).count() != len(ids):
                raise ImportRefused(
                    _("Một số cơ sở trong tệp không còn thuộc phạm vi bạn phụ trách.")
                )
            existing = _existing(batch)
            new, changed = [], []
            for row in batch:
                previous = existing.get((row.facility.pk, row.year))
                if previous and all(previous[k] == row.values[k] for k in FIGURE_FIELDS):
                    unchanged += 1
                    continue
                figure = YearlyFigure(
                    pk=previous["pk"] if previous else None,
                    facility=row.facility,
                    year=row.year,
                    # A new year is filed under the facility's unit of today (YearlyFigure.save).
                    locality_id=row.facility.locality_id,
                    **row.values,
                )
                figure.size_class = rules.classify(
                    workers=figure.workers,
                    revenue=figure.revenue,
                    capital=figure.capital,
                    size_group=row.facility.main_sector.size_group,
                    on=datetime.date(row.year, 12, 31),
                )
                (changed if previous else new).append(figure)
                touched.add(row.facility.pk)
            reason = str(CHANGE_REASON)
            if new:
                bulk_create_with_history(
                    new, YearlyFigure, default_user=user, default_change_reason=reason
                )
            if changed:
                bulk_update_with_history(
                    changed,
                    YearlyFigure,
                    [*FIGURE_FIELDS, "size_class"],
                    default_user=user,
                    default_change_reason=reason,
                )
            created += len(new)
            updated += len(changed)
        _refresh_size_classes(touched)
        # Bulk writes send no signals: the reports' totals of these facilities' localities.
        summaries.refresh_localities(
            Facility.objects.filter(pk__in=touched).values_list("locality_id", flat=True).distinct()
        )
    return ImportOutcome(created=created, updated=updated, unchanged=unchanged)


def _refresh_size_classes(facility_ids: set[int]) -> None:
    """The facility's size class follows its latest figure (Facility.refresh_size_class), for
    many facilities: one read per batch, one update per size class."""
    for batch in _batches(sorted(facility_ids)):
        latest: dict[int, str] = {}
        rows = (
            YearlyFigure.objects.filter(facility_id__in=batch)
            .order_by("facility_id", "-year")
            .values_list("facility_id", "size_class")
        )
        for facility_id, size_class in rows:
            latest.setdefault(facility_id, size_class)
        by_class: dict[str, list[int]] = {}
        for facility_id, size_class in latest.items():
            by_class.setdefault(size_class, []).append(facility_id)
        for size_class, ids in by_class.items():
            Facility.objects.filter(pk__in=ids).exclude(size_class=size_class).update(
                size_class=size_class
            )


# ---------------------------------------------------------------------------------------------
# Template


def template_book(*, user: User):
    """A streaming workbook: the figures sheet listing every facility of the user's area (code,
    tax code, name) with the figure columns empty, and a guide sheet."""
    columns = figure_columns()
    wb = excel.streaming_workbook()
    excel.add_styles(
        wb,
        [
            NamedStyle("kc_fig_header", font=Font(bold=True)),
            NamedStyle("kc_fig_code", number_format="@"),
        ],
    )
    ws = wb.create_sheet(_("Số liệu hằng năm"))
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "D2"
    ws.append(
        [
            excel.cell(ws, f"{c.header} *" if c.required else c.header, style="kc_fig_header")
            for c in columns
        ]
    )
    facilities = (
        access.scope_by_locality(Facility.objects.all(), user)
        .order_by("locality__path", "name", "pk")
        .values_list("pk", "tax_code", "name")
    )
    make_row = excel.RowMaker(ws, [None, "kc_fig_code", None])
    for pk, tax_code, name in facilities.iterator(chunk_size=2000):
        ws.append(make_row([Facility(pk=pk).registry_code, tax_code, name]))
    guide = wb.create_sheet(_("Hướng dẫn"))
    for letter, width in zip("ABCD", (26, 10, 70, 20), strict=True):
        guide.column_dimensions[letter].width = width
    guide.append(
        [
            excel.cell(guide, t, style="kc_fig_header")
            for t in (_("Cột"), _("Bắt buộc"), _("Cách ghi"), _("Ví dụ"))
        ]
    )
    for column in columns:
        guide.append(
            [column.header, _("Có") if column.required else "", column.help, column.example]
        )
    guide.append([])
    guide.append(
        [
            _(
                "Mỗi dòng là số liệu một năm của một cơ sở đã có trong sổ. Dòng không ghi năm "
                "và số liệu nào được bỏ qua. Năm đã có số liệu thì được cập nhật."
            )
        ]
    )
    return wb
