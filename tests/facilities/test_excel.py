import datetime
import gc
import io
import tracemalloc

import pytest
from django.db import IntegrityError
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from facilities import excel
from facilities import summaries as registry_summaries
from facilities.models import (
    Facility,
    Product,
    Recognition,
    RegistryTotals,
    Sector,
    YearlyFigure,
)
from khuyencong.models import Locality, LocalityKind
from tests.conftest import make_facility

THIS_YEAR = datetime.date.today().year
HEADERS = [
    "Tên cơ sở *",
    "Loại hình *",
    "Mã số thuế",
    "Mã địa bàn",
    "Địa bàn",
    "Ngành nghề chính *",
    "Ngành nghề khác",
    "Người đại diện",
    "Năm thành lập",
    "Do phụ nữ làm chủ",
    "Do người DTTS làm chủ",
    "Năm số liệu",
    "Số lao động",
    "Doanh thu (đồng)",
    "Giá trị sản xuất (đồng)",
    "Tổng nguồn vốn (đồng)",
]


def xlsx(rows, headers=HEADERS, preamble=("Danh sách", "")):
    """An import file: a title and a note row, the header row (row 3), then `rows` from row 4."""
    wb = Workbook()
    ws = wb.active
    for line in preamble:
        ws.append([line])
    ws.append(headers)
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def good_row(**overrides):
    row = {
        "Tên cơ sở *": "Hợp tác xã Chè Shan tuyết",
        "Loại hình *": "Hợp tác xã (HTX)",
        "Mã số thuế": "4800777001",
        "Mã địa bàn": "A1",
        "Địa bàn": "",
        "Ngành nghề chính *": "CBNLTS",
        "Ngành nghề khác": "",
        "Người đại diện": "Lục Thị Lan",
        "Năm thành lập": 2012,
        "Do phụ nữ làm chủ": "Có",
        "Do người DTTS làm chủ": "Không",
        "Năm số liệu": 2024,
        "Số lao động": 25,
        "Doanh thu (đồng)": 4_500_000_000,
        "Giá trị sản xuất (đồng)": "5.200.000.000",
        "Tổng nguồn vốn (đồng)": "2.000.000.000",
    }
    row.update(overrides)
    return [row[h] for h in HEADERS]


@pytest.mark.django_db
class TestParse:
    def test_it_reads_valid_rows_without_saving(self, officer, commune_a1):
        result = excel.parse_workbook(
            xlsx(
                [
                    good_row(),
                    good_row(
                        **{
                            "Tên cơ sở *": "Hộ kinh doanh Miến dong",
                            "Loại hình *": "hộ kinh doanh",
                            "Mã số thuế": 4800777002,  # typed as a number
                            "Mã địa bàn": "",
                            "Địa bàn": "xa a mot",  # by name, without accents
                            "Ngành nghề chính *": "Thủ công mỹ nghệ, tiểu thủ công nghiệp",
                            "Ngành nghề khác": "CK; Sản xuất vật liệu xây dựng",
                            "Năm số liệu": None,
                            "Số lao động": None,
                            "Doanh thu (đồng)": None,
                            "Giá trị sản xuất (đồng)": None,
                            "Tổng nguồn vốn (đồng)": None,
                        }
                    ),
                ]
            ),
            user=officer,
        )
        assert result.file_errors == []
        assert [r.errors for r in result.rows] == [[], []]
        assert result.ok
        first, second = result.rows
        assert first.number == 4 and second.number == 5
        assert first.facility.legal_form == "cooperative"
        assert first.facility.locality == commune_a1
        assert first.facility.woman_owned and not first.facility.ethnic_minority_owned
        assert first.figure == {
            "year": 2024,
            "workers": 25,
            "revenue": 4_500_000_000,
            "production_value": 5_200_000_000,
            "capital": 2_000_000_000,
        }
        assert second.facility.tax_code == "4800777002"
        assert second.facility.legal_form == "household"
        assert second.facility.locality == commune_a1
        assert second.facility.main_sector.code == "TCMN"
        assert {s.code for s in second.sectors} == {"CK", "VLXD"}
        assert second.figure is None
        assert not Facility.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"Tên cơ sở *": ""}, "Thiếu Tên cơ sở."),
            ({"Loại hình *": "Tập đoàn"}, "Loại hình “Tập đoàn” không có trong danh mục"),
            ({"Mã số thuế": "12345"}, "Mã số thuế phải gồm 10 chữ số"),
            ({"Mã địa bàn": "ZZ"}, "Không có địa bàn mã “ZZ”."),
            ({"Mã địa bàn": "B1"}, "Địa bàn “Xã Xã B Một” nằm ngoài phạm vi bạn phụ trách."),
            ({"Mã địa bàn": "", "Địa bàn": ""}, "Thiếu địa bàn"),
            ({"Mã địa bàn": "A1", "Địa bàn": "Xã B Một"}, "không khớp với tên “Xã B Một”"),
            ({"Ngành nghề chính *": "Đóng tàu"}, "Ngành nghề chính “Đóng tàu” không có trong"),
            ({"Ngành nghề khác": "CK; XYZ"}, "Ngành nghề khác “XYZ” không có trong danh mục"),
            ({"Năm thành lập": THIS_YEAR + 1}, f"Năm thành lập {THIS_YEAR + 1} ở tương lai"),
            ({"Năm thành lập": "hai nghìn"}, "Năm thành lập phải là số nguyên"),
            ({"Do phụ nữ làm chủ": "có lẽ"}, "Do phụ nữ làm chủ chỉ ghi “Có” hoặc “Không”"),
            ({"Số lao động": -5}, "Số lao động không được là số âm."),
            ({"Doanh thu (đồng)": 1.5}, "Doanh thu (đồng) phải là số nguyên, không có phần lẻ"),
            ({"Năm số liệu": None}, "Có số liệu hằng năm nhưng thiếu Năm số liệu."),
            ({"Năm số liệu": THIS_YEAR + 1}, f"Năm số liệu {THIS_YEAR + 1} ở tương lai"),
        ],
    )
    def test_it_reports_a_bad_row_with_its_reason(
        self, officer, commune_a1, commune_b1, overrides, message
    ):
        result = excel.parse_workbook(
            xlsx([good_row(**{"Mã số thuế": "4800777009"}), good_row(**overrides)]), user=officer
        )
        assert not result.ok
        assert [r.number for r in result.bad_rows] == [5]
        assert any(message in error for error in result.bad_rows[0].errors), result.bad_rows[
            0
        ].errors

    def test_it_reports_every_bad_row_with_its_excel_row_number(
        self, officer, commune_a1, facility_a
    ):
        result = excel.parse_workbook(
            xlsx(
                [
                    good_row(),
                    good_row(**{"Mã số thuế": facility_a.tax_code}),
                    [None] * len(HEADERS),  # blank rows are skipped, numbering is kept
                    good_row(**{"Số lao động": -1, "Mã số thuế": "4800777005"}),
                    good_row(),  # same tax code as row 4
                ]
            ),
            user=officer,
        )
        assert [r.number for r in result.rows] == [4, 5, 7, 8]
        bad = {r.number: r.errors for r in result.bad_rows}
        assert set(bad) == {5, 7, 8}
        assert bad[5] == [f"Mã số thuế {facility_a.tax_code} đã được đăng ký cho một cơ sở khác."]
        assert bad[7] == ["Số lao động không được là số âm."]
        assert bad[8] == ["Mã số thuế 4800777001 trùng với dòng 4 của tệp."]

    def test_it_asks_for_a_code_when_a_name_is_ambiguous(self, staff, province, district_a):
        Locality.objects.create(
            code="A9", name="Huyện A", kind=LocalityKind.COMMUNE, parent=province
        )
        result = excel.parse_workbook(
            xlsx([good_row(**{"Mã địa bàn": "", "Địa bàn": "Huyện A"})]), user=staff
        )
        assert "Có 2 địa bàn tên “Huyện A”" in result.rows[0].errors[0]

    def test_it_explains_a_code_excel_turned_into_a_number(self, staff, province):
        result = excel.parse_workbook(xlsx([good_row(**{"Mã địa bàn": 40.01})]), user=staff)
        assert "định dạng cột Mã địa bàn là Văn bản" in result.rows[0].errors[0]

    def test_it_refuses_a_file_that_is_not_excel(self, officer):
        result = excel.parse_workbook(io.BytesIO(b"Ten co so;Loai hinh\n"), user=officer)
        assert result.file_errors == [
            "Không đọc được tệp. Hãy dùng tệp Excel .xlsx (ví dụ tệp mẫu của trang này)."
        ]

    def test_it_needs_the_header_row_and_required_columns(self, officer):
        no_header = excel.parse_workbook(xlsx([], headers=["A", "B"]), user=officer)
        assert "Không tìm thấy dòng tiêu đề" in no_header.file_errors[0]
        missing = excel.parse_workbook(xlsx([["X"]], headers=["Tên cơ sở"]), user=officer)
        assert missing.file_errors == [
            "Tệp thiếu cột: Loại hình, Ngành nghề chính, Mã địa bàn hoặc Địa bàn."
        ]
        empty = excel.parse_workbook(xlsx([]), user=officer)
        assert empty.file_errors == ["Tệp không có dòng dữ liệu nào dưới dòng tiêu đề."]


@pytest.mark.django_db
class TestSave:
    def test_it_saves_rows_with_sectors_figures_and_history(self, officer, commune_a1):
        rows = excel.parse_workbook(
            xlsx([good_row(**{"Ngành nghề khác": "CK"})]), user=officer
        ).rows
        [facility] = excel.save_import(rows=rows, by=officer)
        facility.refresh_from_db()
        assert facility.name == "Hợp tác xã Chè Shan tuyết"
        assert [s.code for s in facility.sectors.all()] == ["CK"]
        assert facility.yearly_figures.get().workers == 25
        assert facility.size_class == "small"
        record = facility.history.get()
        assert (record.history_user, record.history_change_reason) == (officer, "Nhập từ Excel")

    def test_it_saves_all_rows_or_none(self, officer, commune_a1):
        rows = excel.parse_workbook(
            xlsx([good_row(), good_row(**{"Mã số thuế": "4800777002"})]), user=officer
        ).rows
        # Someone registers the second tax code between the preview and the confirmation.
        make_facility(commune_a1, tax_code="4800777002")
        with pytest.raises(IntegrityError):
            excel.save_import(rows=rows, by=officer)
        assert Facility.objects.count() == 1
        assert not YearlyFigure.objects.exists()

    def test_it_saves_the_production_value_or_leaves_it_unreported(self, officer, commune_a1):
        rows = excel.parse_workbook(
            xlsx([good_row(), good_row(**{"Mã số thuế": "", "Giá trị sản xuất (đồng)": None})]),
            user=officer,
        ).rows
        first, second = excel.save_import(rows=rows, by=officer)
        assert first.yearly_figures.get().production_value == 5_200_000_000
        assert second.yearly_figures.get().production_value is None  # not a 0

    def test_a_bad_production_value_is_a_row_error(self, officer, commune_a1):
        result = excel.parse_workbook(
            xlsx([good_row(**{"Giá trị sản xuất (đồng)": "5,2 tỷ"})]), user=officer
        )
        [row] = result.rows
        assert not result.ok
        assert row.errors == [
            "Giá trị sản xuất (đồng) phải là số nguyên, ví dụ 1.250.000 (đang ghi “5,2 tỷ”)."
        ]

    def test_a_registry_code_of_a_registered_facility_is_refused(
        self, officer, commune_a1, facility_a
    ):
        headers = [*HEADERS, "Mã cơ sở"]
        result = excel.parse_workbook(
            xlsx(
                [
                    [*good_row(), facility_a.registry_code],
                    [*good_row(**{"Mã số thuế": "4800777002"}), ""],
                    [*good_row(**{"Mã số thuế": "4800777003"}), "CS-12"],
                ],
                headers=headers,
            ),
            user=officer,
        )
        first, blank, malformed = result.rows
        assert first.errors == [
            f"Cơ sở {facility_a.registry_code} đã có trong sổ; tệp này chỉ nhập cơ sở mới. Để "
            "cập nhật số liệu hằng năm của cơ sở đã có, hãy dùng “Nhập số liệu hằng năm”."
        ]
        assert blank.ok
        assert malformed.errors == ["Mã cơ sở “CS-12” không đúng dạng (ví dụ CS000123)."]
        assert not result.ok
        with pytest.raises(ValueError):
            excel.save_import(rows=result.rows, by=officer)
        assert Facility.objects.count() == 1

    def test_it_saves_many_rows_in_a_few_queries(
        self, officer, commune_a1, django_assert_max_num_queries
    ):
        rows = excel.parse_workbook(
            xlsx(
                good_row(**{"Mã số thuế": f"48007770{n:02d}", "Ngành nghề khác": "CK"})
                for n in range(40)
            ),
            user=officer,
        ).rows
        # The size thresholds; facilities, their history; their other sectors; figures, their
        # history; the savepoint around it all (the test runs in a transaction); once per
        # import, the reports' totals of the localities imported into (lock, create the
        # missing lock row and lock it, three sums, three deletes, two inserts: no product has
        # a recognition yet).
        with django_assert_max_num_queries(19):
            saved = excel.save_import(rows=rows, by=officer)
        assert len(saved) == 40 and all(f.pk for f in saved)
        assert YearlyFigure.objects.filter(facility__in=saved).count() == 40
        assert Facility.sectors.through.objects.filter(facility__in=saved).count() == 40
        assert {f.size_class for f in Facility.objects.filter(pk__in=[f.pk for f in saved])} == {
            "small"
        }
        record = YearlyFigure.history.filter(facility_id=saved[-1].pk).get()
        assert (record.history_user, record.history_change_reason) == (officer, "Nhập từ Excel")
        assert record.locality_id == commune_a1.pk
        assert Facility.objects.get(pk=saved[0].pk).search_text  # found by the list's search
        # The bulk writes sent no signals: the import refreshed the reports' totals itself.
        assert registry_summaries.differences() == []
        assert RegistryTotals.objects.get(locality=commune_a1).facilities == 40

    def test_it_refuses_rows_with_errors(self, officer, commune_a1):
        rows = excel.parse_workbook(xlsx([good_row(**{"Tên cơ sở *": ""})]), user=officer).rows
        with pytest.raises(ValueError):
            excel.save_import(rows=rows, by=officer)


@pytest.mark.django_db
class TestExport:
    def test_it_writes_a_titled_sheet_with_a_frozen_header_and_money_as_numbers(
        self, staff, facility_a, facility_b
    ):
        YearlyFigure.objects.create(
            facility=facility_a, year=2023, workers=20, revenue=10**9, capital=5 * 10**8
        )
        YearlyFigure.objects.create(
            facility=facility_a,
            year=2024,
            workers=27,
            revenue=4_293_000_000,
            capital=2 * 10**9,
            production_value=5_100_000_000,
        )
        product = Product.objects.create(facility=facility_a, name="Tôn")
        Recognition.objects.create(product=product, level="provincial", year=2018)
        content = excel.export_workbook(
            Facility.objects.for_list().order_by("name"), title="DANH SÁCH", subtitle="Ghi chú"
        )
        ws = load_workbook(io.BytesIO(content)).active
        assert ws["A1"].value == "DANH SÁCH"
        assert ws["A2"].value == "Ghi chú"
        headers = [c.value for c in ws[4]]
        assert headers[:5] == ["STT", "Tên cơ sở", "Loại hình", "Mã số thuế", "Mã cơ sở"]
        assert ws.freeze_panes == "C5"
        row = {h: c for h, c in zip(headers, ws[5], strict=True)}
        assert row["Tên cơ sở"].value == "Công ty TNHH Giang Hiền"
        assert row["Mã cơ sở"].value == facility_a.registry_code == f"CS{facility_a.pk:06d}"
        assert row["Giá trị sản xuất (đồng)"].value == 5_100_000_000
        assert row["Giá trị sản xuất (đồng)"].number_format == "#,##0"
        assert row["Năm số liệu"].value == 2024  # the latest year
        assert row["Doanh thu (đồng)"].value == 4_293_000_000
        assert row["Doanh thu (đồng)"].number_format == "#,##0"
        assert row["Tổng nguồn vốn (đồng)"].number_format == "#,##0"
        assert row["Quy mô"].value == "Nhỏ"
        assert row["Số SP CNNT tiêu biểu"].value == 1
        assert ws.max_row == 6
        assert row["Năm thành lập"].data_type == "n" or row["Năm thành lập"].value is None
        assert row["Năm số liệu"].number_format == "0"
        assert ws.auto_filter.ref == f"A4:{get_column_letter(len(headers))}6"

    def test_its_memory_stays_flat_as_rows_grow(self, commune_a1, monkeypatch):
        # Facilities are read a chunk at a time and rows go to a temporary file: four times
        # the facilities take about the same memory. (An in-memory sheet grows with them.)
        monkeypatch.setattr(excel, "CHUNK", 250)
        sector = Sector.objects.get(code="CK")
        Facility.objects.bulk_create(
            Facility(
                name=f"Cơ sở sản xuất mẫu số {n}",
                legal_form="enterprise",
                locality=commune_a1,
                main_sector=sector,
                representative=f"Người đại diện {n}",
                founded_year=2000 + n % 20,
            )
            for n in range(2_000)
        )

        def peak(rows: int) -> int:
            ids = Facility.objects.order_by("pk").values("pk")[:rows]
            facilities = Facility.objects.for_list().filter(pk__in=ids).order_by("pk")
            gc.collect()
            tracemalloc.start()
            try:
                excel.export_workbook(facilities, title="DANH SÁCH", subtitle="")
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        peak(100)  # warm-up: imports, translations, query compilation
        small, large = peak(500), peak(2_000)
        assert large < 1.5 * small, (small, large)

    def test_an_exported_list_can_be_imported_again(self, staff, facility_a, commune_a1):
        facility_a.sectors.add(Sector.objects.get(code="CK"))
        YearlyFigure.objects.create(
            facility=facility_a, year=2024, workers=27, revenue=10**9, production_value=2 * 10**9
        )
        content = excel.export_workbook(Facility.objects.for_list(), title="DANH SÁCH", subtitle="")
        Facility.objects.all().delete()
        result = excel.parse_workbook(io.BytesIO(content), user=staff)
        assert result.ok, [r.errors for r in result.rows]
        [row] = result.rows
        assert row.facility.name == "Công ty TNHH Giang Hiền"
        assert row.facility.locality == commune_a1
        assert [s.code for s in row.sectors] == ["CK"]
        assert row.figure["workers"] == 27
        assert row.figure["production_value"] == 2 * 10**9
        assert row.raw["registry_code"].startswith("CS")  # read, and free again


@pytest.mark.django_db
class TestTemplate:
    def test_it_lists_columns_guide_and_the_users_localities(self, officer, commune_b1):
        wb = load_workbook(io.BytesIO(excel.template_workbook(user=officer)))
        assert wb.sheetnames == ["Danh sách cơ sở", "Hướng dẫn", "Danh mục"]
        headers = [c.value for c in wb["Danh sách cơ sở"][3]]
        assert headers[:3] == ["Tên cơ sở *", "Loại hình *", "Mã số thuế"]
        assert "Mã cơ sở" not in headers  # given when saved; read from an exported list
        codes = [c.value for c in wb["Danh mục"]["F"][1:] if c.value]
        assert codes == ["A", "A1"]
        assert wb["Danh mục"]["A2"].value == "Doanh nghiệp"

    def test_a_filled_template_imports(self, officer, commune_a1):
        wb = load_workbook(io.BytesIO(excel.template_workbook(user=officer)))
        ws = wb["Danh sách cơ sở"]
        for column, value in zip(
            "ABDG", ["Tổ hợp tác Dệt thổ cẩm", "Tổ hợp tác", "A1", "DMDG"], strict=True
        ):
            ws[f"{column}4"] = value
        buffer = io.BytesIO()
        wb.save(buffer)
        buffer.seek(0)
        result = excel.parse_workbook(buffer, user=officer)
        assert result.ok, [r.errors for r in result.rows]
        assert result.rows[0].number == 4
        assert result.rows[0].facility.legal_form == "cooperative_group"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "expected", "not_expected"),
    [
        ({"Tên cơ sở *": ""}, ["Thiếu Tên cơ sở."], ["blank", "Tên cơ sở: "]),
        (
            {"Tên cơ sở *": "Hợp tác xã " + "Chè " * 70},
            ["Tên cơ sở dài quá 255 ký tự"],
            ["Ensure this value"],
        ),
        ({"Mã số thuế": "12345"}, ["Mã số thuế phải gồm 10 chữ số"], ["Mã số thuế: Mã số thuế"]),
    ],
)
def test_import_errors_are_vietnamese_and_said_once(
    officer, commune_a1, overrides, expected, not_expected
):
    from django.utils import translation

    # Django's own field messages are missing from its Vietnamese catalogue or say the field
    # name twice: the import speaks its own words, once, in the reader's language.
    with translation.override("vi"):
        result = excel.parse_workbook(xlsx([good_row(**overrides)]), user=officer)
    errors = " ".join(result.bad_rows[0].errors)
    for text in expected:
        assert text in errors, errors
    for text in not_expected:
        assert text not in errors, errors
    with translation.override("en"):
        result = excel.parse_workbook(xlsx([good_row(**overrides)]), user=officer)
    errors = " ".join(result.bad_rows[0].errors)
    assert "This field cannot be blank" not in errors
    assert "Ensure this value" not in errors


def test_an_english_reader_imports_the_vietnamese_template(officer, commune_a1):
    from django.utils import translation

    with translation.override("en"):
        result = excel.parse_workbook(xlsx([good_row()]), user=officer)
    assert not result.bad_rows
    assert len(result.good_rows) == 1
