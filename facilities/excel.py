"""Excel export and import of the facility registry, as plain functions.

Export: `export_book(facilities, …)` writes the (already filtered and scoped) list as a
streaming workbook (`export_workbook`: the same as bytes).
Import: `parse_workbook(file, user=…)` reads a file and validates every row without saving;
`save_import(rows=…, by=…)` saves all rows or none. The template and the exported list share
the column headers, so an exported list is also a valid import file (its other columns are
ignored).
"""

import datetime
import re
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Value
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from simple_history.utils import bulk_create_with_history

from facilities import summaries
from facilities.models import (
    REGISTRY_PREFIX,
    Facility,
    LegalForm,
    Sector,
    SizeClass,
    SizeRules,
    YearlyFigure,
    parse_registry_code,
)
from khuyencong import access, excel
from khuyencong.localities import labels_today
from khuyencong.models import Locality, User
from khuyencong.money import MAX_MONEY, MoneyError, format_vnd, parse_whole
from khuyencong.stored_text import source
from khuyencong.text import fold

MONEY_FORMAT = "#,##0"
MAX_ROWS = 5000
CHANGE_REASON = gettext_lazy("Nhập từ Excel")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    required: bool = False
    help: str = ""
    example: str = ""
    aliases: tuple[str, ...] = ()


def _c(key, header, width, required=False, help="", example="", aliases=()):
    return Column(key, header, width, required, help, example, aliases)


def import_columns(*, example_locality: Locality | None = None) -> list[Column]:
    """The columns of the import file, in the template's order (headers are Vietnamese, so
    this is built when called, in the active language). The locality examples are taken from
    `example_locality` (one the user may file under) when given."""
    forms = ", ".join(f"“{label}”" for label in LegalForm.labels)
    locality_code = example_locality.code if example_locality else "01.02"
    locality_name = example_locality.full_name if example_locality else _("Xã Minh Tiến")
    return [
        _c("name", _("Tên cơ sở"), 40, True, _("Tên đầy đủ của cơ sở."), _("Công ty TNHH Minh An")),
        _c(
            "legal_form",
            _("Loại hình"),
            20,
            True,
            _("Một trong: %(forms)s.") % {"forms": forms},
            str(LegalForm.ENTERPRISE.label),
        ),
        _c(
            "tax_code",
            _("Mã số thuế"),
            16,
            help=_("10 chữ số, hoặc 10 chữ số-3 chữ số với chi nhánh. Để trống nếu chưa có."),
            example="0123456789",
        ),
        _c(
            "registry_code",
            _("Mã cơ sở"),
            11,
            help=_(
                "Mã của cơ sở trong sổ, có trong tệp xuất danh sách. Tệp này chỉ nhập cơ sở mới: "
                "để trống, mã được cấp khi lưu; mã của một cơ sở đã có trong sổ bị từ chối."
            ),
            example="",
        ),
        _c(
            "locality_code",
            _("Mã địa bàn"),
            12,
            help=_("Mã trong danh mục địa bàn (trang “Danh mục” của tệp mẫu)."),
            example=locality_code,
        ),
        _c(
            "locality_name",
            _("Địa bàn"),
            24,
            help=_(
                "Tên địa bàn, dùng khi không ghi mã. Ghi tên đầy đủ (“Xã …”, “Phường …”) nếu "
                "có nhiều địa bàn cùng tên. Phải ghi Mã địa bàn hoặc Địa bàn."
            ),
            example=locality_name,
        ),
        _c("address", _("Địa chỉ"), 30, example=_("Xóm Nà Làng")),
        _c(
            "main_sector",
            _("Ngành nghề chính"),
            30,
            True,
            _("Mã hoặc tên ngành nghề trong danh mục."),
            "CK",
        ),
        _c(
            "sectors",
            _("Ngành nghề khác"),
            24,
            help=_("Mã hoặc tên các ngành nghề khác, cách nhau bằng dấu chấm phẩy (;)."),
            example="VLXD; TCMN",
        ),
        _c("representative", _("Người đại diện"), 22, example=_("Nguyễn Văn An")),
        _c("phone", _("Điện thoại"), 14, example="0912 345 678"),
        _c("email", _("Thư điện tử"), 24, example="minhan@example.vn"),
        _c(
            "founded_year",
            _("Năm thành lập"),
            10,
            help=_("Năm có 4 chữ số, không ở tương lai."),
            example="2008",
        ),
        _c(
            "woman_owned",
            _("Do phụ nữ làm chủ"),
            12,
            help=_("“Có” hoặc “Không” (để trống là Không)."),
            example=_("Không"),
        ),
        _c(
            "ethnic_minority_owned",
            _("Do người DTTS làm chủ"),
            12,
            help=_("“Có” hoặc “Không” (để trống là Không)."),
            example=_("Có"),
            aliases=("do nguoi dan toc thieu so lam chu",),
        ),
        _c("notes", _("Ghi chú"), 24),
        _c(
            "figure_year",
            _("Năm số liệu"),
            10,
            help=_(
                "Số liệu hằng năm (không bắt buộc): nếu ghi thì ghi cả năm và số lao động; "
                "doanh thu và vốn để trống là 0, giá trị sản xuất để trống là chưa có số liệu."
            ),
            example="2024",
        ),
        _c("workers", _("Số lao động"), 10, help=_("Số nguyên, không âm."), example="25"),
        _c(
            "revenue",
            _("Doanh thu (đồng)"),
            18,
            help=_("Số đồng, không âm, không có phần lẻ."),
            example="4500000000",
        ),
        _c(
            "production_value",
            _("Giá trị sản xuất (đồng)"),
            18,
            help=_("Số đồng, không âm, không có phần lẻ. Để trống nếu cơ sở chưa báo cáo."),
            example="5200000000",
        ),
        _c(
            "capital",
            _("Tổng nguồn vốn (đồng)"),
            18,
            help=_("Số đồng, không âm, không có phần lẻ."),
            example="2000000000",
        ),
    ]


def _header_key(text) -> str:
    """ "Doanh thu (đồng) *" → "doanh thu": headers match whatever the case, accents, unit or
    required-mark."""
    return " ".join(re.sub(r"\(.*?\)|\*", " ", fold(str(text or ""))).split())


# ---------------------------------------------------------------------------------------------
# Styling shared by the export and the template.

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0D6EFD")
REQUIRED_FILL = PatternFill("solid", fgColor="0A58CA")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _write_header(ws, row: int, headers: list[tuple[str, int, bool]]) -> None:
    for index, (text, width, required) in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=index, value=text)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if required else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BORDER
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.row_dimensions[row].height = 32


def _to_bytes(wb: Workbook) -> bytes:
    return excel.save(wb)


# ---------------------------------------------------------------------------------------------
# Export

CHUNK = 2000
LATEST_FIGURE = ("year", "workers", "revenue", "production_value", "capital")


def _export_styles() -> list[NamedStyle]:
    return [
        NamedStyle("kc_fac_title", font=TITLE_FONT),
        NamedStyle("kc_fac_subtitle", font=Font(italic=True)),
        NamedStyle(
            "kc_fac_header",
            font=HEADER_FONT,
            fill=HEADER_FILL,
            border=BORDER,
            alignment=HEADER_ALIGN,
        ),
        NamedStyle("kc_fac_number", number_format=MONEY_FORMAT),
        NamedStyle("kc_fac_code", number_format="@"),
        NamedStyle("kc_fac_year", number_format="0"),
    ]


# Read as plain tuples: model instances (a facility, its locality, its sector and two related
# managers each) cost more than writing the row.
EXPORT_FIELDS = (
    "pk",
    "name",
    "legal_form",
    "tax_code",
    "locality_id",
    "address",
    "main_sector__name",
    "representative",
    "phone",
    "email",
    "founded_year",
    "woman_owned",
    "ethnic_minority_owned",
    "size_class",
    "recognised_products",
    "notes",
    *[f"latest_{k}" for k in LATEST_FIGURE],
)


def _export_rows(facilities: QuerySet):
    """Each facility as a dict of EXPORT_FIELDS plus "sectors" (its other sectors' names), a
    chunk at a time: the latest yearly figure comes as four annotations, the sectors of a chunk
    from one query."""
    latest = YearlyFigure.objects.filter(facility=OuterRef("pk")).order_by("-year")
    facilities = facilities.annotate(
        **{f"latest_{k}": Subquery(latest.values(k)[:1]) for k in LATEST_FIGURE}
    )
    if "recognised_products" not in facilities.query.annotations:
        facilities = facilities.annotate(recognised_products=Value(None, IntegerField()))
    through = Facility.sectors.through
    chunk: list[dict] = []

    def with_sectors(chunk):
        names: dict[int, list[str]] = {}
        pairs = (
            through.objects.filter(facility_id__in=[f["pk"] for f in chunk])
            .order_by("sector__name")
            .values_list("facility_id", "sector__name")
        )
        for facility_id, name in pairs:
            names.setdefault(facility_id, []).append(name)
        for facility in chunk:
            facility["sectors"] = "; ".join(names.get(facility["pk"], ()))
            yield facility

    for values in facilities.values_list(*EXPORT_FIELDS).iterator(chunk_size=CHUNK):
        chunk.append(dict(zip(EXPORT_FIELDS, values, strict=True)))
        if len(chunk) == CHUNK:
            yield from with_sectors(chunk)
            chunk = []
    yield from with_sectors(chunk)


def export_book(facilities: QuerySet, *, title: str, subtitle: str = "") -> Workbook:
    """The list as a streaming .xlsx: a title row, a subtitle row, then one header row (frozen,
    filterable) and one row per facility with its latest yearly figures. Money is stored as
    numbers. Save it with `khuyencong.excel.save` or `download`."""
    columns = [c for c in import_columns() if c.key != "notes"]
    extra = [(_("Quy mô"), 14), (_("Số SP CNNT tiêu biểu"), 12), (_("Ghi chú"), 24)]
    headers = [(_("STT"), 6, False)]
    headers += [(c.header, c.width, False) for c in columns]
    headers += [(text, width, False) for text, width in extra]
    number_cols = {"revenue", "production_value", "capital", "workers"}
    styles = [None]
    for column in columns:
        if column.key in number_cols:
            styles.append("kc_fac_number")
        elif column.key in {"registry_code", "tax_code", "locality_code"}:
            styles.append("kc_fac_code")
        elif column.key in {"founded_year", "figure_year"}:
            styles.append("kc_fac_year")
        else:
            styles.append(None)
    styles += [None, None, None]

    wb = excel.streaming_workbook()
    excel.add_styles(wb, _export_styles())
    ws = wb.create_sheet(_("Cơ sở CNNT"))
    header_row = 4
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = header[1]
    ws.row_dimensions[header_row].height = 32
    ws.freeze_panes = f"C{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.append([excel.cell(ws, title, style="kc_fac_title")])
    ws.append([excel.cell(ws, subtitle, style="kc_fac_subtitle")])
    ws.append([])
    ws.append([excel.cell(ws, text, style="kc_fac_header") for text, _w, _r in headers])

    forms = {value: str(label) for value, label in LegalForm.choices}
    sizes = {value: str(label) for value, label in SizeClass.choices}
    places = labels_today()  # today's unit, and the one filed under if it has ended
    yes, no = _("Có"), _("Không")
    make_row = excel.RowMaker(ws, styles)
    row = header_row
    for number, f in enumerate(_export_rows(facilities), start=1):
        row += 1
        values = {
            "registry_code": f"{REGISTRY_PREFIX}{f['pk']:06d}",
            "name": f["name"],
            "legal_form": forms.get(f["legal_form"], f["legal_form"]),
            "tax_code": f["tax_code"] or "",
            "locality_code": places[f["locality_id"]][0],
            "locality_name": places[f["locality_id"]][1],
            "address": f["address"],
            "main_sector": f["main_sector__name"],
            "sectors": f["sectors"],
            "representative": f["representative"],
            "phone": f["phone"],
            "email": f["email"],
            "founded_year": f["founded_year"],
            "woman_owned": yes if f["woman_owned"] else no,
            "ethnic_minority_owned": yes if f["ethnic_minority_owned"] else no,
            "figure_year": f["latest_year"],
            "workers": f["latest_workers"],
            "revenue": f["latest_revenue"],
            "production_value": f["latest_production_value"],
            "capital": f["latest_capital"],
        }
        ws.append(
            make_row(
                [
                    number,
                    *[values[column.key] for column in columns],
                    sizes.get(f["size_class"], f["size_class"]),
                    f["recognised_products"],
                    f["notes"],
                ]
            )
        )
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{max(row, header_row)}"
    return wb


def export_workbook(facilities: QuerySet, *, title: str, subtitle: str = "") -> bytes:
    """`export_book` saved as bytes."""
    return excel.save(export_book(facilities, title=title, subtitle=subtitle))


# ---------------------------------------------------------------------------------------------
# Template


def template_workbook(*, user: User) -> bytes:
    """An empty import file with the headers, drop-down lists, a guide sheet and the lists of
    legal forms, sectors and the localities the user may file facilities under."""
    localities = list(access.localities_for(user).select_related("parent").order_by("path"))
    parents = {loc.parent_id for loc in localities}
    example = next((loc for loc in localities if loc.pk not in parents), None)
    # A new facility has no registry code yet: the column is read (an exported list) but not
    # offered.
    columns = [c for c in import_columns(example_locality=example) if c.key != "registry_code"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Danh sách cơ sở")
    ws.cell(
        row=1, column=1, value=_("MẪU NHẬP DANH SÁCH CƠ SỞ CÔNG NGHIỆP NÔNG THÔN")
    ).font = TITLE_FONT
    ws.cell(
        row=2,
        column=1,
        value=_(
            "Mỗi cơ sở một dòng, bắt đầu từ dòng 4. Cột có dấu * là bắt buộc. Không đổi tên "
            "cột. Xem trang “Hướng dẫn” và “Danh mục”."
        ),
    ).font = Font(italic=True)
    header_row = 3
    _write_header(
        ws,
        header_row,
        [(f"{c.header} *" if c.required else c.header, c.width, c.required) for c in columns],
    )
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    last = header_row + 1000
    letters = {c.key: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    for key in ("tax_code", "locality_code", "phone"):
        for r in range(header_row + 1, header_row + 201):
            ws[f"{letters[key]}{r}"].number_format = "@"

    # Lists on their own sheet, referenced by the drop-downs.
    lists = wb.create_sheet(_("Danh mục"))
    lists.append(
        [
            _("Loại hình"),
            "",
            _("Mã ngành nghề"),
            _("Tên ngành nghề"),
            "",
            _("Mã địa bàn"),
            _("Địa bàn"),
            _("Trực thuộc"),
        ]
    )
    for cell in lists[1]:
        cell.font = Font(bold=True)
    forms = [str(label) for label in LegalForm.labels]
    sectors = list(Sector.objects.order_by("name"))
    for i in range(max(len(forms), len(sectors), len(localities))):
        r = i + 2
        if i < len(forms):
            lists.cell(row=r, column=1, value=forms[i])
        if i < len(sectors):
            lists.cell(row=r, column=3, value=sectors[i].code)
            lists.cell(row=r, column=4, value=sectors[i].name)
        if i < len(localities):
            loc = localities[i]
            lists.cell(row=r, column=6, value=loc.code).number_format = "@"
            lists.cell(row=r, column=7, value=loc.full_name)
            lists.cell(row=r, column=8, value=loc.parent.full_name if loc.parent else "")
    for letter, width in zip("ABCDEFGH", (20, 2, 14, 44, 2, 12, 28, 28), strict=True):
        lists.column_dimensions[letter].width = width

    sheet = lists.title
    form_list = DataValidation(
        type="list", formula1=f"='{sheet}'!$A$2:$A${len(forms) + 1}", allow_blank=True
    )
    form_list.error = _("Chọn loại hình trong danh sách.")
    form_list.errorTitle = _("Loại hình không hợp lệ")
    form_list.add(f"{letters['legal_form']}{header_row + 1}:{letters['legal_form']}{last}")
    yes_no = DataValidation(type="list", formula1=f'"{_("Có")},{_("Không")}"', allow_blank=True)
    yes_no.error = _("Chỉ ghi “Có” hoặc “Không”.")
    for key in ("woman_owned", "ethnic_minority_owned"):
        yes_no.add(f"{letters[key]}{header_row + 1}:{letters[key]}{last}")
    ws.add_data_validation(form_list)
    ws.add_data_validation(yes_no)

    guide = wb.create_sheet(_("Hướng dẫn"), 1)
    guide.append([_("Cột"), _("Bắt buộc"), _("Cách ghi"), _("Ví dụ")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append(
            [column.header, _("Có") if column.required else "", column.help, column.example]
        )
    for letter, width in zip("ABCD", (24, 10, 70, 28), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    return _to_bytes(wb)


# ---------------------------------------------------------------------------------------------
# Import: reading and validating


@dataclass
class ImportRow:
    number: int  # the row number Excel shows
    raw: dict[str, str]
    facility: Facility | None = None
    sectors: list[Sector] = field(default_factory=list)
    figure: dict | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def good_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.ok]

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.rows) and not self.bad_rows


class _RowError(Exception):
    pass


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


def _whole_number(value, label: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _RowError(_("%(label)s phải là số.") % {"label": label})
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise _RowError(
                _("%(label)s phải là số nguyên, không có phần lẻ (đang ghi %(value)s).")
                % {"label": label, "value": value}
            )
        number = int(value)
    else:
        try:
            number = parse_whole(str(value))
        except MoneyError:
            raise _RowError(
                _("%(label)s phải là số nguyên, ví dụ 1.250.000 (đang ghi “%(value)s”).")
                % {"label": label, "value": _text(value)}
            ) from None
    if number < 0:
        raise _RowError(_("%(label)s không được là số âm.") % {"label": label})
    if number > MAX_MONEY:
        # Beyond any real figure, and beyond what the database column holds.
        raise _RowError(
            _("%(label)s quá lớn (tối đa %(max)s).")
            % {"label": label, "max": format_vnd(MAX_MONEY, symbol=False)}
        )
    return number


def _year(value, label: str, earliest: int) -> int | None:
    number = _whole_number(value, label)
    if number is None:
        return None
    this_year = timezone.localdate().year
    if number > this_year:
        raise _RowError(
            _("%(label)s %(year)s ở tương lai (năm nay là %(now)s).")
            % {"label": label, "year": number, "now": this_year}
        )
    if number < earliest:
        raise _RowError(
            _("%(label)s phải từ năm %(earliest)s trở đi (đang ghi %(year)s).")
            % {"label": label, "earliest": earliest, "year": number}
        )
    return number


YES_WORDS = {"co", "x", "1", "yes", "true", "dung"}
NO_WORDS = {"", "khong", "0", "no", "false", "sai"}


def _yes_no(value, label: str) -> bool:
    if value is True or value is False:
        return value
    word = fold(_text(value))
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise _RowError(
        _("%(label)s chỉ ghi “Có” hoặc “Không” (đang ghi “%(value)s”).")
        % {"label": label, "value": _text(value)}
    )


class _Lookups:
    """Everything a row is checked against, loaded once per file."""

    def __init__(self, user: User, tax_codes: Iterable[str], registry_numbers: Iterable[int] = ()):
        self.user = user
        self.localities = list(Locality.objects.current())  # new records: units in force
        self.locality_by_code = {fold(loc.code): loc for loc in self.localities}
        self.sectors = list(Sector.objects.all())
        self.sector_by_key = {}
        for sector in self.sectors:
            self.sector_by_key[fold(sector.code)] = sector
            self.sector_by_key[fold(sector.name)] = sector
        self.legal_forms = {}
        # Files are written in Vietnamese (the template), whatever language the user reads.
        for language in (None, settings.LANGUAGE_CODE):
            with translation.override(language) if language else nullcontext():
                for value, label in LegalForm.choices:
                    self.legal_forms[fold(str(label))] = value
                    self.legal_forms[_header_key(label)] = value
        for alias in ("cong ty", "cong ty tnhh", "cong ty tnhh mtv", "cong ty co phan", "dn"):
            self.legal_forms[alias] = LegalForm.ENTERPRISE
        self.legal_forms["htx"] = LegalForm.COOPERATIVE
        self.legal_forms["hkd"] = LegalForm.HOUSEHOLD
        self.legal_forms["tht"] = LegalForm.COOPERATIVE_GROUP
        self.taken_tax_codes = set(
            Facility.objects.filter(tax_code__in=list(tax_codes)).values_list("tax_code", flat=True)
        )
        self.taken_registry_numbers = set(
            Facility.objects.filter(pk__in=list(registry_numbers)).values_list("pk", flat=True)
        )

    def legal_form(self, text: str) -> str:
        if not text:
            raise _RowError(_("Thiếu Loại hình."))
        value = self.legal_forms.get(fold(text)) or self.legal_forms.get(_header_key(text))
        if not value:
            allowed = ", ".join(f"“{label}”" for label in LegalForm.labels)
            raise _RowError(
                _("Loại hình “%(value)s” không có trong danh mục; ghi một trong: %(allowed)s.")
                % {"value": text, "allowed": allowed}
            )
        return value

    def locality(self, code: str, name: str, *, code_was_number: bool) -> Locality:
        if not code and not name:
            raise _RowError(_("Thiếu địa bàn: ghi Mã địa bàn hoặc tên Địa bàn."))
        if code:
            locality = self.locality_by_code.get(fold(code))
            if locality is None:
                hint = (
                    _(" Hãy định dạng cột Mã địa bàn là Văn bản (Text) để Excel giữ số 0 ở đầu.")
                    if code_was_number
                    else ""
                )
                raise _RowError(
                    _("Không có địa bàn mã “%(code)s”.%(hint)s") % {"code": code, "hint": hint}
                )
            if name and fold(name) not in {fold(locality.name), fold(locality.full_name)}:
                raise _RowError(
                    _("Mã địa bàn “%(code)s” là “%(real)s”, không khớp với tên “%(name)s”.")
                    % {"code": code, "real": locality.full_name, "name": name}
                )
        else:
            folded = fold(name)
            matches = [
                loc for loc in self.localities if folded in {fold(loc.name), fold(loc.full_name)}
            ]
            if len(matches) > 1 and any(loc.is_active for loc in matches):
                # A merged-away unit sharing the name of a current one: the current one is meant.
                matches = [loc for loc in matches if loc.is_active]
            if not matches:
                raise _RowError(_("Không có địa bàn tên “%(name)s”.") % {"name": name})
            if len(matches) > 1:
                raise _RowError(
                    _(
                        "Có %(n)s địa bàn tên “%(name)s” (%(list)s); ghi Mã địa bàn hoặc tên đầy "
                        "đủ để phân biệt."
                    )
                    % {
                        "n": len(matches),
                        "name": name,
                        "list": ", ".join(f"{m.full_name} – {m.code}" for m in matches),
                    }
                )
            locality = matches[0]
        if not access.locality_in_scope(self.user, locality):
            raise _RowError(
                _("Địa bàn “%(name)s” nằm ngoài phạm vi bạn phụ trách.")
                % {"name": locality.full_name}
            )
        if not locality.is_active:
            raise _RowError(
                _("Địa bàn “%(name)s” đã giải thể hoặc sáp nhập; hãy ghi địa bàn hiện nay.")
                % {"name": locality.full_name}
            )
        return locality

    def sector(self, text: str, label: str) -> Sector:
        sector = self.sector_by_key.get(fold(text))
        if sector is None:
            raise _RowError(
                _("%(label)s “%(value)s” không có trong danh mục ngành nghề.")
                % {"label": label, "value": text}
            )
        return sector


def _header_map(ws, columns: list[Column]) -> tuple[int, dict[str, int]] | None:
    """Find the header row (the first of the top rows holding “Tên cơ sở”) and map column keys
    to their positions."""
    wanted = {}
    # Headers are recognised in the user's language and in Vietnamese, the template's.
    with translation.override(settings.LANGUAGE_CODE):
        source_columns = {c.key: c.header for c in import_columns()}
        name_keys = {_header_key(_("Tên cơ sở"))}
    name_keys.add(_header_key(_("Tên cơ sở")))
    for column in columns:
        wanted[_header_key(column.header)] = column.key
        wanted[_header_key(source_columns.get(column.key, column.header))] = column.key
        for alias in column.aliases:
            wanted[alias] = column.key
    for index, row in enumerate(ws.iter_rows(min_row=1, max_row=15, values_only=True), start=1):
        keys = [_header_key(value) for value in row]
        if name_keys & set(keys):
            positions = {}
            for position, key in enumerate(keys):
                if key in wanted and wanted[key] not in positions:
                    positions[wanted[key]] = position
            return index, positions
    return None


def parse_workbook(file, *, user: User) -> ImportResult:
    """Read the first sheet of an import file and validate every row. Saves nothing."""
    result = ImportResult()
    columns = import_columns()
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a file that is not .xlsx
        result.file_errors.append(
            _("Không đọc được tệp. Hãy dùng tệp Excel .xlsx (ví dụ tệp mẫu của trang này).")
        )
        return result
    try:
        ws = wb.worksheets[0]
        # Some programs write a wrong sheet size; read the rows that are really there.
        ws.reset_dimensions()
        found = _header_map(ws, columns)
        if found is None:
            result.file_errors.append(
                _("Không tìm thấy dòng tiêu đề có cột “Tên cơ sở” trong 15 dòng đầu của trang đầu.")
            )
            return result
        header_row, positions = found
        missing = [c.header for c in columns if c.required and c.key not in positions]
        if "locality_code" not in positions and "locality_name" not in positions:
            missing.append(_("Mã địa bàn hoặc Địa bàn"))
        if missing:
            result.file_errors.append(_("Tệp thiếu cột: %(cols)s.") % {"cols": ", ".join(missing)})
            return result

        cells = []
        for number, values in enumerate(
            ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
        ):
            row = {
                key: values[pos] if pos < len(values) else None for key, pos in positions.items()
            }
            if all(_text(v) == "" for v in row.values()):
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
        result.file_errors.append(_("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề."))
        return result

    tax_codes = {_tax_code(row.get("tax_code")) for _n, row in cells} - {""}
    registry_numbers = {parse_registry_code(_text(row.get("registry_code"))) for _n, row in cells}
    lookups = _Lookups(user, tax_codes, registry_numbers - {None})
    first_row_of_tax_code: dict[str, int] = {}
    for number, cells_of_row in cells:
        row = _parse_row(number, cells_of_row, lookups, columns)
        code = row.facility.tax_code if row.facility else None
        if code:
            if code in first_row_of_tax_code:
                row.errors.append(
                    _("Mã số thuế %(code)s trùng với dòng %(row)s của tệp.")
                    % {"code": code, "row": first_row_of_tax_code[code]}
                )
            else:
                first_row_of_tax_code[code] = number
        result.rows.append(row)
    return result


def _tax_code(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A tax code typed as a number loses its leading zero (e.g. Hà Nội's 01…).
        digits = str(int(value))
        return digits.zfill(10) if len(digits) == 9 else digits
    return _text(value).replace(" ", "")


def _model_messages(exc: ValidationError, labels: dict[str, str]) -> list[str]:
    """The model's field errors in the words of the file's columns.

    Django's own messages for these checks are English, or missing from its Vietnamese
    catalogue ("Ensure this value has at most …"), so the common ones are written here; a blank
    name was already reported as "Thiếu Tên cơ sở"."""
    out = []
    for name, errors in exc.error_dict.items():
        label = labels.get(name, name)
        for error in errors:
            params = error.params or {}
            if error.code in ("blank", "required", "null"):
                if name != "name":
                    out.append(_("Thiếu %(label)s.") % {"label": label})
            elif error.code == "max_length":
                out.append(
                    _("%(label)s dài quá %(limit)s ký tự (đang có %(length)s ký tự).")
                    % {
                        "label": label,
                        "limit": params.get("limit_value"),
                        "length": params.get("show_value"),
                    }
                )
            elif error.code == "invalid" and name == "email":
                out.append(_("Thư điện tử không đúng dạng, ví dụ: coso@example.vn."))
            else:
                message = " ".join(error.messages)
                # The tax code's message already names its field.
                out.append(message if message.startswith(label) else f"{label}: {message}")
    return out


def _parse_row(number: int, cells: dict, lookups: _Lookups, columns: list[Column]) -> ImportRow:
    labels = {c.key: c.header for c in columns}
    row = ImportRow(number=number, raw={k: _text(v) for k, v in cells.items()})
    raw = row.raw
    errors = row.errors

    def attempt(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _RowError as exc:
            errors.append(str(exc))
            return None

    facility = Facility(
        name=raw.get("name", ""),
        tax_code=_tax_code(cells.get("tax_code")) or None,
        address=raw.get("address", ""),
        representative=raw.get("representative", ""),
        phone=raw.get("phone", ""),
        email=raw.get("email", ""),
        notes=raw.get("notes", ""),
    )
    if not facility.name:
        errors.append(_("Thiếu Tên cơ sở."))
    facility.legal_form = attempt(lookups.legal_form, raw.get("legal_form", "")) or ""
    locality = attempt(
        lookups.locality,
        raw.get("locality_code", ""),
        raw.get("locality_name", ""),
        code_was_number=isinstance(cells.get("locality_code"), int | float),
    )
    if raw.get("main_sector"):
        main = attempt(lookups.sector, raw["main_sector"], labels["main_sector"])
    else:
        main = None
        errors.append(_("Thiếu Ngành nghề chính."))
    for part in raw.get("sectors", "").split(";"):
        if part.strip():
            other = attempt(lookups.sector, part.strip(), labels["sectors"])
            if other and other != main and other not in row.sectors:
                row.sectors.append(other)
    facility.founded_year = attempt(_year, cells.get("founded_year"), labels["founded_year"], 1900)
    facility.woman_owned = bool(attempt(_yes_no, cells.get("woman_owned"), labels["woman_owned"]))
    facility.ethnic_minority_owned = bool(
        attempt(_yes_no, cells.get("ethnic_minority_owned"), labels["ethnic_minority_owned"])
    )
    if locality:
        facility.locality = locality
    if main:
        facility.main_sector = main

    # The model's own field checks (lengths, tax code and e-mail format), field by field.
    try:
        facility.full_clean(
            exclude=["locality", "main_sector", "legal_form", "founded_year", "sectors"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        errors.extend(_model_messages(exc, labels))
    if raw.get("registry_code"):
        # Only new facilities are imported; yearly figures of registered ones have their own
        # import (figures_import.py). A code nobody holds (a facility since deleted) is left
        # behind: the new facility gets its own when saved.
        registry_number = parse_registry_code(raw["registry_code"])
        if registry_number is None:
            errors.append(
                _("Mã cơ sở “%(code)s” không đúng dạng (ví dụ CS000123).")
                % {"code": raw["registry_code"]}
            )
        elif registry_number in lookups.taken_registry_numbers:
            errors.append(
                _(
                    "Cơ sở %(code)s đã có trong sổ; tệp này chỉ nhập cơ sở mới. Để cập nhật số "
                    "liệu hằng năm của cơ sở đã có, hãy dùng “Nhập số liệu hằng năm”."
                )
                % {"code": f"{REGISTRY_PREFIX}{registry_number:06d}"}
            )
    if facility.tax_code and facility.tax_code in lookups.taken_tax_codes:
        errors.append(
            _("Mã số thuế %(code)s đã được đăng ký cho một cơ sở khác.")
            % {"code": facility.tax_code}
        )

    figure_keys = ("figure_year", "workers", "revenue", "production_value", "capital")
    if any(raw.get(k) for k in figure_keys):
        year = attempt(_year, cells.get("figure_year"), labels["figure_year"], 1900)
        workers = attempt(_whole_number, cells.get("workers"), labels["workers"])
        revenue = attempt(_whole_number, cells.get("revenue"), labels["revenue"])
        production = attempt(
            _whole_number, cells.get("production_value"), labels["production_value"]
        )
        capital = attempt(_whole_number, cells.get("capital"), labels["capital"])
        if not raw.get("figure_year"):
            errors.append(_("Có số liệu hằng năm nhưng thiếu Năm số liệu."))
        if not raw.get("workers"):
            errors.append(_("Có số liệu hằng năm nhưng thiếu Số lao động."))
        row.figure = {
            "year": year,
            "workers": workers,
            "revenue": revenue or 0,
            # Empty: not reported, which the reports keep apart from a zero.
            "production_value": production,
            "capital": capital or 0,
        }
    row.facility = facility
    return row


# ---------------------------------------------------------------------------------------------
# Import: saving


# Rows saved per round trip: a few queries per batch instead of eight or nine per facility
# (an import of 2,000 facilities under a minute of round trips is the case).
SAVE_BATCH = 500


def save_import(
    *, rows: list[ImportRow], by: User, progress: Callable[[], None] | None = None
) -> list[Facility]:
    """Save every row or none. Rows must come from `parse_workbook` without errors; the
    database constraints (unique tax code, one figure per year) still guard a race with
    another user, and any failure rolls the whole import back. `progress()` is called once
    per row saved (a background job's progress bar).

    Saved in batches, with their change history as `save()` writes it: the facilities, their
    other sectors, their yearly figures. A new facility has at most one figure, so its size
    class is that figure's (what `YearlyFigure.save` would set afterwards)."""
    if any(not row.ok for row in rows):
        raise ValueError("Only rows without errors can be saved.")
    rules = SizeRules()
    reason = source(CHANGE_REASON)
    through = Facility.sectors.through
    saved: list[Facility] = []
    with transaction.atomic():
        for start in range(0, len(rows), SAVE_BATCH):
            batch = rows[start : start + SAVE_BATCH]
            figures = []
            for row in batch:
                row.facility.fill_derived()
                if row.figure:
                    figure = YearlyFigure(**row.figure)
                    figure.size_class = rules.classify(
                        workers=figure.workers,
                        revenue=figure.revenue,
                        capital=figure.capital,
                        size_group=row.facility.main_sector.size_group,
                        on=datetime.date(figure.year, 12, 31),
                    )
                    row.facility.size_class = figure.size_class
                    figures.append((row.facility, figure))
            facilities = bulk_create_with_history(
                [row.facility for row in batch],
                Facility,
                default_user=by,
                default_change_reason=reason,
            )
            through.objects.bulk_create(
                through(facility_id=row.facility.pk, sector_id=sector.pk)
                for row in batch
                for sector in row.sectors
            )
            for facility, figure in figures:
                figure.facility = facility
                # Filed under the facility's unit, as YearlyFigure.save does.
                figure.locality_id = facility.locality_id
            if figures:
                bulk_create_with_history(
                    [figure for _facility, figure in figures],
                    YearlyFigure,
                    default_user=by,
                    default_change_reason=reason,
                )
            saved.extend(facilities)
            if progress is not None:
                for _row in batch:
                    progress()
        # Bulk writes send no signals: the reports' totals of the localities imported into.
        summaries.refresh_localities({facility.locality_id for facility in saved})
    return saved
