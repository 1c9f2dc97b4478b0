"""Screens of the project application (đề án): list, export, form, norm hint, documents,
comments and "Việc của tôi". The project page and its action buttons are in projects/detail/.

Every project comes through `get_project` (scoped by locality: another locality's project is a
404); every write refuses viewers (403); workflow rules are in workflow.py beside this file and a
refused transition comes back as a Vietnamese message, never a 500.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from khuyencong import access, audit, jobs
from khuyencong import excel as core_excel
from khuyencong.models import AuditKind, Role
from khuyencong.money import format_vnd
from khuyencong.named_users import NamedUsers
from khuyencong.paging import ListPaginator, kept_rows
from khuyencong.row_flags import with_row_flags
from projects.applications import excel, norms, workflow
from projects.applications.filters import ProjectFilter
from projects.applications.forms import (
    CommentForm,
    DocumentForm,
    MoneyField,
    ProjectForm,
)
from projects.applications.rows import joined_markup, project_rows, with_html
from projects.applications.workflow import TransitionError
from projects.models import ActivityType, Allocation, FundingSource, NormStatus, Project

# The people a project names, read in one query of their own after the project: joined into
# the project's query as well they made thirteen tables, whose join order PostgreSQL took
# 3-6 ms to plan (past geqo_threshold) for a query that runs in a fraction of a millisecond.
PEOPLE = ("responsible_officer", "created_by", "appraised_by", "approved_by", "norm_override_by")


def get_project(
    request, pk, *, people: NamedUsers | None = None, lists: tuple[str, ...] = ()
) -> Project:
    """The project, scoped; the people it names are read now, or by `people` with the other
    users of the page (khuyencong/named_users.py); `lists`: the related lists whose having
    rows the page asks with it (khuyencong/row_flags.py)."""

    def build():
        return with_row_flags(Project.objects.all(), *lists).select_related(
            "activity_type",
            "funding_source",
            "facility",
            "locality__current",
            "allocation",
        )

    # Compiled once per process on PostgreSQL: its building was a fifth of the project page.
    project = access.get_compiled_or_404(("projects.get_project", lists), build, request.user, pk)
    # An allocation is of the project's own source (workflow.approve): one table fewer to join,
    # the eighth, past which PostgreSQL's planning of the query grew by a third.
    allocation = project.allocation
    if allocation is not None and allocation.funding_source_id == project.funding_source_id:
        Allocation.funding_source.field.set_cached_value(allocation, project.funding_source)
    reader = people or NamedUsers()
    reader.want([project], *PEOPLE)
    if people is None:
        reader.read()
    return project


def may_upload(project: Project, user) -> bool:
    return access.can_edit(user) and not project.is_closed


def may_comment(user) -> bool:
    return access.can_edit(user)


# --- list and export ------------------------------------------------------------------------

# The kind of background job of a large export (registered in projects/applications/jobs.py).
EXPORT_JOB = "projects.export"


def filtered(request, queryset=None):
    if queryset is None:
        queryset = Project.objects.for_list()
    return ProjectFilter(
        request.GET or None,
        queryset=access.scope_by_locality(queryset, request.user),
        request=request,
    )


@login_required
@require_safe
def project_list(request):
    # The page's rows are read as values (rows.py): no related objects to select with them.
    filterset = filtered(request, Project.objects.all())
    key = filterset.statement_key
    paginator = ListPaginator(
        filterset.qs if key is None else lambda: filterset.qs, settings.PAGE_SIZE, key=key
    )
    count = filterset.count_from_totals()
    if count is not None:
        paginator.count = count  # in place of a COUNT of the projects (filters.py)
    page = paginator.get_page(request.GET.get("page"))
    rows, markup = kept_rows(page, "projects", _rows_and_markup)
    return render(
        request,
        "projects/list.html",
        {
            "filter": filterset,
            "page": page,
            # The page's projects as plain rows (rows.py); page.object_list stays a queryset.
            "rows": rows,
            **markup,
            "may_create": access.has_role(request.user, Role.DISTRICT_OFFICER, Role.CENTRE_STAFF),
            "sort": request.GET.get("sort", ""),
            # "Lập đề án" for the facility filtered by (read without building the filter form
            # when nothing is filtered: the card is kept, see ProjectFilter.markup_key).
            "facility": filterset.filters_used
            and filterset.is_valid()
            and filterset.checked.cleaned_data.get("facility"),
            # On a phone the filters fold away unless one is in use.
            "filters_used": any(
                value for key, value in request.GET.items() if key not in ("page", "sort")
            ),
        },
    )


def _rows_and_markup(page) -> tuple[list[dict], dict[str, str]]:
    rows = with_html(project_rows(page))
    return rows, joined_markup(rows)


@login_required
@require_safe
def project_export(request):
    """The list as .xlsx: at once when small, else as a background job (khuyencong/jobs.py)."""
    filterset = filtered(request)
    count = filterset.qs.count()
    if count > settings.JOB_EXPORT_IMMEDIATE_MAX_ROWS:
        job = jobs.submit(
            owner=request.user,
            kind=EXPORT_JOB,
            title=_("Xuất Excel danh mục đề án (%(count)s đề án)")
            % {"count": number_format(count, force_grouping=True)},
            parameters={"query": request.GET.urlencode()},
        )
        audit.record(request, AuditKind.EXPORT, obj=_("Danh mục đề án"), rows=count, job=job.pk)
        return redirect(job)
    book, filename = export_workbook(filterset, user=request.user)
    response = core_excel.download(book, filename)
    audit.record(request, AuditKind.EXPORT, obj=filename)
    return response


def export_workbook(filterset: ProjectFilter, *, user):
    """The streaming workbook of a filtered list and its file name (the view and the job)."""
    filename = f"danh-muc-de-an-{timezone.localdate():%Y%m%d}.xlsx"
    return excel.project_list_workbook(filterset.qs, user=user), filename


# --- create and edit ------------------------------------------------------------------------


@access.role_required(Role.DISTRICT_OFFICER, Role.CENTRE_STAFF)
def project_create(request):
    # "Lập đề án" on a facility's page (or on the project list filtered to it) names the
    # facility; the form offers only facilities in the user's scope, so another one is ignored.
    initial = {"facility": request.GET["facility"]} if request.GET.get("facility") else {}
    form = ProjectForm(request.POST or None, user=request.user, initial=initial)
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
            _warn_over_norm(request, project)
            return redirect(project)
    return render(request, "projects/form.html", {"form": form, "project": None})


@login_required
def project_edit(request, pk):
    project = get_project(request, pk)
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
        try:
            edited = workflow.edit_project(
                project=project, by=request.user, **form.project_fields()
            )
        except TransitionError as error:
            messages.error(request, str(error))
            return redirect(project)
        messages.success(request, _("Đã lưu đề án %(code)s.") % {"code": project.code})
        _warn_over_norm(request, edited)
        return redirect(project)
    return render(request, "projects/form.html", {"form": form, "project": project})


def _warn_over_norm(request, project: Project) -> None:
    if project.norm_status == NormStatus.AWAITING:
        messages.warning(
            request,
            _(
                "Kinh phí đề nghị %(requested)s vượt định mức (tối đa %(limit)s): đề án được "
                "lưu nháp, đánh dấu “vượt định mức — chờ Lãnh đạo cho phép”, và chỉ nộp được "
                "sau khi Lãnh đạo phê duyệt vượt định mức."
            )
            % {
                "requested": format_vnd(project.requested_support),
                "limit": format_vnd(project.norm_limit),
            },
        )


@login_required
@require_GET
def norm_hint(request):
    """The norm for the activity type and source the form has (htmx partial), at the
    application's date: the form sends the plan year and, for a saved application, the day it
    was drawn up (the hint only informs; the rule functions look the date up themselves)."""
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
    today = timezone.localdate()
    try:
        filed = datetime.date.fromisoformat(request.GET.get("ngay_lap", ""))
    except ValueError:
        filed = today
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    on = norms.application_date(year=year, today=filed)
    if activity_id and source_id:
        context["asked"] = True
        check = norms.check_amount(
            activity_type_id=activity_id,
            funding_source_id=source_id,
            total_cost=total or 0,
            amount=requested or 0,
            on=on,
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


# --- documents and comments -----------------------------------------------------------------


@login_required
@require_POST
def document_upload(request, pk):
    project = get_project(request, pk)
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
    project = get_project(request, pk)
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
    project = get_project(request, pk)
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
