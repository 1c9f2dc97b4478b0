from datetime import date

import pytest

from projects.closeout.schedule import add_months, missing_periods, report_periods
from projects.models import ProgressReport, Status
from tests.projects.reminders.builders import make_project


def test_it_adds_months_clamping_to_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


@pytest.mark.django_db
class TestReportPeriods:
    @pytest.fixture
    def project(self, commune_a1):
        return make_project(
            commune_a1,
            status=Status.IN_PROGRESS,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 8, 15),
        )

    def test_it_cuts_periods_of_the_default_months_and_stops_at_the_end_date(self, project):
        periods = report_periods(project, until=date(2027, 1, 1), grace_days=7)
        assert [(p.start, p.end) for p in periods] == [
            (date(2026, 1, 1), date(2026, 3, 31)),
            (date(2026, 4, 1), date(2026, 6, 30)),
            (date(2026, 7, 1), date(2026, 8, 15)),
        ]
        assert periods[0].due == date(2026, 4, 7)

    def test_it_uses_the_projects_own_period_length(self, project):
        project.report_every_months = 6
        periods = report_periods(project, until=date(2027, 1, 1))
        assert [(p.start, p.end) for p in periods] == [
            (date(2026, 1, 1), date(2026, 6, 30)),
            (date(2026, 7, 1), date(2026, 8, 15)),
        ]

    def test_it_lists_only_periods_begun_by_until(self, project):
        assert len(report_periods(project, until=date(2026, 3, 31))) == 1
        assert len(report_periods(project, until=date(2026, 4, 1))) == 2

    def test_a_period_is_missing_only_after_its_grace_days(self, project):
        assert not report_periods(project, until=date(2026, 4, 7), grace_days=7)[0].missing
        assert report_periods(project, until=date(2026, 4, 8), grace_days=7)[0].missing

    def test_a_period_with_its_report_is_not_missing(self, project, officer):
        report = ProgressReport.objects.create(
            project=project,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            progress_percent=40,
            submitted_by=officer,
        )
        periods = report_periods(project, until=date(2026, 10, 1), grace_days=7)
        assert periods[0].report == report and not periods[0].missing
        assert [p.start for p in missing_periods(project, date(2026, 10, 1), grace_days=7)] == [
            date(2026, 4, 1),
            date(2026, 7, 1),
        ]
