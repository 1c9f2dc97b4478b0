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

MONEY_FORMAT = "#,##0"
INT_FORMAT = "#,##0"
# Percents are stored as fractions (0.137) with Excel's percent format, so a sum or a product
# in the sheet comes out right; the report's figures are in percent (13.7).
PERCENT_FORMAT = "0.00%"
YEAR_FORMAT = "0"
HEADER_ROW = 4
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
}


def _styles() -> list[NamedStyle]:
    """Named cell styles: one per kind of column, plain and for the total row, and the title,
    subtitle, note and header. A named style is set on a cell by name, which is much cheaper
    than setting a border and a number format on each of tens of thousands of cells."""
    styles = [
        NamedStyle("kc_title", font=Font(bold=True, size=14)),
        NamedStyle("kc_subtitle", font=Font(italic=True)),
        NamedStyle("kc_note", font=Font(italic=True, size=9)),
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
    return f"{column.label} ({_('đồng')})" if column.kind == "money" else str(column.label)


def _value(value, kind: str):
    if value is None or value == "":
        return None
    if kind in ("money", "int", "year"):
        return int(value)
    if kind == "percent":
        return float(Decimal(str(value)) / 100)
    return str(value)


def _shown_width(value) -> int:
    return len(f"{value:,}") if isinstance(value, int) else len(str(value or ""))


def _write_table(ws, table: Table, heading: str, period: str, produced: datetime.date) -> None:
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
    ws.append([cell(ws, f"{heading} – {period}", style="kc_title")])
    subtitle = _("%(table)s · Ngày lập: %(date)s") % {
        "table": table.title,
        "date": produced.strftime("%d/%m/%Y"),
    }
    ws.append([cell(ws, subtitle, style="kc_subtitle")])
    ws.append([cell(ws, str(table.note), style="kc_note")] if table.note else [])
    if width > 1:
        last = get_column_letter(width)
        ws.merged_cells.add(f"A1:{last}1")
        ws.merged_cells.add(f"A2:{last}2")
    ws.append([cell(ws, header_label(c), style="kc_header") for c in table.columns])

    kinds = [column.kind for column in table.columns]
    make_row = portal_excel.RowMaker(ws, [f"kc_{kind}" for kind in kinds])
    body = rows if isinstance(rows, list) else itertools.chain(sample, rows)
    for values in body:
        ws.append(make_row([_value(v, k) for v, k in zip(values, kinds, strict=True)]))
    if table.total is not None:
        make_total = portal_excel.RowMaker(ws, [f"kc_{kind}_total" for kind in kinds])
        ws.append(make_total([_value(v, k) for v, k in zip(table.total, kinds, strict=True)]))


def build(*, heading: str, period: str, tables: list[Table], produced: datetime.date) -> Workbook:
    """A streaming workbook with one sheet per table (save with khuyencong.excel)."""
    wb = portal_excel.streaming_workbook()
    portal_excel.add_styles(wb, _styles())
    used: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(portal_excel.sheet_title(str(table.title), used))
        _write_table(ws, table, heading, period, produced)
    if not tables:
        wb.create_sheet(_("Báo cáo"))
    return wb


def workbook(*, heading: str, period: str, tables: list[Table], produced: datetime.date) -> bytes:
    return portal_excel.save(
        build(heading=heading, period=period, tables=tables, produced=produced)
    )


def named_workbook(report, *, filename: str, produced: datetime.date, tables=None):
    """The streaming workbook of `report` (anything with heading, period and tables()) and the
    name of its file."""
    book = build(
        heading=str(report.heading),
        period=str(report.period),
        tables=report.tables() if tables is None else tables,
        produced=produced,
    )
    return book, f"{slugify(fold(filename)) or 'bao-cao'}-{produced:%Y%m%d}.xlsx"


def response(report, *, filename: str, produced: datetime.date, tables=None) -> FileResponse:
    """An .xlsx download of `report`, streamed from a temporary file."""
    book, name = named_workbook(report, filename=filename, produced=produced, tables=tables)
    return portal_excel.download(book, name)
