"""Reports as filed: units and their rounding rule, the letterhead and signatures, and the
reconciliation of reported figures and plan totals (issue 14, points 5 and 6)."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from projects import reports
from projects.models import (
    AnnualPlan,
    FundingSource,
    PlanBudget,
    ReportedFigure,
    ReportFiling,
    Status,
)
from projects.models import ReportedIndicator as RI
from projects.reports import excel
from projects.reports.filing import Unit, in_unit, scale
from projects.reports.tables import Column, Table
from tests.projects.reports.data import M, make_project

TODAY = datetime.date.today()


def money_table() -> Table:
    return Table(
        "t",
        "Kinh phí",
        [
            Column("label", "Nguồn", "text"),
            Column("n", "Số đề án"),
            Column("a", "Kinh phí", "money"),
        ],
        [["A", 1, 400_400_000], ["B", 2, 300_400_000], ["C", 3, 300_400_000]],
        ["Tổng cộng", 6, 1_001_200_000],
    )


class TestUnits:
    def test_each_cell_and_the_total_are_rounded_from_exact_dong(self):
        table = in_unit(money_table(), Unit.MILLION)
        amounts = table.values("a")
        assert amounts == [400, 300, 300]
        # The total is the exact total rounded (1 001), not the sum of rounded lines (1 000).
        assert table.total[2] == 1001 and sum(amounts) == 1000
        assert "tổng chính xác làm tròn" in table.note
        assert table.values("n") == [1, 2, 3]  # counts are not amounts
        assert table.columns[2].unit == "triệu đồng"

    def test_it_rounds_half_up_and_keeps_two_decimals_in_ty(self):
        assert scale(1_075_000_000, Unit.BILLION) == Decimal("1.08")
        assert scale(850_000_000, Unit.BILLION) == Decimal("0.85")
        assert scale(1_500_000, Unit.MILLION) == 2  # half up, not to even
        assert scale(2_500_000, Unit.MILLION) == 3
        assert scale(1_499, Unit.THOUSAND) == 1
        assert scale(1_234_567, Unit.DONG) == 1_234_567

    def test_the_workbook_says_the_unit_and_holds_the_rounded_numbers(self):
        table = in_unit(money_table(), Unit.BILLION)
        wb = openpyxl.load_workbook(
            io.BytesIO(excel.workbook(heading="B", period="P", tables=[table], produced=TODAY))
        )
        ws = wb.active
        header = [c.value for c in ws[excel.HEADER_ROW]]
        assert header[2] == "Kinh phí (tỷ đồng)"
        first = ws.cell(row=excel.HEADER_ROW + 1, column=3)
        assert first.value == 0.4 and first.number_format == "#,##0.00"
        assert ws.cell(row=excel.HEADER_ROW + 4, column=3).value == 1.0


@pytest.fixture
def plan_2022(province, commune_a1):
    """The 2022 case of the seeds: a plan of 850 M (KCĐP) + 900 M (KCQG); 9 projects carried
    out for 1,075 M, as the press reported them."""
    plan = AnnualPlan.objects.create(year=2022)
    sources = {s.code: s for s in FundingSource.objects.all()}
    PlanBudget.objects.create(plan=plan, funding_source=sources["KCĐP"], amount=850 * M)
    PlanBudget.objects.create(plan=plan, funding_source=sources["KCQG"], amount=900 * M)
    for amount in [125 * M] * 7:
        make_project(commune_a1, year=2022, status=Status.APPROVED, approved=amount)
    for amount in [100 * M, 100 * M]:
        make_project(
            commune_a1, year=2022, source_code="KCQG", status=Status.APPROVED, approved=amount
        )
    return plan


def report_figure(year, indicator, value, staff, source="Báo Cao Bằng, 2022"):
    return ReportedFigure.objects.create(
        year=year, indicator=indicator, value=value, source=source, entered_by=staff
    )


@pytest.mark.django_db
class TestReconciliation:
    def test_the_2022_plan_total_is_flagged(self, plan_2022, staff):
        report_figure(2022, RI.PROJECTS, 9, staff)
        report_figure(2022, RI.KC_FUNDS, 1_075 * M, staff)
        result = reports.reconciliation(area=reports.Area(staff), years=[2022])
        (check,) = result.flagged_plans
        assert (check.sources, check.approved, check.projects) == (1_750 * M, 1_075 * M, 9)
        flags = " ".join(check.flags)
        assert "1.075.000.000 ₫ khác tổng các nguồn 1.750.000.000 ₫" in flags
        # The projects' own total matches what was reported: no difference flagged there.
        funds = next(c for c in result.comparisons if c.indicator == RI.KC_FUNDS)
        assert funds.state == "match"

    def test_every_difference_with_the_registry_is_flagged(self, plan_2022, staff, facility_a):
        facility_a.yearly_figures.create(year=2022, workers=40, production_value=5 * M)
        report_figure(2022, RI.FACILITIES, 1, staff)
        report_figure(2022, RI.WORKERS, 45, staff, source="Báo cáo số 15/BC-SCT")
        result = reports.reconciliation(area=reports.Area(staff), years=[2022])
        states = {c.indicator: c for c in result.comparisons}
        assert states[RI.FACILITIES].state == "match"
        assert (states[RI.WORKERS].state, states[RI.WORKERS].difference) == ("differs", 5)
        assert states[RI.PRODUCTION_VALUE].state == "not_reported"
        assert [c.indicator for c in result.differences] == [RI.WORKERS]

    def test_the_reports_show_reported_beside_registry_for_the_province_only(
        self, login, plan_2022, staff, officer
    ):
        report_figure(2022, RI.KC_FUNDS, 1_075 * M, staff)
        page = login(staff).get(reverse("reports:annual") + "?year=2022")
        tables = {t.key: t for t in page.context["tables"]}
        assert "reconciliation" in tables and "plan_check" in tables
        html = page.content.decode()
        assert "khác tổng các nguồn" in html and "Báo Cao Bằng, 2022" in html
        programme = login(staff).get(
            reverse("reports:facilities") + "?first_year=2022&last_year=2022"
        )
        assert "reconciliation" in {t.key for t in programme.context["tables"]}
        # A district officer's report covers a district, not the province's reported figures.
        mine = login(officer).get(reverse("reports:annual") + "?year=2022")
        assert "reconciliation" not in {t.key for t in mine.context["tables"]}

    def test_the_centre_enters_a_figure_once_per_year_and_indicator(self, login, staff):
        client = login(staff)
        data = {"year": 2023, "indicator": RI.WORKERS, "value": "12.345", "source": "BC 01"}
        response = client.post(reverse("reports:reported_create"), data)
        assert response.status_code == 302
        figure = ReportedFigure.objects.get()
        assert (figure.value, figure.entered_by) == (12_345, staff)
        again = client.post(reverse("reports:reported_create"), {**data, "value": "1"})
        assert "đã được nhập" in again.content.decode()
        assert ReportedFigure.objects.get().value == 12_345
        listing = client.get(reverse("reports:reported") + "?year=2023").content.decode()
        assert "12.345" in listing and "BC 01" in listing


@pytest.mark.django_db
class TestLetterhead:
    @pytest.fixture
    def filing(self, db):
        filing = ReportFiling.load()
        filing.agency = "TRUNG TÂM KHUYẾN CÔNG VÀ TƯ VẤN PHÁT TRIỂN CÔNG NGHIỆP"
        filing.approved_name = "Nông Văn Bảo"
        filing.prepared_name = "Lục Thị Hoa"
        filing.save()
        return filing

    def test_the_print_view_has_the_header_and_signatures(self, login, filing, staff):
        html = login(staff).get(reverse("reports:annual") + "?year=2024&number=15").content.decode()
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
        assert "Độc lập - Tự do - Hạnh phúc" in html
        assert "Số: 15/BC-TTKC" in html
        assert f"Cao Bằng, ngày {TODAY:%d} tháng {TODAY:%m} năm {TODAY.year}" in html
        assert "TRUNG TÂM KHUYẾN CÔNG VÀ TƯ VẤN PHÁT TRIỂN CÔNG NGHIỆP" in html
        assert "Nông Văn Bảo" in html and "Lục Thị Hoa" in html

    def test_the_workbook_has_the_header_on_every_sheet_and_signatures_at_the_end(
        self, login, filing, staff
    ):
        response = login(staff).get(reverse("reports:annual") + "?year=2024&number=15&format=xlsx")
        wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        for ws in wb.worksheets:
            values = [c.value for row in ws.iter_rows(max_row=3) for c in row if c.value]
            assert values[:2] == [
                "SỞ CÔNG THƯƠNG TỈNH CAO BẰNG",
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            ]
            assert "Số: 15/BC-TTKC" in values
        last = [c.value for row in wb.worksheets[-1].iter_rows() for c in row if c.value]
        assert last[-2:] == ["Lục Thị Hoa", "Nông Văn Bảo"]
        first = [c.value for row in wb.worksheets[0].iter_rows() for c in row if c.value]
        assert "Nông Văn Bảo" not in first

    def test_a_manager_edits_it_and_the_reports_follow(self, login, manager, staff):
        client = login(manager)
        assert client.get(reverse("reports:filing")).status_code == 200
        data = {
            "parent_agency": "UBND TỈNH CAO BẰNG",
            "agency": "SỞ CÔNG THƯƠNG",
            "number_suffix": "/BC-SCT",
            "place": "Cao Bằng",
            "prepared_title": "NGƯỜI LẬP",
            "prepared_name": "",
            "approved_title": "KT. GIÁM ĐỐC",
            "approved_name": "Hoàng Văn Minh",
        }
        assert client.post(reverse("reports:filing"), data).status_code == 302
        html = login(staff).get(reverse("reports:annual") + "?year=2024").content.decode()
        assert "/BC-SCT" in html and "KT. GIÁM ĐỐC" in html and "Hoàng Văn Minh" in html
        assert ReportFiling.objects.count() == 1


@pytest.mark.django_db
class TestRegisterAsFiled:
    """The project register (Danh mục đề án) in the unit chosen and with the report number,
    on the page, the print view and the workbook, at once or from the background job."""

    URL = "/bao-cao/danh-muc-de-an/?year_from=2024&year_to=2024&number=27"

    @pytest.fixture
    def projects(self, commune_a1):
        # 400,4 + 300,4 + 300,4 triệu: lines 400, 300, 300, the exact total 1 001,2 → 1 001.
        return [
            make_project(commune_a1, year=2024, status=Status.APPROVED, approved=a, requested=a)
            for a in (400_400_000, 300_400_000, 300_400_000)
        ]

    @staticmethod
    def register_sheet(response):
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        ws = book.active
        return ws, [list(r) for r in ws.iter_rows(min_row=excel.HEADER_ROW, values_only=True)]

    def test_the_page_shows_amounts_in_the_unit_rounded_cell_by_cell(self, login, projects, staff):
        html = login(staff).get(self.URL + "&unit=trieu").content.decode()
        assert "Kinh phí được phê duyệt (triệu đồng)" in html
        assert html.count('data-value="400"') == 2  # total cost and approved of the first
        assert 'data-value="1001"' in html  # the exact total rounded, not 400 + 300 + 300
        assert "400.400.000" not in html
        assert "tổng chính xác làm tròn" in html
        in_dong = login(staff).get(self.URL).content.decode()
        assert "Kinh phí được phê duyệt (đồng)" in in_dong and "400.400.000" in in_dong

    def test_the_print_view_has_the_letterhead_with_the_number(self, login, projects, staff):
        html = login(staff).get(self.URL).content.decode()
        assert "data-letterhead" in html and "Số: 27/" in html
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "data-signatures" in html

    def test_the_workbook_is_in_the_unit_with_the_number(self, login, projects, staff):
        ws, rows = self.register_sheet(login(staff).get(self.URL + "&unit=ty&format=xlsx"))
        header = rows[0]
        approved = header.index("Kinh phí được phê duyệt (tỷ đồng)")
        assert [r[approved] for r in rows[1:4]] == [0.4, 0.3, 0.3]
        assert rows[4][approved] == 1.0  # 1,0012 tỷ
        cell = ws.cell(row=excel.HEADER_ROW + 1, column=approved + 1)
        assert cell.number_format == "#,##0.00"
        top = [c.value for row in ws.iter_rows(max_row=3) for c in row if c.value]
        assert any(str(v).startswith("Số: 27/") for v in top)

    def test_the_background_job_keeps_the_unit_and_the_number(
        self, login, projects, staff, settings, tmp_path
    ):
        from khuyencong.models import Job
        from tests.conftest import run_queued_jobs

        settings.MEDIA_ROOT = str(tmp_path)
        settings.JOB_EXPORT_IMMEDIATE_MAX_ROWS = 1
        client = login(staff)
        client.get(self.URL + "&unit=trieu&format=xlsx")
        job = Job.objects.get()
        assert run_queued_jobs() == ["done"]
        ws, rows = self.register_sheet(client.get(f"/cong-viec/{job.pk}/tai-ve/"))
        approved = rows[0].index("Kinh phí được phê duyệt (triệu đồng)")
        assert [r[approved] for r in rows[1:5]] == [400, 300, 300, 1001]
        top = [c.value for row in ws.iter_rows(max_row=3) for c in row if c.value]
        assert any(str(v).startswith("Số: 27/") for v in top)

    def test_an_unknown_unit_is_refused(self, login, projects, staff):
        html = login(staff).get(self.URL + "&unit=usd").content.decode()
        assert "Hãy chọn một lựa chọn hợp lệ" in html or "Select a valid choice" in html
