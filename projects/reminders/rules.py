"""What the daily scan reminds, and to whom (product.md, Reminders).

Each scanner walks one kind of record in batches (keyset pagination, related rows fetched with
the batch) and yields `Outgoing` items; `scan()` stores them through
`khuyencong.notifications.enqueue`, so the number of queries grows with batches, not with
projects, and running the scan twice adds nothing.

The `day` of an item is the day it is due for, not the day of the scan:
- lead times ("end date in 30, 7, 1 days") use the milestone day (end date − 30 …), so a scan
  that was down on the day catches up the next day without sending the same milestone twice;
- a condition that lasts ("not appraised for 10 days") is due on the day it is first met and
  again every settings.REMINDERS_REPEAT_EVERY_DAYS days while it lasts.

Recipients are always within their scope: a district officer is reminded only about projects
in their locality subtree.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy, gettext_noop

from khuyencong import access, notifications
from khuyencong.models import Role
from khuyencong.notifications import Outgoing, outgoing, register_kind
from khuyencong.ops import stamps
from khuyencong.stored_text import StoredText
from projects.closeout.schedule import missing_periods
from projects.models import (
    AcceptanceReview,
    Allocation,
    CouncilMember,
    DeadlineCode,
    FollowUpAction,
    FundingSource,
    LegalDeadline,
    ProgressReport,
    Project,
    Status,
    settlement_due,
)
from projects.planning.budget import allocation_figures
from projects.process.people import (
    Directory,
    centre_staff_responsible,
    district_officers,
    in_scope,
    responsible_officer,
)

logger = logging.getLogger(__name__)

CENTRE, DISTRICT, MANAGER = Role.CENTRE_STAFF, Role.DISTRICT_OFFICER, Role.MANAGER

AWAITING_APPRAISAL = register_kind(
    "awaiting_appraisal", gettext_lazy("Đề án chờ thẩm định quá hạn"), roles=[CENTRE]
)
AWAITING_DECISION = register_kind(
    "awaiting_decision", gettext_lazy("Đề án chờ phê duyệt quá hạn"), roles=[MANAGER]
)
AWAITING_RESUBMISSION = register_kind(
    "awaiting_resubmission",
    gettext_lazy("Đề án trả lại để bổ sung chưa nộp lại"),
    # The author, whatever their role, and the district officers of the locality.
    roles=[DISTRICT, CENTRE, MANAGER],
)
END_DATE_NEAR = register_kind(
    "end_date_near", gettext_lazy("Đề án sắp đến ngày kết thúc"), roles=[CENTRE, MANAGER]
)
END_DATE_PASSED = register_kind(
    "end_date_passed",
    gettext_lazy("Đề án quá ngày kết thúc chưa nghiệm thu"),
    roles=[CENTRE, MANAGER],
)
END_DATE_ESCALATION = register_kind(
    "end_date_escalation",
    gettext_lazy("Đề án quá ngày kết thúc lâu chưa nghiệm thu (báo lãnh đạo)"),
    roles=[MANAGER],
)
REPORT_MISSING = register_kind(
    "progress_report_missing",
    gettext_lazy("Báo cáo tiến độ chưa nộp"),
    roles=[CENTRE, DISTRICT, MANAGER],
)
MONITORING_OVERDUE = register_kind(
    "monitoring_overdue",
    gettext_lazy("Đề án lâu chưa kiểm tra, giám sát"),
    roles=[CENTRE, MANAGER],
)
FOLLOW_UP_OVERDUE = register_kind(
    "follow_up_overdue",
    gettext_lazy("Việc cần khắc phục quá hạn"),
    roles=[CENTRE, DISTRICT, MANAGER],
)
ACCEPTANCE_SOON = register_kind(
    "acceptance_review_soon",
    gettext_lazy("Sắp họp hội đồng nghiệm thu"),
    roles=[CENTRE, DISTRICT, MANAGER, Role.VIEWER],
)
SETTLEMENT_DUE = register_kind(
    "settlement_due",
    gettext_lazy("Đề án đã nghiệm thu chưa quyết toán"),
    roles=[CENTRE, MANAGER],
)
SETTLEMENT_DEADLINE = register_kind(
    "settlement_deadline",
    gettext_lazy("Sắp đến hạn hoặc quá hạn thanh lý, quyết toán"),
    roles=[CENTRE, MANAGER],
)
NATIONAL_DEADLINE = register_kind(
    "national_registration_deadline",
    gettext_lazy("Hạn đăng ký đề án khuyến công quốc gia"),
    roles=[CENTRE, DISTRICT],
)
ALLOCATION_LOW = register_kind(
    "allocation_nearly_used", gettext_lazy("Kinh phí được giao sắp hết"), roles=[MANAGER]
)

# Statuses in which a project is being carried out and has not been accepted yet.
IMPLEMENTING = [Status.APPROVED, Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE]
CLOSED = [Status.SETTLED, Status.CANCELLED, Status.REJECTED]
# Day the repeat buckets of date-less conditions count from (a Monday).
EPOCH = date(2024, 1, 1)


# ---- Links -------------------------------------------------------------------------------------


def project_url(project: Project) -> str:
    return project.get_absolute_url()


# ---- Dates -------------------------------------------------------------------------------------


def fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def repeat_day(first: date, today: date) -> date | None:
    """The latest of first, first + R, first + 2R … that is on or before today (R = repeat)."""
    if today < first:
        return None
    every = max(1, settings.REMINDERS_REPEAT_EVERY_DAYS)
    return first + timedelta(days=(today - first).days // every * every)


def lead_day(target: date, leads: Iterable[int], today: date) -> tuple[date, int] | None:
    """For "target in 30, 7, 1 days": the milestone due today and its lead, or None.

    The nearest lead not shorter than the days left wins; on the target day itself the last
    milestone can still be caught up.
    """
    days_left = (target - today).days
    candidates = [lead for lead in leads if lead >= days_left]
    if days_left < 0 or not candidates:
        return None
    lead = min(candidates)
    return target - timedelta(days=lead), lead


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# ---- Who -----------------------------------------------------------------------------------


# ---- Scanners ----------------------------------------------------------------------------------


def batches(qs: QuerySet, size: int | None = None) -> Iterator[list]:
    """Keyset pagination over `qs` by primary key: one query (plus prefetches) per batch."""
    size = size or settings.REMINDERS_BATCH_SIZE
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        last = batch[-1].pk


def _each(batch: list, build: Callable) -> list[Outgoing]:
    """Items of every record of a batch; a record that fails is logged and skipped."""
    items: list[Outgoing] = []
    for record in batch:
        try:
            items.extend(build(record))
        except Exception:  # a poison record must not stop the others
            logger.exception("Reminder scan skipped %r", record)
    return items


def _project_items(kind, project, users, day, title, body) -> list[Outgoing]:
    return [
        outgoing(
            kind=kind.code,
            obj=project,
            recipient=user,
            day=day,
            title=title,
            body=body,
            url=project_url(project),
        )
        for user in in_scope(users, project)
    ]


def _projects() -> QuerySet:
    return Project.objects.select_related("locality__current", "responsible_officer", "created_by")


WAITING = {
    # status: (kind, name of the days setting)
    Status.SUBMITTED: (AWAITING_APPRAISAL, "REMIND_APPRAISAL_AFTER_DAYS"),
    Status.APPRAISED: (AWAITING_DECISION, "REMIND_DECISION_AFTER_DAYS"),
    Status.RETURNED: (AWAITING_RESUBMISSION, "REMIND_RESUBMISSION_AFTER_DAYS"),
}


def scan_waiting(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """Submitted, appraised or returned projects that have waited too long."""
    cutoff = {
        status: start_of_day(today - timedelta(days=getattr(settings, setting) - 1))
        for status, (_kind, setting) in WAITING.items()
    }
    waited_long = Q()
    for status, before in cutoff.items():
        waited_long |= Q(status=status, since__lt=before)
    candidates = (
        _projects().annotate(since=Coalesce("status_changed_at", "created_at")).filter(waited_long)
    )

    def build(project):
        kind, setting = WAITING[project.status]
        since = timezone.localdate(project.since)
        day = repeat_day(since + timedelta(days=getattr(settings, setting)), today)
        if day is None:
            return []
        waited = (today - since).days
        if project.status == Status.SUBMITTED:
            users = centre_staff_responsible(project, directory)
            title = gettext_noop("Đề án %(code)s chờ thẩm định đã %(days)d ngày")
            body = gettext_noop(
                "Đề án «%(title)s» (%(place)s) nộp ngày %(since)s, chưa được thẩm định."
            )
        elif project.status == Status.APPRAISED:
            users = directory.managers
            title = gettext_noop("Đề án %(code)s chờ phê duyệt đã %(days)d ngày")
            body = gettext_noop(
                "Đề án «%(title)s» (%(place)s) thẩm định xong ngày %(since)s, "
                "chưa có quyết định phê duyệt."
            )
        else:
            # The author first, whoever they are: centre staff file many projects for a
            # commune, and only the author knows what to add. in_scope keeps each person once.
            users = [project.created_by, *district_officers(project, directory)]
            title = gettext_noop("Đề án %(code)s trả lại để bổ sung đã %(days)d ngày chưa nộp lại")
            body = gettext_noop(
                "Đề án «%(title)s» (%(place)s) bị trả lại ngày %(since)s, "
                "chưa được bổ sung và nộp lại."
            )
        values = {
            "code": project.code,
            "title": project.title,
            "place": project.locality,
            "days": waited,
            "since": fmt(since),
        }
        return _project_items(
            kind, project, users, day, StoredText(title, values), StoredText(body, values)
        )

    for batch in batches(candidates):
        yield _each(batch, build)


def scan_end_dates(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """Projects nearing or past their end date without acceptance; escalation to managers."""
    leads = settings.REMIND_END_DATE_BEFORE_DAYS
    escalate_after = settings.REMIND_END_DATE_ESCALATE_AFTER_DAYS
    qs = _projects().filter(
        status__in=IMPLEMENTING,
        accepted_on__isnull=True,
        end_date__lte=today + timedelta(days=max(leads, default=0)),
    )

    def build(project):
        values = {"code": project.code, "title": project.title, "end": fmt(project.end_date)}
        officers = responsible_officer(project, directory)
        items = []
        near = lead_day(project.end_date, leads, today)
        if near:
            values["days"] = (project.end_date - today).days
            title = StoredText(
                gettext_noop("Đề án %(code)s còn %(days)d ngày đến ngày kết thúc (%(end)s)"), values
            )
            body = StoredText(
                gettext_noop("Đề án «%(title)s» kết thúc ngày %(end)s; cần chuẩn bị nghiệm thu."),
                values,
            )
            items += _project_items(END_DATE_NEAR, project, officers, near[0], title, body)
        overdue = (today - project.end_date).days
        if overdue > 0:
            values["days"] = overdue
            title = StoredText(
                gettext_noop("Đề án %(code)s đã quá ngày kết thúc %(days)d ngày, chưa nghiệm thu"),
                values,
            )
            body = StoredText(
                gettext_noop("Đề án «%(title)s» kết thúc ngày %(end)s nhưng chưa được nghiệm thu."),
                values,
            )
            day = repeat_day(project.end_date + timedelta(days=1), today)
            items += _project_items(END_DATE_PASSED, project, officers, day, title, body)
        if overdue > escalate_after:
            day = repeat_day(project.end_date + timedelta(days=escalate_after + 1), today)
            items += _project_items(
                END_DATE_ESCALATION, project, directory.managers, day, title, body
            )
        return items

    for batch in batches(qs):
        yield _each(batch, build)


def scan_progress_reports(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """Report periods ended more than the grace days ago without their report."""
    grace = settings.REMIND_REPORT_GRACE_DAYS
    qs = (
        _projects()
        .filter(
            status__in=[Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE],
            start_date__lt=today - timedelta(days=grace),
        )
        .prefetch_related(
            Prefetch(
                "progress_reports",
                queryset=ProgressReport.objects.only(
                    "id", "project_id", "period_start", "cancelled_at"
                ),
            )
        )
    )

    def build(project):
        missing = missing_periods(project, today, grace_days=grace)
        if not missing:
            return []
        day = repeat_day(missing[0].due + timedelta(days=1), today)
        values = {
            "code": project.code,
            "title": project.title,
            "count": len(missing),
            "periods": ", ".join(f"{fmt(p.start)}–{fmt(p.end)}" for p in missing),
        }
        if len(missing) == 1:
            title = StoredText(
                gettext_noop("Đề án %(code)s chưa nộp báo cáo tiến độ kỳ %(periods)s"), values
            )
        else:
            title = StoredText(
                gettext_noop("Đề án %(code)s chưa nộp %(count)d kỳ báo cáo tiến độ"), values
            )
        body = StoredText(
            gettext_noop("Đề án «%(title)s»: các kỳ báo cáo tiến độ chưa nộp: %(periods)s."), values
        )
        users = district_officers(project, directory) + responsible_officer(project, directory)
        return _project_items(REPORT_MISSING, project, users, day, title, body)

    for batch in batches(qs):
        yield _each(batch, build)


def scan_monitoring(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """In-progress projects with no monitoring visit for too long (since the start if none)."""
    after = settings.REMIND_MONITORING_AFTER_DAYS
    qs = (
        _projects()
        .filter(status=Status.IN_PROGRESS)
        .annotate(
            last_seen=Coalesce(
                Max(
                    "monitoring_visits__date",
                    filter=Q(monitoring_visits__cancelled_at__isnull=True),
                ),
                "start_date",
            )
        )
        .filter(last_seen__lte=today - timedelta(days=after))
    )

    def build(project):
        day = repeat_day(project.last_seen + timedelta(days=after), today)
        values = {
            "code": project.code,
            "title": project.title,
            "days": (today - project.last_seen).days,
            "since": fmt(project.last_seen),
        }
        title = StoredText(
            gettext_noop("Đề án %(code)s đã %(days)d ngày chưa kiểm tra, giám sát"), values
        )
        body = StoredText(
            gettext_noop(
                "Đề án «%(title)s»: lần kiểm tra, giám sát gần nhất "
                "(hoặc ngày bắt đầu) là %(since)s."
            ),
            values,
        )
        users = responsible_officer(project, directory)
        return _project_items(MONITORING_OVERDUE, project, users, day, title, body)

    for batch in batches(qs):
        yield _each(batch, build)


def scan_follow_ups(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """Follow-up actions past their due date, to their owner."""
    qs = (
        FollowUpAction.objects.filter(
            done_at__isnull=True, cancelled_at__isnull=True, due_date__lt=today
        )
        .exclude(project__status__in=CLOSED)
        .select_related("owner", "project__locality")
    )

    def build(action):
        project = action.project
        values = {
            "code": project.code,
            "days": (today - action.due_date).days,
            "due": fmt(action.due_date),
            "what": action.description[:200],
        }
        return [
            outgoing(
                kind=FOLLOW_UP_OVERDUE.code,
                obj=action,
                recipient=user,
                day=repeat_day(action.due_date + timedelta(days=1), today),
                title=StoredText(
                    gettext_noop("Việc cần khắc phục của đề án %(code)s quá hạn %(days)d ngày"),
                    values,
                ),
                body=StoredText(gettext_noop("«%(what)s» — hạn hoàn thành %(due)s."), values),
                url=project_url(project),
            )
            for user in in_scope([action.owner], project)
        ]

    for batch in batches(qs):
        yield _each(batch, build)


def scan_acceptance_reviews(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """Acceptance reviews coming up: council members who are users, and the responsible officer."""
    leads = settings.REMIND_ACCEPTANCE_BEFORE_DAYS
    qs = (
        AcceptanceReview.objects.filter(
            outcome="",
            cancelled_at__isnull=True,
            scheduled_date__gte=today,
            scheduled_date__lte=today + timedelta(days=max(leads, default=0)),
        )
        .exclude(project__status__in=CLOSED)
        .select_related("project__locality", "project__responsible_officer")
        .prefetch_related(
            Prefetch("members", queryset=CouncilMember.objects.select_related("user"))
        )
    )

    def build(review):
        due = lead_day(review.scheduled_date, leads, today)
        if due is None:
            return []
        project = review.project
        values = {
            "code": project.code,
            "title": project.title,
            "date": fmt(review.scheduled_date),
            "days": (review.scheduled_date - today).days,
            "place": review.place,
        }
        title = StoredText(
            gettext_noop("Đề án %(code)s nghiệm thu ngày %(date)s (còn %(days)d ngày)"), values
        )
        body = StoredText(
            gettext_noop("Hội đồng nghiệm thu đề án «%(title)s» họp ngày %(date)s tại %(place)s."),
            values,
        )
        users = [member.user for member in review.members.all()]
        users += responsible_officer(project, directory)
        return [
            outgoing(
                kind=ACCEPTANCE_SOON.code,
                obj=review,
                recipient=user,
                day=due[0],
                title=title,
                body=body,
                url=project_url(project),
            )
            for user in in_scope(users, project)
        ]

    for batch in batches(qs):
        yield _each(batch, build)


def scan_settlements(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """Accepted projects not settled after the set number of days."""
    after = settings.REMIND_SETTLEMENT_AFTER_DAYS
    qs = _projects().filter(status=Status.ACCEPTED)

    def build(project):
        accepted = project.accepted_on or timezone.localdate(
            project.status_changed_at or project.created_at
        )
        day = repeat_day(accepted + timedelta(days=after), today)
        if day is None:
            return []
        values = {
            "code": project.code,
            "title": project.title,
            "days": (today - accepted).days,
            "accepted": fmt(accepted),
        }
        title = StoredText(
            gettext_noop("Đề án %(code)s đã nghiệm thu %(days)d ngày, chưa quyết toán"), values
        )
        body = StoredText(
            gettext_noop(
                "Đề án «%(title)s» nghiệm thu ngày %(accepted)s; cần hoàn tất quyết toán."
            ),
            values,
        )
        users = responsible_officer(project, directory)
        return _project_items(SETTLEMENT_DUE, project, users, day, title, body)

    for batch in batches(qs):
        yield _each(batch, build)


def scan_settlement_deadline(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """The settlement deadline of the law (LegalDeadline SETTLEMENT, e.g. 22/01 of the year after
    acceptance): reminded at its lead days before, then every repeat period once it has passed."""
    rule = LegalDeadline.lookup(DeadlineCode.SETTLEMENT)
    if rule is None:
        return
    qs = _projects().filter(status=Status.ACCEPTED, accepted_on__isnull=False)

    def build(project):
        due = settlement_due(project, rule)
        if today > due:
            day = repeat_day(due + timedelta(days=1), today)
            title = gettext_noop("Đề án %(code)s quá hạn thanh lý, quyết toán (%(due)s)")
        else:
            lead = lead_day(due, rule.leads, today)
            if lead is None:
                return []
            day = lead[0]
            title = gettext_noop("Đề án %(code)s: hạn thanh lý, quyết toán ngày %(due)s")
        values = {"code": project.code, "title": project.title, "due": fmt(due)}
        body = StoredText(
            gettext_noop(
                "Đề án «%(title)s» đã nghiệm thu; hạn thanh lý hợp đồng, quyết toán là %(due)s "
                "(%(basis)s)."
            ),
            {**values, "basis": rule.legal_basis},
        )
        users = responsible_officer(project, directory)
        return _project_items(
            SETTLEMENT_DEADLINE, project, users, day, StoredText(title, values), body
        )

    for batch in batches(qs):
        yield _each(batch, build)


def national_deadline(today: date) -> tuple[date, int, LegalDeadline] | None:
    """The next registration deadline for national projects, on or after today (None: no rule).

    The deadline of plan year Y falls in Y − 1 (LegalDeadline NATIONAL_REGISTRATION).
    """
    rule = LegalDeadline.lookup(DeadlineCode.NATIONAL_REGISTRATION)
    if rule is None:
        return None
    for plan_year in range(today.year - rule.year_offset, today.year - rule.year_offset + 3):
        deadline = rule.due_for(plan_year)
        if deadline >= today:
            return deadline, plan_year, rule
    return None


def scan_national_deadline(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """The yearly deadline for registering next year's national projects (domain.md §4.1)."""
    found = national_deadline(today)
    if found is None:
        return
    deadline, plan_year, rule = found
    # Lead days of the rule, else the environment's.
    leads = rule.leads or settings.REMIND_NATIONAL_DEADLINE_BEFORE_DAYS
    due = lead_day(deadline, leads, today)
    if due is None:
        return
    values = {
        "days": (deadline - today).days,
        "date": fmt(deadline),
        "year": plan_year,
    }
    title = StoredText(
        gettext_noop(
            "Còn %(days)d ngày đến hạn đăng ký đề án khuyến công quốc gia năm %(year)d (%(date)s)"
        ),
        values,
    )
    body = StoredText(
        gettext_noop(
            "Hồ sơ đăng ký đề án khuyến công quốc gia năm %(year)d nộp Sở Công Thương "
            "trước ngày %(date)s."
        ),
        values,
    )
    url = reverse("projects:list")
    for batch in batches(FundingSource.objects.filter(is_national=True)):
        yield [
            outgoing(
                kind=NATIONAL_DEADLINE.code,
                obj=source,
                recipient=user,
                day=due[0],
                title=title,
                body=body,
                url=url,
            )
            for source in batch
            for user in directory.centre_staff + directory.district_officers
        ]


def _allocation_remaining(allocations: list[Allocation]) -> dict[int, int]:
    """Remaining amount per allocation, by the same rule as every budget page."""
    return {pk: f.remaining for pk, f in allocation_figures(allocations).items()}


def scan_allocations(today: date, directory: Directory) -> Iterator[list[Outgoing]]:
    """Allocations of this year or later with less than the set share left, to managers."""
    percent = settings.REMIND_ALLOCATION_REMAINING_PERCENT
    # A lasting state with no date of its own: repeat buckets count from a fixed Monday.
    day = repeat_day(EPOCH, today)
    qs = Allocation.objects.filter(year__gte=today.year).select_related("funding_source")
    for batch in batches(qs):
        remaining = _allocation_remaining(batch)

        def build(allocation, remaining=remaining):
            left = remaining[allocation.pk]
            if left * 100 >= allocation.amount * percent:
                return []
            values = {
                "source": allocation.funding_source.name,
                "year": allocation.year,
                "left": number_format(max(left, 0), force_grouping=True),
                "percent": max(left, 0) * 100 // allocation.amount,
                "decision": allocation.decision_number,
            }
            title = StoredText(
                gettext_noop(
                    "Kinh phí được giao %(source)s năm %(year)d chỉ còn %(left)s ₫ (%(percent)d%%)"
                ),
                values,
            )
            body = StoredText(
                gettext_noop(
                    "Kinh phí được giao theo quyết định %(decision)s còn lại %(left)s ₫; "
                    "cân nhắc trước khi phê duyệt thêm đề án."
                ),
                values,
            )
            return [
                outgoing(
                    kind=ALLOCATION_LOW.code,
                    obj=allocation,
                    recipient=user,
                    day=day,
                    title=title,
                    body=body,
                    url=reverse("planning:allocation_detail", args=[allocation.pk]),
                )
                for user in directory.managers
            ]

        yield _each(batch, build)


SCANNERS = [
    scan_waiting,
    scan_end_dates,
    scan_progress_reports,
    scan_monitoring,
    scan_follow_ups,
    scan_acceptance_reviews,
    scan_settlements,
    scan_settlement_deadline,
    scan_national_deadline,
    scan_allocations,
]


@dataclass
class ScanResult:
    # The reminders this scan stored (with dry_run: would store); a scan racing another one
    # counts only the rows it inserted itself.
    items: list[Outgoing]
    errors: int = 0


def scan(*, today: date | None = None, dry_run: bool = False) -> ScanResult:
    """Store today's reminders (or, with dry_run, only list them); returns the new ones."""
    today = today or timezone.localdate()
    result = ScanResult(items=[])
    with translation.override(settings.LANGUAGE_CODE), access.shared_scopes():
        directory = Directory()
        for scanner in SCANNERS:
            try:
                for items in scanner(today, directory):
                    result.items += notifications.enqueue(items, dry_run=dry_run)
            except Exception:  # one broken kind must not stop the other kinds
                logger.exception("Reminder scanner %s failed", scanner.__name__)
                result.errors += 1
    return result


# A scan may still be running this long after its scheduled time (longer than the scan task's
# hard time limit), so a catch-up check does not start a second one beside it.
CATCH_UP_GRACE = timedelta(minutes=15)


def scan_missed(*, now: datetime | None = None) -> bool:
    """True when the daily scan's time has passed without a scan finishing since (the broker
    or every worker was down then): the scan should run now. It is idempotent, so running it
    late, or twice, sends nothing twice."""
    now = now or timezone.now()
    # The latest REMINDERS_SCAN_TIME at or before now: today's, or yesterday's before it.
    scheduled = notifications.last_daily_time(settings.REMINDERS_SCAN_TIME, now)
    if now < scheduled + CATCH_UP_GRACE:
        return False
    last = stamps.last(stamps.REMINDER_SCAN)
    return last is None or last < scheduled
