"""Reports as .xlsx workbooks: one sheet per table of the report, the same figures as the page.

Each sheet: a title row (report name and period), a line with the date produced, the table's
header (frozen), its rows and its total row. Money is a number formatted #,##0 (đồng), percents
are fractions with a percent format (0.137 shown 13.70 %), years are numbers. The sheets are
write-only (streamed): the 10-year register of a province does not sit in memory.
"""

import datetime
import itertools
from decimal import Decimal

from django.http import FileResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from khuyencong import excel as portal_excel
from khuyencong.text import fold
from projects.reports import Table
from projects.reports.tables import NoData

MONEY_FORMAT = "#,##0"
INT_FORMAT = "#,##0"
# Percents are stored as fractions (0.137) with Excel's percent format, so a sum or a product
# in the sheet comes out right; the report's figures are in percent (13.7).
PERCENT_FORMAT = "0.00%"
YEAR_FORMAT = "0"
# Rows 1–3: the letterhead (agency and report number on the left, the national motto and the
# place and date on the right); 5: title; 6: table name and date; 7: note; 8: the header.
TITLE_ROW = 5
HEADER_ROW = 8
XLSX_TYPE = portal_excel.XLSX_TYPE
# Rows of a streamed table (the project register) read to size its columns.
WIDTH_SAMPLE = 500

_thin = Side(style="thin", color="999999")
_border = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_header_fill = PatternFill("solid", fgColor="DDEBF7")
_total_fill = PatternFill("solid", fgColor="F2F2F2")


FORMATS = {
    "money": MONEY_FORMAT,
    "int": INT_FORMAT,
    "percent": PERCENT_FORMAT,
    "year": YEAR_FORMAT,
    "text": "General",
    "scaled": "#,##0",
    "scaled2": "#,##0.00",
}


def _styles() -> list[NamedStyle]:
    """Named cell styles: one per kind of column, plain and for the total row, and the title,
    subtitle, note and header. A named style is set on a cell by name, which is much cheaper
    than setting a border and a number format on each of tens of thousands of cells."""
    styles = [
        NamedStyle("kc_title", font=Font(bold=True, size=14)),
        NamedStyle("kc_subtitle", font=Font(italic=True)),
        NamedStyle("kc_note", font=Font(italic=True, size=9)),
        NamedStyle("kc_head", font=Font(size=11), alignment=Alignment(horizontal="center")),
        NamedStyle("kc_head_bold", font=Font(bold=True), alignment=Alignment(horizontal="center")),
        NamedStyle(
            "kc_head_italic", font=Font(italic=True), alignment=Alignment(horizontal="center")
        ),
        NamedStyle(
            "kc_header",
            font=Font(bold=True),
            fill=_header_fill,
            border=_border,
            alignment=Alignment(wrap_text=True, vertical="center", horizontal="center"),
        ),
    ]
    for kind, number_format in FORMATS.items():
        styles.append(NamedStyle(f"kc_{kind}", number_format=number_format, border=_border))
        styles.append(
            NamedStyle(
                f"kc_{kind}_total",
                number_format=number_format,
                border=_border,
                font=Font(bold=True),
                fill=_total_fill,
            )
        )
    return styles


def header_label(column) -> str:
    if column.kind == "money":
        return f"{column.label} ({_('đồng')})"
    if column.unit:
        return f"{column.label} ({column.unit})"
    return str(column.label)


def _value(value, kind: str):
    if isinstance(value, NoData):
        return str(value)
    if value is None or value == "":
        return None
    if kind in ("money", "int", "year", "scaled"):
        return int(value)
    if kind == "scaled2":
        return float(value)
    if kind == "percent":
        return float(Decimal(str(value)) / 100)
    return str(value)


def _shown_width(value) -> int:
    return len(f"{value:,}") if isinstance(value, int) else len(str(value or ""))


def _halves(width: int) -> tuple[int, int]:
    """The first column of the left block is A; where the right block starts."""
    return (1, max(2, width // 2 + 1)) if width > 1 else (1, 1)


def _two_blocks(ws, width: int, number: int, left, right, styles: tuple[str, str]) -> None:
    """Row `number` (the next one) with `left` over the left half and `right` over the right
    half, each merged across its half."""
    cell = portal_excel.cell
    _first, middle = _halves(width)
    if width == 1:
        ws.append([cell(ws, f"{left}   {right}".strip(), style=styles[0])])
        return
    row = [None] * width
    row[0] = cell(ws, left, style=styles[0]) if left else None
    row[middle - 1] = cell(ws, right, style=styles[1]) if right else None
    ws.append(row)
    if middle > 2:
        ws.merged_cells.add(f"A{number}:{get_column_letter(middle - 1)}{number}")
    if width > middle:
        ws.merged_cells.add(
            f"{get_column_letter(middle)}{number}:{get_column_letter(width)}{number}"
        )


def _write_letterhead(ws, width: int, head) -> None:
    if head is None:
        for _i in range(TITLE_ROW - 1):
            ws.append([])
        return
    _two_blocks(ws, width, 1, head.parent_agency, head.motto, ("kc_head", "kc_head_bold"))
    _two_blocks(ws, width, 2, head.agency, head.slogan, ("kc_head_bold", "kc_head_bold"))
    _two_blocks(ws, width, 3, head.number, head.place_date, ("kc_head", "kc_head_italic"))
    ws.append([])


def _write_signatures(ws, width: int, after: int, head) -> None:
    """The signature block below row `after`: titles, a hint, room to sign, names."""
    bold, italic = ("kc_head_bold",) * 2, ("kc_head_italic",) * 2
    ws.append([])
    _two_blocks(ws, width, after + 2, head.prepared_title, head.approved_title, bold)
    hint = (_("(Ký, ghi rõ họ tên)"), _("(Ký tên, đóng dấu)"))
    _two_blocks(ws, width, after + 3, *hint, italic)
    for _i in range(3):
        ws.append([])
    _two_blocks(ws, width, after + 7, head.prepared_name, head.approved_name, bold)


def _write_table(
    ws,
    table: Table,
    heading: str,
    period: str,
    produced: datetime.date,
    head=None,
    signatures: bool = False,
) -> None:
    width = len(table.columns)
    rows = table.rows
    sample = rows if isinstance(rows, list) else list(itertools.islice(rows, WIDTH_SAMPLE))
    # Write-only sheets take column widths before their first row: sized from the rows (or,
    # for a streamed table, its first rows) and the total.
    widths = [min(max(len(header_label(c)) // 2 + 2, 10), 30) for c in table.columns]
    for values in [*sample, table.total or []]:
        for i, value in enumerate(values):
            shown = _shown_width(value)
            if shown + 2 > widths[i]:
                widths[i] = min(shown + 2, 60)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = f"{'B' if width > 1 else 'A'}{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    cell = portal_excel.cell
    _write_letterhead(ws, width, head)
    ws.append([cell(ws, f"{heading} – {period}", style="kc_title")])
    subtitle = _("%(table)s · Ngày lập: %(date)s") % {
        "table": table.title,
        "date": produced.strftime("%d/%m/%Y"),
    }
    ws.append([cell(ws, subtitle, style="kc_subtitle")])
    ws.append([cell(ws, str(table.note), style="kc_note")] if table.note else [])
    if width > 1:
        last = get_column_letter(width)
        ws.merged_cells.add(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
        ws.merged_cells.add(f"A{TITLE_ROW + 1}:{last}{TITLE_ROW + 1}")
    ws.append([cell(ws, header_label(c), style="kc_header") for c in table.columns])

    kinds = [column.kind for column in table.columns]
    make_row = portal_excel.RowMaker(ws, [f"kc_{kind}" for kind in kinds])
    body = rows if isinstance(rows, list) else itertools.chain(sample, rows)
    last_row = HEADER_ROW
    for index, values in enumerate(body):
        if index in table.row_kinds:
            own = table.row_kinds[index]
            styled = portal_excel.RowMaker(ws, [f"kc_{kind}" for kind in own])
            ws.append(styled([_value(v, k) for v, k in zip(values, own, strict=True)]))
        else:
            ws.append(make_row([_value(v, k) for v, k in zip(values, kinds, strict=True)]))
        last_row += 1
    if table.total is not None:
        make_total = portal_excel.RowMaker(ws, [f"kc_{kind}_total" for kind in kinds])
        ws.append(make_total([_value(v, k) for v, k in zip(table.total, kinds, strict=True)]))
        last_row += 1
    if head is not None and signatures:
        _write_signatures(ws, width, last_row, head)


def build(
    *,
    heading: str,
    period: str,
    tables: list[Table],
    produced: datetime.date,
    head=None,
) -> Workbook:
    """A streaming workbook with one sheet per table (save with khuyencong.excel). With a
    letterhead (`reports.filing.Letterhead`) every sheet starts with it and the last one ends
    with the signature block."""
    wb = portal_excel.streaming_workbook()
    portal_excel.add_styles(wb, _styles())
    used: set[str] = set()
    tables = list(tables)
    for index, table in enumerate(tables):
        ws = wb.create_sheet(portal_excel.sheet_title(str(table.title), used))
        last = index == len(tables) - 1
        _write_table(ws, table, heading, period, produced, head=head, signatures=last)
    if not tables:
        wb.create_sheet(_("Báo cáo"))
    return wb


def workbook(*, heading: str, period: str, tables: list[Table], produced: datetime.date) -> bytes:
    return portal_excel.save(
        build(heading=heading, period=period, tables=tables, produced=produced)
    )


def named_workbook(report, *, filename: str, produced: datetime.date, tables=None, head=None):
    """The streaming workbook of `report` (anything with heading, period and tables()) and the
    name of its file; `head`: the letterhead (projects/reports/filing.py)."""
    book = build(
        heading=str(report.heading),
        period=str(report.period),
        tables=report.tables() if tables is None else tables,
        produced=produced,
        head=head,
    )
    return book, f"{slugify(fold(filename)) or 'bao-cao'}-{produced:%Y%m%d}.xlsx"


def response(
    report, *, filename: str, produced: datetime.date, tables=None, head=None
) -> FileResponse:
    """An .xlsx download of `report`, streamed from a temporary file."""
    book, name = named_workbook(
        report, filename=filename, produced=produced, tables=tables, head=head
    )
    return portal_excel.download(book, name)
