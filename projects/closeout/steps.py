"""After approval: the contract, monitoring, progress reports, acceptance review and settlement.

    approved → in_progress (contract signed) → awaiting_acceptance → accepted → settled

An acceptance review that ends "with conditions" or "not accepted" sends the project back to
in_progress with a follow-up action. Cancelling (before settlement) stays in
projects/applications/workflow.py; money paid out is disbursements.py beside this file.

State changes go through `workflow.record_transition` (row lock, role/scope/state re-check, a
ProjectEvent). Work that leaves the state as it is (a visit, a progress report, scheduling a
review) is described by a `Task` and checked the same way under the same row lock, so nothing is
recorded against a project that another user cancelled a moment before.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from khuyencong import access
from khuyencong.models import Role, User
from khuyencong.money import format_vnd
from projects.applications import workflow
from projects.applications.workflow import (
    Action,
    TransitionError,
    check_date_order,
    filed_after,
    record_event,
    record_transition,
    register,
    step_taken,
)
from projects.models import (
    SIGNED_AMOUNT,
    AcceptanceOutcome,
    AcceptanceReview,
    CouncilMember,
    ExceptionRule,
    FollowUpAction,
    MonitoringVisit,
    ProgressReport,
    Project,
    ProjectDocument,
    RuleException,
    Status,
)
from projects.models.closeout import ACCEPTANCE_CHECKLIST

UNDER_WAY = frozenset({Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE})

START = register(
    Action(
        "start",
        gettext_lazy("Ký hợp đồng, bắt đầu thực hiện"),
        frozenset({Role.CENTRE_STAFF}),
        frozenset({Status.APPROVED}),
        Status.IN_PROGRESS,
    )
)
REQUEST_ACCEPTANCE = register(
    Action(
        "request_acceptance",
        gettext_lazy("Đề nghị nghiệm thu"),
        frozenset({Role.DISTRICT_OFFICER, Role.CENTRE_STAFF}),
        frozenset({Status.IN_PROGRESS}),
        Status.AWAITING_ACCEPTANCE,
    )
)
# The next two happen only through `record_review_outcome`; a screen offers the review form,
# not a button of their own (see REVIEW_ONLY_ACTIONS).
ACCEPT = register(
    Action(
        "accept",
        gettext_lazy("Nghiệm thu đạt"),
        frozenset({Role.CENTRE_STAFF, Role.MANAGER}),
        UNDER_WAY,
        Status.ACCEPTED,
        "success",
    )
)
REOPEN = register(
    Action(
        "reopen",
        gettext_lazy("Nghiệm thu chưa đạt, tiếp tục thực hiện"),
        frozenset({Role.CENTRE_STAFF, Role.MANAGER}),
        frozenset({Status.AWAITING_ACCEPTANCE}),
        Status.IN_PROGRESS,
        "warning",
    )
)
SETTLE = register(
    Action(
        "settle",
        gettext_lazy("Quyết toán"),
        frozenset({Role.CENTRE_STAFF, Role.MANAGER}),
        frozenset({Status.ACCEPTED}),
        Status.SETTLED,
        "success",
    )
)
REVIEW_ONLY_ACTIONS = frozenset({ACCEPT.name, REOPEN.name})


@dataclass(frozen=True)
class Task:
    """Work on a project that leaves its state as it is: who may do it, and in which states.

    Shaped like `workflow.Action` without a target: `workflow.may` and `workflow.check_allowed`
    read only `roles`, `sources` and `label`, so they check a task with the same messages.
    """

    name: str
    label: str
    roles: frozenset
    sources: frozenset


SCHEDULE_REVIEW = Task(
    "schedule_review",
    gettext_lazy("Lập lịch nghiệm thu"),
    frozenset({Role.CENTRE_STAFF}),
    UNDER_WAY,
)
RECORD_OUTCOME = Task(
    "review_outcome",
    gettext_lazy("Ghi nhận kết quả nghiệm thu"),
    frozenset({Role.CENTRE_STAFF, Role.MANAGER}),
    UNDER_WAY,
)
RECORD_VISIT = Task(
    "monitoring_visit",
    gettext_lazy("Ghi nhận kiểm tra, giám sát"),
    frozenset({Role.CENTRE_STAFF, Role.DISTRICT_OFFICER}),
    UNDER_WAY,
)
FILE_REPORT = Task(
    "progress_report",
    gettext_lazy("Nộp báo cáo tiến độ"),
    frozenset({Role.CENTRE_STAFF, Role.DISTRICT_OFFICER}),
    UNDER_WAY,
)

# Corrections (sửa, hủy) of close-out records. Centre staff and managers correct any record
# until settlement; the district officer who recorded a visit or filed a report may edit it
# while the work goes on (CORRECT_OWN). Cancelling a review that never got an outcome is
# allowed even after settlement or cancellation: it is how a forgotten schedule is cleared.
CORRECT = Task(
    "correct",
    gettext_lazy("Sửa, hủy hồ sơ thực hiện đề án"),
    frozenset({Role.CENTRE_STAFF, Role.MANAGER}),
    frozenset({Status.APPROVED, *UNDER_WAY, Status.ACCEPTED}),
)
CORRECT_OWN = Task(
    "correct_own",
    gettext_lazy("Sửa hồ sơ do mình ghi nhận"),
    frozenset({Role.CENTRE_STAFF, Role.MANAGER, Role.DISTRICT_OFFICER}),
    UNDER_WAY,
)
CANCEL_REVIEW = Task(
    "cancel_review",
    gettext_lazy("Hủy lịch nghiệm thu"),
    frozenset({Role.CENTRE_STAFF, Role.MANAGER}),
    frozenset({*CORRECT.sources, Status.SETTLED, Status.CANCELLED}),
)

# ProjectEvent actions of the corrections, and their labels in the project's history.
EDIT_REVIEW = ("edit_review", gettext_lazy("Sửa lịch nghiệm thu"))
EDIT_VISIT = ("edit_visit", gettext_lazy("Sửa kiểm tra, giám sát"))
CANCEL_VISIT = ("cancel_visit", gettext_lazy("Hủy kiểm tra, giám sát"))
EDIT_FOLLOW_UP = ("edit_follow_up", gettext_lazy("Sửa việc cần khắc phục"))
CANCEL_FOLLOW_UP = ("cancel_follow_up", gettext_lazy("Hủy việc cần khắc phục"))
EDIT_REPORT = ("edit_report", gettext_lazy("Sửa báo cáo tiến độ"))
CANCEL_REPORT = ("cancel_report", gettext_lazy("Hủy báo cáo tiến độ"))

# Labels of the ProjectEvent actions logged here that are not transitions.
EVENT_LABELS = {
    SCHEDULE_REVIEW.name: SCHEDULE_REVIEW.label,
    RECORD_OUTCOME.name: RECORD_OUTCOME.label,
    CANCEL_REVIEW.name: CANCEL_REVIEW.label,
    **dict(
        [EDIT_REVIEW, EDIT_VISIT, CANCEL_VISIT, EDIT_FOLLOW_UP, CANCEL_FOLLOW_UP]
        + [EDIT_REPORT, CANCEL_REPORT]
    ),
}


def may_do(task: Task, project: Project, user: User) -> bool:
    """Whether `user` may do `task` on `project` now (role, scope and state)."""
    return workflow.may(task, project, user)


def check_task(task: Task, project: Project, user: User) -> None:
    workflow.check_allowed(task, project, user)


def _corrector(project: Project, user: User, author_id: int | None) -> Task:
    """The task under which `user` corrects a record: CORRECT, or CORRECT_OWN for its author."""
    if author_id is not None and author_id == user.pk and not may_do(CORRECT, project, user):
        return CORRECT_OWN
    return CORRECT


def may_correct(project: Project, user: User, *, author_id: int | None = None) -> bool:
    """Whether `user` may edit a close-out record of `project` (`author_id`: who recorded it)."""
    return may_do(_corrector(project, user, author_id), project, user)


def check_correction(project: Project, user: User, *, author_id: int | None = None) -> None:
    check_task(_corrector(project, user, author_id), project, user)


def _reason(reason: str | None) -> str:
    return _text(reason, _("Hãy nêu lý do sửa, hủy (được lưu vào lịch sử của đề án)."))


def _cancel(record, by: User, reason: str) -> None:
    """Mark `record` (a Cancellable) cancelled; its history row keeps who and why."""
    record.cancelled_at = timezone.now()
    record.cancelled_by = by
    record.cancel_reason = reason
    _save(record, by, reason)


def _save(record, by: User, reason: str, update_fields=None) -> None:
    # django-simple-history reads these for the historical row it writes on save.
    record._history_user = by
    record._change_reason = reason[:100]
    record.save(update_fields=update_fields)


def _refuse_closed(record, what: str) -> None:
    """A cancelled record cannot be corrected again."""
    if record.cancelled_at is not None:
        raise TransitionError(
            _("%(what)s đã bị hủy lúc %(at)s (lý do: %(reason)s).")
            % {
                "what": what,
                "at": f"{timezone.localtime(record.cancelled_at):%H:%M %d/%m/%Y}",
                "reason": record.cancel_reason,
            }
        )


# --- small checks ---------------------------------------------------------------------------


def _lock(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


def _text(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TransitionError(message)
    if "\x00" in value:
        # Some rules take text straight from a POST; PostgreSQL refuses a NUL byte with a 500.
        raise TransitionError(_("Nội dung có ký tự không hợp lệ (NUL), hãy gõ lại."))
    return value


def _whole(value, message: str, *, maximum: int | None = None) -> int:
    """A whole number ≥ 0 (and ≤ `maximum`), or a refusal with `message`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TransitionError(message)
    if maximum is not None and value > maximum:
        raise TransitionError(message)
    return value


def _percent(value) -> int:
    return _whole(value, _("Tiến độ phải là số nguyên từ 0 đến 100 (%)."), maximum=100)


def _dmy(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


def _check_owner(owner: User | None, project: Project) -> User:
    """A follow-up action's owner must be able to see the project and to record its completion."""
    if owner is None:
        raise TransitionError(_("Hãy chọn người chịu trách nhiệm khắc phục."))
    if not (access.can_edit(owner) and access.locality_in_scope(owner, project.locality)):
        raise TransitionError(
            _(
                "%(name)s không thể chịu trách nhiệm khắc phục: người này không phụ trách "
                "địa bàn của đề án hoặc không có quyền cập nhật. Hãy chọn cán bộ Trung tâm, "
                "Lãnh đạo hoặc cán bộ địa bàn %(locality)s."
            )
            % {"name": owner, "locality": project.locality}
        )
    return owner


def _check_due(due: datetime.date | None, after: datetime.date) -> datetime.date:
    if due is None:
        raise TransitionError(_("Hãy nhập hạn hoàn thành việc cần khắc phục."))
    if due < after:
        raise TransitionError(
            _("Hạn hoàn thành (%(due)s) không được trước ngày %(after)s.")
            % {"due": _dmy(due), "after": _dmy(after)}
        )
    return due


# --- transitions ----------------------------------------------------------------------------


def start(
    *,
    project: Project,
    by: User,
    contract_number: str,
    contract_date: datetime.date | None,
    report_every_months: int | None = None,
    comment: str = "",
    today: datetime.date | None = None,
) -> Project:
    """Approved → in progress, once the implementation contract is signed."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(project)
        workflow.check_allowed(START, locked, by)
        contract_number = _text(contract_number, _("Hãy nhập số hợp đồng thực hiện đề án."))
        if contract_date is None:
            raise TransitionError(_("Hãy nhập ngày ký hợp đồng."))
        check_date_order(
            contract_date,
            _("Ngày ký hợp đồng"),
            today=today,
            after=[
                (locked.decision_date, _("ngày quyết định phê duyệt đề án")),
                *filed_after(locked),
            ],
        )
        changes = {"contract_number": contract_number, "contract_date": contract_date}
        if report_every_months is not None:
            message = _("Kỳ báo cáo tiến độ phải từ 1 đến 12 tháng (để trống: kỳ mặc định).")
            if _whole(report_every_months, message, maximum=12) == 0:
                raise TransitionError(message)
            changes["report_every_months"] = report_every_months
        return record_transition(
            locked,
            action=START,
            by=by,
            comment=comment
            or _("Hợp đồng số %(number)s ngày %(date)s")
            % {"number": contract_number, "date": _dmy(contract_date)},
            **changes,
        )


def progress_shown(project: Project) -> int | None:
    """The highest progress (%) a progress report or a monitoring visit has shown (2 queries)."""
    shown = [
        project.progress_reports.aggregate(top=Max("progress_percent"))["top"],
        project.monitoring_visits.aggregate(top=Max("progress_percent"))["top"],
    ]
    shown = [value for value in shown if value is not None]
    return max(shown) if shown else None


def has_exception(project: Project, rule: str) -> bool:
    return RuleException.objects.filter(project=project, rule=rule).exists()


def request_acceptance(
    *, project: Project, by: User, comment: str = "", today: datetime.date | None = None
) -> Project:
    """In progress → awaiting acceptance: the work is done and ready for the council.

    Order of steps: only after the contract, and only once a progress report or a monitoring
    visit shows settings.ACCEPTANCE_MIN_PROGRESS_PERCENT of the work done. The law is silent on
    the second (domain.md §4.3), so a manager may waive it for one project with a recorded
    reason (rule_exceptions.grant_exception).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(project)
        workflow.check_allowed(REQUEST_ACCEPTANCE, locked, by)
        if locked.contract_date is None:
            raise TransitionError(
                _("Thứ tự các bước: chỉ đề nghị nghiệm thu sau khi đã ký hợp đồng thực hiện.")
            )
        check_date_order(
            today,
            _("Ngày đề nghị nghiệm thu"),
            today=None,
            after=[(locked.contract_date, _("ngày ký hợp đồng"))],
        )
        minimum = settings.ACCEPTANCE_MIN_PROGRESS_PERCENT
        shown = progress_shown(locked)
        if (shown is None or shown < minimum) and not has_exception(
            locked, ExceptionRule.ACCEPTANCE_PROGRESS
        ):
            raise TransitionError(
                _(
                    "Thứ tự các bước: chỉ đề nghị nghiệm thu khi báo cáo tiến độ hoặc biên bản "
                    "kiểm tra cho thấy đã thực hiện ít nhất %(minimum)s%% khối lượng "
                    "(hiện có: %(shown)s). Hãy nộp báo cáo tiến độ, hoặc đề nghị Lãnh đạo cho "
                    "phép ngoại lệ có ghi lý do."
                )
                % {
                    "minimum": minimum,
                    "shown": _("chưa có báo cáo") if shown is None else f"{shown}%",
                }
            )
        return record_transition(
            locked,
            action=REQUEST_ACCEPTANCE,
            by=by,
            comment=comment,
            acceptance_requested_on=today,
        )


def settlement_refusals(
    *,
    project: Project,
    settled_amount,
    decision_number: str | None,
    settled_on: datetime.date | None,
    disbursed: int,
    today: datetime.date,
) -> dict[str, str]:
    """Every reason a settlement as typed is refused, by form field, in the order `settle`
    checks them: the settlement form shows them all at once instead of one per attempt, and
    `settle` refuses with the first one under the project lock."""
    refusals: dict[str, str] = {}

    def check(field: str, rule) -> None:
        try:
            rule()
        except TransitionError as error:
            refusals.setdefault(field, str(error))

    check(
        "decision_number",
        lambda: _text(decision_number, _("Hãy nhập số quyết định phê duyệt quyết toán.")),
    )
    if settled_on is None:
        refusals["settled_on"] = _("Hãy nhập ngày quyết toán.")
    else:
        check(
            "settled_on",
            lambda: check_date_order(
                settled_on,
                _("Ngày quyết toán"),
                today=today,
                after=[(project.accepted_on, _("ngày nghiệm thu"))],
            ),
        )
    approved = project.approved_amount or 0
    check(
        "settled_amount",
        lambda: _whole(settled_amount, _("Kinh phí quyết toán phải là số tiền (đồng) không âm.")),
    )
    if "settled_amount" in refusals:
        return refusals
    if settled_amount > approved:
        refusals["settled_amount"] = _(
            "Kinh phí quyết toán %(settled)s không được vượt kinh phí được phê duyệt %(approved)s."
        ) % {"settled": format_vnd(settled_amount), "approved": format_vnd(approved)}
    elif settled_amount < disbursed:
        refusals["settled_amount"] = _(
            "Kinh phí quyết toán %(settled)s không được nhỏ hơn số đã giải ngân "
            "%(disbursed)s. Phần chênh lệch %(difference)s phải được thu hồi trước khi "
            "quyết toán."
        ) % {
            "settled": format_vnd(settled_amount),
            "disbursed": format_vnd(disbursed),
            "difference": format_vnd(disbursed - settled_amount),
        }
    return refusals


def settle(
    *,
    project: Project,
    by: User,
    settled_amount: int,
    decision_number: str,
    settled_on: datetime.date | None,
    comment: str = "",
    today: datetime.date | None = None,
) -> Project:
    """Accepted → settled. What was approved but not settled returns to the allocation.

    The settled amount lies between what was already paid out (a smaller settlement would need
    the difference recovered first, which the portal does not record) and the approved amount.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        # The project lock also holds back a disbursement being recorded at the same moment.
        locked = _lock(project)
        workflow.check_allowed(SETTLE, locked, by)
        disbursed = locked.disbursements.aggregate(total=Sum(SIGNED_AMOUNT))["total"] or 0
        refusals = settlement_refusals(
            project=locked,
            settled_amount=settled_amount,
            decision_number=decision_number,
            settled_on=settled_on,
            disbursed=disbursed,
            today=today,
        )
        if refusals:
            raise TransitionError(next(iter(refusals.values())))
        decision_number = decision_number.strip()
        approved = locked.approved_amount or 0
        return record_transition(
            locked,
            action=SETTLE,
            by=by,
            comment=comment
            or _("Quyết định %(number)s: quyết toán %(amount)s, hoàn trả dự toán %(released)s")
            % {
                "number": decision_number,
                "amount": format_vnd(settled_amount),
                "released": format_vnd(approved - settled_amount),
            },
            settled_amount=settled_amount,
            settlement_decision_number=decision_number,
            settled_on=settled_on,
        )


# --- acceptance review ----------------------------------------------------------------------


def _council_member(entry: Mapping, number: int) -> CouncilMember:
    user = entry.get("user")
    name = (entry.get("name") or "").strip()
    organisation = (entry.get("organisation") or "").strip()
    council_role = (entry.get("council_role") or "").strip()
    if not council_role:
        raise TransitionError(
            _("Thành viên thứ %(n)s: hãy nhập vai trò trong hội đồng.") % {"n": number}
        )
    if user is not None:
        if not user.is_active:
            raise TransitionError(
                _("Thành viên thứ %(n)s: tài khoản %(name)s đã bị khóa.")
                % {"n": number, "name": user}
            )
        return CouncilMember(user=user, council_role=council_role)
    if not name or not organisation:
        raise TransitionError(
            _(
                "Thành viên thứ %(n)s: chọn người dùng của hệ thống, hoặc nhập họ tên và "
                "đơn vị công tác của thành viên bên ngoài."
            )
            % {"n": number}
        )
    return CouncilMember(name=name, organisation=organisation, council_role=council_role)


def _checklist(checklist: Mapping | None) -> dict[str, bool]:
    known = dict(ACCEPTANCE_CHECKLIST)
    checklist = dict(checklist or {})
    unknown = sorted(set(checklist) - set(known))
    if unknown:
        raise TransitionError(
            _("Hồ sơ không có trong danh mục kiểm tra: %(keys)s.") % {"keys": ", ".join(unknown)}
        )
    return {key: bool(checklist.get(key)) for key in known}


def _review_values(
    project: Project, scheduled_date: datetime.date | None, place: str, members: Iterable[Mapping]
) -> tuple[str, list[CouncilMember]]:
    """The checked place and council seats of a review (scheduling and editing alike)."""
    if scheduled_date is None:
        raise TransitionError(_("Hãy nhập ngày nghiệm thu."))
    check_date_order(
        scheduled_date,
        _("Ngày nghiệm thu"),
        today=None,
        after=[
            (project.contract_date, _("ngày ký hợp đồng")),
            (project.acceptance_requested_on, _("ngày đề nghị nghiệm thu")),
        ],
    )
    place = _text(place, _("Hãy nhập địa điểm nghiệm thu."))
    seats = [_council_member(entry, n) for n, entry in enumerate(members, 1)]
    if not seats:
        raise TransitionError(_("Hội đồng nghiệm thu phải có ít nhất một thành viên."))
    seen = set()
    for seat in seats:
        key = seat.user_id or seat.name.casefold()
        if key in seen:
            raise TransitionError(
                _("%(name)s có tên hai lần trong hội đồng nghiệm thu.")
                % {"name": seat.user or seat.name}
            )
        seen.add(key)
    return place, seats


def schedule_review(
    *,
    project: Project,
    by: User,
    scheduled_date: datetime.date | None,
    place: str,
    members: Iterable[Mapping],
    checklist: Mapping | None = None,
) -> AcceptanceReview:
    """Set the date, place and council of an acceptance review (nghiệm thu).

    `members`: mappings with `council_role` and either `user` (a portal user) or `name` and
    `organisation` (an outside member). `checklist`: {key of ACCEPTANCE_CHECKLIST: present?}.
    """
    with transaction.atomic():
        locked = _lock(project)
        check_task(SCHEDULE_REVIEW, locked, by)
        # One pending review at a time: a second one on top of the first left the first
        # "without outcome" forever. The first gets its outcome, or is cancelled with a reason.
        pending = (
            locked.acceptance_reviews.filter(outcome="", cancelled_at__isnull=True)
            .order_by("scheduled_date", "pk")
            .first()
        )
        if pending is not None:
            raise TransitionError(
                _(
                    "Đề án đã có lịch nghiệm thu ngày %(date)s tại %(place)s chưa có kết quả. "
                    "Hãy ghi nhận kết quả, sửa hoặc hủy lịch đó trước khi lập lịch mới."
                )
                % {"date": _dmy(pending.scheduled_date), "place": pending.place}
            )
        place, seats = _review_values(locked, scheduled_date, place, members)
        review = AcceptanceReview.objects.create(
            project=locked,
            scheduled_date=scheduled_date,
            place=place,
            checklist=_checklist(checklist),
            scheduled_by=by,
        )
        for seat in seats:
            seat.review = review
        CouncilMember.objects.bulk_create(seats)
        record_event(
            locked,
            action=SCHEDULE_REVIEW.name,
            by=by,
            comment=_("Nghiệm thu ngày %(date)s tại %(place)s")
            % {"date": _dmy(scheduled_date), "place": place},
            review=review,
        )
    return review


def record_review_outcome(
    *,
    review: AcceptanceReview,
    by: User,
    outcome: str,
    findings: str = "",
    achieved_jobs_created: int = 0,
    achieved_people_trained: int = 0,
    achieved_employed_after_training: int = 0,
    achieved_managers_trained: int = 0,
    achieved_machines_installed: int = 0,
    achieved_fair_participations: int = 0,
    counterpart_invested: int = 0,
    required_actions: str = "",
    minutes: ProjectDocument | None = None,
    follow_up_owner: User | None = None,
    follow_up_due: datetime.date | None = None,
    today: datetime.date | None = None,
) -> AcceptanceReview:
    """The council's outcome. Accepted → the project is accepted on the review date.

    With conditions or not accepted → the project goes (back) to in progress, and the required
    actions become a follow-up action with an owner and a due date.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        # Project first, then review: the order every writer here takes, so no deadlock.
        locked = _lock(review.project)
        check_task(RECORD_OUTCOME, locked, by)
        review = AcceptanceReview.objects.select_for_update().get(pk=review.pk)
        _refuse_closed(review, _("Lịch nghiệm thu ngày %s") % _dmy(review.scheduled_date))
        if review.outcome:
            raise TransitionError(
                _("Buổi nghiệm thu ngày %(date)s đã được ghi nhận kết quả “%(outcome)s”.")
                % {"date": _dmy(review.scheduled_date), "outcome": review.get_outcome_display()}
            )
        if outcome not in AcceptanceOutcome.values:
            raise TransitionError(
                _("Hãy chọn kết quả nghiệm thu: %(choices)s.")
                % {"choices": ", ".join(str(label) for label in AcceptanceOutcome.labels)}
            )
        if review.scheduled_date > today:
            raise TransitionError(
                _("Chưa đến ngày nghiệm thu (%(date)s): chỉ ghi nhận kết quả sau buổi nghiệm thu.")
                % {"date": _dmy(review.scheduled_date)}
            )
        achieved = {
            "achieved_jobs_created": achieved_jobs_created,
            "achieved_people_trained": achieved_people_trained,
            "achieved_employed_after_training": achieved_employed_after_training,
            "achieved_managers_trained": achieved_managers_trained,
            "achieved_machines_installed": achieved_machines_installed,
            "achieved_fair_participations": achieved_fair_participations,
            "counterpart_invested": counterpart_invested,
        }
        for name, value in achieved.items():
            label = AcceptanceReview._meta.get_field(name).verbose_name
            _whole(
                value,
                _("“%(field)s” phải là số nguyên không âm.") % {"field": label},
            )
        if achieved_employed_after_training > achieved_people_trained:
            raise TransitionError(
                _(
                    "Số người có việc làm sau đào tạo (%(employed)s) không được lớn hơn số "
                    "người được đào tạo (%(trained)s)."
                )
                % {
                    "employed": achieved_employed_after_training,
                    "trained": achieved_people_trained,
                }
            )
        if minutes is not None and minutes.project_id != locked.pk:
            raise TransitionError(_("Biên bản nghiệm thu phải là tài liệu của chính đề án này."))
        findings = (findings or "").strip()
        required_actions = (required_actions or "").strip()
        accepted = outcome == AcceptanceOutcome.ACCEPTED
        owner, due = None, None
        if not accepted:
            findings = _text(findings, _("Hãy nhập nhận xét của hội đồng nghiệm thu."))
            required_actions = _text(
                required_actions,
                _("Hãy nêu nội dung cần bổ sung, hoàn thiện khi nghiệm thu chưa đạt."),
            )
            owner = _check_owner(follow_up_owner, locked)
            due = _check_due(follow_up_due, review.scheduled_date)

        for name, value in achieved.items():
            setattr(review, name, value)
        review.outcome = outcome
        review.findings = findings
        review.required_actions = required_actions
        review.minutes = minutes
        review.recorded_by = by
        review.recorded_at = timezone.now()
        review.save()

        summary = _("Nghiệm thu ngày %(date)s: %(outcome)s") % {
            "date": _dmy(review.scheduled_date),
            "outcome": review.get_outcome_display(),
        }
        if accepted:
            record_transition(
                locked, action=ACCEPT, by=by, comment=summary, accepted_on=review.scheduled_date
            )
            return review
        follow_up = FollowUpAction.objects.create(
            project=locked, description=required_actions, owner=owner, due_date=due
        )
        step_taken.send(sender=Project, project=locked, event=None, by=by, follow_ups=[follow_up])
        comment = f"{summary}. {required_actions}"
        if locked.status == Status.AWAITING_ACCEPTANCE:
            record_transition(locked, action=REOPEN, by=by, comment=comment)
        else:
            # Already in progress: nothing to move, but the outcome belongs in the history.
            record_event(locked, action=RECORD_OUTCOME.name, by=by, comment=comment)
    return review


# --- monitoring -----------------------------------------------------------------------------


def _visit_values(
    project: Project,
    date: datetime.date | None,
    place: str,
    progress_percent: int,
    officers: Iterable[User],
    today: datetime.date,
) -> tuple[str, int, list[User]]:
    """The checked place, progress and officers of a visit (recording and editing alike)."""
    if date is None:
        raise TransitionError(_("Hãy nhập ngày kiểm tra."))
    check_date_order(
        date,
        _("Ngày kiểm tra"),
        today=today,
        after=[(project.contract_date, _("ngày ký hợp đồng"))],
    )
    place = _text(place, _("Hãy nhập địa điểm kiểm tra."))
    progress_percent = _percent(progress_percent)
    officers = list(dict.fromkeys(officers))
    if not officers:
        raise TransitionError(_("Hãy chọn ít nhất một cán bộ kiểm tra."))
    for officer in officers:
        if not (access.can_edit(officer) and access.locality_in_scope(officer, project.locality)):
            raise TransitionError(
                _(
                    "%(name)s không thể là cán bộ kiểm tra: người này không phụ trách "
                    "địa bàn %(locality)s."
                )
                % {"name": officer, "locality": project.locality}
            )
    return place, progress_percent, officers


def record_visit(
    *,
    project: Project,
    by: User,
    date: datetime.date | None,
    place: str,
    progress_percent: int,
    findings: str = "",
    problems: str = "",
    officers: Iterable[User] = (),
    other_participants: str = "",
    actions: Iterable[tuple[str, User, datetime.date]] = (),
    today: datetime.date | None = None,
) -> MonitoringVisit:
    """A monitoring visit and its follow-up actions: (description, owner, due date) each."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(project)
        check_task(RECORD_VISIT, locked, by)
        place, progress_percent, officers = _visit_values(
            locked, date, place, progress_percent, officers, today
        )
        follow_ups = []
        for number, (description, owner, due) in enumerate(actions, 1):
            description = _text(
                description,
                _("Việc cần khắc phục thứ %(n)s: hãy nhập nội dung.") % {"n": number},
            )
            follow_ups.append(
                FollowUpAction(
                    project=locked,
                    description=description,
                    owner=_check_owner(owner, locked),
                    due_date=_check_due(due, date),
                )
            )
        visit = MonitoringVisit.objects.create(
            project=locked,
            date=date,
            place=place,
            progress_percent=progress_percent,
            findings=(findings or "").strip(),
            problems=(problems or "").strip(),
            other_participants=(other_participants or "").strip(),
            created_by=by,
        )
        visit.officers.set(officers)
        for follow_up in follow_ups:
            follow_up.visit = visit
        # With their first history rows, so a later correction shows what it changed.
        bulk_create_with_history(follow_ups, FollowUpAction, default_user=by)
        step_taken.send(
            sender=Project, project=locked, event=None, by=by, visit=visit, follow_ups=follow_ups
        )
    return visit


def may_complete(action: FollowUpAction, user: User) -> bool:
    """The owner, centre staff or a manager (who see the project) mark an action done."""
    if action.done_at is not None or action.cancelled_at is not None or not access.can_edit(user):
        return False
    if not access.locality_in_scope(user, action.project.locality):
        return False
    return user.pk == action.owner_id or access.has_role(user, Role.CENTRE_STAFF, Role.MANAGER)


def complete_action(*, action: FollowUpAction, by: User, note: str) -> FollowUpAction:
    """Mark a follow-up action done, once, with what was done."""
    with transaction.atomic():
        action = FollowUpAction.objects.select_for_update().get(pk=action.pk)
        _refuse_closed(action, _("Việc cần khắc phục này"))
        if action.done_at is not None:
            raise TransitionError(
                _("Việc này đã được đánh dấu hoàn thành lúc %(at)s bởi %(by)s.")
                % {
                    "at": f"{timezone.localtime(action.done_at):%H:%M %d/%m/%Y}",
                    "by": action.done_by or "—",
                }
            )
        if not may_complete(action, by):
            raise TransitionError(
                _(
                    "Chỉ người chịu trách nhiệm (%(owner)s), cán bộ Trung tâm hoặc Lãnh đạo "
                    "được đánh dấu hoàn thành việc cần khắc phục."
                )
                % {"owner": action.owner}
            )
        note = _text(note, _("Hãy ghi kết quả khắc phục."))
        action.done_at = timezone.now()
        action.done_by = by
        action.done_note = note
        action.save(update_fields=["done_at", "done_by", "done_note"])
    return action


def file_progress_report(
    *,
    project: Project,
    by: User,
    period_start: datetime.date | None,
    period_end: datetime.date | None,
    progress_percent: int,
    money_spent: int,
    problems: str = "",
    content: str = "",
    today: datetime.date | None = None,
) -> ProgressReport:
    """A progress report for one period of the project's schedule (one report per period).

    The period comes from the caller (the schedule in schedule.py beside this file); it is only
    checked for sense: ordered, starting no earlier than the project, and already begun.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(project)
        check_task(FILE_REPORT, locked, by)
        if period_start is None or period_end is None:
            raise TransitionError(_("Hãy nhập kỳ báo cáo (từ ngày, đến ngày)."))
        if period_end < period_start:
            raise TransitionError(
                _("Kỳ báo cáo: ngày kết thúc (%(end)s) phải sau ngày bắt đầu (%(start)s).")
                % {"end": _dmy(period_end), "start": _dmy(period_start)}
            )
        began = min(filter(None, [locked.start_date, locked.contract_date]))
        if period_start < began:
            raise TransitionError(
                _("Kỳ báo cáo không được bắt đầu (%(start)s) trước khi đề án bắt đầu (%(began)s).")
                % {"start": _dmy(period_start), "began": _dmy(began)}
            )
        if period_start > today:
            raise TransitionError(
                _("Kỳ báo cáo bắt đầu ngày %(start)s chưa đến, chưa thể nộp báo cáo.")
                % {"start": _dmy(period_start)}
            )
        progress_percent = _percent(progress_percent)
        _whole(money_spent, _("Kinh phí đã sử dụng phải là số tiền (đồng) không âm."))
        try:
            # The unique constraint counts only reports not cancelled.
            with transaction.atomic():
                return ProgressReport.objects.create(
                    project=locked,
                    period_start=period_start,
                    period_end=period_end,
                    progress_percent=progress_percent,
                    money_spent=money_spent,
                    problems=(problems or "").strip(),
                    content=(content or "").strip(),
                    submitted_by=by,
                )
        except IntegrityError as exc:
            raise TransitionError(
                _(
                    "Kỳ báo cáo bắt đầu ngày %(start)s đã có báo cáo tiến độ. Mỗi kỳ chỉ nộp "
                    "một báo cáo."
                )
                % {"start": _dmy(period_start)}
            ) from exc


# --- corrections ----------------------------------------------------------------------------
#
# Each correction takes the project lock first (then the record's, the order every writer here
# takes), re-checks who may, refuses a record already cancelled, keeps the old values in the
# record's history (django-simple-history) and logs a ProjectEvent with the reason, so the
# project's history says who changed what and why. Nothing is deleted.


def _review_summary(review: AcceptanceReview) -> str:
    return _("ngày %(date)s tại %(place)s") % {
        "date": _dmy(review.scheduled_date),
        "place": review.place,
    }


def _pending_review(review: AcceptanceReview) -> AcceptanceReview:
    review = AcceptanceReview.objects.select_for_update().get(pk=review.pk)
    _refuse_closed(review, _("Lịch nghiệm thu ngày %s") % _dmy(review.scheduled_date))
    if review.outcome:
        raise TransitionError(
            _(
                "Buổi nghiệm thu ngày %(date)s đã có kết quả “%(outcome)s”: không sửa, hủy "
                "được lịch đã có kết quả."
            )
            % {"date": _dmy(review.scheduled_date), "outcome": review.get_outcome_display()}
        )
    return review


def edit_review(
    *,
    review: AcceptanceReview,
    by: User,
    reason: str,
    scheduled_date: datetime.date | None,
    place: str,
    members: Iterable[Mapping],
    checklist: Mapping | None = None,
) -> AcceptanceReview:
    """Change the date, place, council or checklist of a review that has no outcome yet."""
    with transaction.atomic():
        locked = _lock(review.project)
        check_task(CORRECT, locked, by)
        review = _pending_review(review)
        reason = _reason(reason)
        place, seats = _review_values(locked, scheduled_date, place, members)
        before = _review_summary(review)
        review.scheduled_date = scheduled_date
        review.place = place
        review.checklist = _checklist(checklist)
        _save(review, by, reason)
        review.members.all().delete()
        for seat in seats:
            seat.review = review
        CouncilMember.objects.bulk_create(seats)
        record_event(
            locked,
            action=EDIT_REVIEW[0],
            by=by,
            comment=_("Lịch nghiệm thu %(before)s → %(after)s. Lý do: %(reason)s")
            % {"before": before, "after": _review_summary(review), "reason": reason},
            review=review,
        )
    return review


def cancel_review(*, review: AcceptanceReview, by: User, reason: str) -> AcceptanceReview:
    """Cancel a review that has no outcome; it no longer blocks scheduling the next one."""
    with transaction.atomic():
        locked = _lock(review.project)
        check_task(CANCEL_REVIEW, locked, by)
        review = _pending_review(review)
        reason = _reason(reason)
        _cancel(review, by, reason)
        record_event(
            locked,
            action=CANCEL_REVIEW.name,
            by=by,
            comment=_("Hủy lịch nghiệm thu %(review)s. Lý do: %(reason)s")
            % {"review": _review_summary(review), "reason": reason},
            review=review,
        )
    return review


def edit_visit(
    *,
    visit: MonitoringVisit,
    by: User,
    reason: str,
    date: datetime.date | None,
    place: str,
    progress_percent: int,
    findings: str = "",
    problems: str = "",
    officers: Iterable[User] = (),
    other_participants: str = "",
    today: datetime.date | None = None,
) -> MonitoringVisit:
    """Correct a visit with the checks of `record_visit`; its follow-ups are corrected apart."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(visit.project)
        visit = MonitoringVisit.objects.select_for_update().get(pk=visit.pk)
        check_correction(locked, by, author_id=visit.created_by_id)
        _refuse_closed(visit, _("Lần kiểm tra ngày %s") % _dmy(visit.date))
        reason = _reason(reason)
        place, progress_percent, officers = _visit_values(
            locked, date, place, progress_percent, officers, today
        )
        before = _("ngày %(date)s, tiến độ %(progress)s%%") % {
            "date": _dmy(visit.date),
            "progress": visit.progress_percent,
        }
        visit.date = date
        visit.place = place
        visit.progress_percent = progress_percent
        visit.findings = (findings or "").strip()
        visit.problems = (problems or "").strip()
        visit.other_participants = (other_participants or "").strip()
        _save(visit, by, reason)
        visit.officers.set(officers)
        record_event(
            locked,
            action=EDIT_VISIT[0],
            by=by,
            comment=_(
                "Kiểm tra %(before)s → ngày %(date)s, tiến độ %(progress)s%%. Lý do: %(reason)s"
            )
            % {
                "before": before,
                "date": _dmy(visit.date),
                "progress": visit.progress_percent,
                "reason": reason,
            },
        )
    return visit


def cancel_visit(*, visit: MonitoringVisit, by: User, reason: str) -> MonitoringVisit:
    """Cancel a visit (e.g. recorded on the wrong project), with its follow-ups not yet done."""
    with transaction.atomic():
        locked = _lock(visit.project)
        check_task(CORRECT, locked, by)
        visit = MonitoringVisit.objects.select_for_update().get(pk=visit.pk)
        _refuse_closed(visit, _("Lần kiểm tra ngày %s") % _dmy(visit.date))
        reason = _reason(reason)
        _cancel(visit, by, reason)
        open_actions = list(
            visit.actions.select_for_update().filter(
                done_at__isnull=True, cancelled_at__isnull=True
            )
        )
        for action in open_actions:
            _cancel(action, by, reason)
        record_event(
            locked,
            action=CANCEL_VISIT[0],
            by=by,
            comment=_(
                "Hủy kiểm tra ngày %(date)s (và %(count)s việc cần khắc phục chưa hoàn thành). "
                "Lý do: %(reason)s"
            )
            % {"date": _dmy(visit.date), "count": len(open_actions), "reason": reason},
        )
    return visit


def edit_follow_up(
    *,
    action: FollowUpAction,
    by: User,
    reason: str,
    description: str,
    owner: User | None,
    due_date: datetime.date | None,
) -> FollowUpAction:
    """Correct what must be done, by whom and by when, while it is not done."""
    with transaction.atomic():
        locked = _lock(action.project)
        action = _lock_action(action)
        author = action.visit.created_by_id if action.visit_id else None
        check_correction(locked, by, author_id=author)
        reason = _reason(reason)
        description = _text(description, _("Hãy nhập nội dung việc cần khắc phục."))
        owner = _check_owner(owner, locked)
        due_date = _check_due(due_date, action.visit.date if action.visit_id else datetime.date.min)
        before = _("“%(what)s”, %(owner)s, hạn %(due)s") % {
            "what": action.description[:80],
            "owner": action.owner,
            "due": _dmy(action.due_date),
        }
        action.description = description
        action.owner = owner
        action.due_date = due_date
        _save(action, by, reason)
        record_event(
            locked,
            action=EDIT_FOLLOW_UP[0],
            by=by,
            comment=_(
                "Việc cần khắc phục %(before)s → “%(what)s”, %(owner)s, hạn %(due)s. "
                "Lý do: %(reason)s"
            )
            % {
                "before": before,
                "what": description[:80],
                "owner": owner,
                "due": _dmy(due_date),
                "reason": reason,
            },
        )
    return action


def _lock_action(action: FollowUpAction) -> FollowUpAction:
    """The follow-up action, locked, refused when done or cancelled."""
    action = FollowUpAction.objects.select_for_update().get(pk=action.pk)
    _refuse_closed(action, _("Việc cần khắc phục này"))
    if action.done_at is not None:
        raise TransitionError(
            _("Việc này đã hoàn thành lúc %(at)s: không sửa, hủy được.")
            % {"at": f"{timezone.localtime(action.done_at):%H:%M %d/%m/%Y}"}
        )
    return action


def cancel_follow_up(*, action: FollowUpAction, by: User, reason: str) -> FollowUpAction:
    """Cancel a follow-up action not done (e.g. no longer needed); it stops being overdue."""
    with transaction.atomic():
        locked = _lock(action.project)
        check_task(CORRECT, locked, by)
        action = _lock_action(action)
        reason = _reason(reason)
        _cancel(action, by, reason)
        record_event(
            locked,
            action=CANCEL_FOLLOW_UP[0],
            by=by,
            comment=_("Hủy việc cần khắc phục “%(what)s”. Lý do: %(reason)s")
            % {"what": action.description[:80], "reason": reason},
        )
    return action


def _report_period(report: ProgressReport) -> str:
    return f"{_dmy(report.period_start)} – {_dmy(report.period_end)}"


def edit_report(
    *,
    report: ProgressReport,
    by: User,
    reason: str,
    progress_percent: int,
    money_spent: int,
    problems: str = "",
    content: str = "",
) -> ProgressReport:
    """Correct the figures and text of a report; a wrong period is cancelled and filed again."""
    with transaction.atomic():
        locked = _lock(report.project)
        report = ProgressReport.objects.select_for_update().get(pk=report.pk)
        check_correction(locked, by, author_id=report.submitted_by_id)
        _refuse_closed(report, _("Báo cáo tiến độ kỳ %s") % _report_period(report))
        reason = _reason(reason)
        progress_percent = _percent(progress_percent)
        _whole(money_spent, _("Kinh phí đã sử dụng phải là số tiền (đồng) không âm."))
        before = (report.progress_percent, report.money_spent)
        report.progress_percent = progress_percent
        report.money_spent = money_spent
        report.problems = (problems or "").strip()
        report.content = (content or "").strip()
        _save(report, by, reason)
        record_event(
            locked,
            action=EDIT_REPORT[0],
            by=by,
            comment=_(
                "Báo cáo tiến độ kỳ %(period)s: %(old_progress)s%%, %(old_money)s → "
                "%(progress)s%%, %(money)s. Lý do: %(reason)s"
            )
            % {
                "period": _report_period(report),
                "old_progress": before[0],
                "old_money": format_vnd(before[1]),
                "progress": progress_percent,
                "money": format_vnd(money_spent),
                "reason": reason,
            },
        )
    return report


def cancel_report(*, report: ProgressReport, by: User, reason: str) -> ProgressReport:
    """Cancel a report: its period is missing again until a new report is filed."""
    with transaction.atomic():
        locked = _lock(report.project)
        check_task(CORRECT, locked, by)
        report = ProgressReport.objects.select_for_update().get(pk=report.pk)
        _refuse_closed(report, _("Báo cáo tiến độ kỳ %s") % _report_period(report))
        reason = _reason(reason)
        _cancel(report, by, reason)
        record_event(
            locked,
            action=CANCEL_REPORT[0],
            by=by,
            comment=_("Hủy báo cáo tiến độ kỳ %(period)s. Lý do: %(reason)s")
            % {"period": _report_period(report), "reason": reason},
        )
    return report
