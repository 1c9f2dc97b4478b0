"""What waits for a person, through the whole life of a project ("Việc của tôi").

One group per kind of work, each read with one query (plus a prefetch where a group needs the
project's reports), so the page and the dashboard card cost the same whatever the number of
projects. Who sees a group follows who may take the step (the roles of the workflow's actions
and tasks) and the person's scope; centre staff see the work of projects they are responsible
for, or of projects nobody is responsible for yet.

Due dates are the ones the reminders use (settings REMIND_*, and the deadlines of the law kept
as data for settlement), so a "quá hạn" mark here is the same day the reminder says so.

The groups, items and projects as pages show them are in work.py; the late progress reports,
worked out period by period, in late_reports.py.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from khuyencong import access, compiled, unchanged
from khuyencong.models import Role, User
from projects.closeout import steps
from projects.models import (
    AcceptanceReview,
    DeadlineCode,
    FollowUpAction,
    LegalDeadline,
    MonitoringVisit,
    Project,
    Status,
    settlement_due,
)
from projects.process.late_reports import late_reports
from projects.process.statements import Statements
from projects.process.work import (
    PROJECT_COLUMNS,
    TITLES,
    WorkGroup,
    WorkItem,
    WorkProject,
    WorkRows,
    with_localities,
)

CENTRE, DISTRICT, MANAGER = Role.CENTRE_STAFF, Role.DISTRICT_OFFICER, Role.MANAGER
# A project whose end date is this close may ask for its acceptance review.
ACCEPTANCE_WINDOW_DAYS = 30


def _days(day: datetime.date | datetime.datetime | None, n: int) -> datetime.date | None:
    if day is None:
        return None
    if isinstance(day, datetime.datetime):
        day = timezone.localdate(day)
    return day + datetime.timedelta(days=n)


def _responsible(user: User) -> Q:
    """Centre staff answer for the projects assigned to them and for unassigned ones."""
    return Q(responsible_officer=user) | Q(responsible_officer__isnull=True)


def _projects(user: User) -> QuerySet:
    return access.scope_by_locality(Project.objects.all(), user)


def _may(user: User, roles) -> bool:
    return access.has_role(user, *roles)


@dataclass
class _Spec:
    """One group to read: its rows (projects, or reviews and actions whose project columns
    carry `prefix`), in `order` (which follows the due date), the columns `make` reads besides
    the project's, and `make(row, project)` → WorkItem."""

    key: str
    # Builds the group's queryset: called only when the statement is compiled (see
    # projects/process/statements.py), not on every request.
    build: Callable[[], QuerySet]
    make: Callable[[dict, WorkProject], WorkItem]
    order: tuple
    columns: tuple = ()
    prefix: str = ""
    # Parts of `rows` each read in `order` from an index of its own (one status each), merged:
    # an index in (status, date) order serves one status, not two. A part is a filter of
    # `rows`, or builds its rows in an order of its own that agrees with `order` (`merge`).
    parts: tuple[Q | Callable[[], QuerySet], ...] = ()
    # The order of `order` as a sort key of a line's values, where it is not its columns'.
    merge: Callable[[dict], tuple] | None = None

    @property
    def rows(self) -> QuerySet:
        return self.build()

    def part_rows(self, part) -> QuerySet:
        """A part's rows, in the part's order."""
        if callable(part):
            return part()
        return self.rows.order_by(*self.order).filter(part)


def _counts(specs: list[_Spec], statements: Statements) -> dict[str, int]:
    """Every group's count in one statement (a UNION ALL of one COUNT per group, each reading
    its own project_work_* index): one round trip instead of one per group."""
    if not specs:
        return {}
    rows = statements.rows("counts", lambda _projects: _count_union(specs))
    return {row["group"]: row["n"] for row in rows}


def _count_union(specs: list[_Spec]) -> QuerySet:
    parts = []
    for spec in specs:
        rows = spec.rows
        if rows.query.distinct or rows.query.group_by is not None:
            # Grouped (the last visit) or de-duplicated (council members): count the ids.
            rows = rows.model.objects.filter(pk__in=rows.values("pk"))
        parts.append(
            rows.order_by()
            .annotate(group=Value(spec.key, output_field=CharField()))
            .values("group")
            .annotate(n=Count("pk"))
        )
    first, *rest = parts
    return first.union(*rest, all=True) if rest else first


def _group(spec: _Spec, build: WorkRows, today, limit, offset, count) -> WorkGroup:
    """A group's items: at most `limit` rows read from `offset` (all when None), as plain
    values, the project's columns and the few its due date and note need."""
    columns = [f"{spec.prefix}{c}" for c in PROJECT_COLUMNS]
    if spec.prefix:
        columns.append("pk")  # the review's or action's own (its order; distinct rows)
    rows = spec.rows.order_by(*spec.order).values(*columns, *spec.columns)
    if limit is None:
        rows = list(rows[offset:])
        count = offset + len(rows)
    elif (
        spec.parts
        and spec.merge is None
        and connection.features.supports_slicing_ordering_in_compound
    ):
        # The first offset + limit rows of each part (each an ordered index scan that stops
        # there), then the page of their union: not a sort of the whole group.
        first, *rest = [rows.filter(q)[: offset + limit] for q in spec.parts]
        rows = list(first.union(*rest, all=True).order_by(*spec.order)[offset : offset + limit])
    else:
        rows = list(rows[offset : offset + limit])
    return _items(spec, [(row, build.project(row, spec.prefix)) for row in rows], today, count)


def _items(spec: _Spec, lines: list[tuple[dict, WorkProject]], today, count: int) -> WorkGroup:
    """The group of the lines (the group's own columns, and the project)."""
    items = []
    for row, project in lines:
        item = spec.make(row, project)
        item.overdue = item.due is not None and item.due < today
        items.append(item)
    items.sort(key=lambda i: (i.due is None, i.due or today, i.project.pk))
    return WorkGroup(spec.key, TITLES[spec.key], items, count)


# The columns of a line besides the project's, by kind: each group's own go to the slots of
# their kind, so that the rows of every group line up in one UNION ALL.
TEXT_COLUMNS = {"status", "description", "place"}
MOMENT_COLUMNS = {"status_changed_at"}
SLOT_FIELDS = {
    "moment": DateTimeField(),
    "text": TextField(),
    "date1": DateField(),
    "date2": DateField(),
    "date3": DateField(),
}


def _slots(spec: _Spec) -> dict[str, str]:
    """{column: slot} for the spec's own columns."""
    dates = iter(("date1", "date2", "date3"))
    return {
        c: "text" if c in TEXT_COLUMNS else "moment" if c in MOMENT_COLUMNS else next(dates)
        for c in spec.columns
    }


def _first_items(
    specs: list[_Spec], statements: Statements, build: WorkRows, today, limit, offset, counts
) -> list:
    """Every group's first items in one statement (PostgreSQL: a UNION ALL of each group's
    ordered, limited query, each reading its own index), instead of one query per group. A
    group in parts (drafts and returned) gives one branch per part, merged here."""
    rows: dict[str, list[dict]] = {spec.key: [] for spec in specs}
    union = statements.rows(
        "first", lambda _projects: _first_union(specs, limit, offset), wrap=with_localities
    )
    for row in union:
        rows[row["group"]].append(row)
    groups = []
    for spec in specs:
        slots = _slots(spec).items()
        # (the group's own columns and its pk: the review's or action's, else the project's;
        # the union's row)
        lines = []
        for row in rows[spec.key]:
            line = {c: row[slot] for c, slot in slots}
            line["pk"] = row["own"] if spec.prefix else row["p_pk"]
            lines.append((line, row))
        if spec.parts:
            # The parts' first rows merged in the group's order (plain column names).
            order = spec.merge or (lambda r, order=spec.order: tuple(r[k] for k in order))
            lines.sort(key=lambda pair: order(pair[0]))
            lines = lines[offset : offset + limit]
        elif spec.prefix:
            # The join outside the union keeps no order: the reviews or actions of one project
            # due the same day come in the order of their own id, as the group's order says.
            lines.sort(key=lambda pair: pair[0]["pk"])
        lines = [(line, build.project_of_line(row)) for line, row in lines]
        groups.append(_items(spec, lines, today, counts[spec.key]))
    return groups


# The project's columns each branch of the first items reads; the locality's label columns are
# joined once, outside the union (with_localities).
BRANCH_COLUMNS = ("pk", "code", "title", "locality_id")


def _first_union(specs: list[_Spec], limit: int, offset: int) -> QuerySet:
    branches = []
    for spec in specs:
        slots = _slots(spec)
        line = {
            "group": Value(spec.key, output_field=CharField()),
            **{f"p_{c}": F(f"{spec.prefix}{c}") for c in BRANCH_COLUMNS},
            "own": F("pk") if spec.prefix else Cast(Value(None), BigIntegerField()),
            # Every slot, in the same order in every branch, typed (an untyped NULL is text to
            # PostgreSQL); the group's own columns in theirs.
            **{slot: Cast(Value(None), field) for slot, field in SLOT_FIELDS.items()},
            **{slot: F(c) for c, slot in slots.items()},
        }
        if spec.parts:
            # Each part's first offset + limit rows; the page is cut after merging them.
            for part in spec.parts:
                branches.append(spec.part_rows(part).values(**line)[: offset + limit])
        else:
            ordered = spec.rows.order_by(*spec.order)
            branches.append(ordered.values(**line)[offset : offset + limit])
    first, *rest = branches
    return first.union(*rest, all=True)


def waiting_for(
    user: User,
    today: datetime.date | None = None,
    limit: int | None = None,
    *,
    offset: int = 0,
    only: str | None = None,
) -> list[WorkGroup]:
    """The groups of work that wait for `user` today, each possibly empty, in the order of a
    project's life; each holds its soonest `limit` items from `offset` (all when None) and the
    full count. `only` keeps one group (by key): the page that lists one group in full.

    Given again while nothing is committed to the database (khuyencong/unchanged.py): the
    person's role and localities are data too, so the key holds only what is not — the day,
    the page, the settings the statements are built from and the language of the notes."""
    today = today or timezone.localdate()
    if not access.can_edit(user):
        return []  # a viewer only reads
    key = ("waiting_for", user.pk, today, limit, offset, only, *settings_key())
    return unchanged.kept(key, lambda: _waiting_for(user, today, limit, offset, only))


def settings_key() -> tuple:
    """What the lines of work are made from besides the data, the person, the day and the page:
    the settings of their due dates and the language of their notes (a kept result's key)."""
    return (
        settings.REMIND_MONITORING_AFTER_DAYS,
        settings.REMIND_REPORT_GRACE_DAYS,
        settings.PROGRESS_REPORT_EVERY_MONTHS,
        settings.REMIND_RESUBMISSION_AFTER_DAYS,
        settings.REMIND_APPRAISAL_AFTER_DAYS,
        settings.REMIND_DECISION_AFTER_DAYS,
        translation.get_language(),
    )


def _waiting_for(user: User, today, limit, offset, only) -> list[WorkGroup]:
    # The querysets are built from `who` and `day`: the person and today, or their stand-ins
    # while a statement is compiled (projects/process/statements.py).
    # The monitoring lead time is written into the SQL as a date, the report period and its
    # grace days as numbers: part of the shape, so that a test overriding them gets its own
    # statement.
    shape = (
        only,
        limit,
        offset,
        settings.REMIND_MONITORING_AFTER_DAYS,
        settings.REMIND_REPORT_GRACE_DAYS,
        settings.PROGRESS_REPORT_EVERY_MONTHS,
    )
    statements = Statements.of(user, today, paged=limit is not None, shape=shape)
    who, day = statements.user, statements.day

    def visible() -> QuerySet:
        return _projects(who)

    def pending() -> QuerySet:
        return AcceptanceReview.objects.filter(outcome="", cancelled_at__isnull=True)

    centre = user.role == CENTRE
    build = WorkRows()
    specs: list[_Spec] = []
    late = None

    def wanted(key) -> bool:
        return only is None or key == only

    def add(key, rows, make, order=("pk",), columns=(), prefix="", parts=(), merge=None):
        if wanted(key):
            specs.append(_Spec(key, rows, make, order, columns, prefix, parts, merge))

    # Before approval ------------------------------------------------------------------------
    if _may(user, (DISTRICT, CENTRE)):
        mine = Q() if user.role == DISTRICT else Q(created_by=who) | Q(responsible_officer=who)
        add(
            "to_submit",
            lambda: visible().filter(mine, status__in=[Status.DRAFT, Status.RETURNED]),
            order=("status_changed_at", "pk"),
            columns=("status", "status_changed_at"),
            parts=(Q(status=Status.DRAFT), Q(status=Status.RETURNED)),
            make=lambda r, p: WorkItem(
                p,
                _days(r["status_changed_at"], settings.REMIND_RESUBMISSION_AFTER_DAYS)
                if r["status"] == Status.RETURNED
                else None,
                _("Bị trả lại") if r["status"] == Status.RETURNED else _("Bản nháp"),
            ),
        )
    if centre:
        add(
            "to_appraise",
            lambda: visible().filter(_responsible(who), status=Status.SUBMITTED),
            order=("status_changed_at", "pk"),
            columns=("status_changed_at",),
            make=lambda r, p: WorkItem(
                p, _days(r["status_changed_at"], settings.REMIND_APPRAISAL_AFTER_DAYS)
            ),
        )
    if _may(user, (MANAGER,)):
        add(
            "to_approve",
            lambda: visible().filter(status=Status.APPRAISED),
            order=("status_changed_at", "pk"),
            columns=("status_changed_at",),
            make=lambda r, p: WorkItem(
                p, _days(r["status_changed_at"], settings.REMIND_DECISION_AFTER_DAYS)
            ),
        )

    # Implementation --------------------------------------------------------------------------
    if _may(user, steps.START.roles):
        add(
            "to_sign",
            lambda: visible().filter(_responsible(who), status=Status.APPROVED),
            order=("start_date", "pk"),
            columns=("start_date",),
            make=lambda r, p: WorkItem(p, r["start_date"], anchor="kinh-phi"),
        )
    if _may(user, steps.FILE_REPORT.roles) and wanted("to_report"):
        officer = Q() if user.role == DISTRICT else Q(responsible_officer=who)
        # Its place among the groups; read below, it is counted in Python.
        late = len(specs), officer
    if centre:

        def visits() -> QuerySet:
            return MonitoringVisit.objects.filter(
                project=OuterRef("pk"), cancelled_at__isnull=True
            ).order_by()

        def unvisited() -> QuerySet:
            # Never visited, or last visited before the cutoff: no visit since the cutoff. Said
            # so (NOT EXISTS), the count needs no grouping of every project with its visits.
            return (
                visible()
                .filter(_responsible(who), status=Status.IN_PROGRESS)
                .exclude(
                    Exists(
                        visits().filter(
                            date__gte=day
                            - datetime.timedelta(days=settings.REMIND_MONITORING_AFTER_DAYS)
                        )
                    )
                )
            )

        def last_visit() -> Subquery:
            # Read for the rows listed, by their project's index.
            return Subquery(visits().order_by("-date").values("date")[:1])

        add(
            "to_visit",
            lambda: unvisited().annotate(last_visit=last_visit()),
            order=(F("last_visit").asc(nulls_first=True), "contract_date", "pk"),
            columns=("last_visit", "contract_date", "start_date"),
            # The projects never visited come first (no last visit): read in contract date
            # order from the index project_work_to_visit, the scan stops at the page; then the
            # ones visited before the cutoff, sorted by their last visit.
            parts=(
                lambda: (
                    unvisited()
                    .exclude(Exists(visits()))
                    .annotate(last_visit=Cast(Value(None), DateField()))
                    .order_by("contract_date", "pk")
                ),
                lambda: (
                    unvisited()
                    .filter(Exists(visits()))
                    .annotate(last_visit=last_visit())
                    .order_by("last_visit", "contract_date", "pk")
                ),
            ),
            merge=lambda r: (
                r["last_visit"] is not None,
                r["last_visit"] or datetime.date.min,
                r["contract_date"] is None,  # last, as PostgreSQL puts them
                r["contract_date"] or datetime.date.min,
                r["pk"],
            ),
            make=lambda r, p: WorkItem(
                p,
                _days(
                    r["last_visit"] or r["contract_date"] or r["start_date"],
                    settings.REMIND_MONITORING_AFTER_DAYS,
                ),
                anchor="kiem-tra",
            ),
        )
    if _may(user, steps.REQUEST_ACCEPTANCE.roles):
        officer = Q() if user.role == DISTRICT else Q(responsible_officer=who)
        add(
            "to_request_acceptance",
            lambda: visible().filter(
                officer,
                status=Status.IN_PROGRESS,
                end_date__lte=day + datetime.timedelta(days=ACCEPTANCE_WINDOW_DAYS),
            ),
            order=("end_date", "pk"),
            columns=("end_date",),
            make=lambda r, p: WorkItem(p, r["end_date"], anchor="nghiem-thu"),
        )
    add(
        "follow_ups",
        lambda: access.scope_by_locality(
            FollowUpAction.objects.all(), who, "project__locality"
        ).filter(owner=who, done_at__isnull=True, cancelled_at__isnull=True),
        order=("due_date", "pk"),
        columns=("due_date", "description"),
        prefix="project__",
        make=lambda r, p: WorkItem(p, r["due_date"], r["description"], "kiem-tra"),
    )

    # Acceptance and settlement ---------------------------------------------------------------
    if _may(user, steps.SCHEDULE_REVIEW.roles):
        add(
            "to_schedule_review",
            lambda: (
                visible()
                .filter(_responsible(who), status=Status.AWAITING_ACCEPTANCE)
                .exclude(pk__in=pending().values("project"))
            ),
            order=("status_changed_at", "pk"),
            columns=("status_changed_at",),
            make=lambda r, p: WorkItem(
                p,
                _days(r["status_changed_at"], settings.REMIND_APPRAISAL_AFTER_DAYS),
                anchor="nghiem-thu",
            ),
        )
    add(
        "council",
        lambda: (
            access.scope_by_locality(pending(), who, "project__locality")
            .filter(members__user=who, project__status__in=steps.UNDER_WAY)
            .distinct()
        ),
        order=("scheduled_date", "pk"),
        columns=("scheduled_date", "place"),
        prefix="project__",
        make=lambda r, p: WorkItem(p, r["scheduled_date"], r["place"], "nghiem-thu"),
    )
    if _may(user, steps.RECORD_OUTCOME.roles):
        responsible = (
            Q(project__responsible_officer=who) | Q(project__responsible_officer__isnull=True)
            if centre
            else Q()
        )
        add(
            "to_record_outcome",
            lambda: access.scope_by_locality(pending(), who, "project__locality").filter(
                responsible, scheduled_date__lte=day, project__status__in=steps.UNDER_WAY
            ),
            order=("scheduled_date", "pk"),
            columns=("scheduled_date", "place"),
            prefix="project__",
            make=lambda r, p: WorkItem(p, r["scheduled_date"], r["place"], "nghiem-thu"),
        )
    if _may(user, steps.SETTLE.roles) and wanted("to_settle"):
        # Due by the settlement deadline of the law (LegalDeadline SETTLEMENT: 22/01 of the year
        # after acceptance), not a lead time of our own.
        # LegalDeadline.lookup, its statement compiled once.
        found = compiled.instances(
            ("mywork.settlement_rule",),
            lambda: LegalDeadline.objects.filter(code=DeadlineCode.SETTLEMENT)[:1],
        )
        rule = found[0] if found else None
        add(
            "to_settle",
            lambda: visible().filter(_responsible(who) if centre else Q(), status=Status.ACCEPTED),
            order=("accepted_on", "pk"),
            columns=("accepted_on",),
            make=lambda r, p: WorkItem(
                p,
                settlement_due(SimpleNamespace(accepted_on=r["accepted_on"]), rule),
                anchor="kinh-phi",
            ),
        )
    # A page of one group lists it to the end and counts what it read; otherwise every group's
    # count comes from one statement.
    counts = _counts(specs, statements) if limit is not None else {}
    if specs and statements.compiled:
        groups = _first_items(specs, statements, build, today, limit, offset, counts)
    else:
        groups = [
            _group(spec, build, today, limit, offset, counts.get(spec.key, 0)) for spec in specs
        ]
    if late is not None:
        at, officer = late
        groups.insert(at, late_reports(statements, officer, today, limit, offset, build))
    return groups
