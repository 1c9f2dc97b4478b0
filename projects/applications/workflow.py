"""The life of a project application, one function per transition.

Each transition checks the user's role and scope and the project's state, then changes the state
under a row lock and records who, when and why (ProjectEvent). A refused transition raises
`TransitionError` with a message for the user; views show it, never a 500.

    draft → submitted → (returned → submitted …) → appraised → approved | rejected
    approved → … (close-out, projects/closeout/steps.py); cancelled from any open state.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from khuyencong import access
from khuyencong.models import Role, User
from khuyencong.money import format_vnd
from khuyencong.stored_text import source
from projects.applications import norms
from projects.models import (
    Allocation,
    CodeSequence,
    DeadlineCode,
    LegalDeadline,
    Project,
    ProjectEvent,
    Status,
)
from projects.planning.budget import remaining_for


class TransitionError(Exception):
    """A refused action; `str(error)` is the Vietnamese message for the user."""


# Sent inside the transaction of every step taken on a project (a transition or an event), with
# `project`, `event` (the ProjectEvent, or None for work that logs none), `by` and any details
# the step adds (e.g. `follow_ups`, `review`, `disbursement`). projects/process/turns.py tells
# the people whose turn it is; it reads the committed state only through the outbox.
step_taken = Signal()


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    roles: frozenset
    sources: frozenset
    target: str
    style: str = "primary"


OPEN_STATUSES = frozenset(
    {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.RETURNED,
        Status.APPRAISED,
        Status.APPROVED,
        Status.IN_PROGRESS,
        Status.AWAITING_ACCEPTANCE,
        Status.ACCEPTED,
    }
)

ACTIONS: dict[str, Action] = {}


def register(action: Action) -> Action:
    ACTIONS[action.name] = action
    return action


SUBMIT = register(
    Action(
        "submit",
        gettext_lazy("Nộp đề án"),
        frozenset({Role.DISTRICT_OFFICER, Role.CENTRE_STAFF}),
        frozenset({Status.DRAFT, Status.RETURNED}),
        Status.SUBMITTED,
    )
)
RETURN = register(
    Action(
        "return",
        gettext_lazy("Trả lại"),
        frozenset({Role.CENTRE_STAFF}),
        frozenset({Status.SUBMITTED}),
        Status.RETURNED,
        "warning",
    )
)
APPRAISE = register(
    Action(
        "appraise",
        gettext_lazy("Thẩm định"),
        frozenset({Role.CENTRE_STAFF}),
        frozenset({Status.SUBMITTED}),
        Status.APPRAISED,
    )
)
APPROVE = register(
    Action(
        "approve",
        gettext_lazy("Phê duyệt"),
        frozenset({Role.MANAGER}),
        frozenset({Status.APPRAISED}),
        Status.APPROVED,
        "success",
    )
)
REJECT = register(
    Action(
        "reject",
        gettext_lazy("Không phê duyệt"),
        frozenset({Role.MANAGER}),
        frozenset({Status.APPRAISED}),
        Status.REJECTED,
        "danger",
    )
)
CANCEL = register(
    Action(
        "cancel",
        gettext_lazy("Hủy đề án"),
        frozenset({Role.CENTRE_STAFF, Role.MANAGER}),
        OPEN_STATUSES,
        Status.CANCELLED,
        "outline-danger",
    )
)


def may(action: Action, project: Project, user: User) -> bool:
    """Whether `user` may take `action` on `project` now (role, scope and state)."""
    return (
        project.status in action.sources
        and access.has_role(user, *action.roles)
        and access.locality_in_scope(user, project.locality)
    )


def available_actions(project: Project, user: User) -> list[Action]:
    return [action for action in ACTIONS.values() if may(action, project, user)]


def check_allowed(action: Action, project: Project, user: User) -> None:
    if not access.has_role(user, *action.roles):
        raise TransitionError(
            _("Bạn không có quyền “%(action)s”. Thao tác này dành cho: %(roles)s.")
            % {"action": action.label, "roles": ", ".join(access.role_labels(action.roles))}
        )
    if not access.locality_in_scope(user, project.locality):
        raise TransitionError(_("Đề án này không thuộc địa bàn bạn phụ trách."))
    if project.status not in action.sources:
        raise TransitionError(
            _("Không thể “%(action)s” khi đề án đang ở trạng thái “%(status)s”.")
            % {"action": action.label, "status": project.get_status_display()}
        )


def record_transition(
    project: Project, *, action: Action, by: User, comment: str = "", **changes
) -> Project:
    """Lock the row, re-check the rules against its current state, apply `changes`, log.

    Call inside `transaction.atomic()`. Returns the locked, updated project.
    """
    locked = Project.objects.select_for_update().get(pk=project.pk)
    check_allowed(action, locked, by)
    from_status = locked.status
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.status = action.target
    locked.status_changed_at = timezone.now()
    locked._change_reason = source(action.label)  # shown in the reader's language
    locked.save()
    event = ProjectEvent.objects.create(
        project=locked,
        action=action.name,
        from_status=from_status,
        to_status=action.target,
        actor=by,
        comment=comment,
    )
    step_taken.send(sender=Project, project=locked, event=event, by=by)
    return locked


def record_event(
    project: Project, *, action: str, by: User, comment: str = "", **details
) -> ProjectEvent:
    """A decision that does not change the state (e.g. a norm override); `details` go to the
    `step_taken` receivers (the records the step created)."""
    event = ProjectEvent.objects.create(
        project=project,
        action=action,
        from_status=project.status,
        to_status=project.status,
        actor=by,
        comment=comment,
    )
    step_taken.send(sender=Project, project=project, event=event, by=by, **details)
    return event


# --- order of steps -------------------------------------------------------------------------


def dmy(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


def filed_after(project: Project) -> list[tuple[datetime.date | None, str]]:
    """The step a decision follows: the filing of the application."""
    return [(project.submitted_on, _("ngày nộp đề án"))]


def check_date_order(
    day: datetime.date,
    what: str,
    *,
    today: datetime.date | None,
    after: list[tuple[datetime.date | None, str]] = (),
) -> None:
    """The rule of the order of steps for one date: not in the future (when `today` is given)
    and not before any step it follows (`after`: (date of that step or None, its name))."""
    if today is not None and day > today:
        raise TransitionError(
            _("Thứ tự các bước: %(what)s (%(day)s) không được sau ngày hôm nay (%(today)s).")
            % {"what": what, "day": dmy(day), "today": dmy(today)}
        )
    for earlier, name in after:
        if earlier is not None and day < earlier:
            raise TransitionError(
                _("Thứ tự các bước: %(what)s (%(day)s) không được trước %(name)s (%(earlier)s).")
                % {"what": what, "day": dmy(day), "name": name, "earlier": dmy(earlier)}
            )


def _require_text(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TransitionError(message)
    return value


# --- creating -------------------------------------------------------------------------------


def next_code(*, funding_source_code: str, year: int) -> str:
    """KCĐP-2026-014: the next number for this source and year, safe under concurrency."""
    sequence, _created = CodeSequence.objects.select_for_update().get_or_create(
        prefix=funding_source_code, year=year
    )
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{funding_source_code}-{year}-{sequence.last:03d}"


def create_project(*, by: User, **fields) -> Project:
    """Create a draft. District officers and centre staff create; the locality must be theirs."""
    if not access.has_role(by, Role.DISTRICT_OFFICER, Role.CENTRE_STAFF):
        raise TransitionError(_("Chỉ cán bộ địa bàn và cán bộ Trung tâm được lập đề án."))
    project = Project(created_by=by, status=Status.DRAFT, **fields)
    if not access.locality_in_scope(by, project.locality):
        raise TransitionError(_("Địa bàn thực hiện không thuộc địa bàn bạn phụ trách."))
    if project.facility_id and not access.locality_in_scope(by, project.facility.locality):
        raise TransitionError(_("Đơn vị thụ hưởng không thuộc địa bàn bạn phụ trách."))
    with transaction.atomic():
        project.code = next_code(funding_source_code=project.funding_source.code, year=project.year)
        project.status_changed_at = timezone.now()
        norms.refresh_limit(project)
        project.save()
        ProjectEvent.objects.create(
            project=project,
            action="create",
            from_status=Status.DRAFT,
            to_status=Status.DRAFT,
            actor=by,
        )
    return project


def can_edit_details(project: Project, user: User) -> bool:
    """The application itself is edited only while it is with its author (draft or returned)."""
    return (
        project.status in {Status.DRAFT, Status.RETURNED}
        and access.has_role(user, Role.DISTRICT_OFFICER, Role.CENTRE_STAFF)
        and access.locality_in_scope(user, project.locality)
    )


def edit_project(*, project: Project, by: User, **fields) -> Project:
    """Change the application while it is with its author.

    A request above the norm is saved all the same (a draft marked "vượt định mức — chờ Lãnh đạo
    cho phép"), so the manager decides on the real figure rather than on a lowered one typed to
    get past the form; submitting is what waits for the override (`submit`).
    """
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if not can_edit_details(locked, by):
            raise TransitionError(_("Đề án vừa được chuyển trạng thái, không sửa được nữa."))
        for name, value in fields.items():
            setattr(locked, name, value)
        norms.refresh_limit(locked)
        locked._change_reason = gettext_noop("Sửa đề án")
        locked.save()
    return locked


# --- the norm and its override --------------------------------------------------------------

# An override matters only while the request is still being decided.
OVERRIDE_STATUSES = frozenset(norms.UNDECIDED)


def require_within_norm(project: Project, *, amount: int) -> norms.NormCheck:
    """Refuse `amount` above the norm at the project's date unless an override covers it.

    Call with the locked row: the override amount read here is the one in force. An override
    covers up to its amount only; a request raised above it needs a new override.
    """
    check = norms.check_project(project, amount=amount)
    if not check.exceeded:
        return check
    allowed = project.norm_override_amount
    if allowed is None:
        raise TransitionError(
            check.message
            + " "
            + _(
                "Lãnh đạo chưa cho phép vượt định mức: hãy giảm kinh phí, hoặc chờ Lãnh đạo "
                "phê duyệt vượt định mức trên trang đề án."
            )
        )
    if amount > allowed:
        raise TransitionError(
            check.message
            + " "
            + _(
                "Lãnh đạo chỉ cho phép vượt định mức đến %(allowed)s; %(amount)s cần Lãnh đạo "
                "phê duyệt vượt định mức lại."
            )
            % {"allowed": format_vnd(allowed), "amount": format_vnd(amount)}
        )
    return check


def override_norm(*, project: Project, by: User, amount: int, reason: str) -> Project:
    """A manager allows the request above the norm up to `amount`, with a reason that is kept.

    Only a request that is above the norm can be overridden, and only while it is being decided.
    The amount is the one the manager typed (the form offers the request as it was shown), never
    the request read at the moment of saving: an officer raising the request meanwhile does not
    get the raised figure allowed.
    """
    if not access.has_role(by, Role.MANAGER):
        raise TransitionError(_("Chỉ Lãnh đạo được phê duyệt vượt định mức."))
    if not access.locality_in_scope(by, project.locality):
        raise TransitionError(_("Đề án này không thuộc địa bàn bạn phụ trách."))
    reason = _require_text(reason, _("Hãy nêu lý do phê duyệt vượt định mức."))
    if amount is None or amount <= 0:
        raise TransitionError(_("Hãy nhập mức kinh phí được phép vượt định mức."))
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.status not in OVERRIDE_STATUSES:
            raise TransitionError(
                _(
                    "Đề án đang ở trạng thái “%(status)s”: chỉ phê duyệt vượt định mức khi đề "
                    "án chưa được phê duyệt."
                )
                % {"status": locked.get_status_display()}
            )
        check = norms.refresh_limit(locked)
        if not check.exceeded:
            raise TransitionError(
                _(
                    "Đề án đang trong định mức: kinh phí đề nghị %(requested)s không vượt "
                    "mức hỗ trợ tối đa %(limit)s, không cần phê duyệt vượt định mức."
                )
                % {
                    "requested": format_vnd(locked.requested_support),
                    "limit": format_vnd(check.limit) if check.limit is not None else "—",
                }
            )
        if amount <= check.limit:
            raise TransitionError(
                _(
                    "Mức được phép (%(amount)s) phải cao hơn mức hỗ trợ tối đa theo định mức "
                    "(%(limit)s)."
                )
                % {"amount": format_vnd(amount), "limit": format_vnd(check.limit)}
            )
        locked.norm_override_amount = amount
        locked.norm_override_reason = reason
        locked.norm_override_by = by
        locked.norm_override_at = timezone.now()
        locked._change_reason = gettext_noop("Phê duyệt vượt định mức")
        locked.save()
        record_event(
            locked,
            action="override_norm",
            by=by,
            comment=_("Cho phép đến %(amount)s: %(reason)s")
            % {"amount": format_vnd(amount), "reason": reason},
        )
    return locked


# --- transitions ----------------------------------------------------------------------------


def submit(*, project: Project, by: User, comment: str = "", today: datetime.date | None = None):
    """Draft or returned → submitted. `today` dates the first filing (decisions may not be
    dated before it; a late national registration is flagged); the norm is checked at the
    project's own date (norms.project_date)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        check_allowed(SUBMIT, locked, by)
        check = require_within_norm(locked, amount=locked.requested_support)
        changes = {"norm_limit": check.limit}
        if locked.submitted_on is None:
            # The first filing dates the application; a resubmission after a return does not.
            changes["submitted_on"] = today
            due = registration_due(locked)
            changes["registered_late"] = due is not None and today > due
        return record_transition(locked, action=SUBMIT, by=by, comment=comment, **changes)


def registration_due(project: Project, rules: dict | None = None) -> datetime.date | None:
    """For a national project: the registration deadline of its plan year (else None).
    `rules`: the deadlines by code when the caller read them already (LegalDeadline.lookup_all).
    """
    if not project.funding_source.is_national:
        return None
    code = DeadlineCode.NATIONAL_REGISTRATION
    rule = LegalDeadline.lookup(code) if rules is None else rules.get(code)
    return rule.due_for(project.year) if rule else None


def return_for_revision(*, project: Project, by: User, reason: str):
    reason = _require_text(reason, _("Hãy nêu lý do trả lại để cơ sở, địa bàn bổ sung."))
    with transaction.atomic():
        return record_transition(
            project, action=RETURN, by=by, comment=reason, return_reason=reason
        )


def appraise(
    *,
    project: Project,
    by: User,
    recommended_amount: int,
    opinion: str,
    no_conflict: bool,
):
    opinion = _require_text(opinion, _("Hãy nhập ý kiến thẩm định."))
    if not no_conflict:
        raise TransitionError(
            _("Người thẩm định phải cam kết không có xung đột lợi ích với đề án này.")
        )
    if recommended_amount is None or recommended_amount <= 0:
        raise TransitionError(_("Kinh phí đề xuất hỗ trợ phải lớn hơn 0."))
    if recommended_amount > project.requested_support:
        raise TransitionError(
            _("Kinh phí đề xuất hỗ trợ không được vượt kinh phí đề nghị (%(requested)s).")
            % {"requested": format_vnd(project.requested_support)}
        )
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        check_allowed(APPRAISE, locked, by)
        check = require_within_norm(locked, amount=recommended_amount)
        return record_transition(
            locked,
            action=APPRAISE,
            by=by,
            comment=opinion,
            recommended_amount=recommended_amount,
            appraisal_opinion=opinion,
            appraised_by=by,
            appraised_at=timezone.now(),
            no_conflict_declared=True,
            norm_limit=check.limit,
        )


def approve(
    *,
    project: Project,
    by: User,
    decision_number: str,
    decision_date: datetime.date,
    approved_amount: int,
    allocation: Allocation,
    comment: str = "",
    today: datetime.date | None = None,
):
    today = today or timezone.localdate()
    decision_number = _require_text(decision_number, _("Hãy nhập số quyết định phê duyệt."))
    if decision_date is None:
        raise TransitionError(_("Hãy nhập ngày quyết định phê duyệt."))
    check_date_order(
        decision_date, _("Ngày quyết định phê duyệt"), today=today, after=filed_after(project)
    )
    if approved_amount is None or approved_amount <= 0:
        raise TransitionError(_("Kinh phí được phê duyệt phải lớn hơn 0."))
    if approved_amount > project.requested_support:
        raise TransitionError(
            _("Kinh phí được phê duyệt không được vượt kinh phí đề nghị hỗ trợ (%(amount)s).")
            % {"amount": format_vnd(project.requested_support)}
        )
    if allocation is None:
        raise TransitionError(_("Hãy chọn nguồn kinh phí được giao mà đề án sử dụng."))
    if allocation.funding_source_id != project.funding_source_id:
        raise TransitionError(
            _("Kinh phí được giao phải cùng nguồn kinh phí với đề án (%(source)s).")
            % {"source": project.funding_source.name}
        )
    if allocation.year != project.year:
        raise TransitionError(
            _("Kinh phí được giao phải của năm %(year)s, năm kế hoạch của đề án.")
            % {"year": project.year}
        )
    with transaction.atomic():
        # The allocation row lock serialises approvals that draw on it: the second manager
        # waits here and then sees the first one's approval in the remaining amount.
        Allocation.objects.select_for_update().get(pk=allocation.pk)
        locked = Project.objects.select_for_update().get(pk=project.pk)
        check_allowed(APPROVE, locked, by)
        check = require_within_norm(locked, amount=approved_amount)
        remaining = remaining_for(allocation)
        if approved_amount > remaining:
            raise TransitionError(
                _(
                    "Không đủ kinh phí: %(allocation)s chỉ còn %(remaining)s, "
                    "không thể phê duyệt %(amount)s."
                )
                % {
                    "allocation": allocation,
                    "remaining": format_vnd(remaining),
                    "amount": format_vnd(approved_amount),
                }
            )
        return record_transition(
            locked,
            action=APPROVE,
            by=by,
            comment=comment or decision_number,
            decision_number=decision_number,
            decision_date=decision_date,
            approved_amount=approved_amount,
            allocation=allocation,
            approved_by=by,
            norm_limit=check.limit,
        )


def reject(*, project: Project, by: User, reason: str):
    reason = _require_text(reason, _("Hãy nêu lý do không phê duyệt."))
    with transaction.atomic():
        return record_transition(
            project, action=REJECT, by=by, comment=reason, rejection_reason=reason
        )


def cancel(*, project: Project, by: User, reason: str):
    reason = _require_text(reason, _("Hãy nêu lý do hủy đề án."))
    with transaction.atomic():
        return record_transition(
            project, action=CANCEL, by=by, comment=reason, cancellation_reason=reason
        )
