"""Programme, facility statistics, outstanding products and the project register, against
hand-counted figures (tests/projects/reports/data.py)."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from facilities.models import RecognitionLevel, Sector, YearlyFigure
from projects import reports
from projects.models import Indicator, Programme, ProgrammeBudget, Status, Target
from projects.reports.tables import NO_DATA
from tests.conftest import make_facility
from tests.projects.reports.data import (
    M,
    build_facilities,
    build_programme,
    build_year,
    recognise,
    source,
)


@pytest.fixture
def year(province, district_a, commune_a1, district_b, commune_b1):
    return build_year(province, district_a, commune_a1, district_b, commune_b1)


@pytest.mark.django_db
class TestProgrammeReport:
    def test_it_sets_every_target_against_its_result(self, year, staff):
        report = reports.programme_report(area=reports.Area(staff), programme=build_programme())
        results = {t.indicator.code: t for t in report.targets}
        models = results["MHTD"]
        # One demonstration model carried out (p1, 2024) of 4: 25 %.
        assert (models.target, models.result, models.percent) == (4, 1, Decimal("25.00"))
        assert models.by_year == {2023: 0, 2024: 1, 2025: 0}
        jobs = results["VIECLAM"]
        assert (jobs.result, jobs.percent) == (15, Decimal("50.00"))
        assert results["QUANLY"].percent is None  # a zero target has no percentage
        table = report.tables()[0]
        # In the indicators' order: models, managers trained, jobs.
        assert table.values("percent") == [Decimal("25.00"), None, Decimal("50.00")]

    def test_its_statements_kept_per_process_follow_programme_years_and_scope(
        self, year, staff, officer
    ):
        """Its reads are compiled once per process (khuyencong.compiled), under a key of all
        they are built from: one report after another in the same process reads its own."""
        programme = build_programme()
        report = reports.programme_report(area=reports.Area(staff), programme=programme)
        results = {t.indicator.code: t for t in report.targets}
        assert results["MHTD"].by_year == {2023: 0, 2024: 1, 2025: 0}
        assert results["VIECLAM"].result == 15
        mine = reports.programme_report(area=reports.Area(officer), programme=programme)
        assert {t.indicator.code: t.result for t in mine.targets}["VIECLAM"] == 10
        programme.start_year = 2024
        programme.save()
        shorter = reports.programme_report(area=reports.Area(staff), programme=programme)
        assert {t.indicator.code: t for t in shorter.targets}["MHTD"].by_year == {2024: 1, 2025: 0}
        other = Programme.objects.create(name="Khác", start_year=2024, end_year=2024)
        ProgrammeBudget.objects.create(
            programme=other, funding_source=source("KCĐP"), planned_amount=7 * M
        )
        Target.objects.create(
            indicator=Indicator.objects.get(code="MHTD"), programme=other, value=2
        )
        report = reports.programme_report(area=reports.Area(staff), programme=other)
        assert [(t.indicator.code, t.target, t.result) for t in report.targets] == [("MHTD", 2, 1)]
        assert {f.source.code: f.planned for f in report.funds}["KCĐP"] == 7 * M

    def test_it_sets_planned_funds_against_used_per_source(self, year, staff):
        report = reports.programme_report(area=reports.Area(staff), programme=build_programme())
        funds = {f.source.code: f for f in report.funds}
        local, national = funds["KCĐP"], funds["KCQG"]
        assert (local.planned, local.allocated) == (2000 * M, 1500 * M)
        assert (local.funds.approved, local.funds.disbursed) == (610 * M, 430 * M)
        assert local.funds.settled == 330 * M
        assert local.used_percent == Decimal("21.50")
        assert (national.planned, national.allocated, national.funds.disbursed) == (
            3000 * M,
            2000 * M,
            290 * M,
        )
        assert national.used_percent == Decimal("9.67")
        total = report.tables()[1].total
        assert total[1:6] == [5000 * M, 3500 * M, 1210 * M, 720 * M, 330 * M]
        assert total[6] == Decimal("14.40")

    def test_a_district_officer_gets_the_district_results(self, year, officer):
        report = reports.programme_report(area=reports.Area(officer), programme=build_programme())
        results = {t.indicator.code: t.result for t in report.targets}
        assert results == {"MHTD": 1, "VIECLAM": 10, "QUANLY": 0}
        assert all(f.allocated is None for f in report.funds)


@pytest.fixture
def facilities(commune_a1, commune_b1):
    return build_facilities(commune_a1, commune_b1)


@pytest.mark.django_db
class TestFacilityStats:
    def test_it_counts_facilities_and_workers_per_year_with_growth(self, facilities, staff):
        stats = reports.facility_stats(area=reports.Area(staff), first_year=2009, last_year=2015)
        assert (stats.by_year[2009].facilities, stats.by_year[2009].workers) == (2, 7039)
        assert (stats.by_year[2012].facilities, stats.by_year[2012].workers) == (1, 4200)
        assert (stats.by_year[2015].facilities, stats.by_year[2015].workers) == (3, 9000)
        assert stats.workers_growth == Decimal("4.18")
        assert stats.facilities_growth == Decimal("6.99")
        # Workers employed thanks to khuyến công: 215 (2009) → 700 (2015).
        assert (stats.kc_first, stats.kc_last) == (215, 700)
        assert stats.kc_workers_growth == Decimal("21.74")

    def test_it_shows_growth_with_a_comma_in_its_tables(self, facilities, staff):
        stats = reports.facility_stats(area=reports.Area(staff), first_year=2009, last_year=2015)
        by_year, growth, by_sector, by_locality = stats.tables()
        assert by_year.values("workers") == [7039, NO_DATA, NO_DATA, 4200, NO_DATA, NO_DATA, 9000]
        # facilities, workers, revenue, production value (none reported), khuyến công workers
        assert growth.values("growth") == [
            Decimal("6.99"),
            Decimal("4.18"),
            None,
            None,
            Decimal("21.74"),
        ]
        assert reports.format_percent(growth.rows[1][5]) == "4,18%"

    def test_it_breaks_down_by_sector_and_locality(self, facilities, staff):
        stats = reports.facility_stats(area=reports.Area(staff), first_year=2009, last_year=2015)
        sectors = {g.label: g.figures for g in stats.by_sector}
        food = sectors[Sector.objects.get(code="CBNLTS").name]
        materials = sectors[Sector.objects.get(code="VLXD").name]
        assert (food.first_workers, food.last_workers) == (4000, 4500)
        assert (materials.first_facilities, materials.last_facilities) == (1, 2)
        assert (materials.first_workers, materials.last_workers) == (3039, 4500)
        table = stats.tables()[2]
        rows = {row[0]: row for row in table.rows}
        growth = table.column("facilities_growth")
        assert rows[materials_name()][growth] == Decimal("12.25")  # facilities 1 → 2 in 6 years
        assert rows[materials_name()][table.column("workers_growth")] == Decimal("6.76")
        assert rows[food_name()][table.column("workers_growth")] == Decimal("1.98")
        assert rows[materials_name()][table.column("registered")] == 2
        localities = {g.label: g.figures for g in stats.by_locality}
        assert localities["Huyện Huyện A"].last_workers == 4500
        assert localities["Huyện Huyện B"].first_workers == 3039
        assert localities["Huyện Huyện B"].last_workers == 4500

    def test_it_narrows_to_a_sector_and_to_the_officers_district(self, facilities, staff, officer):
        materials = Sector.objects.get(code="VLXD")
        stats = reports.facility_stats(
            area=reports.Area(staff), first_year=2009, last_year=2015, sector=materials
        )
        assert stats.by_year[2015].workers == 4500
        assert stats.kc_last == 700 and stats.kc_first == 0
        mine = reports.facility_stats(area=reports.Area(officer), first_year=2009, last_year=2015)
        assert (mine.first.workers, mine.last.workers) == (4000, 4500)
        assert (mine.kc_first, mine.kc_last) == (215, 0)

    def test_its_statements_kept_per_process_follow_scope_sector_and_years(
        self, facilities, staff, officer
    ):
        """Its reads are compiled once per process (khuyencong.compiled), under a key of all
        they are built from: one report after another in the same process, each with its own
        scope, sector and years, reads its own figures."""
        everything = reports.facility_stats(
            area=reports.Area(staff), first_year=2009, last_year=2015
        )
        materials = Sector.objects.get(code="VLXD")
        narrowed = reports.facility_stats(
            area=reports.Area(staff), first_year=2009, last_year=2015, sector=materials
        )
        mine = reports.facility_stats(area=reports.Area(officer), first_year=2009, last_year=2015)
        later = reports.facility_stats(area=reports.Area(staff), first_year=2012, last_year=2015)
        assert everything.by_year[2015].workers == 9000
        assert narrowed.by_year[2015].workers == 4500
        assert [g.figures.last_workers for g in narrowed.by_sector] == [4500]
        assert (mine.first.workers, mine.last.workers) == (4000, 4500)
        assert 2009 not in later.by_year and later.used_years == (2012, 2015)
        assert sum(g.figures.first_workers for g in later.by_sector) == 4200
        assert sum(g.figures.first_workers for g in everything.by_sector) == 7039

    def test_a_year_without_figures_is_no_data_and_left_out_of_growth(
        self, commune_a1, commune_b1, staff
    ):
        """2020 → 2026 with 2026 not yet reported: growth runs 2020 → 2025, never −100 %."""
        one, two = make_facility(commune_a1), make_facility(commune_b1)
        for facility, year, workers, revenue, production in [
            (one, 2020, 100, 1_000 * M, 1_200 * M),
            (two, 2020, 50, 500 * M, None),
            (one, 2025, 150, 2_000 * M, 2_400 * M),
            (two, 2025, 60, 1_000 * M, None),
        ]:
            YearlyFigure.objects.create(
                facility=facility,
                year=year,
                workers=workers,
                revenue=revenue,
                production_value=production,
            )
        make_facility(commune_a1)  # registered, never reported
        stats = reports.facility_stats(area=reports.Area(staff), first_year=2020, last_year=2026)
        assert stats.used_years == (2020, 2025)
        assert stats.years_without_data == [2021, 2022, 2023, 2024, 2026]
        assert stats.workers_growth == Decimal("6.96")  # 150 → 210 in 5 years
        assert stats.revenue_growth == Decimal("14.87")  # 1,5 → 3 tỷ in 5 years
        assert stats.production_growth == Decimal("14.87")  # 1,2 → 2,4 tỷ, one facility
        assert stats.registered == 3 and stats.last.facilities == 2
        by_year = stats.tables()[0]
        assert by_year.values("revenue")[0] == 1_500 * M
        assert by_year.values("production")[0] == 1_200 * M
        assert by_year.values("workers")[-1] is NO_DATA
        assert "năm 2021, 2022, 2023, 2024, 2026" in stats.years_note
        assert "từ năm 2020 đến năm 2025" in stats.years_note

    def test_the_page_and_workbook_say_no_data_and_name_the_years(self, login, commune_a1, staff):
        YearlyFigure.objects.create(facility=make_facility(commune_a1), year=2020, workers=5)
        YearlyFigure.objects.create(facility=make_facility(commune_a1), year=2022, workers=8)
        url = reverse("reports:facilities") + "?first_year=2020&last_year=2023"
        page = login(staff).get(url).content.decode()
        assert "chưa có số liệu" in page
        assert "Tốc độ tăng tính từ năm 2020 đến năm 2022" in page
        assert "Số cơ sở trong sổ" in page and "Số cơ sở có số liệu" in page
        response = login(staff).get(url + "&format=xlsx")
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        year_2021 = next(r for r in rows if r[0] == 2021)
        assert year_2021[1:5] == ("chưa có số liệu",) * 4

    def test_the_growth_table_shows_amounts_in_the_unit_chosen(self, login, commune_a1, staff):
        one = make_facility(commune_a1)
        for year, revenue, production in [
            (2020, 1_234_500_000, 2_000_000_000),
            (2025, 3 * 10**9, 4_555_000_000),
        ]:
            YearlyFigure.objects.create(
                facility=one, year=year, workers=10, revenue=revenue, production_value=production
            )
        url = reverse("reports:facilities") + "?first_year=2020&last_year=2025&unit=trieu"
        page = login(staff).get(url).content.decode()
        growth = page[page.index('data-table="growth"') :]
        growth = growth[: growth.index("</table>")]
        assert "Doanh thu (triệu đồng)" in growth and "Giá trị sản xuất (triệu đồng)" in growth
        assert 'data-value="1235"' in growth and 'data-value="4555"' in growth  # half up
        assert "1.234.500.000" not in growth
        assert 'data-value="10"' in growth  # workers stay a count
        assert 'data-figure="revenue">1.235 → 3.000<' in page  # the figures above the tables
        assert "Giá trị sản xuất (triệu đồng) 2020 → 2025" in page
        response = login(staff).get(url.replace("trieu", "ty") + "&format=xlsx")
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        sheet = next(ws for ws in book.worksheets if ws.title.startswith("Tốc độ tăng"))
        rows = {r[0].value: r for r in sheet.iter_rows() if r[0].value}
        revenue = rows["Doanh thu (tỷ đồng)"]
        assert revenue[2].value == 1.23 and revenue[2].number_format == "#,##0.00"
        assert revenue[4].value == 3.0
        assert rows["Số lao động"][2].value == 10

    def test_it_finds_the_years_with_figures(self, facilities, staff):
        assert reports.facility_years(reports.Area(staff)) == (2009, 2015)


def materials_name():
    return Sector.objects.get(code="VLXD").name


def food_name():
    return Sector.objects.get(code="CBNLTS").name


@pytest.mark.django_db
class TestProductReport:
    @pytest.fixture
    def products(self, facilities):
        recognise(
            facilities["f1"],
            (RecognitionLevel.PROVINCIAL, 2018),
            (RecognitionLevel.REGIONAL, 2020),
        )
        recognise(facilities["f2"], (RecognitionLevel.PROVINCIAL, 2018))
        recognise(
            facilities["f3"],
            (RecognitionLevel.NATIONAL, 2021),
            (RecognitionLevel.DISTRICT, 2016),
        )

    def test_it_counts_recognitions_by_year_and_level(self, products, staff):
        report = reports.product_report(area=reports.Area(staff), first_year=2017, last_year=2021)
        assert report.by_year[2018].provincial == 2
        assert report.by_year[2020].regional == 1
        assert report.by_year[2021].national == 1
        by_year = report.tables()[0]
        assert by_year.total[1:] == [0, 0, 2, 1, 1, 4]  # commune, district, … , all levels
        assert sum(by_year.values("total")) == 4

    def test_it_counts_by_sector_and_locality(self, products, staff):
        report = reports.product_report(area=reports.Area(staff), first_year=2015, last_year=2021)
        sectors = {g.label: g.figures for g in report.by_sector}
        assert sectors[food_name()].provincial == 1 and sectors[food_name()].regional == 1
        assert sectors[materials_name()].national == 1
        assert sectors[materials_name()].district == 1
        localities = {g.label: g.figures for g in report.by_locality}
        assert localities["Huyện Huyện A"].total == 2
        assert localities["Huyện Huyện B"].total == 3

    def test_its_statements_kept_per_process_follow_level_sector_years_and_scope(
        self, products, staff, officer
    ):
        """Its reads are compiled once per process (khuyencong.compiled), under a key of all
        they are built from: one report after another in the same process reads its own."""

        def total(user, first_year=2017, **narrowed) -> int:
            report = reports.product_report(
                area=reports.Area(user), first_year=first_year, last_year=2021, **narrowed
            )
            return report.tables()[0].total[-1]

        assert total(staff) == 4
        assert total(staff, level=RecognitionLevel.PROVINCIAL) == 2
        assert total(staff, sector=Sector.objects.get(code="VLXD")) == 2
        assert total(staff, first_year=2015) == 5
        assert total(officer) == 2

    def test_it_filters_by_level_and_scope(self, products, staff, officer):
        provincial = reports.product_report(
            area=reports.Area(staff),
            first_year=2017,
            last_year=2021,
            level=RecognitionLevel.PROVINCIAL,
        )
        assert [c.key for c in provincial.tables()[0].columns] == ["label", "provincial", "total"]
        assert provincial.tables()[0].total == ["Tổng cộng", 2, 2]
        mine = reports.product_report(area=reports.Area(officer), first_year=2017, last_year=2021)
        assert mine.tables()[0].total[-1] == 2


@pytest.mark.django_db
class TestRegister:
    def test_it_lists_every_project_of_the_period_with_its_figures(self, year, staff):
        area = reports.Area(staff)
        register = reports.project_register(
            area=area,
            projects=area.projects().exclude(status=Status.DRAFT),
            first_year=2024,
            last_year=2024,
        )
        rows = {p.code: p for p in register.projects}
        assert len(rows) == 6  # p6 belongs to 2023
        p3 = rows[year["p3"].code]
        assert (p3.disbursed, p3.achieved_jobs_created) == (250 * M, 5)
        assert rows[year["p5"].code].disbursed == 0
        assert rows[year["p5"].code].achieved_jobs_created is None
        t = register.totals
        assert t["count"] == 6
        assert (t["approved"], t["disbursed"], t["settled"]) == (1160 * M, 670 * M, 280 * M)
        # Counterpart funds as recorded at acceptance where recorded: p1 120 (not 100), p3 300
        # (not 400); p4 (cancelled, never reviewed) keeps its committed 50.
        assert p3.counted_counterpart == 300 * M
        assert t["counterpart"] == 470 * M
        assert (t["jobs_created"], t["people_trained"], t["employed_after_training"]) == (
            15,
            25,
            20,
        )
        table = register.table()
        for key in ("approved", "disbursed", "settled", "counterpart", "jobs_created"):
            values = [v or 0 for v in table.values(key)]
            assert sum(values) == table.total[table.column(key)], key

    @pytest.mark.parametrize(
        "query",
        [
            {},
            {"status": Status.SETTLED},
            {"funding_source": "KCĐP"},
            {"activity_type": "first"},
            {"locality": "district_a"},
        ],
    )
    @pytest.mark.parametrize("persona", ["staff", "officer"])
    def test_its_total_line_from_the_running_totals_is_the_projects_own(
        self, year, persona, query, request, rf
    ):
        """The page reads the total line from ProjectTotals filtered as the projects are; any
        other set of projects (an export's first rows) from the projects: the same figures."""
        from projects.models import ActivityType, FundingSource
        from projects.reports.forms import RegisterFilter

        user = request.getfixturevalue(persona)
        data = {"year_from": 2023, "year_to": 2024}
        for key, value in query.items():
            if key == "funding_source":
                value = FundingSource.objects.get(code=value).pk
            elif key == "activity_type":
                value = ActivityType.objects.order_by("pk").first().pk
            elif key == "locality":
                value = request.getfixturevalue(value).pk
            data[key] = value
        area = reports.Area(user)
        filterset = RegisterFilter(data, queryset=area.projects(), request=None, user=user)
        assert filterset.is_valid(), filterset.errors
        from_totals = reports.project_register(
            area=area,
            projects=filterset.qs,
            first_year=2023,
            last_year=2024,
            totals=filterset.filter_queryset(area.totals()),
        ).totals
        from_projects = reports.project_register(
            area=area, projects=filterset.qs, first_year=2023, last_year=2024
        ).totals
        assert from_totals == from_projects
        if not query:
            assert from_totals["count"] > 0 and from_totals["approved"] > 0

    def test_it_shows_a_district_officer_their_projects_only(self, year, officer):
        area = reports.Area(officer)
        register = reports.project_register(
            area=area, projects=area.projects(), first_year=2023, last_year=2024
        )
        assert {p.code for p in register.projects} == {
            year[k].code for k in ("p1", "p4", "p6", "p7")
        }
