"""Money paid out on an approved project: advances (tạm ứng) and payments (thanh toán).

Rules, all checked under the project's row lock so that two users paying out at the same
moment cannot pass them together (the second waits for the first, then sees its row in the sum):

- everything disbursed stays within the approved amount;
- until the acceptance review has passed (the project is accepted), everything disbursed, advances
  and payments together, stays within the advance limit: the share of the approved amount the
  activity type allows (`ActivityType.max_advance_percent`, e.g. 70% or 30% under
  TT 36/2013/TT-BCT; a conservative default where the law gives no figure). A manager may allow
  more for one project, up to a stated amount, with a recorded reason (exceptions.py);
- advances stay within the advance limit (or the manager's amount) after acceptance too;
- order of steps: no date in the future; an advance not before the approval decision, a payment
  only after the contract and not before its date.

A disbursement is never edited or deleted: a mistake is undone by a reversal (ghi đảo,
`reverse_disbursement`), a new row that takes the amount back in every sum (`SIGNED_AMOUNT` in
projects/models/closeout.py) and leaves both rows, the reason and who did it in the history.

Settlement is projects/closeout/steps.py (`settle`); what it releases to the allocation is summed in
projects/planning/budget.py.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khuyencong.models import Role, User
from khuyencong.money import format_vnd
from projects.applications.workflow import (
    TransitionError,
    check_date_order,
    record_event,
    step_taken,
)
from projects.closeout.steps import Task, check_task
from projects.models import (
    SIGNED_AMOUNT,
    Disbursement,
    DisbursementKind,
    ExceptionRule,
    Project,
    RuleException,
    Status,
)

DISBURSE = Task(
    "disburse",
    gettext_lazy("Giải ngân"),
    frozenset({Role.CENTRE_STAFF, Role.MANAGER}),
    frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE, Status.ACCEPTED}),
)
# Same people and states as paying out: after settlement the books of the project are closed.
REVERSE = Task(
    "reverse_disbursement",
    gettext_lazy("Ghi đảo giải ngân"),
    DISBURSE.roles,
    DISBURSE.sources,
)
EVENT_LABELS = {REVERSE.name: REVERSE.label}


@dataclass
class ProjectMoney:
    """What a project was approved, and what has been paid out of it."""

    approved: int = 0
    advanced: int = 0
    paid: int = 0

    @property
    def disbursed(self) -> int:
        return self.advanced + self.paid

    @property
    def undisbursed(self) -> int:
        return self.approved - self.disbursed


def project_money(project: Project) -> ProjectMoney:
    """The project's figures (1 query)."""
    sums = Disbursement.objects.filter(project=project).aggregate(
        # A reversal keeps the kind of what it reverses and counts negative (SIGNED_AMOUNT).
        advanced=Sum(SIGNED_AMOUNT, filter=Q(kind=DisbursementKind.ADVANCE)),
        paid=Sum(SIGNED_AMOUNT, filter=Q(kind=DisbursementKind.PAYMENT)),
    )
    return ProjectMoney(
        approved=project.approved_amount or 0,
        advanced=sums["advanced"] or 0,
        paid=sums["paid"] or 0,
    )


def money_of(project: Project, rows: Iterable[Disbursement]) -> ProjectMoney:
    """`project_money` from the project's disbursements already read (every one of them, the
    reversals among them), as the project page lists them: no query."""
    money = ProjectMoney(approved=project.approved_amount or 0)
    for row in rows:
        signed = -row.amount if row.reverses_id is not None else row.amount  # SIGNED_AMOUNT
        if row.kind == DisbursementKind.ADVANCE:
            money.advanced += signed
        elif row.kind == DisbursementKind.PAYMENT:
            money.paid += signed
    return money


def advance_limit(project: Project) -> int | None:
    """The most that may be advanced in total, or None when the activity type sets no limit."""
    percent = project.activity_type.max_advance_percent
    if percent is None:
        return None
    return (project.approved_amount or 0) * percent // 100


def excepted_limit(project: Project) -> int | None:
    """The largest amount a manager allowed to be disbursed before acceptance, if any."""
    return (
        RuleException.objects.filter(project=project, rule=ExceptionRule.ADVANCE_LIMIT)
        .order_by("-amount")
        .values_list("amount", flat=True)
        .first()
    )


def limit_before_acceptance(project: Project) -> int | None:
    """The most that may be disbursed in total before the acceptance review has passed."""
    limit = advance_limit(project)
    if limit is None:
        return None
    granted = excepted_limit(project)
    return max(limit, granted) if granted is not None else limit


def disburse(
    *,
    project: Project,
    by: User,
    kind: str,
    date: datetime.date | None,
    amount: int,
    voucher_number: str,
    note: str = "",
    today: datetime.date | None = None,
) -> Disbursement:
    """Record an advance or a payment, within the approved amount and the advance limit."""
    today = today or timezone.localdate()
    with transaction.atomic():
        # Every disbursement of a project takes this lock first, so the sums read below
        # include whatever another user recorded a moment ago.
        locked = Project.objects.select_for_update().get(pk=project.pk)
        check_task(DISBURSE, locked, by)
        if kind not in DisbursementKind.values:
            raise TransitionError(
                _("Hãy chọn loại giải ngân: %(choices)s.")
                % {"choices": ", ".join(str(label) for label in DisbursementKind.labels)}
            )
        if date is None:
            raise TransitionError(_("Hãy nhập ngày chi."))
        advancing = kind == DisbursementKind.ADVANCE
        if not advancing and locked.contract_date is None:
            raise TransitionError(
                _("Thứ tự các bước: chỉ thanh toán sau khi đã ký hợp đồng thực hiện đề án.")
            )
        check_date_order(
            date,
            _("Ngày chi"),
            today=today,
            after=[(locked.decision_date, _("ngày quyết định phê duyệt"))]
            if advancing
            else [(locked.contract_date, _("ngày ký hợp đồng"))],
        )
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise TransitionError(_("Số tiền giải ngân phải lớn hơn 0 đồng."))
        voucher_number = (voucher_number or "").strip()
        if not voucher_number:
            raise TransitionError(_("Hãy nhập số chứng từ."))
        if locked.disbursements.filter(voucher_number=voucher_number).exists():
            raise _voucher_taken(voucher_number)

        figures = project_money(locked)
        if figures.disbursed + amount > figures.approved:
            raise TransitionError(
                _(
                    "Không thể giải ngân %(amount)s: đề án đã giải ngân %(disbursed)s trên "
                    "%(approved)s kinh phí được phê duyệt, chỉ còn được giải ngân %(left)s."
                )
                % {
                    "amount": format_vnd(amount),
                    "disbursed": format_vnd(figures.disbursed),
                    "approved": format_vnd(figures.approved),
                    "left": format_vnd(figures.undisbursed),
                }
            )
        activity = locked.activity_type
        basis = activity.advance_legal_basis
        rule_values = {
            "amount": format_vnd(amount),
            "percent": activity.max_advance_percent,
            "activity": activity.name,
            "basis": (_(" theo %(basis)s") % {"basis": basis}) if basis else "",
        }
        limit = advance_limit(locked)
        # A manager's exception raises the advance limit as well as the limit before acceptance.
        before = limit_before_acceptance(locked)
        if advancing and before is not None and figures.advanced + amount > before:
            raise TransitionError(
                _(
                    "Không thể tạm ứng %(amount)s: tổng tạm ứng sẽ là %(total)s, vượt mức "
                    "tạm ứng tối đa %(percent)s%% kinh phí được phê duyệt (%(limit)s) của "
                    "nội dung “%(activity)s”%(basis)s. Đã tạm ứng %(advanced)s, còn được "
                    "tạm ứng %(left)s."
                )
                % {
                    **rule_values,
                    "total": format_vnd(figures.advanced + amount),
                    "limit": format_vnd(before),
                    "advanced": format_vnd(figures.advanced),
                    "left": format_vnd(max(before - figures.advanced, 0)),
                }
            )
        accepted = locked.status == Status.ACCEPTED
        if not accepted and before is not None and figures.disbursed + amount > before:
            granted = before > (limit or 0)
            raise TransitionError(
                _(
                    "Không thể giải ngân %(amount)s trước khi nghiệm thu đạt: tổng giải ngân sẽ "
                    "là %(total)s, vượt %(allowed)s (%(which)s). Quy tắc: trước nghiệm thu chỉ "
                    "được giải ngân trong mức tạm ứng tối đa %(percent)s%% kinh phí được phê "
                    "duyệt của nội dung “%(activity)s”%(basis)s; phần còn lại thanh toán sau "
                    "nghiệm thu, hoặc Lãnh đạo cho phép ngoại lệ có ghi lý do."
                )
                % {
                    **rule_values,
                    "total": format_vnd(figures.disbursed + amount),
                    "allowed": format_vnd(before),
                    "which": _("mức Lãnh đạo cho phép") if granted else _("mức tạm ứng"),
                }
            )
        disbursement = _create(
            project=locked,
            kind=kind,
            date=date,
            amount=amount,
            voucher_number=voucher_number,
            note=(note or "").strip(),
            created_by=by,
        )
        step_taken.send(
            sender=Project, project=locked, event=None, by=by, disbursement=disbursement
        )
        return disbursement


def _voucher_taken(voucher_number: str) -> TransitionError:
    return TransitionError(
        _("Chứng từ số %(voucher)s đã được nhập cho đề án này.") % {"voucher": voucher_number}
    )


def _create(**fields) -> Disbursement:
    # The rules above run under the project lock, so only a row written outside them could
    # trip the unique voucher constraint; it is still a message, not a 500.
    try:
        with transaction.atomic():
            return Disbursement.objects.create(**fields)
    except IntegrityError as exc:
        raise _voucher_taken(fields["voucher_number"]) from exc


def reverse_disbursement(
    *,
    disbursement: Disbursement,
    by: User,
    reason: str,
    date: datetime.date | None,
    voucher_number: str = "",
    today: datetime.date | None = None,
) -> Disbursement:
    """Undo a disbursement by a new row of the same kind and amount that counts negative.

    A disbursement is reversed at most once (also a one-to-one in the database); a reversal is
    not reversed (record the disbursement again instead); a settled project refuses.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=disbursement.project_id)
        check_task(REVERSE, locked, by)
        original = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
        if original.is_reversal:
            raise TransitionError(
                _(
                    "Dòng này là bút toán ghi đảo, không ghi đảo lại được; nếu cần, hãy nhập "
                    "lại khoản giải ngân."
                )
            )
        existing = Disbursement.objects.filter(reverses=original).first()
        if existing is not None:
            raise TransitionError(
                _("Khoản chi chứng từ số %(voucher)s đã được ghi đảo ngày %(date)s.")
                % {"voucher": original.voucher_number, "date": f"{existing.date:%d/%m/%Y}"}
            )
        reason = (reason or "").strip()
        if not reason or "\x00" in reason:
            raise TransitionError(_("Hãy nêu lý do ghi đảo (được lưu vào lịch sử của đề án)."))
        if date is None:
            raise TransitionError(_("Hãy nhập ngày ghi đảo."))
        if date > today:
            raise TransitionError(
                _("Ngày ghi đảo (%(date)s) không được sau ngày hôm nay (%(today)s).")
                % {"date": f"{date:%d/%m/%Y}", "today": f"{today:%d/%m/%Y}"}
            )
        if date < original.date:
            raise TransitionError(
                _("Ngày ghi đảo (%(date)s) không được trước ngày chi (%(paid)s).")
                % {"date": f"{date:%d/%m/%Y}", "paid": f"{original.date:%d/%m/%Y}"}
            )
        voucher_number = (voucher_number or "").strip()
        if voucher_number and locked.disbursements.filter(voucher_number=voucher_number).exists():
            raise _voucher_taken(voucher_number)
        reversal = _create(
            project=locked,
            kind=original.kind,
            date=date,
            amount=original.amount,
            voucher_number=voucher_number,
            note=reason[:255],
            reverses=original,
            created_by=by,
        )
        record_event(
            locked,
            action=REVERSE.name,
            by=by,
            comment=_(
                "Ghi đảo %(kind)s %(amount)s (chứng từ số %(voucher)s ngày %(paid)s). "
                "Lý do: %(reason)s"
            )
            % {
                "kind": original.get_kind_display().lower(),
                "amount": format_vnd(original.amount),
                "voucher": original.voucher_number,
                "paid": f"{original.date:%d/%m/%Y}",
                "reason": reason,
            },
        )
    return reversal
