"""Exceptions to the order of steps that a manager grants for one project, with a reason.

Where the law allows an exception (an advance above the usual share, on a justified request) or
is silent (the progress needed before an acceptance request), the portal's default rule may be
set aside for one project: a manager states the rule, for the advance limit the amount, and the
reason. The exception is kept (RuleException) and written into the project's history; the rule
functions in steps.py and disbursements.py consult it.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khuyencong import access
from khuyencong.models import Role, User
from khuyencong.money import format_vnd
from projects.applications.workflow import TransitionError, record_event
from projects.models import ExceptionRule, Project, RuleException

GRANT_EXCEPTION = "grant_exception"
EVENT_LABELS = {GRANT_EXCEPTION: gettext_lazy("Cho phép ngoại lệ quy tắc")}


def may_grant(project: Project, user: User) -> bool:
    return (
        access.has_role(user, Role.MANAGER)
        and access.locality_in_scope(user, project.locality)
        and not project.is_closed
        and project.approved_amount is not None
    )


def grant_exception(
    *, project: Project, by: User, rule: str, reason: str, amount: int | None = None
) -> RuleException:
    """A manager allows one project to pass `rule`; for the advance limit, up to `amount`."""
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if not access.has_role(by, Role.MANAGER):
            raise TransitionError(_("Chỉ Lãnh đạo được cho phép ngoại lệ quy tắc."))
        if not access.locality_in_scope(by, locked.locality):
            raise TransitionError(_("Đề án này không thuộc địa bàn bạn phụ trách."))
        if locked.is_closed or locked.approved_amount is None:
            raise TransitionError(
                _("Chỉ cho phép ngoại lệ với đề án đã phê duyệt và chưa kết thúc.")
            )
        if rule not in ExceptionRule.values:
            raise TransitionError(
                _("Hãy chọn quy tắc: %(choices)s.")
                % {"choices": ", ".join(str(label) for label in ExceptionRule.labels)}
            )
        reason = (reason or "").strip()
        if not reason or "\x00" in reason:
            raise TransitionError(_("Hãy ghi lý do cho phép ngoại lệ."))
        label = ExceptionRule(rule).label
        if rule == ExceptionRule.ADVANCE_LIMIT:
            approved = locked.approved_amount
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise TransitionError(
                    _("Hãy nhập số tiền được phép giải ngân trước nghiệm thu (đồng).")
                )
            if amount > approved:
                raise TransitionError(
                    _(
                        "Số tiền được phép (%(amount)s) không được vượt kinh phí được phê duyệt "
                        "(%(approved)s)."
                    )
                    % {"amount": format_vnd(amount), "approved": format_vnd(approved)}
                )
            comment = _("%(rule)s: đến %(amount)s. Lý do: %(reason)s") % {
                "rule": label,
                "amount": format_vnd(amount),
                "reason": reason,
            }
        else:
            amount = None
            comment = _("%(rule)s. Lý do: %(reason)s") % {"rule": label, "reason": reason}
        exception = RuleException.objects.create(
            project=locked, rule=rule, amount=amount, reason=reason, granted_by=by
        )
        record_event(locked, action=GRANT_EXCEPTION, by=by, comment=comment)
    return exception
