"""Progress reports past due, a group of "Việc của tôi" ("Báo cáo tiến độ đến hạn chưa nộp"):
the in-progress projects that owe a report, soonest due first, each with how many it owes. The
periods are closeout/schedule.py's, worked out by PostgreSQL for a page of a compiled statement
and in Python otherwise (a test holds the two to the same answers)."""

from django.conf import settings
from django.db import connection
from django.db.models import DateField, F, Q, QuerySet, Value
from django.utils.translation import gettext_lazy as _

from khuyencong import access
from khuyencong.models import User
from projects.closeout import schedule
from projects.models import ProgressReport, Project, Status
from projects.process.statements import Statements
from projects.process.work import (
    PROJECT_COLUMNS,
    TITLES,
    WorkGroup,
    WorkItem,
    WorkRows,
    with_localities,
)


def late_reports(
    statements: Statements, officer: Q, today, limit, offset, build: WorkRows
) -> WorkGroup:
    """In-progress projects with a progress report past due, soonest first, each with how many
    reports it owes. Worked out by PostgreSQL when the statements are compiled (a page asked
    for: _late_statement), otherwise in Python from closeout/schedule.py."""
    if statements.compiled:
        return _late_reports_in_sql(statements, officer, today, limit, offset, build)
    return _late_reports_in_python(statements, officer, today, limit, offset, build)


def _late_in_progress(who: User, officer: Q, day) -> QuerySet:
    """The person's in-progress projects as the late reports' statement reads them (today
    among the columns, so that it is a parameter of the compiled statement)."""
    return (
        access.scope_by_locality(Project.objects.all(), who)
        .filter(officer, status=Status.IN_PROGRESS)
        .order_by()
        .values(
            p_id=F("pk"),
            p_start=F("start_date"),
            p_end=F("end_date"),
            p_every=F("report_every_months"),
            p_today=Value(day, output_field=DateField()),
        )
    )


def _late_statement(sql: str, limit: int, offset: int) -> str:
    """The late reports of the projects of `sql` (_late_in_progress), as schedule.periods
    works them out: period n (from 0) begins `months` × n months after the start date (PostgreSQL
    clamps `date + interval` to the month's end as add_months does, counting from the start
    date each time), ends the day before the next one begins or on the end date, and is due
    REMIND_REPORT_GRACE_DAYS later; it is owed once that day has passed with no report (not
    cancelled) for its first day. A row per project shown (its first owed period's due date,
    how many it owes, its line's columns) and the count of all in `total`, on every row: one
    row with only the count when the page holds no project."""
    qn = connection.ops.quote_name
    grace = int(settings.REMIND_REPORT_GRACE_DAYS)
    every = int(settings.PROGRESS_REPORT_EVERY_MONTHS)
    project = qn(Project._meta.db_table)
    reports = ProgressReport._meta
    report_project = qn(reports.get_field("project").column)
    report_start = qn(reports.get_field("period_start").column)
    report_cancelled = qn(reports.get_field("cancelled_at").column)
    columns = {
        "p_pk": Project._meta.pk.column,
        "p_code": Project._meta.get_field("code").column,
        "p_title": Project._meta.get_field("title").column,
        "p_locality_id": Project._meta.get_field("locality").column,
    }
    line = ", ".join(f"x.{qn(column)} AS {name}" for name, column in columns.items())

    # Written for the projects' rows under the alias `p` (the CTE, or `late` around it).
    def first_day(n: str, p: str = "p") -> str:
        months = f"COALESCE(NULLIF({p}.p_every, 0), {every})"
        return f"({p}.p_start + make_interval(months => {n} * {months}))::date"

    def due(n: str, p: str = "p") -> str:
        return f"LEAST({first_day(f'({n} + 1)', p)} - 1, {p}.p_end) + {grace}"

    def unfiled(day: str, p: str = "p") -> str:
        return (
            f"NOT EXISTS (SELECT 1 FROM {qn(reports.db_table)} r"
            f" WHERE r.{report_project} = {p}.p_id AND r.{report_start} = {day}"
            f" AND r.{report_cancelled} IS NULL)"
        )

    def owed(p: str = "p") -> str:
        """FROM and WHERE of the owed periods (n) of project `p`: a period's first day is at
        least 28 days a month after the start date, less the three a clamp to the month's end
        may take, so the series holds every period begun by then (the ones past it are
        dropped by the conditions)."""
        months = f"COALESCE(NULLIF({p}.p_every, 0), {every})"
        last = f"LEAST({p}.p_end, {p}.p_today)"
        return (
            f" FROM generate_series(0, ({last} - {p}.p_start + 3) / (28 * {months}) + 1) n"
            f" WHERE {first_day('n', p)} <= {p}.p_end AND {first_day('n', p)} <= {p}.p_today"
            f" AND {due('n', p)} < {p}.p_today AND {unfiled(first_day('n', p), p)}"
        )

    # Dues never come earlier period after period: a project whose first period is not yet due
    # owes nothing, and one that has not filed it owes it first; only the others have their
    # periods worked out one by one (CASE runs its subquery only for them). The projects are
    # read first, on their own (MATERIALIZED): planned with the series, they were read by a
    # parallel scan of the table.
    return f"""
WITH p AS MATERIALIZED ({sql}),
late AS (
    SELECT p.*, CASE
        WHEN {unfiled("p.p_start")} THEN {due("0")}
        ELSE (SELECT MIN({due("n")}){owed()})
    END AS first_due
    FROM p
    WHERE p.p_start <= p.p_end AND p.p_start <= p.p_today AND {due("0")} < p.p_today
)
SELECT t.total, shown.first_due, shown.owed, {line}
FROM (SELECT COUNT(*) AS total FROM late WHERE late.first_due IS NOT NULL) t
LEFT JOIN LATERAL (
    SELECT late.p_id, late.first_due, (SELECT COUNT(*){owed("late")}) AS owed
    FROM late WHERE late.first_due IS NOT NULL
    ORDER BY late.first_due, late.p_id LIMIT {int(limit)} OFFSET {int(offset)}
) shown ON TRUE
LEFT JOIN {project} x ON x.{qn(Project._meta.pk.column)} = shown.p_id"""


def _late_reports_in_sql(
    statements: Statements, officer: Q, today, limit, offset, build: WorkRows
) -> WorkGroup:
    """The late reports in one compiled statement (_late_statement): PostgreSQL reads the
    person's in-progress projects, works out their owed periods, counts and orders them, and
    only the page's projects come back, with their line's columns."""
    rows = statements.rows(
        "late",
        lambda _projects: _late_in_progress(statements.user, officer, statements.day),
        wrap=lambda sql: with_localities(_late_statement(sql, limit, offset), keep_empty=True),
    )
    shown = sorted(
        (row for row in rows if row["p_pk"] is not None), key=lambda r: (r["first_due"], r["p_pk"])
    )
    items = [
        WorkItem(
            build.project_of_line(row),
            row["first_due"],
            _("%(count)s kỳ chưa nộp") % {"count": row["owed"]},
            "bao-cao",
            overdue=row["first_due"] < today,
        )
        for row in shown
    ]
    total = rows[0]["total"] if rows else 0
    return WorkGroup("to_report", TITLES["to_report"], items, total)


def _late_reports_in_python(
    statements: Statements, officer: Q, today, limit, offset, build: WorkRows
) -> WorkGroup:
    """The periods worked out in Python (closeout/schedule.py), so every in-progress project of
    the person is read: as plain values, with its filed reports in the same query (a left
    join), and only the projects shown are read again, with the columns a line shows."""
    grace = settings.REMIND_REPORT_GRACE_DAYS
    rows = statements.rows(
        "late",
        lambda _projects: (
            access.scope_by_locality(Project.objects.all(), statements.user)
            .filter(officer, status=Status.IN_PROGRESS)
            .values(
                "pk",
                "start_date",
                "end_date",
                "report_every_months",
                "progress_reports__period_start",
                "progress_reports__cancelled_at",
            )
        ),
    )
    projects: dict[int, tuple] = {}
    for row in rows:
        entry = projects.setdefault(
            row["pk"],
            (
                row["start_date"],
                row["end_date"],
                row["report_every_months"] or settings.PROGRESS_REPORT_EVERY_MONTHS,
                set(),
            ),
        )
        if (
            row["progress_reports__period_start"] is not None
            and row["progress_reports__cancelled_at"] is None
        ):
            entry[3].add(row["progress_reports__period_start"])

    def missing(pk: int, first_only: bool) -> list:
        start, end, months, filed = projects[pk]
        found = []
        for _number, begin, _end, due in schedule.periods(start, end, months, today, grace):
            if due >= today:
                break  # the periods after it are due later still
            if begin not in filed:
                found.append(due)
                if first_only:
                    break
        return found

    # Sorted by the first missing report's due date; how many are missing is counted only for
    # the projects shown.
    late = []
    for pk, (start, end, _months, _filed) in projects.items():
        if start is not None and end is not None:
            first = missing(pk, first_only=True)
            if first:
                late.append((first[0], pk))
    late.sort()
    shown = late[offset:] if limit is None else late[offset : offset + limit]
    shown = [(due, pk, len(missing(pk, first_only=False))) for due, pk in shown]
    # Read even when nothing is late ([0] matches no project), so that the page's number of
    # queries does not depend on the data.
    rows = statements.rows(
        "late_shown",
        lambda pks: Project.objects.filter(pk__in=pks).values(*PROJECT_COLUMNS),
        projects=[pk for _due, pk, _n in shown] or [0],
    )
    by_pk = {row["pk"]: build.project(row) for row in rows}
    items = [
        WorkItem(
            by_pk[pk],
            due,
            _("%(count)s kỳ chưa nộp") % {"count": n},
            "bao-cao",
            overdue=due < today,
        )
        for due, pk, n in shown
    ]
    return WorkGroup("to_report", TITLES["to_report"], items, len(late))
