"""The dashboard and report pages: scope, filters, the same figures on page and in the file,
and a query count that does not grow with the data."""

import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from facilities.models import RecognitionLevel
from khuyencong.access import localities_in_scope
from khuyencong.models import Locality
from projects.models import FundingSource, Status
from projects.reports import excel, register
from tests.conftest import make_facility
from tests.projects.reports.data import (
    M,
    add_overdue_action,
    build_facilities,
    build_programme,
    build_year,
    grow,
    make_project,
    recognise,
)

ANNUAL = "/bao-cao/ket-qua-nam/?year=2024"
PROGRAMME = "/bao-cao/chuong-trinh/"
FACILITIES = "/bao-cao/co-so-cnnt/?first_year=2009&last_year=2015"
PRODUCTS = "/bao-cao/san-pham-tieu-bieu/?first_year=2015&last_year=2021"
REGISTER = "/bao-cao/danh-muc-de-an/?year_from=2024&year_to=2024"
DASHBOARD = "/?year=2024"
REPORT_PAGES = [ANNUAL, PROGRAMME, FACILITIES, PRODUCTS, REGISTER]


class TableReader(HTMLParser):
    """Reads every <table data-table="…"> of a page: rows of cells, each the data-value of a
    number cell or the text of a label cell."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current = None
        self.row = None
        self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self.current = self.tables.setdefault(attrs["data-table"], [])
        elif self.current is not None and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = {"value": attrs.get("data-value"), "text": ""}

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            value = self.cell["value"]
            self.row.append(value if value is not None else " ".join(self.cell["text"].split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None


def page_tables(response) -> dict[str, list[list[str]]]:
    reader = TableReader()
    reader.feed(response.content.decode())
    return reader.tables


def workbook(response):
    assert response["Content-Type"] == excel.XLSX_TYPE
    assert response.streaming  # from a temporary file, never whole in memory
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def sheet_rows(ws) -> list[list]:
    """The table of a sheet: its header row down to the first empty row (below it, on the last
    sheet, the signature block)."""
    rows = []
    for row in ws.iter_rows(min_row=excel.HEADER_ROW, values_only=True):
        if all(v is None for v in row):
            break
        rows.append(list(row))
    return rows


def below_table(ws) -> list:
    """Every value under the table (the signature block)."""
    rows = list(ws.iter_rows(min_row=excel.HEADER_ROW, values_only=True))
    return [v for row in rows[len(sheet_rows(ws)) :] for v in row if v is not None]


def same(page_value: str, file_value, kind: str = "") -> bool:
    """A page cell's data-value against the workbook's cell."""
    if page_value in ("", None):
        return file_value in (None, "")
    if file_value is None:
        return False
    if kind == "percent":
        # The page says 75.00 (percent), the file the fraction 0.75 with a percent format.
        return Decimal(page_value) == Decimal(str(file_value)) * 100
    if isinstance(file_value, int | float):
        return Decimal(page_value) == Decimal(str(file_value))
    return page_value == str(file_value)


@pytest.fixture
def year(province, district_a, commune_a1, district_b, commune_b1):
    return build_year(province, district_a, commune_a1, district_b, commune_b1)


@pytest.fixture
def everything(year, commune_a1, commune_b1):
    build_programme()
    f = build_facilities(commune_a1, commune_b1)
    recognise(f["f1"], (RecognitionLevel.PROVINCIAL, 2018), (RecognitionLevel.REGIONAL, 2020))
    recognise(f["f3"], (RecognitionLevel.NATIONAL, 2021))
    return year


@pytest.mark.django_db
class TestAccess:
    @pytest.mark.parametrize("url", ["/", "/bao-cao/", *REPORT_PAGES])
    def test_it_asks_anonymous_visitors_to_log_in(self, client, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/dang-nhap/")

    @pytest.mark.parametrize("url", ["/", "/bao-cao/", *REPORT_PAGES])
    def test_every_role_reads_every_page(
        self, login, everything, staff, officer, manager, viewer, url
    ):
        for user in (staff, officer, manager, viewer):
            response = login(user).get(url)
            assert response.status_code == 200, (user, url)

    def test_the_menu_and_the_index_lead_to_the_reports(self, login, staff):
        response = login(staff).get("/bao-cao/")
        html = response.content.decode()
        assert 'href="/bao-cao/"' in html  # the menu line
        for url in ("ket-qua-nam", "chuong-trinh", "co-so-cnnt", "san-pham-tieu-bieu"):
            assert f'href="/bao-cao/{url}/"' in html

    def test_a_district_officer_cannot_pick_another_district(
        self, login, year, officer, district_b
    ):
        response = login(officer).get(f"{ANNUAL}&locality={district_b.pk}")
        assert response.status_code == 200
        assert response.context["report"] is None
        assert "Địa bàn" in response.content.decode()
        assert response.context["form"].errors["locality"]
        xlsx = login(officer).get(f"{ANNUAL}&locality={district_b.pk}&format=xlsx")
        assert xlsx["Content-Type"].startswith("text/html")

    def test_a_district_officer_sees_the_district_figures_only(self, login, year, officer):
        response = login(officer).get(ANNUAL)
        tables = page_tables(response)
        labels = [row[0] for row in tables["by_locality"][1:]]
        assert labels == ["Xã Xã A Một", "Tổng cộng"]
        total = tables["by_source"][-1]
        assert total[3] == str(460 * M)  # approved: p1 300 + p7 60 + cancelled p4 100
        assert "Huyện B" not in response.content.decode()


@pytest.mark.django_db
class TestFilters:
    def test_it_explains_a_wrong_year(self, login, staff):
        response = login(staff).get("/bao-cao/ket-qua-nam/?year=hai-nghin")
        assert response.status_code == 200
        assert "Nhập năm bằng số, ví dụ 2024." in response.content.decode()
        assert response.context["report"] is None

    def test_it_refuses_a_period_that_ends_before_it_starts(self, login, staff):
        response = login(staff).get("/bao-cao/co-so-cnnt/?first_year=2015&last_year=2009")
        assert "Năm cuối phải bằng hoặc sau năm đầu." in response.content.decode()
        response = login(staff).get("/bao-cao/danh-muc-de-an/?year_from=2025&year_to=2024")
        assert "Năm cuối phải bằng hoặc sau năm đầu." in response.content.decode()

    def test_it_defaults_to_the_current_year(self, login, staff):
        response = login(staff).get("/bao-cao/ket-qua-nam/")
        assert response.context["report"].year == datetime.date.today().year

    def test_it_says_when_no_programme_exists(self, login, staff):
        response = login(staff).get(PROGRAMME)
        assert "Chưa có chương trình khuyến công nào." in response.content.decode()

    def test_the_register_lists_a_status_and_pages_through(self, login, year, staff):
        response = login(staff).get(f"{REGISTER}&status={Status.ACCEPTED}")
        rows = page_tables(response)["register"]
        assert [row[0] for row in rows[1:-1]] == sorted([year["p3"].code, year["p7"].code])
        assert rows[-1][0].startswith("Tổng cộng (2 đề án)")

    def test_the_registers_statements_kept_per_process_follow_its_filter(
        self, login, year, staff, district_b, settings
    ):
        """The register's total line and its page's figures are read by statements compiled
        once per process (khuyencong.compiled), under a key of all they are built from: one
        view after another in one process, each with its own period, filter and page (pages of
        other lengths), shows what the ORM reads for it."""
        settings.PAGE_SIZE = 4
        client = login(staff)
        source = FundingSource.objects.get(code="KCQG")
        for query in [
            "year_from=2024&year_to=2024",
            "year_from=2024&year_to=2024&page=2",
            f"year_from=2024&year_to=2024&status={Status.ACCEPTED}",
            "year_from=2023&year_to=2024",
            f"year_from=2024&year_to=2024&funding_source={source.pk}",
            f"year_from=2024&year_to=2024&locality={district_b.pk}",
        ]:
            response = client.get(f"/bao-cao/danh-muc-de-an/?{query}")
            report = response.context["report"]
            assert report.totals == register._totals_of(report.selected), query
            annotated = {p.pk: p for p in register.register_projects(report.selected)}
            rows = response.context["page"].object_list
            assert rows, query
            for row in rows:
                p = annotated[row["pk"]]
                assert row["disbursed"] == p.disbursed, query
                assert row["counted_counterpart"] == p.counted_counterpart, query
                assert row["achieved_jobs_created"] == p.achieved_jobs_created, query
        counts = [
            client.get(f"/bao-cao/danh-muc-de-an/?{query}").context["report"].totals["count"]
            for query in ["year_from=2024&year_to=2024", "year_from=2023&year_to=2024"]
        ]
        assert counts[0] < counts[1]


@pytest.mark.django_db
class TestSameFigures:
    def test_the_dashboard_the_report_page_and_the_file_agree(self, login, year, staff):
        client = login(staff)
        dashboard = client.get(DASHBOARD).content.decode()
        assert 'data-figure="approved">1.160.000.000 ₫' in dashboard
        assert 'data-figure="jobs_created">15<' in dashboard
        budget = page_tables(client.get(DASHBOARD))["budget"]
        row_2024 = [r for r in budget if r[0].startswith("2024")]
        page = page_tables(client.get(ANNUAL))
        source_rows = page["by_source"][1:-1]
        for dash_row, page_row in zip(row_2024, source_rows, strict=True):
            assert dash_row[1:5] == [page_row[1], *page_row[3:6]]  # allocated … settled
            assert dash_row[5] == page_row[6]  # remaining
        ws = workbook(client.get(f"{ANNUAL}&format=xlsx"))["Kinh phí theo nguồn"]
        assert sheet_rows(ws)[-1][3] == 1160 * M == int(page["by_source"][-1][3])

    @pytest.mark.parametrize("url", REPORT_PAGES)
    def test_every_table_of_the_page_is_in_the_file(self, login, everything, staff, url):
        client = login(staff)
        page = client.get(url)
        tables = page.context["report"].tables()
        html_tables = page_tables(page)
        wb = workbook(client.get(f"{url}&format=xlsx" if "?" in url else f"{url}?format=xlsx"))
        assert len(wb.sheetnames) == len(tables)
        for ws, table in zip(wb.worksheets, tables, strict=True):
            rows = sheet_rows(ws)
            header, body = rows[0], rows[1:]
            assert header == [excel.header_label(c) for c in table.columns]
            assert len(body) == len(table.rows) + (table.total is not None)
            # Below the last table only the signature block.
            signed = below_table(ws)
            if ws is wb.worksheets[-1]:
                assert "GIÁM ĐỐC" in signed and "NGƯỜI LẬP BIỂU" in signed
            else:
                assert not signed
            if table.key == "register":
                continue  # its page shows other columns: checked below
            shown = html_tables[table.key][1:]
            assert len(shown) == len(body)
            for page_row, file_row in zip(shown, body, strict=True):
                assert page_row[0] == str(file_row[0])
                for page_value, file_value, column in zip(
                    page_row[1:], file_row[1:], table.columns[1:], strict=True
                ):
                    assert same(page_value, file_value, column.kind), (
                        table.key,
                        page_row,
                        file_row,
                    )

    def test_the_register_file_holds_every_row_and_the_page_totals(
        self, login, year, staff, settings, commune_a1
    ):
        settings.PAGE_SIZE = 2
        client = login(staff)
        page = client.get(REGISTER)
        assert page.context["page"].paginator.num_pages == 3
        html_total = page_tables(page)["register"][-1]
        ws = workbook(client.get(f"{REGISTER}&format=xlsx")).active
        body = sheet_rows(ws)[1:]
        assert len(body) == 6 + 1
        codes = [row[0] for row in body[:-1]]
        assert sorted(codes) == sorted(year[k].code for k in ("p1", "p2", "p3", "p4", "p5", "p7"))
        total = body[-1]
        header = [excel.header_label(c) for c in page.context["report"].columns()]
        by_header = dict(zip(header, total, strict=True))
        # Page footer cells: total cost, approved, disbursed, settled, counterpart, 3 outcomes.
        assert [int(v) for v in html_total[1:6]] == [
            by_header["Tổng kinh phí (đồng)"],
            by_header["Kinh phí được phê duyệt (đồng)"],
            by_header["Đã giải ngân (đồng)"],
            by_header["Đã quyết toán (đồng)"],
            by_header["Vốn đối ứng (thực tế khi đã nghiệm thu) (đồng)"],
        ]
        assert by_header["Đã giải ngân (đồng)"] == 670 * M

    def test_the_facility_page_shows_growth_with_a_comma(self, login, everything, staff):
        html = login(staff).get(FACILITIES).content.decode()
        assert 'data-figure="workers_growth">4,18%<' in html
        assert "21,74%" in html


@pytest.mark.django_db
def test_a_large_register_download_runs_as_a_job(login, year, staff, settings, tmp_path):
    """Above JOB_EXPORT_IMMEDIATE_MAX_ROWS the download becomes a background job
    (khuyencong/jobs.py) whose file holds the same rows, for the period asked for."""
    from khuyencong.models import Job
    from tests.conftest import run_queued_jobs

    settings.MEDIA_ROOT = str(tmp_path)
    client = login(staff)
    at_once = sheet_rows(workbook(client.get(f"{REGISTER}&format=xlsx")).active)
    settings.JOB_EXPORT_IMMEDIATE_MAX_ROWS = 5
    response = client.get(f"{REGISTER}&format=xlsx")
    job = Job.objects.get()
    assert response.url == job.get_absolute_url()
    assert job.title == "Xuất Excel danh mục đề án 2024 (6 đề án)"
    assert "year_from=2024" in job.parameters["query"]
    assert run_queued_jobs() == ["done"]
    download = client.get(f"/cong-viec/{job.pk}/tai-ve/")
    assert sheet_rows(workbook(download).active) == at_once


class TestDashboardPage:
    def test_it_shows_my_work_overdue_items_and_the_notifications_spot(
        self, login, year, staff, manager
    ):
        add_overdue_action(year["p2"], staff, datetime.date(2024, 12, 1))
        html = login(staff).get(DASHBOARD).content.decode()
        assert "Đề án chờ thẩm định" in html
        assert year["p5"].code in html  # submitted, waiting for appraisal
        assert 'data-figure="overdue_projects">1<' in html  # p2; p5 is only submitted
        assert 'data-figure="overdue_actions">1<' in html
        assert "Thông báo chưa đọc" in html
        manager_html = login(manager).get(DASHBOARD).content.decode()
        card = manager_html.split("dashboard-work", 1)[1].split("dashboard-overdue", 1)[0]
        # The card lists the manager's own work only (groups with nothing in them are left out).
        assert "Đề án chờ thẩm định" not in card and year["p5"].code not in card

    def test_the_facility_count_follows_every_facility_written(
        self, login, staff, officer, commune_a1, commune_b1
    ):
        def counted(user) -> str:
            html = login(user).get(DASHBOARD).content.decode()
            return html.split("Cơ sở CNNT trong phạm vi:", 1)[1].split(".", 1)[0].strip()

        a = make_facility(commune_a1)
        make_facility(commune_a1)
        b = make_facility(commune_b1)
        assert (counted(staff), counted(officer)) == ("3", "2")  # the officer: district A
        a.locality = commune_b1
        a.save()
        assert (counted(staff), counted(officer)) == ("3", "1")
        b.delete()
        assert (counted(staff), counted(officer)) == ("2", "1")

    def test_it_draws_charts_from_the_portals_own_static_files(self, login, year, staff):
        html = login(staff).get(DASHBOARD).content.decode()
        assert '<script src="/static/vendor/chart.js/chart.umd.min.js">' in html
        assert '<script src="/static/js/charts.js">' in html
        assert 'canvas data-chart="bieu-do-budget"' in html
        assert '<script id="bieu-do-budget" type="application/json">' in html
        assert "http://" not in html.split("<body")[0] and "https://" not in html

    def test_a_district_officer_sees_no_allocation(self, login, year, officer):
        response = login(officer).get(DASHBOARD)
        budget = page_tables(response)["budget"]
        assert all(row[1] == "" for row in budget[1:])  # allocated: not split by locality
        assert "không chia theo địa bàn" in response.content.decode()

    def test_every_report_page_prints(self, login, everything, staff):
        from pathlib import Path

        from django.contrib.staticfiles import finders

        css = Path(finders.find("css/portal.css")).read_text(encoding="utf-8")
        assert "@media print" in css and ".report-page" in css
        for url in REPORT_PAGES:
            html = login(staff).get(url).content.decode()
            assert "data-print" in html and 'class="report-page"' in html


def measure(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
class TestQueryCounts:
    """Each page's queries do not depend on how many projects, facilities or recognitions
    there are: measured on one project, then on the full test data plus more.

    What each page asks (after the session and the user):
    - dashboard: funding sources, allocations, the budget's totals per year × source ×
      allocation × status; the year's totals per activity type (projects of each status,
      funds of the carried rows, outcomes), activity types, funds per locality, the
      localities (roll-up); the "my work" counts (one statement) and each group's first
      items; overdue projects and overdue actions (count + first items); facility count;
      the localities of the filter.
    - annual report: the four aggregates per activity type × locality, activity types, the
      budget-use queries, the roll-up localities, the filter's sources and localities.
    - programme: the programme (default, form, choices), targets with indicators, projects per
      activity type × year, outcomes per year, programme budgets, the budget-use queries.
    - facility statistics: the span of years, figures per year, per sector × year and per
      locality × year at both ends, sectors, worker outcomes per year, roll-up, filter choices.
    - products: the span of years, recognitions per year, sector and locality × level,
      sectors, roll-up, filter choices.
    - register: totals, disbursed total, outcome totals, page count, the page of projects
      (one query with its annotations), filter choices.
    """

    @pytest.mark.parametrize(
        "url",
        [DASHBOARD, *REPORT_PAGES, f"{ANNUAL}&format=xlsx", f"{REGISTER}&format=xlsx"],
    )
    def test_it_runs_the_same_queries_for_one_and_for_many_records(
        self,
        login,
        staff,
        province,
        district_a,
        commune_a1,
        district_b,
        commune_b1,
        django_assert_num_queries,
        url,
    ):
        client = login(staff)
        build_programme()
        make_project(commune_a1, status=Status.IN_PROGRESS, approved=10 * M)
        client.get(url)  # warm up: content types, session
        small = measure(client, url)
        build_year(province, district_a, commune_a1, district_b, commune_b1)
        f = build_facilities(commune_a1, commune_b1)
        recognise(f["f1"], (RecognitionLevel.PROVINCIAL, 2018))
        recognise(f["f2"], (RecognitionLevel.NATIONAL, 2019))
        grow([commune_a1, commune_b1, district_b], n=9)
        add_overdue_action(f and make_project(commune_b1), staff, datetime.date(2020, 1, 1))
        with django_assert_num_queries(small):
            client.get(url)

    def test_a_district_officers_dashboard_does_not_grow_either(
        self, login, officer, commune_a1, commune_b1, django_assert_num_queries
    ):
        client = login(officer)
        make_project(commune_a1, status=Status.DRAFT)
        client.get(DASHBOARD)
        small = measure(client, DASHBOARD)
        grow([commune_a1, commune_b1], n=10)
        for _i in range(5):
            make_project(commune_a1, status=Status.RETURNED)
        with django_assert_num_queries(small):
            client.get(DASHBOARD)


def chart_spec(html: str, key: str) -> dict | None:
    """The JSON a chart of the page is drawn from, None when the page draws no such chart."""
    import json

    match = re.search(rf'<script id="bieu-do-{key}" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1)) if match else None


@pytest.mark.django_db
class TestWhatTheOfficerReads:
    """Wording, empty states and charts as an officer meets them (QA review)."""

    def test_an_empty_year_says_so_instead_of_drawing_empty_axes(self, login, year, staff):
        html = login(staff).get("/?year=2026").content.decode()
        assert "Chưa có đề án nào được phê duyệt kinh phí năm 2026." in html
        assert chart_spec(html, "by_activity") is None
        assert chart_spec(html, "by_locality") is None
        assert chart_spec(html, "budget") is not None  # 2024 has allocations

    def test_the_status_ring_lists_only_statuses_that_hold_projects(self, login, year, staff):
        html = login(staff).get(DASHBOARD).content.decode()
        ring = chart_spec(html, "by_status")
        rows = page_tables_from_html(html)["by_status"][1:-1]
        held = [label for label, n in rows if n != "0"]
        assert ring["labels"] == held
        assert 0 not in ring["datasets"][0]["data"]
        assert len(rows) > len(held)  # the table still lists every status

    def test_money_charts_say_they_hold_money(self, login, year, staff):
        html = login(staff).get(DASHBOARD).content.decode()
        assert chart_spec(html, "budget")["money"] is True
        assert chart_spec(html, "by_status")["money"] is False
        annual = login(staff).get(ANNUAL).content.decode()
        assert chart_spec(annual, "by_source")["money"] is True

    def test_a_viewer_sees_no_my_work_panel(self, login, year, viewer, staff):
        assert "dashboard-work" not in login(viewer).get(DASHBOARD).content.decode()
        assert "dashboard-work" in login(staff).get(DASHBOARD).content.decode()

    def test_the_programme_report_names_the_programme_once_in_sentence_case(
        self, login, everything, staff
    ):
        response = login(staff).get(PROGRAMME)
        html = response.content.decode()
        heading = "Báo cáo thực hiện chương trình khuyến công thử nghiệm"
        assert f'<h1 class="h4 mb-0">{heading}</h1>' in html
        assert "(2023–2025)</h1>" not in html
        assert "Chương trình khuyến công thử nghiệm (2023–2025)</option>" in html
        header = page_tables(response)["targets"][0]
        assert header[:3] == ["Nội dung", "Đơn vị tính", "Chỉ tiêu giai đoạn"]

    def test_a_name_that_carries_its_period_is_not_repeated(self, login, staff):
        from projects.models import Programme

        Programme.objects.create(
            name="Chương trình khuyến công tỉnh giai đoạn 2021–2025", start_year=2021, end_year=2025
        )
        html = login(staff).get(PROGRAMME).content.decode()
        assert "Chương trình khuyến công tỉnh giai đoạn 2021–2025</option>" in html

    def test_without_a_programme_it_points_to_the_planning_pages(self, login, staff):
        html = login(staff).get(PROGRAMME).content.decode()
        assert 'href="/ke-hoach/"' in html.split("alert-info", 1)[1]
        assert "trang quản trị" not in html


def page_tables_from_html(html: str) -> dict[str, list[list[str]]]:
    reader = TableReader()
    reader.feed(html)
    return reader.tables


@pytest.mark.django_db
def test_facility_counts_get_their_own_axis_beside_worker_counts(login, everything, staff):
    spec = chart_spec(login(staff).get(FACILITIES).content.decode(), "by_year")
    labels = [d["label"] for d in spec["datasets"]]
    assert [labels[i] for i in spec["secondary"]] == ["Số cơ sở có số liệu"]


@pytest.mark.django_db
def test_the_locality_filter_is_an_indented_tree_like_the_facility_pages(login, year, officer):
    html = login(officer).get(ANNUAL).content.decode()
    select = html.split('name="locality"', 1)[1].split("</select>", 1)[0]
    assert ">Huyện Huyện A</option>" in select
    assert ">\u00a0\u00a0\u00a0\u00a0Xã Xã A Một</option>" in select
    assert "— —" not in select and ">— " not in select


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["officer", "staff"])
def test_the_dashboards_filter_offers_the_localities_in_scope_from_the_tree_it_read(
    request, login, who, province, district_a, commune_a1, district_b, commune_b1
):
    user = request.getfixturevalue(who)
    # An ended commune of the officer's district still holds records: it is offered too.
    ended = Locality.objects.create(
        code="A0",
        name="Xã Cũ",
        kind=commune_a1.kind,
        parent=district_a,
        valid_to=datetime.date(2025, 7, 1),
        current=commune_a1,
    )
    client = login(user)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(DASHBOARD).content.decode()
    select = re.search(r'<select name="locality".*?</select>', html, re.S).group(0)
    offered = [int(pk) for pk in re.findall(r'<option value="(\d+)"', select)]
    expected = list(localities_in_scope(user).order_by("path").values_list("pk", flat=True))
    assert offered == expected
    assert ended.pk in offered and (who == "staff") == (district_b.pk in offered)
    # The tree is read once, for the table by locality: the filter's field does not read its
    # own rows (LocalityChoiceField reads them as values named "pk", "path", …).
    own = '"khuyencong_locality"."id" AS "pk", "khuyencong_locality"."path" AS "path"'
    assert not [q for q in captured if own in q["sql"]]
