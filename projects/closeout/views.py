"""Screens after approval: the close-out sections of the project page (monitoring, progress
reports, money, acceptance), the forms that record that work, and the follow-through lists
(upcoming acceptance reviews, overdue follow-up actions, missing progress reports).

Projects come scoped by locality (another locality's project is a 404); a viewer never writes
(403); every POST goes through the rule functions of steps.py and disbursements.py beside this
file, and a refusal comes back as a Vietnamese message, never a 500.
"""

import datetime
import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from khuyencong import access, compiled
from khuyencong.models import User
from khuyencong.named_users import NamedUsers
from khuyencong.row_flags import may_have
from projects.applications.workflow import TransitionError
from projects.closeout import disbursements, schedule, steps
from projects.closeout.filters import FollowUpFilter, MissingReportFilter, ReviewFilter
from projects.closeout.forms import (
    ACHIEVED,
    CancelForm,
    CompleteActionForm,
    DisbursementForm,
    FollowUpEditForm,
    People,
    ProgressReportForm,
    ReportEditForm,
    ReversalForm,
    ReviewEditForm,
    ReviewOutcomeForm,
    ReviewScheduleForm,
    VisitEditForm,
    VisitForm,
    dmy,
    follow_up_state,
)
from projects.models import (
    OUTCOME_FIELDS,
    AcceptanceReview,
    CouncilMember,
    Disbursement,
    FollowUpAction,
    ProgressReport,
    Project,
    Status,
)
from projects.models.closeout import ACCEPTANCE_CHECKLIST

# States in which a project has close-out records to show.
AFTER_APPROVAL = {
    Status.APPROVED,
    Status.IN_PROGRESS,
    Status.AWAITING_ACCEPTANCE,
    Status.ACCEPTED,
    Status.SETTLED,
}
CLOSED = [Status.SETTLED, Status.CANCELLED, Status.REJECTED]

# Section anchors of the project page.
MONITORING, REPORTS, MONEY, ACCEPTANCE = "kiem-tra", "bao-cao", "kinh-phi", "nghiem-thu"


def closeout_shown(project: Project) -> bool:
    return project.status in AFTER_APPROVAL or (
        project.status == Status.CANCELLED and project.approved_amount is not None
    )


def _refusal(task, project: Project, user) -> str | None:
    try:
        steps.check_task(task, project, user)
    except TransitionError as error:
        return str(error)
    return None


def _set_related(records: list, name: str, by_pk: dict) -> None:
    """Set the foreign key `name` of `records` from rows already read (`by_pk`), as
    select_related would; a record whose row is not among them reads it when asked."""
    if not records:
        return
    f = records[0]._meta.get_field(name)
    for record in records:
        value = getattr(record, f.attname)
        if value is None or value in by_pk:
            f.set_cached_value(record, by_pk.get(value))


def _link_reversals(payments: list[Disbursement]) -> None:
    """Each payment's `reverses` and `reversal` from the project's own payments: a reversal is
    always recorded on the project of the payment it undoes (disbursements.py), so a payment
    that no payment of the project reverses has no reversal."""
    by_pk = {payment.pk: payment for payment in payments}
    _set_related(payments, "reverses", by_pk)
    reversal = Disbursement._meta.get_field("reverses").remote_field
    undone = {payment.reverses_id: payment for payment in payments if payment.reverses_id}
    for payment in payments:
        reversal.set_cached_value(payment, undone.get(payment.pk))
        # What the page reads: `reversal` of a payment nobody reversed raises DoesNotExist, an
        # exception per row the template swallows (most of a row's rendering).
        payment.reversed_by = undone.get(payment.pk)


def rows(project: Project, relation: str, queryset) -> list:
    """The rows of one of the project's lists; none read when the project was read with its
    lists' flags and the list was empty then (khuyencong/row_flags.py)."""
    return list(queryset) if may_have(project, relation) else []


def project_rows(project: Project, relation: str, build: Callable[[list], object]) -> list:
    """`rows(project, relation, …)` of the queryset `build([project id])` (the list's rows,
    as the related manager reads them), its statement compiled once per process
    (compiled.instances); each row's project is `project`, as the manager sets it."""
    if not may_have(project, relation):
        return []
    records = compiled.instances(("closeout.rows", relation), build, project=(project.pk,))
    owner = Project._meta.get_field(relation).field
    for record in records:
        owner.set_cached_value(record, project)
    return records


def _prefetch_members(reviews: list[AcceptanceReview]) -> None:
    """`prefetch_related("members")` of `reviews`, its statement compiled once per process
    and number of reviews (compiled.instances)."""
    if not reviews:
        return
    members = compiled.instances(
        "closeout.members",
        lambda reviews: CouncilMember.objects.filter(review__in=reviews),
        reviews=tuple(review.pk for review in reviews),
    )
    by_review = {review.pk: [] for review in reviews}
    review_field = CouncilMember._meta.get_field("review")
    for member in members:
        by_review[member.review_id].append(member)
    for review in reviews:
        for member in by_review[review.pk]:
            review_field.set_cached_value(member, review)
        queryset = review.members.all()
        queryset._result_cache, queryset._prefetch_done = by_review[review.pk], True
        review._prefetched_objects_cache = {"members": queryset}


# The close-out lists of the project page, whose flags it reads with the project.
LISTS = (
    "monitoring_visits",
    "follow_up_actions",
    "progress_reports",
    "disbursements",
    "acceptance_reviews",
)


# --- the project page -----------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _outcome_labels(language: str) -> dict[str, str]:
    """The outcomes' labels in the active language, `language` (the key only): a lazy label
    looks itself up in every catalogue each time it is written."""
    return {name: str(label) for name, label in OUTCOME_FIELDS}


def detail_context(
    project: Project,
    user,
    today: datetime.date | None = None,
    people: NamedUsers | None = None,
) -> dict:
    """What the close-out sections of the project page show, in a fixed number of queries.

    The users the records name are read by `people` with the other users of the page (the
    project page's reader), else by a reader of this function's own; either way in one query.
    """
    if not closeout_shown(project):
        return {"closeout": None}
    today = today or timezone.localdate()
    reader = people or NamedUsers()

    visits = reader.want(
        rows(
            project,
            "monitoring_visits",
            project.monitoring_visits.prefetch_related(
                Prefetch("officers", queryset=User.objects.order_by("full_name", "username"))
            ),
        ),
        "created_by",
        "cancelled_by",
    )
    follow_ups = reader.want(
        rows(project, "follow_up_actions", project.follow_up_actions.all()),
        "owner",
        "done_by",
        "cancelled_by",
    )
    # A follow-up action comes from a visit of its own project (or from a review: no visit).
    _set_related(follow_ups, "visit", {visit.pk: visit for visit in visits})
    # Prefetched (none() reads nothing): the report schedule reads them from the project.
    reports = ProgressReport.objects.all()
    if not may_have(project, "progress_reports"):
        reports = reports.none()
    prefetch_related_objects([project], Prefetch("progress_reports", queryset=reports))
    reader.want(project.progress_reports.all(), "submitted_by", "cancelled_by")
    payments = reader.want(
        project_rows(
            project,
            "disbursements",
            lambda project: Disbursement.objects.filter(project_id=project[0]),
        ),
        "created_by",
    )
    _link_reversals(payments)
    reviews = reader.want(
        project_rows(
            project,
            "acceptance_reviews",
            lambda project: AcceptanceReview.objects.filter(project_id=project[0]).select_related(
                "minutes"
            ),
        ),
        "recorded_by",
        "scheduled_by",
        "cancelled_by",
    )
    _prefetch_members(reviews)
    reader.want([member for review in reviews for member in review.members.all()], "user")
    reader.read()

    for action in follow_ups:
        action.state = follow_up_state(action, today)
        action.completable = steps.may_complete(action, user)
        action.correctable = action.state in ("open", "overdue") and steps.may_correct(
            project, user, author_id=action.visit.created_by_id if action.visit_id else None
        )
        action.cancellable = action.correctable and steps.may_do(steps.CORRECT, project, user)
    may_correct = steps.may_do(steps.CORRECT, project, user)
    for visit in visits:
        visit.correctable = not visit.cancelled and steps.may_correct(
            project, user, author_id=visit.created_by_id
        )
        visit.cancellable = not visit.cancelled and may_correct

    for report in project.progress_reports.all():
        report.correctable = not report.cancelled and steps.may_correct(
            project, user, author_id=report.submitted_by_id
        )
        report.cancellable = not report.cancelled and may_correct
    started = project.contract_date is not None or project.status in steps.UNDER_WAY
    # Reports are owed while the work goes on: until acceptance, or until a cancellation.
    until = project.accepted_on or today
    if project.status == Status.CANCELLED and project.status_changed_at:
        until = min(until, timezone.localdate(project.status_changed_at))
    periods = schedule.report_periods(project, until) if started else []
    scheduled = {period.start for period in periods}
    # Reports outside the schedule, and cancelled ones (shown greyed with their reason).
    other_reports = [
        r for r in project.progress_reports.all() if r.period_start not in scheduled or r.cancelled
    ]
    under_way = project.status in steps.UNDER_WAY

    figures = disbursements.money_of(project, payments)
    may_reverse = steps.may_do(disbursements.REVERSE, project, user)
    for payment in payments:
        payment.reversible = may_reverse and not payment.is_reversal and payment.reversed_by is None

    labels = _outcome_labels(get_language())
    may_cancel_review = steps.may_do(steps.CANCEL_REVIEW, project, user)
    for review in reviews:
        pending = not review.outcome and not review.cancelled
        review.correctable = pending and may_correct
        review.cancellable = pending and may_cancel_review
        review.checklist_rows = [
            (label, bool(review.checklist.get(key))) for key, label in ACCEPTANCE_CHECKLIST
        ]
        # All the checklist's markup is written from besides the language (the labels are the
        # code's own): kept per process under it ({% fixed by %}).
        review.checklist_key = tuple(present for _label, present in review.checklist_rows)
        review.results = [
            (
                labels[name.removeprefix("achieved_")],
                getattr(project, expected),
                getattr(review, name),
            )
            for name, expected in ACHIEVED
        ]

    may = {
        "visit": steps.may_do(steps.RECORD_VISIT, project, user),
        "report": steps.may_do(steps.FILE_REPORT, project, user),
        "disburse": steps.may_do(disbursements.DISBURSE, project, user),
        "review": steps.may_do(steps.SCHEDULE_REVIEW, project, user),
        "outcome": steps.may_do(steps.RECORD_OUTCOME, project, user),
    }
    common = {"project": project, "user": user, "people": People(project)}
    outcome_forms = [
        (review, ReviewOutcomeForm(review=review, **common))
        for review in reviews
        if may["outcome"]
        and not review.outcome
        and not review.cancelled
        and review.scheduled_date <= today
    ]
    return {
        "closeout": {
            "today": today,
            "visits": visits,
            "follow_ups": follow_ups,
            "overdue": sum(1 for a in follow_ups if a.state == "overdue"),
            "periods": periods,
            "other_reports": other_reports,
            "under_way": under_way,
            "missing": sum(1 for p in periods if p.missing) if under_way else 0,
            "every_months": schedule.months_per_period(project),
            "money": figures,
            "advance_limit": disbursements.advance_limit(project),
            "disbursements": payments,
            "released": (project.approved_amount or 0) - project.settled_amount
            if project.settled_amount is not None
            else None,
            "reviews": reviews,
            "visit_form": VisitForm(**common) if may["visit"] else None,
            "report_form": ProgressReportForm(periods=periods, **common) if may["report"] else None,
            "disburse_form": DisbursementForm(figures=figures, **common)
            if may["disburse"]
            else None,
            "review_form": ReviewScheduleForm(**common) if may["review"] else None,
            "outcome_forms": outcome_forms,
            "complete_form": CompleteActionForm(),
        }
    }


# --- forms that record work -----------------------------------------------------------------


def _project(request, pk) -> Project:
    qs = Project.objects.for_list()
    return access.get_scoped_or_404(qs, request.user, pk=pk)


def _fresh(project: Project) -> Project:
    return Project.objects.for_list().get(pk=project.pk)


def _anchored(project: Project, anchor: str) -> str:
    return f"{project.get_absolute_url()}#{anchor}"


def _record(
    request,
    project: Project,
    form_class,
    *,
    anchor: str,
    refused: Callable[[Project], str | None],
    label: str,
    **form_kwargs,
):
    """Check, validate, call the rule through `form.save()`, redirect with a message.

    A refusal of the task itself (role, scope, state) sends the user back to the project with
    the reason; a refusal of what was typed shows the form again with the reason on it.
    """
    access.require_edit(request.user)
    reason = refused(project)
    if reason:
        messages.error(request, reason)
        return redirect(_anchored(project, anchor))
    form = form_class(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        project=project,
        user=request.user,
        **form_kwargs,
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = form.save()
        except TransitionError as error:
            # The project may have moved on meanwhile: then the task itself is refused.
            reason = refused(_fresh(project))
            if reason:
                messages.error(request, reason)
                return redirect(_anchored(project, anchor))
            form.add_error(None, str(error))
        else:
            messages.success(request, form.success_message(result))
            return redirect(_anchored(project, anchor))
    return render(
        request,
        "projects/closeout/task.html",
        {"project": project, "form": form, "label": label, "anchor": anchor},
    )


def _task(task, anchor, form_class):
    @login_required
    def view(request, pk):
        project = _project(request, pk)
        return _record(
            request,
            project,
            form_class,
            anchor=anchor,
            refused=lambda p: _refusal(task, p, request.user),
            label=str(task.label),
        )

    view.__name__ = form_class.slug
    return view


record_visit = _task(steps.RECORD_VISIT, MONITORING, VisitForm)
file_report = _task(steps.FILE_REPORT, REPORTS, ProgressReportForm)
disburse = _task(disbursements.DISBURSE, MONEY, DisbursementForm)
schedule_review = _task(steps.SCHEDULE_REVIEW, ACCEPTANCE, ReviewScheduleForm)


@login_required
def review_outcome(request, pk, review_pk):
    project = _project(request, pk)
    review = get_object_or_404(project.acceptance_reviews.all(), pk=review_pk)

    def refused(current: Project) -> str | None:
        reason = _refusal(steps.RECORD_OUTCOME, current, request.user)
        if reason:
            return reason
        review.refresh_from_db(fields=["outcome"])
        if review.outcome:
            return _("Buổi nghiệm thu ngày %(date)s đã được ghi nhận kết quả “%(outcome)s”.") % {
                "date": dmy(review.scheduled_date),
                "outcome": review.get_outcome_display(),
            }
        return None

    return _record(
        request,
        project,
        ReviewOutcomeForm,
        anchor=ACCEPTANCE,
        refused=refused,
        label=_("%(task)s ngày %(date)s")
        % {"task": steps.RECORD_OUTCOME.label, "date": dmy(review.scheduled_date)},
        review=review,
    )


@login_required
@require_POST
def complete_follow_up(request, pk, action_pk):
    project = _project(request, pk)
    access.require_edit(request.user)
    action = get_object_or_404(
        project.follow_up_actions.select_related("owner", "done_by"), pk=action_pk
    )
    try:
        # The rule checks who may, then that a note was written: one message either way.
        steps.complete_action(action=action, by=request.user, note=request.POST.get("note", ""))
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Đã đánh dấu hoàn thành việc “%(what)s”.")
            % {"what": action.description[:80].rstrip(".")},
        )
    return redirect(_anchored(project, MONITORING))


# --- corrections ----------------------------------------------------------------------------


def _why_not(check: Callable[[], None]) -> str | None:
    try:
        check()
    except TransitionError as error:
        return str(error)
    return None


def _closed(record) -> str | None:
    """Why a cancelled (or done, or decided) record is no longer corrected, or None."""
    if getattr(record, "cancelled_at", None) is not None:
        return _("Mục này đã bị hủy (lý do: %(reason)s).") % {"reason": record.cancel_reason}
    if getattr(record, "done_at", None) is not None:
        return _("Việc này đã hoàn thành: không sửa, hủy được.")
    if getattr(record, "outcome", ""):
        return _("Buổi nghiệm thu đã có kết quả: không sửa, hủy được lịch.")
    return None


def _correction(request, pk, *, related, record_pk, form_class, anchor, label, check, **kwargs):
    """A correction page: the record of this project (404 otherwise), who may (re-checked by
    the rule), then the form through `_record`."""
    project = _project(request, pk)
    record = get_object_or_404(getattr(project, related).all(), pk=record_pk)

    def refused(current: Project) -> str | None:
        record.refresh_from_db()
        return _closed(record) or _why_not(lambda: check(current, record))

    return _record(
        request,
        project,
        form_class,
        anchor=anchor,
        refused=refused,
        label=label,
        record=record,
        **kwargs,
    )


@login_required
def edit_review(request, pk, review_pk):
    return _correction(
        request,
        pk,
        related="acceptance_reviews",
        record_pk=review_pk,
        form_class=ReviewEditForm,
        anchor=ACCEPTANCE,
        label=str(steps.EDIT_REVIEW[1]),
        check=lambda current, record: steps.check_task(steps.CORRECT, current, request.user),
    )


@login_required
def cancel_review(request, pk, review_pk):
    return _correction(
        request,
        pk,
        related="acceptance_reviews",
        record_pk=review_pk,
        form_class=CancelForm,
        anchor=ACCEPTANCE,
        label=str(steps.CANCEL_REVIEW.label),
        check=lambda current, record: steps.check_task(steps.CANCEL_REVIEW, current, request.user),
        cancel=lambda record, by, reason: steps.cancel_review(review=record, by=by, reason=reason),
    )


@login_required
def edit_visit(request, pk, visit_pk):
    return _correction(
        request,
        pk,
        related="monitoring_visits",
        record_pk=visit_pk,
        form_class=VisitEditForm,
        anchor=MONITORING,
        label=str(steps.EDIT_VISIT[1]),
        check=lambda current, record: steps.check_correction(
            current, request.user, author_id=record.created_by_id
        ),
    )


@login_required
def cancel_visit(request, pk, visit_pk):
    return _correction(
        request,
        pk,
        related="monitoring_visits",
        record_pk=visit_pk,
        form_class=CancelForm,
        anchor=MONITORING,
        label=str(steps.CANCEL_VISIT[1]),
        check=lambda current, record: steps.check_task(steps.CORRECT, current, request.user),
        cancel=lambda record, by, reason: steps.cancel_visit(visit=record, by=by, reason=reason),
    )


@login_required
def edit_follow_up(request, pk, action_pk):
    return _correction(
        request,
        pk,
        related="follow_up_actions",
        record_pk=action_pk,
        form_class=FollowUpEditForm,
        anchor=MONITORING,
        label=str(steps.EDIT_FOLLOW_UP[1]),
        check=lambda current, record: steps.check_correction(
            current,
            request.user,
            author_id=record.visit.created_by_id if record.visit_id else None,
        ),
    )


@login_required
def cancel_follow_up(request, pk, action_pk):
    return _correction(
        request,
        pk,
        related="follow_up_actions",
        record_pk=action_pk,
        form_class=CancelForm,
        anchor=MONITORING,
        label=str(steps.CANCEL_FOLLOW_UP[1]),
        check=lambda current, record: steps.check_task(steps.CORRECT, current, request.user),
        cancel=lambda record, by, reason: steps.cancel_follow_up(
            action=record, by=by, reason=reason
        ),
    )


@login_required
def edit_report(request, pk, report_pk):
    return _correction(
        request,
        pk,
        related="progress_reports",
        record_pk=report_pk,
        form_class=ReportEditForm,
        anchor=REPORTS,
        label=str(steps.EDIT_REPORT[1]),
        check=lambda current, record: steps.check_correction(
            current, request.user, author_id=record.submitted_by_id
        ),
    )


@login_required
def cancel_report(request, pk, report_pk):
    return _correction(
        request,
        pk,
        related="progress_reports",
        record_pk=report_pk,
        form_class=CancelForm,
        anchor=REPORTS,
        label=str(steps.CANCEL_REPORT[1]),
        check=lambda current, record: steps.check_task(steps.CORRECT, current, request.user),
        cancel=lambda record, by, reason: steps.cancel_report(report=record, by=by, reason=reason),
    )


def _check_reversible(current: Project, user, record) -> None:
    steps.check_task(disbursements.REVERSE, current, user)
    if record.is_reversal:
        raise TransitionError(_("Dòng này là bút toán ghi đảo, không ghi đảo lại được."))
    if record.__class__.objects.filter(reverses=record).exists():
        raise TransitionError(_("Khoản chi này đã được ghi đảo."))


@login_required
def reverse_disbursement(request, pk, disbursement_pk):
    return _correction(
        request,
        pk,
        related="disbursements",
        record_pk=disbursement_pk,
        form_class=ReversalForm,
        anchor=MONEY,
        label=str(disbursements.REVERSE.label),
        check=lambda current, record: _check_reversible(current, request.user, record),
    )


# --- follow-through lists -------------------------------------------------------------------


def _page(request, rows):
    return Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_safe
def upcoming_reviews(request):
    """Acceptance reviews scheduled from today on whose outcome is not recorded yet."""
    today = timezone.localdate()
    qs = (
        AcceptanceReview.objects.filter(
            outcome="", cancelled_at__isnull=True, scheduled_date__gte=today
        )
        .exclude(project__status__in=CLOSED)
        .select_related(
            "project__locality__current",
            "project__facility",
            "project__funding_source",
            "project__activity_type",
        )
        .prefetch_related(
            Prefetch("members", queryset=CouncilMember.objects.select_related("user"))
        )
        .order_by("scheduled_date", "pk")
    )
    qs = access.scope_by_locality(qs, request.user, field="project__locality")
    filterset = ReviewFilter(request.GET or None, queryset=qs, request=request)
    page = _page(request, filterset.qs)
    for review in page.object_list:
        review.days_left = (review.scheduled_date - today).days
    return render(
        request,
        "projects/closeout/upcoming_reviews.html",
        {"filter": filterset, "page": page, "today": today},
    )


@login_required
@require_safe
def overdue_actions(request):
    """Follow-up actions not done by their due date, on projects still open."""
    today = timezone.localdate()
    qs = (
        FollowUpAction.objects.filter(
            done_at__isnull=True, cancelled_at__isnull=True, due_date__lt=today
        )
        .exclude(project__status__in=CLOSED)
        .select_related(
            "project__locality__current",
            "project__facility",
            "project__funding_source",
            "owner",
            "visit",
        )
        .order_by("due_date", "pk")
    )
    qs = access.scope_by_locality(qs, request.user, field="project__locality")
    filterset = FollowUpFilter(request.GET or None, queryset=qs, request=request)
    page = _page(request, filterset.qs)
    for action in page.object_list:
        action.days_late = (today - action.due_date).days
    return render(
        request,
        "projects/closeout/overdue_actions.html",
        {"filter": filterset, "page": page, "today": today},
    )


@login_required
@require_safe
def missing_reports(request):
    """Projects under way with at least one report period past its due day and no report.

    The candidates and all their reports are two queries; the schedule is computed in Python.
    """
    today = timezone.localdate()
    grace = settings.REMIND_REPORT_GRACE_DAYS
    qs = Project.objects.for_list().filter(
        status__in=steps.UNDER_WAY, start_date__lt=today - datetime.timedelta(days=grace)
    )
    qs = access.scope_by_locality(qs, request.user)
    filterset = MissingReportFilter(request.GET or None, queryset=qs, request=request)
    projects = filterset.qs.prefetch_related(
        Prefetch(
            "progress_reports",
            queryset=ProgressReport.objects.only(
                "id", "project_id", "period_start", "cancelled_at"
            ),
        )
    )
    rows = []
    for project in projects:
        missing = schedule.missing_periods(project, today, grace_days=grace)
        if missing:
            rows.append((project, missing))
    rows.sort(key=lambda row: (row[1][0].due, row[0].code))
    return render(
        request,
        "projects/closeout/missing_reports.html",
        {"filter": filterset, "page": _page(request, rows), "today": today},
    )
