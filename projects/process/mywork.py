"""What waits for a person, through the whole life of a project ("Việc của tôi").

One group per kind of work, each read with one query (plus a prefetch where a group needs the
project's reports), so the page and the dashboard card cost the same whatever the number of
projects. Who sees a group follows who may take the step (the roles of the workflow's actions
and tasks) and the person's scope; centre staff see the work of projects they are responsible
for, or of projects nobody is responsible for yet.

Due dates are the ones the reminders use (settings REMIND_*, and the deadlines of the law kept
as data for settlement), so a "quá hạn" mark here is the same day the reminder says so.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong import access
from khuyencong.models import Role, User
from projects.closeout import schedule, steps
from projects.models import (
    AcceptanceReview,
    DeadlineCode,
    FollowUpAction,
    LegalDeadline,
    Project,
    Status,
    settlement_due,
)

CENTRE, DISTRICT, MANAGER = Role.CENTRE_STAFF, Role.DISTRICT_OFFICER, Role.MANAGER
# A project whose end date is this close may ask for its acceptance review.
ACCEPTANCE_WINDOW_DAYS = 30


# The groups, in the order of a project's life.
TITLES = {
    "to_submit": _("Đề án cần hoàn thiện và nộp"),
    "to_appraise": _("Đề án chờ thẩm định"),
    "to_approve": _("Đề án chờ phê duyệt"),
    "to_sign": _("Đề án đã phê duyệt, cần ký hợp đồng thực hiện"),
    "to_report": _("Báo cáo tiến độ đến hạn chưa nộp"),
    "to_visit": _("Đề án cần kiểm tra, giám sát"),
    "to_request_acceptance": _("Đề án sắp hết hạn thực hiện, cần đề nghị nghiệm thu"),
    "follow_ups": _("Việc khắc phục giao cho tôi"),
    "to_schedule_review": _("Đề án đề nghị nghiệm thu, cần lập lịch nghiệm thu"),
    "council": _("Nghiệm thu tôi là thành viên hội đồng"),
    "to_record_outcome": _("Nghiệm thu đã đến ngày, cần ghi nhận kết quả"),
    "to_settle": _("Đề án đã nghiệm thu, cần quyết toán"),
}


@dataclass
class WorkItem:
    project: Project
    due: datetime.date | None = None
    note: str = ""
    anchor: str = ""
    overdue: bool = False

    @property
    def url(self) -> str:
        url = self.project.get_absolute_url()
        return f"{url}#{self.anchor}" if self.anchor else url


@dataclass
class WorkGroup:
    key: str
    title: str
    items: list[WorkItem] = field(default_factory=list)
    # All the work of the group; `items` may hold only the first ones (soonest due).
    count: int = 0

    @property
    def more(self) -> int:
        return self.count - len(self.items)


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
    # The page shows a project's code, title and locality: joining more (as the project list
    # does) made each group's query join every row of the group, not only the ones shown.
    return access.scope_by_locality(Project.objects.select_related("locality__current"), user)


def _may(user: User, roles) -> bool:
    return access.has_role(user, *roles)


def _group(
    key, title, rows, make: Callable[[object], WorkItem], today, limit, order, offset=0
) -> WorkGroup:
    """A group from a queryset (counted in SQL, at most `limit` rows read from `offset`, in
    `order`, which follows the due date)."""
    rows = rows.order_by(*order)
    if limit is None:
        rows = list(rows[offset:])
        count = offset + len(rows)
    else:
        # Counted apart: a COUNT(*) OVER () riding with the rows made PostgreSQL join every
        # row of a large group (thousands of accepted projects) before the LIMIT, where the
        # count alone reads an index (the project_work_* indexes).
        count = rows.count()
        rows = list(rows[offset : offset + limit])
    items = []
    for row in rows:
        item = make(row)
        item.overdue = item.due is not None and item.due < today
        items.append(item)
    items.sort(key=lambda i: (i.due is None, i.due or today, i.project.pk))
    return WorkGroup(key, title, items, count)


def _late_reports(user: User, officer: Q, today, limit, offset) -> WorkGroup:
    """In-progress projects with a progress report past due. The periods are worked out in
    Python (closeout/schedule.py), so every in-progress project of the person is read: as plain
    values, with its filed reports in the same query (a left join), and only the projects
    shown are read as models."""
    grace = settings.REMIND_REPORT_GRACE_DAYS
    rows = (
        access.scope_by_locality(Project.objects.all(), user)
        .filter(officer, status=Status.IN_PROGRESS)
        .values_list(
            "pk",
            "start_date",
            "end_date",
            "report_every_months",
            "progress_reports__period_start",
            "progress_reports__cancelled_at",
        )
    )
    projects: dict[int, tuple] = {}
    for pk, start, end, months, period_start, cancelled_at in rows:
        entry = projects.setdefault(
            pk, (start, end, months or settings.PROGRESS_REPORT_EVERY_MONTHS, set())
        )
        if period_start is not None and cancelled_at is None:
            entry[3].add(period_start)
    late = []
    for pk, (start, end, months, filed) in projects.items():
        if start is None or end is None:
            continue
        missing = [
            due
            for _number, begin, _end, due in schedule.periods(start, end, months, today, grace)
            if due < today and begin not in filed
        ]
        if missing:
            late.append((missing[0], pk, len(missing)))
    late.sort()
    shown = late[offset:] if limit is None else late[offset : offset + limit]
    # Read even when nothing is late ([0] matches no project), so that the page's number of
    # queries does not depend on the data.
    by_pk = Project.objects.select_related("locality__current").in_bulk(
        [pk for _due, pk, _n in shown] or [0]
    )
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
    full count. `only` keeps one group (by key): the page that lists one group in full."""
    today = today or timezone.localdate()
    if not access.can_edit(user):
        return []  # a viewer only reads
    visible = _projects(user)
    centre = user.role == CENTRE
    groups: list[WorkGroup] = []

    def wanted(key) -> bool:
        return only is None or key == only

    def add(key, rows, make, order=("pk",)):
        if wanted(key):
            groups.append(_group(key, TITLES[key], rows, make, today, limit, order, offset))

    # Before approval ------------------------------------------------------------------------
    if _may(user, (DISTRICT, CENTRE)):
        mine = Q() if user.role == DISTRICT else Q(created_by=user) | Q(responsible_officer=user)
        add(
            "to_submit",
            visible.filter(mine, status__in=[Status.DRAFT, Status.RETURNED]),
            order=("status_changed_at", "pk"),
            make=lambda p: WorkItem(
                p,
                _days(p.status_changed_at, settings.REMIND_RESUBMISSION_AFTER_DAYS)
                if p.status == Status.RETURNED
                else None,
                _("Bị trả lại") if p.status == Status.RETURNED else _("Bản nháp"),
            ),
        )
    if centre:
        add(
            "to_appraise",
            visible.filter(_responsible(user), status=Status.SUBMITTED),
            order=("status_changed_at", "pk"),
            make=lambda p: WorkItem(
                p, _days(p.status_changed_at, settings.REMIND_APPRAISAL_AFTER_DAYS)
            ),
        )
    if _may(user, (MANAGER,)):
        add(
            "to_approve",
            visible.filter(status=Status.APPRAISED),
            order=("status_changed_at", "pk"),
            make=lambda p: WorkItem(
                p, _days(p.status_changed_at, settings.REMIND_DECISION_AFTER_DAYS)
            ),
        )

    # Implementation --------------------------------------------------------------------------
    if _may(user, steps.START.roles):
        add(
            "to_sign",
            visible.filter(_responsible(user), status=Status.APPROVED),
            order=("start_date", "pk"),
            make=lambda p: WorkItem(p, p.start_date, anchor="kinh-phi"),
        )
    if _may(user, steps.FILE_REPORT.roles) and wanted("to_report"):
        officer = Q() if user.role == DISTRICT else Q(responsible_officer=user)
        groups.append(_late_reports(user, officer, today, limit, offset))
    if centre:
        add(
            "to_visit",
            visible.filter(_responsible(user), status=Status.IN_PROGRESS)
            .annotate(
                last_visit=Max(
                    "monitoring_visits__date",
                    filter=Q(monitoring_visits__cancelled_at__isnull=True),
                )
            )
            .filter(
                Q(last_visit__isnull=True)
                | Q(
                    last_visit__lt=today
                    - datetime.timedelta(days=settings.REMIND_MONITORING_AFTER_DAYS)
                )
            ),
            order=(F("last_visit").asc(nulls_first=True), "contract_date", "pk"),
            make=lambda p: WorkItem(
                p,
                _days(
                    p.last_visit or p.contract_date or p.start_date,
                    settings.REMIND_MONITORING_AFTER_DAYS,
                ),
                anchor="kiem-tra",
            ),
        )
    if _may(user, steps.REQUEST_ACCEPTANCE.roles):
        officer = Q() if user.role == DISTRICT else Q(responsible_officer=user)
        add(
            "to_request_acceptance",
            visible.filter(
                officer,
                status=Status.IN_PROGRESS,
                end_date__lte=today + datetime.timedelta(days=ACCEPTANCE_WINDOW_DAYS),
            ),
            order=("end_date", "pk"),
            make=lambda p: WorkItem(p, p.end_date, anchor="nghiem-thu"),
        )
    add(
        "follow_ups",
        access.scope_by_locality(FollowUpAction.objects.all(), user, "project__locality")
        .filter(owner=user, done_at__isnull=True, cancelled_at__isnull=True)
        .select_related("project__locality__current"),
        order=("due_date", "pk"),
        make=lambda a: WorkItem(a.project, a.due_date, a.description, "kiem-tra"),
    )

    # Acceptance and settlement ---------------------------------------------------------------
    pending = AcceptanceReview.objects.filter(outcome="", cancelled_at__isnull=True)
    if _may(user, steps.SCHEDULE_REVIEW.roles):
        add(
            "to_schedule_review",
            visible.filter(_responsible(user), status=Status.AWAITING_ACCEPTANCE).exclude(
                pk__in=pending.values("project")
            ),
            order=("status_changed_at", "pk"),
            make=lambda p: WorkItem(
                p,
                _days(p.status_changed_at, settings.REMIND_APPRAISAL_AFTER_DAYS),
                anchor="nghiem-thu",
            ),
        )
    add(
        "council",
        access.scope_by_locality(pending, user, "project__locality")
        .filter(members__user=user, project__status__in=steps.UNDER_WAY)
        .select_related("project__locality__current")
        .distinct(),
        order=("scheduled_date", "pk"),
        make=lambda r: WorkItem(r.project, r.scheduled_date, r.place, "nghiem-thu"),
    )
    if _may(user, steps.RECORD_OUTCOME.roles):
        responsible = (
            Q(project__responsible_officer=user) | Q(project__responsible_officer__isnull=True)
            if centre
            else Q()
        )
        add(
            "to_record_outcome",
            access.scope_by_locality(pending, user, "project__locality")
            .filter(responsible, scheduled_date__lte=today, project__status__in=steps.UNDER_WAY)
            .select_related("project__locality__current"),
            order=("scheduled_date", "pk"),
            make=lambda r: WorkItem(r.project, r.scheduled_date, r.place, "nghiem-thu"),
        )
    if _may(user, steps.SETTLE.roles) and wanted("to_settle"):
        # Due by the settlement deadline of the law (LegalDeadline SETTLEMENT: 22/01 of the year
        # after acceptance), not a lead time of our own.
        rule = LegalDeadline.lookup(DeadlineCode.SETTLEMENT)
        add(
            "to_settle",
            visible.filter(_responsible(user) if centre else Q(), status=Status.ACCEPTED),
            order=("accepted_on", "pk"),
            make=lambda p: WorkItem(p, settlement_due(p, rule), anchor="kinh-phi"),
        )
    return groups
