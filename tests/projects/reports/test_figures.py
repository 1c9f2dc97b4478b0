"""The annual report, budget use, outcomes and scope, against hand-counted figures.

The data is tests/projects/reports/data.py (its docstring is the table these numbers come from).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import translation

from khuyencong.localities import apply_reorganisation
from khuyencong.models import Locality, Role
from projects import reports
from projects.models import Allocation, FundingSource, Status
from projects.planning import budget
from tests.conftest import make_user
from tests.projects.reports.data import M, add_overdue_action, build_year, make_project, review


def test_it_computes_average_growth_as_the_seed_article_does():
    # "lao động … tăng lên trung bình 4,18%/năm, từ 7.039 lao động năm 2009 lên khoảng 9.000"
    assert reports.average_growth(7039, 9000, 6) == Decimal("4.18")
    # "… từ 215 người lên 700 người, tương đương với mức 21,74%/năm"
    assert reports.average_growth(215, 700, 6) == Decimal("21.74")
    assert reports.format_percent(reports.average_growth(7039, 9000, 6)) == "4,18%"


def test_it_has_no_growth_without_a_first_value_or_years_between():
    assert reports.average_growth(0, 100, 5) is None
    assert reports.average_growth(100, 200, 0) is None
    assert reports.average_growth(100, 100, 4) == Decimal("0.00")
    assert reports.average_growth(100, 0, 1) == Decimal("-100.00")
    assert reports.format_percent(None) == "–"


@pytest.fixture
def year(province, district_a, commune_a1, district_b, commune_b1):
    return build_year(province, district_a, commune_a1, district_b, commune_b1)


def by_label(groups):
    return {g.label: g.figures for g in groups}


@pytest.mark.django_db
class TestAnnualReport:
    def test_it_sums_funds_by_source_with_the_budget_definitions(self, year, staff):
        report = reports.annual_report(area=reports.Area(staff), year=2024)
        rows = {r.source.code: r for r in report.by_source}
        local, national = rows["KCĐP"], rows["KCQG"]
        assert local.allocated == 1000 * M
        assert (local.funds.projects, local.funds.approved) == (3, 560 * M)
        assert (local.funds.disbursed, local.funds.settled) == (380 * M, 280 * M)
        assert local.remaining == 460 * M  # 1 000 − 560 + 20 released by p1's settlement
        # Counterpart funds: as recorded at acceptance where recorded (p1: 120 M invested
        # against 100 M committed), else as committed.
        assert (local.funds.counterpart, local.funds.counterpart_planned) == (120 * M, 100 * M)
        # p4 was approved then cancelled: its approval counts, its unspent part is released.
        assert (national.funds.projects, national.funds.approved) == (1, 600 * M)
        assert (national.funds.disbursed, national.funds.settled) == (290 * M, 0)
        assert national.remaining == 1460 * M
        # p3's latest passing review recorded 300 M of the 400 M committed.
        assert (national.funds.counterpart, national.funds.counterpart_planned) == (
            300 * M,
            400 * M,
        )

    def test_it_agrees_with_the_allocation_figures_of_projects_budget(self, year, staff):
        report = reports.annual_report(area=reports.Area(staff), year=2024)
        expected = budget.totals(Allocation.objects.filter(year=2024).select_related())
        for row in report.by_source:
            figures = expected.by_source[row.source.code]
            assert row.allocated == figures.allocated
            assert row.funds.approved == figures.approved
            assert row.funds.disbursed == figures.disbursed
            assert row.funds.settled == figures.settled
            assert row.remaining == figures.remaining

    def test_it_breaks_funds_down_by_activity_type(self, year, staff):
        report = reports.annual_report(area=reports.Area(staff), year=2024)
        groups = by_label(report.by_activity)
        demo = groups["Xây dựng mô hình trình diễn kỹ thuật"]
        training = groups["Đào tạo nghề, truyền nghề và phát triển nghề"]
        machines = groups["Ứng dụng máy móc thiết bị tiên tiến, chuyển giao công nghệ"]
        assert (demo.projects, demo.approved, demo.disbursed, demo.settled) == (
            1,
            300 * M,
            280 * M,
            280 * M,
        )
        assert (training.projects, training.approved, training.disbursed) == (2, 260 * M, 100 * M)
        assert (machines.projects, machines.approved, machines.disbursed) == (1, 600 * M, 290 * M)
        assert groups["Sản xuất sạch hơn"].projects == 0

    def test_its_totals_reconcile_across_breakdowns(self, year, staff):
        report = reports.annual_report(area=reports.Area(staff), year=2024)
        by_source = reports.Funds.sum_of(r.funds for r in report.by_source)
        by_locality = reports.Funds.sum_of(g.figures for g in report.by_locality)
        assert report.totals == by_source == by_locality
        assert report.totals.approved == 1160 * M
        for table in report.tables():
            if table.total is None:
                continue
            for i, column in enumerate(table.columns):
                if column.kind in ("money", "int") and table.key != "outcomes":
                    values = [row[i] for row in table.rows]
                    if None not in values:
                        assert table.total[i] == sum(values), (table.key, column.key)

    def test_it_rolls_localities_up_to_the_districts(self, year, staff):
        report = reports.annual_report(area=reports.Area(staff), year=2024)
        groups = by_label(report.by_locality)
        assert list(groups) == ["Huyện Huyện A", "Huyện Huyện B"]
        a, b = groups["Huyện Huyện A"], groups["Huyện Huyện B"]
        assert (a.projects, a.approved, a.disbursed, a.settled) == (2, 460 * M, 320 * M, 280 * M)
        assert (b.projects, b.approved, b.disbursed, b.settled) == (2, 700 * M, 350 * M, 0)

    def test_it_counts_the_latest_passing_acceptance_review_only(self, year, staff):
        report = reports.annual_report(area=reports.Area(staff), year=2024)
        achieved = report.achieved
        # p1: 10 jobs; p3: 5 (its later failed review and earlier pass do not count); p7.
        assert achieved.jobs_created == 15
        assert (achieved.people_trained, achieved.employed_after_training) == (25, 20)
        assert achieved.counterpart_invested == 420 * M
        assert achieved.kc_workers == 35
        assert (report.expected.jobs_created, report.expected.people_trained) == (20, 60)

    def test_it_leaves_out_cancelled_projects_outcomes(self, year, staff):
        review(year["p4"], "accepted", datetime.date(2024, 9, 1), jobs_created=1000)
        report = reports.annual_report(area=reports.Area(staff), year=2024)
        assert report.achieved.jobs_created == 15

    def test_it_filters_by_funding_source(self, year, staff):
        national = FundingSource.objects.get(code="KCQG")
        report = reports.annual_report(area=reports.Area(staff), year=2024, funding_source=national)
        assert [r.source.code for r in report.by_source] == ["KCQG"]
        assert report.totals.approved == 600 * M
        assert report.achieved.jobs_created == 5

    def test_its_statements_kept_per_process_follow_scope_source_and_year(
        self, year, staff, officer
    ):
        """Its reads are compiled once per process (khuyencong.compiled), under a key of all
        they are built from: one report after another in the same process, each with its own
        source, year and scope, reads its own figures."""
        whole = reports.annual_report(area=reports.Area(staff), year=2024)
        national = FundingSource.objects.get(code="KCQG")
        narrowed = reports.annual_report(
            area=reports.Area(staff), year=2024, funding_source=national
        )
        mine = reports.annual_report(area=reports.Area(officer), year=2024)
        other_year = reports.annual_report(area=reports.Area(staff), year=2030)
        assert whole.achieved.jobs_created == 15
        assert narrowed.totals.approved == 600 * M and narrowed.achieved.jobs_created == 5
        assert mine.achieved.jobs_created == 10
        assert [g.label for g in mine.by_locality] == ["Xã Xã A Một"]
        assert other_year.achieved.jobs_created == 0 and other_year.totals.approved == 0


@pytest.mark.django_db
class TestScope:
    def test_a_district_officer_sees_only_the_district(self, year, officer):
        report = reports.annual_report(area=reports.Area(officer), year=2024)
        rows = {r.source.code: r for r in report.by_source}
        # Allocations are province-wide: a district has none of its own.
        assert rows["KCĐP"].allocated is None and rows["KCĐP"].remaining is None
        assert (rows["KCĐP"].funds.projects, rows["KCĐP"].funds.approved) == (2, 360 * M)
        assert rows["KCĐP"].funds.disbursed == 280 * M
        assert (rows["KCQG"].funds.projects, rows["KCQG"].funds.approved) == (0, 100 * M)
        assert report.achieved.jobs_created == 10
        assert [g.label for g in report.by_locality] == ["Xã Xã A Một"]
        assert report.area.label == "Huyện Huyện A"

    def test_the_scoped_sums_equal_the_budget_sums_for_the_whole_province(
        self, year, staff, province
    ):
        # The narrowed-area code path (funds_by) gives the budget.py figures on the whole tree.
        whole = reports.Area(staff)
        narrowed = reports.Area(staff, province)
        assert not narrowed.is_province
        for a, b in zip(
            reports.budget_use(whole, [2023, 2024]),
            reports.budget_use(narrowed, [2023, 2024]),
            strict=True,
        ):
            assert a.funds == b.funds

    def test_a_locality_filter_narrows_the_province(self, year, staff, district_b):
        report = reports.annual_report(area=reports.Area(staff, district_b), year=2024)
        assert report.totals.approved == 700 * M
        assert report.area.label == "Huyện Huyện B"
        assert [g.label for g in report.by_locality] == [
            "Huyện Huyện B (trực tiếp)",
            "Xã Xã B Một",
        ]


@pytest.mark.django_db
class TestDashboard:
    def test_it_shows_the_annual_figures_and_budget_years(self, year, staff):
        board = reports.dashboard(area=reports.Area(staff), year=2024)
        annual = reports.annual_report(area=reports.Area(staff), year=2024)
        assert board.annual.totals == annual.totals
        # The last five years, less those with no budget at all (2020–2022 here).
        assert board.budget_years == [2023, 2024]
        row_2023 = next(r for r in board.budget if r.year == 2023 and r.source.code == "KCĐP")
        assert (row_2023.allocated, row_2023.funds.approved) == (500 * M, 50 * M)
        table = board.budget_table()
        assert table.values("approved") == [r.funds.approved for r in board.budget]
        # The chart beside the table sums the sources of each year.
        approved = next(d for d in table.chart.datasets if d["label"] == "Đã phê duyệt")
        assert approved["data"][-1] == 1160 * M

    def test_it_counts_projects_by_status(self, year, staff):
        board = reports.dashboard(area=reports.Area(staff), year=2024)
        counts = {value: n for value, _label, n in board.by_status}
        assert counts[Status.ACCEPTED] == 2
        assert counts[Status.SUBMITTED] == 1
        assert sum(counts.values()) == 6

    def test_the_status_labels_follow_the_language(self, year, staff):
        """The labels are kept per language: each view has its own."""
        shown = {}
        for language in ("vi", "en", "vi"):
            with translation.override(language):
                board = reports.dashboard(area=reports.Area(staff), year=2024)
                labels = [label for _value, label, _n in board.by_status]
                assert labels == [str(label) for _value, label in Status.choices]
                shown[language] = dict(zip(Status.values, labels, strict=True))
        assert shown["vi"][Status.SUBMITTED] == "Chờ thẩm định"
        assert shown["en"][Status.SUBMITTED] == "Awaiting appraisal"

    def test_it_lists_overdue_projects_and_actions_in_scope(self, year, staff, officer):
        today = datetime.date(2025, 1, 15)
        overdue = reports.overdue_projects(staff, today)
        # p2 in progress is past its end date; p5, still only submitted, is not late to finish
        # anything (only projects in implementation count), nor are finished ones.
        assert set(overdue) == {year["p2"]}
        assert list(reports.overdue_projects(officer, today)) == []
        late = add_overdue_action(year["p1"], staff, datetime.date(2025, 1, 1))
        add_overdue_action(year["p3"], staff, datetime.date(2025, 2, 1))  # not yet due
        assert list(reports.overdue_actions(staff, today)) == [late]
        assert list(reports.overdue_actions(officer, today)) == [late]

    def test_a_project_waiting_for_its_review_is_overdue_once_past_its_end(self, staff, commune_a1):
        late = make_project(
            commune_a1,
            status=Status.AWAITING_ACCEPTANCE,
            approved=10 * M,
            end_date=datetime.date(2024, 6, 30),
        )
        assert list(reports.overdue_projects(staff, datetime.date(2024, 7, 1))) == [late]
        assert list(reports.overdue_projects(staff, datetime.date(2024, 6, 30))) == []


def reorganise_a_and_b_into_one_commune():
    apply_reorganisation(
        {
            "reference": "NQ sáp nhập thử nghiệm",
            "effective": "2025-07-01",
            "changes": [
                {
                    "op": "merge",
                    "from": ["A1", "B1"],
                    "into": {"code": "N", "name": "Hợp Nhất", "kind": "commune", "parent": "T"},
                },
                {"op": "dissolve", "code": "A", "into": "T"},
                {"op": "dissolve", "code": "B", "into": "T"},
            ],
        }
    )


def rows_of(report):
    return [(table.key, table.rows, table.total) for table in report.tables()]


@pytest.mark.django_db
class TestLocalitiesOverTime:
    """A past year's report by the units of its time does not change when the tree does."""

    def area(self, user, grouping, year=2024):
        period = (datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        return reports.Area(user, grouping=grouping, period=period)

    def test_the_2024_report_by_its_units_is_the_same_after_a_reorganisation(self, year, staff):
        before = reports.annual_report(area=self.area(staff, reports.Grouping.THEN), year=2024)
        assert [g.label for g in before.by_locality] == ["Huyện Huyện A", "Huyện Huyện B"]
        reorganise_a_and_b_into_one_commune()
        after = reports.annual_report(area=self.area(staff, reports.Grouping.THEN), year=2024)
        assert rows_of(after) == rows_of(before)

    def test_by_todays_units_the_old_records_go_to_the_new_commune(self, year, staff):
        before = reports.annual_report(area=self.area(staff, reports.Grouping.NOW), year=2024)
        reorganise_a_and_b_into_one_commune()
        after = reports.annual_report(area=self.area(staff, reports.Grouping.NOW), year=2024)
        # The district-level record goes to the province: the districts' work went there.
        groups = by_label(after.by_locality)
        assert list(groups) == ["Tỉnh Thử Nghiệm (trực tiếp)", "Xã Hợp Nhất"]
        assert reports.Funds.sum_of(groups.values()) == reports.Funds.sum_of(
            g.figures for g in before.by_locality
        )
        assert groups["Xã Hợp Nhất"].projects == 3
        assert after.totals == before.totals

    def test_the_officer_of_the_new_commune_reads_the_old_records_in_the_report(self, year, staff):
        reorganise_a_and_b_into_one_commune()
        officer = make_user("xa_hop_nhat", Role.DISTRICT_OFFICER, Locality.objects.by_code("N"))
        mine = reports.annual_report(area=self.area(officer, reports.Grouping.NOW), year=2024)
        everyone = reports.annual_report(area=self.area(staff, reports.Grouping.NOW), year=2024)
        # Everything but the district-level record, which went to the province.
        assert (mine.totals.projects, everyone.totals.projects) == (3, 4)

    def test_the_report_page_offers_both_groupings(self, year, staff, client):
        reorganise_a_and_b_into_one_commune()
        client.force_login(staff)
        then = client.get("/bao-cao/ket-qua-nam/", {"year": 2024, "grouping": "then"})
        now = client.get("/bao-cao/ket-qua-nam/", {"year": 2024})

        def cell(name, text):
            return re.search(rf"<t[dh][^>]*>\s*{name}\s*</t[dh]>", text) is not None

        assert cell("Huyện Huyện A", then.text) and not cell("Xã Hợp Nhất", then.text)
        assert cell("Xã Hợp Nhất", now.text) and not cell("Huyện Huyện A", now.text)
        assert "Theo đơn vị hành chính của năm báo cáo" in now.text
