"""The project page: what every capability knows of one project on one screen (the
application, its status steps, documents, comments, close-out sections, history) and the buttons
of the workflow, each a form that calls its rule function.

This package composes the others (applications, closeout); none of them imports it.
"""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from khuyencong import access
from khuyencong.models import Role
from khuyencong.money import format_vnd
from khuyencong.named_users import NamedUsers
from khuyencong.row_flags import may_have
from projects.applications import norms, workflow
from projects.applications.forms import (
    OUTCOME_INPUTS,
    AppraiseForm,
    ApproveForm,
    CancelForm,
    CommentForm,
    DocumentForm,
    NormOverrideForm,
    RejectForm,
    ReturnForm,
    SubmitForm,
)
from projects.applications.history import history_records, project_history
from projects.applications.views import get_project, may_comment, may_upload
from projects.applications.workflow import TransitionError
from projects.closeout import disbursements, exceptions, steps
from projects.closeout import views as closeout_views
from projects.closeout.forms import (
    GrantExceptionForm,
    RequestAcceptanceForm,
    SettleForm,
    StartForm,
)
from projects.models import (
    DeadlineCode,
    LegalDeadline,
    NormStatus,
    Project,
    Status,
    settlement_due,
    settlement_overdue,
)
from projects.templatetags.detail_tags import with_field_markup

# Workflow action → (form, how to call the rule with the cleaned data, success message).
ACTIONS = {
    "submit": (
        SubmitForm,
        lambda p, u, d: workflow.submit(project=p, by=u, comment=d["comment"]),
    ),
    "return": (
        ReturnForm,
        lambda p, u, d: workflow.return_for_revision(project=p, by=u, reason=d["reason"]),
    ),
    "appraise": (
        AppraiseForm,
        lambda p, u, d: workflow.appraise(
            project=p,
            by=u,
            recommended_amount=d["recommended_amount"],
            opinion=d["opinion"],
            no_conflict=d["no_conflict"],
        ),
    ),
    "approve": (
        ApproveForm,
        lambda p, u, d: workflow.approve(
            project=p,
            by=u,
            decision_number=d["decision_number"],
            decision_date=d["decision_date"],
            approved_amount=d["approved_amount"],
            allocation=d["allocation"],
            comment=d["comment"],
        ),
    ),
    "reject": (
        RejectForm,
        lambda p, u, d: workflow.reject(project=p, by=u, reason=d["reason"]),
    ),
    "cancel": (
        CancelForm,
        lambda p, u, d: workflow.cancel(project=p, by=u, reason=d["reason"]),
    ),
    "override_norm": (
        NormOverrideForm,
        lambda p, u, d: workflow.override_norm(
            project=p, by=u, amount=d["amount"], reason=d["reason"]
        ),
    ),
    "grant_exception": (GrantExceptionForm, lambda p, u, d: _grant_exception(p, u, d)),
    # After approval (projects/closeout/steps.py). Accepting and reopening are not buttons: they
    # follow from the outcome of an acceptance review (steps.REVIEW_ONLY_ACTIONS).
    "start": (
        StartForm,
        lambda p, u, d: steps.start(
            project=p,
            by=u,
            contract_number=d["contract_number"],
            contract_date=d["contract_date"],
            report_every_months=d["report_every_months"],
            comment=d["comment"],
        ),
    ),
    "request_acceptance": (
        RequestAcceptanceForm,
        lambda p, u, d: steps.request_acceptance(project=p, by=u, comment=d["comment"]),
    ),
    "settle": (
        SettleForm,
        lambda p, u, d: steps.settle(
            project=p,
            by=u,
            settled_amount=d["settled_amount"],
            decision_number=d["decision_number"],
            settled_on=d["settled_on"],
            comment=d["comment"],
        ),
    ),
}


def _grant_exception(project: Project, user, data) -> Project:
    exceptions.grant_exception(
        project=project, by=user, rule=data["rule"], amount=data["amount"], reason=data["reason"]
    )
    return project


# Names of events in the timeline that are not workflow actions.
EVENT_LABELS = {
    "create": gettext_lazy("Lập đề án"),
    "override_norm": gettext_lazy("Phê duyệt vượt định mức"),
    **steps.EVENT_LABELS,
    **disbursements.EVENT_LABELS,
    **exceptions.EVENT_LABELS,
}


def _success_message(action: str, project: Project) -> str:
    if action == "override_norm":
        return _(
            "Đã ghi nhận phê duyệt vượt định mức cho đề án %(code)s: được phép đến %(amount)s."
        ) % {"code": project.code, "amount": format_vnd(project.norm_override_amount)}
    if action == "grant_exception":
        return _("Đã ghi nhận ngoại lệ quy tắc cho đề án %(code)s.") % {"code": project.code}
    return _("%(action)s: đề án %(code)s đã chuyển sang “%(status)s”.") % {
        "action": action_label(action),
        "code": project.code,
        "status": project.get_status_display(),
    }


def may_override_norm(project: Project, user, check: norms.NormCheck) -> bool:
    """Offered to a manager only while the request is being decided and is above the norm."""
    return (
        access.has_role(user, Role.MANAGER)
        and project.status in workflow.OVERRIDE_STATUSES
        and check.exceeded
    )


def refusal(name: str, project: Project, user) -> str | None:
    """Why `user` may not take action `name` on `project` now (None: allowed)."""
    if name == "override_norm":
        if not access.has_role(user, Role.MANAGER):
            return _("Chỉ Lãnh đạo được phê duyệt vượt định mức.")
        if project.status not in workflow.OVERRIDE_STATUSES:
            return _(
                "Đề án đang ở trạng thái “%(status)s”: chỉ phê duyệt vượt định mức khi đề án "
                "chưa được phê duyệt."
            ) % {"status": project.get_status_display()}
        if not norms.check_project(project).exceeded:
            return _("Đề án đang trong định mức: không cần phê duyệt vượt định mức.")
        return None
    if name == "grant_exception":
        if exceptions.may_grant(project, user):
            return None
        if not access.has_role(user, Role.MANAGER):
            return _("Chỉ Lãnh đạo được cho phép ngoại lệ quy tắc.")
        return _("Chỉ cho phép ngoại lệ với đề án đã phê duyệt và chưa kết thúc.")
    try:
        workflow.check_allowed(workflow.ACTIONS[name], project, user)
    except TransitionError as error:
        return str(error)
    return None


def action_label(name: str) -> str:
    if name in workflow.ACTIONS:
        return str(workflow.ACTIONS[name].label)
    return str(EVENT_LABELS.get(name, name))


# --- detail ---------------------------------------------------------------------------------


# The main path of a project's life, shown as steps above the detail page.
MAIN_PATH = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.APPRAISED,
    Status.APPROVED,
    Status.IN_PROGRESS,
    Status.AWAITING_ACCEPTANCE,
    Status.ACCEPTED,
    Status.SETTLED,
]


def status_steps(project, events) -> dict:
    """`steps`: (label, kind) per step; kind is done, current, todo, or the off-path state's own
    kind. `steps_key`: (status, kind) per step, all the steps' markup is written from besides the
    language (it is kept per process under it: {% fixed by %})."""
    reached = max(
        (MAIN_PATH.index(e.to_status) for e in events if e.to_status in MAIN_PATH), default=0
    )
    steps = []
    for index, status in enumerate(MAIN_PATH):
        if status == project.status:
            kind = "current"
        elif index <= reached:
            kind = "done"
        else:
            kind = "todo"
        steps.append((status, kind))
    if project.status == Status.RETURNED:
        steps.insert(2, (project.status, "returned"))
    elif project.status == Status.REJECTED:
        steps = steps[:3] + [(project.status, "rejected")]
    elif project.status == Status.CANCELLED:
        steps = steps[: reached + 1] + [(project.status, "cancelled")]
    return {
        "steps": [(Status(status).label, kind) for status, kind in steps],
        "steps_key": tuple(steps),
    }


def _action_forms(project, user):
    forms = []
    for action in workflow.available_actions(project, user):
        if action.name not in ACTIONS:
            continue  # accepting and reopening come from a review outcome, not a button
        form_class, _call = ACTIONS[action.name]
        forms.append((action.name, action.label, action.style, form_class(project=project)))
    return forms


# The lists of the page that are read only when the project has rows in them (an empty one
# costs an index probe in the project's query instead of a query of its own).
LISTS = ("events", "history", "documents", "comments", "rule_exceptions", *closeout_views.LISTS)


@login_required
@require_safe
def project_detail(request, pk):
    # Every user the page names (the project's people, the actors, authors, officers …) is read
    # in one query once the records naming them are read (khuyencong/named_users.py).
    people = NamedUsers()
    project = get_project(request, pk, people=people, lists=LISTS)
    user = request.user
    events = people.want(closeout_views.rows(project, "events", project.events.all()), "actor")
    history = history_records(project, people) if may_have(project, "history") else []
    documents = people.want(
        closeout_views.rows(project, "documents", project.documents.all()), "uploaded_by"
    )
    comments = people.want(
        closeout_views.rows(project, "comments", project.comments.all()), "author"
    )
    rule_exceptions = people.want(
        closeout_views.rows(project, "rule_exceptions", project.rule_exceptions.all()),
        "granted_by",
    )
    # The close-out records read theirs with these (and then reads them all).
    closeout = closeout_views.detail_context(project, user, people=people)
    people.read()
    for event in events:
        event.label = action_label(event.action)
    check = norms.check_project(project)
    # The deadlines the page shows: settlement once accepted, registration of a national project.
    codes = [DeadlineCode.SETTLEMENT] if project.accepted_on else []
    if project.funding_source.is_national:
        codes.append(DeadlineCode.NATIONAL_REGISTRATION)
    rules = LegalDeadline.lookup_all(codes)
    settlement_rule = rules.get(DeadlineCode.SETTLEMENT)
    may_override = may_override_norm(project, user, check)
    may_grant_exception = exceptions.may_grant(project, user)
    may_upload_here, may_comment_here = may_upload(project, user), may_comment(user)
    # The forms of the page are made only when it shows them.
    context = {
        "project": project,
        "actions": _action_forms(project, user),
        "may_edit": workflow.can_edit_details(project, user),
        "may_override": may_override,
        "override_form": NormOverrideForm(project=project) if may_override else None,
        "may_grant_exception": may_grant_exception,
        "exception_form": GrantExceptionForm(project=project) if may_grant_exception else None,
        "rule_exceptions": rule_exceptions,
        "settlement_rule": settlement_rule,
        "settlement_due": settlement_due(project, settlement_rule),
        "settlement_overdue": settlement_overdue(project, settlement_rule, timezone.localdate()),
        "registration_due": workflow.registration_due(project, rules),
        "may_upload": may_upload_here,
        "may_comment": may_comment_here,
        "document_form": DocumentForm() if may_upload_here else None,
        # A blank DocumentForm's fields are a function of the language and the settings alone,
        # which {% fixed %} keys its parts by: written once per process (crispy's templates
        # took a third of the page of a project being decided).
        "document_form_key": "blank DocumentForm" if may_upload_here else None,
        "comment_form": CommentForm() if may_comment_here else None,
        "documents": documents,
        "comments": comments,
        "events": events,
        **status_steps(project, events),
        "history": project_history(project, history),
        "norm_check": check,
        "norm_status": norms.status(project, check),
        "NormStatus": NormStatus,
        "norm_description": check.describe_norm() if check.norm else "",
        "outcomes": [
            (label, getattr(project, name))
            for name, label in _outcome_names(get_language())
            if getattr(project, name)
        ],
        "Status": Status,
    }
    context.update(closeout)
    with_field_markup(*_dialog_forms(context))
    return render(request, "projects/detail.html", context)


@functools.lru_cache(maxsize=16)
def _outcome_names(language: str) -> tuple[tuple[str, str], ...]:
    """The expected outcomes' fields and their names in the active language, `language` (the
    key only): a lazy name looks itself up in every catalogue each time it is written."""
    return tuple((name, str(Project._meta.get_field(name).verbose_name)) for name in OUTCOME_INPUTS)


def _dialog_forms(context: dict) -> list:
    """The forms of the page's dialogs (the workflow buttons' and the close-out tasks')."""
    forms = [form for _name, _label, _style, form in context["actions"]]
    forms += [context["override_form"], context["exception_form"]]  # None when not shown
    tasks = context["closeout"] or {}
    forms += [tasks.get(name) for name in ("visit_form", "report_form", "disburse_form")]
    forms += [tasks.get("review_form"), *(form for _review, form in tasks.get("outcome_forms", ()))]
    return [form for form in forms if form is not None]


# --- workflow actions -----------------------------------------------------------------------


@login_required
def project_action(request, pk, action):
    project = get_project(request, pk)
    access.require_edit(request.user)
    form_class, call = ACTIONS[action]
    reason = refusal(action, project, request.user)
    if reason:
        messages.error(request, reason)
        return redirect(project)
    form = form_class(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            updated = call(project, request.user, form.cleaned_data)
        except TransitionError as error:
            # The state may have changed meanwhile: then the action itself is refused.
            if refusal(action, Project.objects.get(pk=project.pk), request.user):
                messages.error(request, str(error))
                return redirect(project)
            form.add_error(None, str(error))
        else:
            messages.success(request, _success_message(action, updated))
            return redirect(updated)
    label = action_label(action)
    return render(
        request,
        "projects/action.html",
        {"project": project, "form": form, "action": action, "label": label},
    )
