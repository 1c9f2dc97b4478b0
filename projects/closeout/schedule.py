"""The progress-report schedule of a project (kỳ báo cáo tiến độ).

Periods run every N months from the start date (N = the project's `report_every_months`, else
settings.PROGRESS_REPORT_EVERY_MONTHS); the last one stops at the end date. A period's report is
due `grace_days` after the period ends; it is missing once that day has passed with no
ProgressReport for the period's start date. A cancelled report does not count: its period is
missing again until a new report is filed.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

from projects.models import ProgressReport, Project


@dataclass(frozen=True)
class ReportPeriod:
    number: int
    start: date
    end: date
    due: date
    report: ProgressReport | None
    missing: bool


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31/01 + 1 → 28/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_per_period(project: Project) -> int:
    return project.report_every_months or settings.PROGRESS_REPORT_EVERY_MONTHS


def report_periods(
    project: Project, until: date, *, grace_days: int | None = None
) -> list[ReportPeriod]:
    """Periods that have begun on or before `until`, each with its report or `missing` flag.

    Uses `project.progress_reports.all()`, so a prefetch makes it free of queries.
    """
    if grace_days is None:
        grace_days = settings.REMIND_REPORT_GRACE_DAYS
    months = months_per_period(project)
    reports = {
        report.period_start: report
        for report in project.progress_reports.all()
        if report.cancelled_at is None
    }
    return [
        ReportPeriod(
            number=number,
            start=start,
            end=end,
            due=due,
            report=reports.get(start),
            missing=reports.get(start) is None and due < until,
        )
        for number, start, end, due in periods(
            project.start_date, project.end_date, months, until, grace_days
        )
    ]


def periods(first: date, last: date, months: int, until: date, grace_days: int):
    """(number, start, end, due) of each period begun on or before `until` (plain values, for
    pages that read many projects as values: see projects/process/mywork.py)."""
    number = 0
    start = first
    while start <= last and start <= until:
        # Each boundary counts from the start date, so short months never shift later periods.
        next_start = add_months(first, (number + 1) * months)
        end = min(next_start - timedelta(days=1), last)
        yield number + 1, start, end, end + timedelta(days=grace_days)
        number += 1
        start = add_months(first, number * months)


def missing_periods(project: Project, until: date, **kwargs) -> list[ReportPeriod]:
    return [period for period in report_periods(project, until, **kwargs) if period.missing]
