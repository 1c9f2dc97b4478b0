"""Screens of the project application (đề án): list, export, form, detail, workflow actions,
documents, comments and "Việc của tôi".

Every project comes through `_get_project` (scoped by locality: another locality's project is a
404); every write refuses viewers (403); workflow rules are in projects/workflow.py and a refused
transition comes back as a Vietnamese message, never a 500.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST, require_safe

from khuyencong import access, audit
from khuyencong.models import AuditKind, Role
from projects import closeout, excel, mywork, norms, workflow
from projects.closeout_forms import RequestAcceptanceForm, SettleForm, StartForm
from projects.filters import ProjectFilter
from projects.forms import (
    AppraiseForm,
    ApproveForm,
    CancelForm,
    CommentForm,
    DocumentForm,
    MoneyField,
    NormOverrideForm,
    ProjectForm,
    RejectForm,
    ReturnForm,
    SubmitForm,
)
from projects.models import ActivityType, FundingSource, Project, Status
from projects.views import closeout as closeout_views
from projects.views.history import project_history
from projects.workflow import TransitionError

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
        lambda p, u, d: workflow.override_norm(project=p, by=u, reason=d["reason"]),
    ),
    # After approval (projects/closeout.py). Accepting and reopening are not buttons: they
    # follow from the outcome of an acceptance review (closeout.REVIEW_ONLY_ACTIONS).
    "start": (
        StartForm,
        lambda p, u, d: closeout.start(
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
        lambda p, u, d: closeout.request_acceptance(project=p, by=u, comment=d["comment"]),
    ),
    "settle": (
        SettleForm,
        lambda p, u, d: closeout.settle(
            project=p,
            by=u,
            settled_amount=d["settled_amount"],
            decision_number=d["decision_number"],
            settled_on=d["settled_on"],
            comment=d["comment"],
        ),
    ),
}

# Names of events in the timeline that are not workflow actions.
EVENT_LABELS = {
    "create": gettext_lazy("Lập đề án"),
    "override_norm": gettext_lazy("Phê duyệt vượt định mức"),
    **closeout.EVENT_LABELS,
}


def _get_project(request, pk) -> Project:
    qs = Project.objects.for_list().select_related(
        "allocation__funding_source",
        "created_by",
        "appraised_by",
        "approved_by",
        "norm_override_by",
    )
    return access.get_scoped_or_404(qs, request.user, pk=pk)


def _success_message(action: str, project: Project) -> str:
    if action == "override_norm":
        return _("Đã ghi nhận phê duyệt vượt định mức cho đề án %(code)s.") % {"code": project.code}
    return _("%(action)s: đề án %(code)s đã chuyển sang “%(status)s”.") % {
        "action": action_label(action),
        "code": project.code,
        "status": project.get_status_display(),
    }


# An override matters only while the request is still being decided.
OVERRIDE_STATUSES = {Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPRAISED}


def may_override_norm(project: Project, user) -> bool:
    return access.has_role(user, Role.MANAGER) and project.status in OVERRIDE_STATUSES


def refusal(name: str, project: Project, user) -> str | None:
    """Why `user` may not take action `name` on `project` now (None: allowed)."""
    if name == "override_norm":
        if not access.has_role(user, Role.MANAGER):
            return _("Chỉ Lãnh đạo được phê duyệt vượt định mức.")
        if project.status not in OVERRIDE_STATUSES:
            return _(
                "Đề án đang ở trạng thái “%(status)s”: chỉ phê duyệt vượt định mức khi đề án "
                "chưa được phê duyệt."
            ) % {"status": project.get_status_display()}
        return None
    try:
        workflow.check_allowed(workflow.ACTIONS[name], project, user)
    except TransitionError as error:
        return str(error)
    return None


def action_label(name: str) -> str:
    if name in workflow.ACTIONS:
        return str(workflow.ACTIONS[name].label)
    return str(EVENT_LABELS.get(name, name))


def may_upload(project: Project, user) -> bool:
    return access.can_edit(user) and not project.is_closed


def may_comment(user) -> bool:
    return access.can_edit(user)


# --- list and export ------------------------------------------------------------------------


def _filtered(request):
    return ProjectFilter(
        request.GET or None,
        queryset=access.scope_by_locality(Project.objects.for_list(), request.user),
        request=request,
    )


@login_required
@require_safe
def project_list(request):
    filterset = _filtered(request)
    page = Paginator(filterset.qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/list.html",
        {
            "filter": filterset,
            "page": page,
            "may_create": access.has_role(request.user, Role.DISTRICT_OFFICER, Role.CENTRE_STAFF),
            "sort": request.GET.get("sort", ""),
        },
    )


@login_required
@require_safe
def project_export(request):
    filterset = _filtered(request)
    content = excel.project_list_workbook(filterset.qs, user=request.user)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"danh-muc-de-an-{timezone.localdate():%Y%m%d}.xlsx"
    audit.record(request, AuditKind.EXPORT, obj=filename)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- create and edit ------------------------------------------------------------------------


@access.role_required(Role.DISTRICT_OFFICER, Role.CENTRE_STAFF)
def project_create(request):
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = workflow.create_project(by=request.user, **form.project_fields())
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Đã lập đề án %(code)s (Nháp). Hãy tải hồ sơ lên và nộp đề án khi đủ.")
                % {"code": project.code},
            )
            return redirect(project)
    return render(request, "projects/form.html", {"form": form, "project": None})


@login_required
def project_edit(request, pk):
    project = _get_project(request, pk)
    access.require_edit(request.user)
    if not workflow.can_edit_details(project, request.user):
        messages.error(
            request,
            _(
                "Không sửa được đề án ở trạng thái “%(status)s”: đề án chỉ được sửa khi còn "
                "là Nháp hoặc bị Trả lại để bổ sung, bởi cán bộ địa bàn hoặc cán bộ Trung tâm."
            )
            % {"status": project.get_status_display()},
        )
        return redirect(project)
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            current = Project.objects.select_for_update().get(pk=project.pk)
            if not workflow.can_edit_details(current, request.user):
                messages.error(request, _("Đề án vừa được chuyển trạng thái, không sửa được nữa."))
                return redirect(project)
            edited = form.save(commit=False)
            edited._change_reason = _("Sửa đề án")
            edited.save()
        messages.success(request, _("Đã lưu đề án %(code)s.") % {"code": project.code})
        return redirect(project)
    return render(request, "projects/form.html", {"form": form, "project": project})


@login_required
@require_GET
def norm_hint(request):
    """The norm in force today for the activity type and source the form has (htmx partial)."""
    context = {"norm": None, "limit": None, "exceeded": False}
    try:
        activity_id = int(request.GET.get("activity_type") or 0)
        source_id = int(request.GET.get("funding_source") or 0)
    except ValueError:
        activity_id = source_id = 0
    money = MoneyField(required=False)

    def amount(name):
        try:
            return money.clean(request.GET.get(name))
        except ValidationError:  # a half-typed amount simply gives no figure yet
            return None

    total, requested = amount("total_cost"), amount("requested_support")
    if activity_id and source_id:
        context["asked"] = True
        check = norms.check_amount(
            activity_type_id=activity_id,
            funding_source_id=source_id,
            total_cost=total or 0,
            amount=requested or 0,
            on=timezone.localdate(),
        )
        context.update(
            norm=check.norm,
            description=check.describe_norm() if check.norm else "",
            limit=check.limit if total else None,
            exceeded=bool(total and requested is not None and check.exceeded),
            total=total,
            requested=requested,
            activity=ActivityType.objects.filter(pk=activity_id).first(),
            source=FundingSource.objects.filter(pk=source_id).first(),
        )
    return render(request, "projects/_norm_hint.html", context)


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


def status_steps(project, events) -> list[tuple[str, str]]:
    """(label, kind) per step; kind is done, current, todo, or the off-path state's own kind."""
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
        steps.append((Status(status).label, kind))
    label = project.get_status_display()
    if project.status == Status.RETURNED:
        steps.insert(2, (label, "returned"))
    elif project.status == Status.REJECTED:
        steps = steps[:3] + [(label, "rejected")]
    elif project.status == Status.CANCELLED:
        steps = steps[: reached + 1] + [(label, "cancelled")]
    return steps


def _action_forms(project, user):
    forms = []
    for action in workflow.available_actions(project, user):
        if action.name not in ACTIONS:
            continue  # accepting and reopening come from a review outcome, not a button
        form_class, _call = ACTIONS[action.name]
        forms.append((action.name, action.label, action.style, form_class(project=project)))
    return forms


@login_required
@require_safe
def project_detail(request, pk):
    project = _get_project(request, pk)
    user = request.user
    events = list(project.events.select_related("actor"))
    for event in events:
        event.label = action_label(event.action)
    check = norms.check_project(project, on=timezone.localdate())
    context = {
        "project": project,
        "actions": _action_forms(project, user),
        "may_edit": workflow.can_edit_details(project, user),
        "may_override": may_override_norm(project, user),
        "override_form": NormOverrideForm(project=project),
        "may_upload": may_upload(project, user),
        "may_comment": may_comment(user),
        "document_form": DocumentForm(),
        "comment_form": CommentForm(),
        "documents": project.documents.select_related("uploaded_by"),
        "comments": project.comments.select_related("author"),
        "events": events,
        "steps": status_steps(project, events),
        "history": project_history(project),
        "norm_check": check,
        "norm_description": check.describe_norm() if check.norm else "",
        "outcomes": [
            (project._meta.get_field(name).verbose_name, getattr(project, name))
            for name in (
                "expected_jobs_created",
                "expected_people_trained",
                "expected_employed_after_training",
                "expected_managers_trained",
                "expected_machines_installed",
                "expected_fair_participations",
            )
            if getattr(project, name)
        ],
        "Status": Status,
    }
    context.update(closeout_views.detail_context(project, user))
    return render(request, "projects/detail.html", context)


# --- workflow actions -----------------------------------------------------------------------


@login_required
def project_action(request, pk, action):
    project = _get_project(request, pk)
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


# --- documents and comments -----------------------------------------------------------------


@login_required
@require_POST
def document_upload(request, pk):
    project = _get_project(request, pk)
    access.require_edit(request.user)
    if project.is_closed:
        messages.error(
            request,
            _("Đề án đã ở trạng thái “%(status)s”, không tải thêm tài liệu được.")
            % {"status": project.get_status_display()},
        )
        return redirect(project)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        document = form.save(commit=False)
        document.project = project
        document.original_name = upload.name.rsplit("/", 1)[-1][:255]
        document.size = upload.size
        document.uploaded_by = request.user
        document.save()
        messages.success(
            request,
            _("Đã tải lên “%(name)s” (%(kind)s).")
            % {"name": document.original_name, "kind": document.get_kind_display()},
        )
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(
            request, _("Chưa tải lên được tài liệu: %(errors)s") % {"errors": " ".join(errors)}
        )
    return redirect(f"{project.get_absolute_url()}#tai-lieu")


@login_required
@require_safe
def document_download(request, pk, doc_pk):
    project = _get_project(request, pk)
    document = project.documents.filter(pk=doc_pk).first()
    if document is None:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit.record(request, AuditKind.DOWNLOAD, obj=document.original_name, project=project.code)
    return FileResponse(handle, as_attachment=True, filename=document.original_name)


@login_required
@require_POST
def comment_add(request, pk):
    project = _get_project(request, pk)
    if not may_comment(request.user):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if form.is_valid():
        comment = form.save(commit=False)
        comment.project = project
        comment.author = request.user
        comment.save()
        messages.success(request, _("Đã gửi ý kiến."))
    else:
        messages.error(request, _("Hãy nhập nội dung ý kiến."))
    return redirect(f"{project.get_absolute_url()}#y-kien")


# --- my work --------------------------------------------------------------------------------


@login_required
@require_safe
def my_work(request):
    groups = [(group, list(group.projects)) for group in mywork.waiting_for(request.user)]
    return render(
        request,
        "projects/my_work.html",
        {"groups": groups, "total": sum(len(rows) for _group, rows in groups)},
    )
