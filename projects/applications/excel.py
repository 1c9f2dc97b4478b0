"""Excel export of the project list (Danh mục đề án), with the filters of the screen."""

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from khuyencong import excel
from khuyencong.localities import labels_today
from khuyencong.models import User
from khuyencong.money import format_vnd
from projects.models import NormStatus, Project, Status

MONEY_FORMAT = "#,##0"
DATE_FORMAT = "dd/mm/yyyy"
CHUNK = 2000


def _norm_cell(project) -> str:
    """Empty within the norm; otherwise whether and up to what a manager allowed it."""
    if not project.over_norm:
        return ""
    if project.norm_override_covers_request:
        return _("Đã cho phép đến %(amount)s") % {
            "amount": format_vnd(project.norm_override_amount)
        }
    return str(NormStatus.AWAITING.label)


# Read as plain tuples (no model instances): 50 000 projects with five related rows each
# cost seconds and hundreds of megabytes as objects.
FIELDS = (
    "code",
    "title",
    "activity_type__name",
    "funding_source__code",
    "year",
    "facility__name",
    "locality_id",
    "implementing_unit",
    "total_cost",
    "requested_support",
    "counterpart_funds",
    "other_funds",
    "approved_amount",
    "start_date",
    "end_date",
    "status",
    "norm_limit",
    "norm_override_amount",
    "responsible_officer_id",
    "responsible_officer__full_name",
    "responsible_officer__first_name",
    "responsible_officer__last_name",
    "responsible_officer__username",
)

TEXT, MONEY, DATE, YEAR = "kc_list_text", "kc_list_money", "kc_list_date", "kc_list_year"


def _styles() -> list[NamedStyle]:
    top = Alignment(vertical="top")
    thin = Side(style="thin", color="999999")
    return [
        NamedStyle(TEXT, alignment=Alignment(vertical="top", wrap_text=True)),
        NamedStyle(MONEY, number_format=MONEY_FORMAT, alignment=top),
        NamedStyle(DATE, number_format=DATE_FORMAT, alignment=top),
        NamedStyle(YEAR, number_format="0", alignment=top),
        NamedStyle("kc_list_title", font=Font(bold=True, size=14)),
        NamedStyle("kc_list_subtitle", font=Font(italic=True, color="555555")),
        NamedStyle(
            "kc_list_header",
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="DDE6F3"),
            border=Border(left=thin, right=thin, top=thin, bottom=thin),
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        ),
        NamedStyle("kc_list_total", font=Font(bold=True)),
        NamedStyle("kc_list_total_money", font=Font(bold=True), number_format=MONEY_FORMAT),
    ]


def _columns():
    # header, width, style
    return [
        (_("STT"), 6, None),
        (_("Mã đề án"), 16, None),
        (_("Tên đề án"), 50, TEXT),
        (_("Nội dung khuyến công"), 30, TEXT),
        (_("Nguồn kinh phí"), 12, None),
        (_("Năm"), 7, YEAR),
        (_("Đơn vị thụ hưởng"), 32, TEXT),
        (_("Địa bàn"), 22, TEXT),
        (_("Đơn vị thực hiện"), 28, TEXT),
        (_("Tổng kinh phí (đồng)"), 18, MONEY),
        (_("Kinh phí đề nghị hỗ trợ (đồng)"), 18, MONEY),
        (_("Vốn đối ứng (đồng)"), 18, MONEY),
        (_("Nguồn khác (đồng)"), 16, MONEY),
        (_("Kinh phí được phê duyệt (đồng)"), 18, MONEY),
        (_("Ngày bắt đầu"), 12, DATE),
        (_("Ngày kết thúc"), 12, DATE),
        (_("Trạng thái"), 18, None),
        (_("Vượt định mức"), 30, TEXT),
        (_("Cán bộ phụ trách"), 22, TEXT),
    ]


MONEY_COLUMNS = range(9, 14)  # positions (from 0) of the amounts summed in the total row


def _rows(projects: QuerySet):
    """One list of cell values per project, in the order of `_columns`."""
    statuses = {value: str(label) for value, label in Status.choices}
    places = labels_today()  # today's unit, and the one filed under if it has ended
    officers: dict[int, str] = {}
    rows = projects.values_list(*FIELDS).iterator(chunk_size=CHUNK)
    for number, values in enumerate(rows, 1):
        p = dict(zip(FIELDS, values, strict=True))
        norm = ""
        if p["norm_limit"] is not None:
            norm = _norm_cell(
                Project(
                    requested_support=p["requested_support"],
                    norm_limit=p["norm_limit"],
                    norm_override_amount=p["norm_override_amount"],
                )
            )
        officer = ""
        if p["responsible_officer_id"]:
            officer = officers.get(p["responsible_officer_id"])
            if officer is None:
                officer = officers[p["responsible_officer_id"]] = User(
                    full_name=p["responsible_officer__full_name"],
                    first_name=p["responsible_officer__first_name"],
                    last_name=p["responsible_officer__last_name"],
                    username=p["responsible_officer__username"],
                ).display_name
        yield [
            number,
            p["code"],
            p["title"],
            p["activity_type__name"],
            p["funding_source__code"],
            p["year"],
            p["facility__name"] or "",
            places.get(p["locality_id"], ("", ""))[1],
            p["implementing_unit"],
            p["total_cost"],
            p["requested_support"],
            p["counterpart_funds"],
            p["other_funds"],
            p["approved_amount"],
            p["start_date"],
            p["end_date"],
            statuses.get(p["status"], p["status"]),
            norm,
            officer,
        ]


def project_list_workbook(projects: QuerySet, *, user) -> Workbook:
    """A streaming .xlsx of `projects` (already scoped and filtered): title row, header, one
    row each, a total row. Save it with `khuyencong.excel.save` or `download`."""
    columns = _columns()
    book = excel.streaming_workbook()
    excel.add_styles(book, _styles())
    sheet = book.create_sheet(excel.sheet_title(_("Danh mục đề án"), set()))
    last = get_column_letter(len(columns))
    header_row = 4
    for index, (_header, width, _style) in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[header_row].height = 32
    sheet.freeze_panes = f"C{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1

    sheet.append([excel.cell(sheet, _("DANH MỤC ĐỀ ÁN KHUYẾN CÔNG"), style="kc_list_title")])
    subtitle = _("Xuất ngày %(date)s bởi %(user)s") % {
        "date": f"{timezone.localdate():%d/%m/%Y}",
        "user": user.display_name,
    }
    sheet.append([excel.cell(sheet, subtitle, style="kc_list_subtitle")])
    sheet.merged_cells.add(f"A1:{last}1")
    sheet.merged_cells.add(f"A2:{last}2")
    sheet.append([])
    sheet.append([excel.cell(sheet, header, style="kc_list_header") for header, *_r in columns])

    make_row = excel.RowMaker(sheet, [style for _h, _w, style in columns])
    totals = dict.fromkeys(MONEY_COLUMNS, 0)
    row = header_row
    for values in _rows(projects):
        row += 1
        for index in MONEY_COLUMNS:
            totals[index] += values[index] or 0
        sheet.append(make_row(values))
    total_row = [None] * len(columns)
    total_row[1] = excel.cell(sheet, _("Tổng cộng"), style="kc_list_total")
    for index, amount in totals.items():
        total_row[index] = excel.cell(sheet, amount, style="kc_list_total_money")
    sheet.append(total_row)
    sheet.auto_filter.ref = f"A{header_row}:{last}{row}"
    return book
