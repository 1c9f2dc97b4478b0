"""Excel export of the project list (Danh mục đề án), with the filters of the screen."""

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from khuyencong import excel
from khuyencong.money import format_vnd
from projects.models import NormStatus

MONEY_FORMAT = "#,##0"
DATE_FORMAT = "dd/mm/yyyy"


def _norm_cell(project) -> str:
    """Empty within the norm; otherwise whether and up to what a manager allowed it."""
    if not project.over_norm:
        return ""
    if project.norm_override_covers_request:
        return _("Đã cho phép đến %(amount)s") % {
            "amount": format_vnd(project.norm_override_amount)
        }
    return str(NormStatus.AWAITING.label)


def _columns():
    # header, width, value of a project, number format
    return [
        (_("STT"), 6, None, None),
        (_("Mã đề án"), 16, lambda p: p.code, None),
        (_("Tên đề án"), 50, lambda p: p.title, None),
        (_("Nội dung khuyến công"), 30, lambda p: p.activity_type.name, None),
        (_("Nguồn kinh phí"), 12, lambda p: p.funding_source.code, None),
        (_("Năm"), 7, lambda p: p.year, "0"),
        (_("Đơn vị thụ hưởng"), 32, lambda p: p.facility.name if p.facility_id else "", None),
        (_("Địa bàn"), 22, lambda p: p.locality.full_name, None),
        (_("Đơn vị thực hiện"), 28, lambda p: p.implementing_unit, None),
        (_("Tổng kinh phí (đồng)"), 18, lambda p: p.total_cost, MONEY_FORMAT),
        (_("Kinh phí đề nghị hỗ trợ (đồng)"), 18, lambda p: p.requested_support, MONEY_FORMAT),
        (_("Vốn đối ứng (đồng)"), 18, lambda p: p.counterpart_funds, MONEY_FORMAT),
        (_("Nguồn khác (đồng)"), 16, lambda p: p.other_funds, MONEY_FORMAT),
        (_("Kinh phí được phê duyệt (đồng)"), 18, lambda p: p.approved_amount, MONEY_FORMAT),
        (_("Ngày bắt đầu"), 12, lambda p: p.start_date, DATE_FORMAT),
        (_("Ngày kết thúc"), 12, lambda p: p.end_date, DATE_FORMAT),
        (_("Trạng thái"), 18, lambda p: p.get_status_display(), None),
        (_("Vượt định mức"), 30, _norm_cell, None),
        (
            _("Cán bộ phụ trách"),
            22,
            lambda p: p.responsible_officer.display_name if p.responsible_officer_id else "",
            None,
        ),
    ]


def project_list_workbook(projects: QuerySet, *, user) -> bytes:
    """An .xlsx of `projects` (already scoped and filtered): title row, header, one row each."""
    columns = _columns()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Danh mục đề án")[:31]
    last = get_column_letter(len(columns))

    sheet["A1"] = _("DANH MỤC ĐỀ ÁN KHUYẾN CÔNG")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last}1")
    sheet["A2"] = _("Xuất ngày %(date)s bởi %(user)s") % {
        "date": f"{timezone.localdate():%d/%m/%Y}",
        "user": user.display_name,
    }
    sheet["A2"].font = Font(italic=True, color="555555")
    sheet.merge_cells(f"A2:{last}2")

    header_row = 4
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="DDE6F3")
    for index, (header, width, _value, _fmt) in enumerate(columns, 1):
        cell = sheet.cell(row=header_row, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[header_row].height = 32

    row = header_row
    totals = {}
    for number, project in enumerate(projects.iterator(chunk_size=500), 1):
        row += 1
        sheet.cell(row=row, column=1, value=number)
        for index, (_header, _width, value, fmt) in enumerate(columns[1:], 2):
            cell = sheet.cell(row=row, column=index, value=value(project))
            if fmt:
                cell.number_format = fmt
            if fmt == MONEY_FORMAT:
                totals[index] = totals.get(index, 0) + (cell.value or 0)
            cell.alignment = Alignment(vertical="top", wrap_text=fmt is None)
    row += 1
    sheet.cell(row=row, column=2, value=_("Tổng cộng")).font = Font(bold=True)
    for index, amount in totals.items():
        cell = sheet.cell(row=row, column=index, value=amount)
        cell.number_format = MONEY_FORMAT
        cell.font = Font(bold=True)

    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    sheet.auto_filter.ref = f"A{header_row}:{last}{max(row - 1, header_row)}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1

    return excel.save(book)
