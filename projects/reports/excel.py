"""Reports as .xlsx workbooks: one sheet per table of the report, the same figures as the page.

Each sheet: a title row (report name and period), a line with the date produced, the table's
header (frozen), its rows and its total row. Money is a number formatted #,##0 (đồng), percents
are numbers with two decimals.
"""

import datetime
import re

from django.http import HttpResponse
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
PERCENT_FORMAT = '0.00"%"'
HEADER_ROW = 4
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_thin = Side(style="thin", color="999999")
_border = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_header_fill = PatternFill("solid", fgColor="DDEBF7")
_total_fill = PatternFill("solid", fgColor="F2F2F2")


FORMATS = {"money": MONEY_FORMAT, "int": INT_FORMAT, "percent": PERCENT_FORMAT, "text": "General"}


def _add_styles(wb: Workbook) -> None:
    """Named cell styles: one per kind of column, plain and for the total row.

    A named style is set on a cell by name, which is much cheaper than setting a border and a
    number format on each of tens of thousands of cells.
    """
    for kind, number_format in FORMATS.items():
        wb.add_named_style(NamedStyle(f"kc_{kind}", number_format=number_format, border=_border))
        wb.add_named_style(
            NamedStyle(
                f"kc_{kind}_total",
                number_format=number_format,
                border=_border,
                font=Font(bold=True),
                fill=_total_fill,
            )
        )


def header_label(column) -> str:
    return f"{column.label} ({_('đồng')})" if column.kind == "money" else str(column.label)


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ , unique in the workbook.
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _value(value, kind: str):
    if value is None or value == "":
        return None
    if kind in ("money", "int"):
        return int(value)
    if kind == "percent":
        return float(value)
    return str(value)


def _write_table(ws, table: Table, heading: str, period: str, produced: datetime.date) -> None:
    width = len(table.columns)
    ws.cell(row=1, column=1, value=f"{heading} – {period}").font = Font(bold=True, size=14)
    ws.cell(
        row=2,
        column=1,
        value=_("%(table)s · Ngày lập: %(date)s")
        % {"table": table.title, "date": produced.strftime("%d/%m/%Y")},
    ).font = Font(italic=True)
    if table.note:
        ws.cell(row=3, column=1, value=str(table.note)).font = Font(italic=True, size=9)
    if width > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    widths = []
    for i, column in enumerate(table.columns, 1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=header_label(column))
        cell.font = Font(bold=True)
        cell.fill = _header_fill
        cell.border = _border
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        widths.append(min(max(len(header_label(column)) // 2 + 2, 10), 30))
    rows = list(table.rows)
    if table.total is not None:
        rows.append(table.total)
    styles = [f"kc_{column.kind}" for column in table.columns]
    last = HEADER_ROW + len(rows)
    for r, row in enumerate(rows, HEADER_ROW + 1):
        suffix = "_total" if table.total is not None and r == last else ""
        for i, (value, column) in enumerate(zip(row, table.columns, strict=True), 1):
            cell = ws.cell(row=r, column=i, value=_value(value, column.kind))
            cell.style = styles[i - 1] + suffix
            shown = len(f"{value:,}") if isinstance(value, int) else len(str(value or ""))
            if shown + 2 > widths[i - 1]:
                widths[i - 1] = min(shown + 2, 60)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2 if width > 1 else 1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def workbook(*, heading: str, period: str, tables: list[Table], produced: datetime.date) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _add_styles(wb)
    used: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(_sheet_title(str(table.title), used))
        _write_table(ws, table, heading, period, produced)
    if not tables:
        wb.create_sheet(_("Báo cáo"))
    return portal_excel.save(wb)


def response(report, *, filename: str, produced: datetime.date, tables=None) -> HttpResponse:
    """An .xlsx download of `report` (anything with heading, period and tables())."""
    content = workbook(
        heading=str(report.heading),
        period=str(report.period),
        tables=report.tables() if tables is None else tables,
        produced=produced,
    )
    name = f"{slugify(fold(filename)) or 'bao-cao'}-{produced:%Y%m%d}.xlsx"
    resp = HttpResponse(content, content_type=XLSX_TYPE)
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp
