"""Views of the facility registry: thin (fetch through khuyencong.access, validate a form, save,
redirect with a message). Yearly figures, products and recognitions are edited from the detail
page; with htmx each of those forms swaps its own section, without htmx it is a plain page."""

import functools
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from facilities import excel, figures_import
from facilities.filters import SORT_FIELDS, SORT_LABELS, FacilityFilter
from facilities.forms import (
    FacilityForm,
    ImportUploadForm,
    ProductForm,
    RecognitionForm,
    YearlyFigureForm,
)
from facilities.history import facility_history
from facilities.models import Facility, Product, Recognition, YearlyFigure
from facilities.rows import facility_rows, size_badge
from khuyencong import access, audit, jobs
from khuyencong import excel as core_excel
from khuyencong.models import AuditKind, Role
from khuyencong.paging import ListPaginator, kept_rows
from khuyencong.row_flags import may_have, with_row_flags

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Kinds of background job (registered in facilities/jobs.py).
EXPORT_JOB = "facilities.export"
IMPORT_JOB = "facilities.import"


def _bound(request, *, files: bool = False):
    """Form data when the request is a POST (even an empty one), otherwise None (unbound)."""
    if request.method != "POST":
        return (None, None) if files else None
    return (request.POST, request.FILES) if files else request.POST


# The lists of the facility page that are read only when the facility has rows in them (an
# empty one costs an index probe in the facility's query instead of a query of its own).
DETAIL_LISTS = ("yearly_figures", "products", "sectors", "history")
DETAIL_HISTORIES = {
    "figure_history": (YearlyFigure.history.model._meta.db_table, "facility_id"),
    "product_history": (Product.history.model._meta.db_table, "facility_id"),
}


@functools.cache
def _facility_queryset(*, for_detail: bool) -> QuerySet:
    """The facility's queryset before its id and scope, built once per process (every filter
    clones it, so it is never evaluated itself): adding the row flags and related tables was
    a third of the time of reading the facility."""
    qs = Facility.objects.select_related("locality__current", "main_sector")
    if for_detail:
        qs = qs.select_related("locality__parent")
        qs = with_row_flags(qs, *DETAIL_LISTS, **DETAIL_HISTORIES)
    return qs


def _scoped_facility(request, pk: int, *, for_detail: bool = False) -> Facility:
    return access.get_scoped_or_404(_facility_queryset(for_detail=for_detail), request.user, pk=pk)


# ---------------------------------------------------------------------------------------------
# List and export


def filtered(request, queryset=None) -> FacilityFilter:
    if queryset is None:
        queryset = Facility.objects.for_list()
    qs = access.scope_by_locality(queryset, request.user)
    # Always bound, so the default sort (by folded name) applies also without parameters.
    return FacilityFilter(request.GET, queryset=qs, request=request)


def _sort_headers(request, filterset: FacilityFilter) -> dict[str, dict]:
    """For each sortable column: its label, the query string of its header link (the other
    direction when it is the current sort) and the current direction, if any."""
    current = filterset.sort
    headers = {}
    for key in SORT_FIELDS:
        state = "asc" if current == key else "desc" if current == f"-{key}" else ""
        params = request.GET.copy()
        params["o"] = f"-{key}" if state == "asc" else key
        params.pop("page", None)
        headers[key] = {
            "label": SORT_LABELS[key],
            "query": urlencode(sorted(params.lists()), doseq=True),
            "state": state,
        }
    return headers


@login_required
@require_safe
def facility_list(request):
    # The page's rows are read as values (rows.py), which add what they show themselves.
    filterset = filtered(request, Facility.objects.all())
    key = filterset.statement_key
    paginator = ListPaginator(
        filterset.qs if key is None else lambda: filterset.qs, settings.PAGE_SIZE, key=key
    )
    count = filterset.count_from_totals()
    if count is not None:
        paginator.count = count  # in place of a COUNT of the facilities (filters.py)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page_obj": page,
        # The page's facilities as rows with their markup (rows.py); page.object_list stays a
        # queryset.
        "rows": kept_rows(page, "facilities", facility_rows),
        "headers": _sort_headers(request, filterset),
        "export_query": request.GET.urlencode(),
        # Phones fold the filters away unless some are in use.
        "active_filters": _filter_summary(filterset),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "facilities/_results.html", context)
    return render(request, "facilities/list.html", context)


def _filter_summary(filterset: FacilityFilter) -> str:
    if not filterset.filters_used:
        return ""  # (without building the filter form: filters.ListFilterSet.filters_used)
    parts = []
    cleaned = getattr(filterset.form, "cleaned_data", {})
    for name, form_field in filterset.form.fields.items():
        value = cleaned.get(name)
        if name in ("o", "sector_scope") or value in (None, "", []):
            continue
        if name == "q":
            shown = f"“{value}”"
        elif hasattr(value, "full_name"):
            shown = value.full_name
        elif hasattr(form_field, "choices") and not hasattr(value, "pk"):
            shown = str(dict(form_field.choices).get(value, value))
        else:
            shown = str(value)
        parts.append(f"{form_field.label}: {shown}")
    return "; ".join(parts)


@login_required
@require_safe
def facility_export(request):
    """The list as .xlsx: at once when small, else as a background job (khuyencong/jobs.py)."""
    filterset = filtered(request)
    count = filterset.qs.count()
    if count > settings.JOB_EXPORT_IMMEDIATE_MAX_ROWS:
        job = jobs.submit(
            owner=request.user,
            kind=EXPORT_JOB,
            title=_("Xuất Excel danh sách cơ sở CNNT (%(count)s cơ sở)")
            % {"count": number_format(count, force_grouping=True)},
            parameters={"query": request.GET.urlencode()},
        )
        audit.record(
            request, AuditKind.EXPORT, obj=_("Danh sách cơ sở CNNT"), rows=count, job=job.pk
        )
        return redirect(job)
    book, filename = export_workbook(filterset, count=count)
    response = core_excel.download(book, filename)
    audit.record(request, AuditKind.EXPORT, obj=_("Danh sách cơ sở CNNT"), rows=count)
    return response


def export_workbook(filterset: FacilityFilter, *, count: int):
    """The streaming workbook of a filtered list and its file name (the view and the job)."""
    now = timezone.localtime()
    subtitle = _("Tỉnh %(province)s · Xuất ngày %(date)s · %(count)s cơ sở") % {
        "province": settings.PROVINCE_NAME,
        "date": date_format(now, "SHORT_DATETIME_FORMAT"),
        "count": count,
    }
    summary = _filter_summary(filterset)
    if summary:
        subtitle += " · " + _("Lọc theo: %(filters)s") % {"filters": summary}
    book = excel.export_book(
        filterset.qs,
        title=_("DANH SÁCH CƠ SỞ CÔNG NGHIỆP NÔNG THÔN"),
        subtitle=subtitle,
    )
    return book, f"danh-sach-co-so-cnnt-{now:%Y%m%d-%H%M}.xlsx"


# ---------------------------------------------------------------------------------------------
# Detail, create, edit


def _detail_context(facility: Facility) -> dict:
    products = _products_context(facility)
    # The list's figure (models.recognised_products) counted from the products the page reads
    # anyway, rather than by a correlated subquery in the facility's own query.
    facility.recognised_products = sum(1 for p in products["products"] if p.recognitions.all())
    return {
        "facility": facility,
        "size_badge": size_badge(facility.size_class, facility.get_size_class_display()),
        "sectors": list(facility.sectors.all()) if may_have(facility, "sectors") else [],
        **_figures_context(facility),
        **products,
        "history": facility_history(facility),
    }


@login_required
@require_safe
def facility_detail(request, pk):
    facility = _scoped_facility(request, pk, for_detail=True)
    context = _detail_context(facility)
    # Who may file a project for it (the project form's own rule: projects/applications/views).
    context["may_create_project"] = access.has_role(
        request.user, Role.DISTRICT_OFFICER, Role.CENTRE_STAFF
    )
    return render(request, "facilities/detail.html", context)


@login_required
@require_safe
def facility_history_section(request, pk):
    facility = _scoped_facility(request, pk)
    return render(
        request,
        "facilities/_history.html",
        {"facility": facility, "history": facility_history(facility)},
    )


@access.editor_required
def facility_create(request):
    form = FacilityForm(_bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        facility = _save_facility(form)
        if facility is not None:
            messages.success(request, _("Đã thêm cơ sở “%(name)s”.") % {"name": facility.name})
            return redirect("facilities:detail", pk=facility.pk)
    return render(request, "facilities/form.html", {"form": form, "facility": None})


@access.editor_required
def facility_edit(request, pk):
    facility = _scoped_facility(request, pk)
    form = FacilityForm(_bound(request), instance=facility, user=request.user)
    if request.method == "POST" and form.is_valid() and _save_facility(form) is not None:
        messages.success(
            request, _("Đã lưu thay đổi của cơ sở “%(name)s”.") % {"name": facility.name}
        )
        return redirect("facilities:detail", pk=facility.pk)
    return render(request, "facilities/form.html", {"form": form, "facility": facility})


def _save_facility(form: FacilityForm) -> Facility | None:
    """Save the facility and its sectors together; a tax code registered by someone else a
    moment ago becomes a field error rather than a server error."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        form.add_error("tax_code", Facility._meta.get_field("tax_code").error_messages["unique"])
        return None


# ---------------------------------------------------------------------------------------------
# Yearly figures, products, recognitions (sections of the detail page)


def _figures_context(facility: Facility) -> dict:
    if not may_have(facility, "yearly_figures"):
        return {"figures": []}
    figures = list(facility.yearly_figures.order_by("-year"))
    _record_urls(facility, figures, edit_url="figure_edit", delete_url="figure_delete")
    for figure in figures:
        figure.size_badge = size_badge(figure.size_class, figure.get_size_class_display())
    return {"figures": figures}


def _products_context(facility: Facility) -> dict:
    if not may_have(facility, "products"):
        return {"products": []}
    products = list(
        facility.products.order_by("name").prefetch_related(
            Prefetch("recognitions", queryset=Recognition.objects.order_by("-year", "level"))
        )
    )
    _record_urls(
        facility,
        products,
        edit_url="product_edit",
        delete_url="product_delete",
        recognise_url="recognition_create",
    )
    recognitions = [r for product in products for r in product.recognitions.all()]
    _record_urls(
        facility, recognitions, edit_url="recognition_edit", delete_url="recognition_delete"
    )
    return {"products": products}


def _record_urls(facility: Facility, records: list, **links: str) -> None:
    """Set on each record, for each `attribute=url name` of `links`, the link of that URL of
    the facility's app for the facility and the record, from one reversal per link (the links
    differ only by the record's id): reversed in the template, a table of ten yearly figures
    was forty reversals."""
    for attribute, url_name in links.items():
        url = reverse(f"facilities:{url_name}", args=[facility.pk, 0])
        prefix, suffix = url.rsplit("/0/", 1)
        for record in records:
            setattr(record, attribute, f"{prefix}/{record.pk}/{suffix}")


SECTIONS = {
    "figures": ("facilities/_figures.html", "so-lieu", _figures_context),
    "products": ("facilities/_products.html", "san-pham", _products_context),
}


def _focus_first_field(form) -> None:
    """The section is swapped whole, so the button that opened the form is gone: keyboard focus
    goes to the first field with an error, else the first field (htmx focuses `autofocus`)."""
    visible = [name for name, field in form.fields.items() if not field.widget.is_hidden]
    wrong = [name for name in visible if name in form.errors]
    if visible:
        form.fields[(wrong or visible)[0]].widget.attrs["autofocus"] = True


def _section(request, facility, section, *, form=None, form_url="", form_title="", notice=""):
    """The section alone for htmx (with its form open, if any); otherwise a whole page: the form
    on its own page, or the detail page after a change without htmx."""
    template, anchor, build = SECTIONS[section]
    if form is not None:
        _focus_first_field(form)
    if request.htmx:
        context = {
            "facility": facility,
            "form": form,
            "form_url": form_url,
            "form_title": form_title,
            "notice": notice,
            **build(facility),
        }
        response = render(request, template, context)
        if notice:
            response["HX-Trigger"] = "facility-changed"
        return response
    if form is not None:
        return render(
            request,
            "facilities/subform.html",
            {
                "facility": facility,
                "form": form,
                "form_url": form_url,
                "form_title": form_title,
                "cancel_url": reverse("facilities:detail", args=[facility.pk]) + f"#{anchor}",
            },
            status=200,
        )
    if notice:
        messages.success(request, notice)
    return redirect(reverse("facilities:detail", args=[facility.pk]) + f"#{anchor}")


def _edit_sub_record(request, facility, section, form, *, form_url, form_title, notice):
    """Show or save a small form of the detail page; `notice(saved_object)` says what was done."""
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
        except IntegrityError:
            # Another user saved the same year or level a moment ago.
            form.add_error(
                None, _("Dữ liệu vừa được người khác thay đổi; hãy tải lại và kiểm tra.")
            )
        else:
            return _section(request, facility, section, notice=notice(saved))
    return _section(request, facility, section, form=form, form_url=form_url, form_title=form_title)


@login_required
@require_safe
def figures_section(request, pk):
    return _section(request, _scoped_facility(request, pk), "figures")


@login_required
@require_safe
def products_section(request, pk):
    return _section(request, _scoped_facility(request, pk), "products")


# Figures, products and recognitions are edited the same way: a small form on the detail page
# (htmx), scoped through the facility. What differs between them is said once, here.


@dataclass(frozen=True)
class SubRecord:
    section: str  # the detail page's section that lists them
    form_class: type
    url_name: str  # "figure" → facilities:figure_create / _edit / _delete
    records: Callable  # facility → its records of this kind (a queryset)
    # Texts of the form's title and of the notices; each takes the record (or the product a
    # new recognition is for).
    add_title: Callable
    edit_title: Callable
    added: Callable
    saved: Callable
    deleted: Callable
    parent: Callable | None = None  # facility → the queryset a new record's parent comes from


FIGURES = SubRecord(
    section="figures",
    form_class=YearlyFigureForm,
    url_name="figure",
    records=lambda facility: YearlyFigure.objects.filter(facility=facility),
    add_title=lambda _parent: _("Thêm số liệu hằng năm"),
    edit_title=lambda figure: _("Sửa số liệu năm %(year)s") % {"year": figure.year},
    added=lambda figure: _("Đã thêm số liệu năm %(year)s.") % {"year": figure.year},
    saved=lambda figure: _("Đã lưu số liệu năm %(year)s.") % {"year": figure.year},
    deleted=lambda figure: _("Đã xóa số liệu năm %(year)s.") % {"year": figure.year},
)
PRODUCTS = SubRecord(
    section="products",
    form_class=ProductForm,
    url_name="product",
    records=lambda facility: Product.objects.filter(facility=facility),
    add_title=lambda _parent: _("Thêm sản phẩm"),
    edit_title=lambda product: _("Sửa sản phẩm “%(name)s”") % {"name": product.name},
    added=lambda product: _("Đã thêm sản phẩm “%(name)s”.") % {"name": product.name},
    saved=lambda product: _("Đã lưu sản phẩm “%(name)s”.") % {"name": product.name},
    deleted=lambda product: _("Đã xóa sản phẩm “%(name)s”.") % {"name": product.name},
)
RECOGNITIONS = SubRecord(
    section="products",
    form_class=RecognitionForm,
    url_name="recognition",
    records=lambda facility: Recognition.objects.filter(product__facility=facility).select_related(
        "product"
    ),
    add_title=lambda product: (
        _("Thêm công nhận SP CNNT tiêu biểu cho “%(name)s”") % {"name": product.name}
    ),
    edit_title=lambda rec: _("Sửa công nhận của sản phẩm “%(name)s”") % {"name": rec.product.name},
    added=lambda rec: _("Đã thêm công nhận cho sản phẩm “%(name)s”.") % {"name": rec.product.name},
    saved=lambda rec: _("Đã lưu công nhận của sản phẩm “%(name)s”.") % {"name": rec.product.name},
    deleted=lambda rec: _("Đã xóa công nhận của sản phẩm “%(name)s”.") % {"name": rec.product.name},
    parent=lambda facility: Product.objects.filter(facility=facility),
)


def _form_kwargs(kind: SubRecord, facility, record=None, parent=None) -> dict:
    if kind is RECOGNITIONS:
        return {"product": record.product if record else parent}
    return {"facility": facility}


@access.editor_required
def sub_record_create(request, pk, kind: SubRecord, parent_pk=None):
    facility = _scoped_facility(request, pk)
    parent = _child_or_404(kind.parent(facility), parent_pk) if kind.parent else None
    form = kind.form_class(_bound(request), **_form_kwargs(kind, facility, parent=parent))
    args = [pk, parent_pk] if kind.parent else [pk]
    return _edit_sub_record(
        request,
        facility,
        kind.section,
        form,
        form_url=reverse(f"facilities:{kind.url_name}_create", args=args),
        form_title=kind.add_title(parent),
        notice=kind.added,
    )


@access.editor_required
def sub_record_edit(request, pk, kind: SubRecord, record_pk):
    facility = _scoped_facility(request, pk)
    record = _child_or_404(kind.records(facility), record_pk)
    form = kind.form_class(
        _bound(request), instance=record, **_form_kwargs(kind, facility, record=record)
    )
    return _edit_sub_record(
        request,
        facility,
        kind.section,
        form,
        form_url=reverse(f"facilities:{kind.url_name}_edit", args=[pk, record_pk]),
        form_title=kind.edit_title(record),
        notice=kind.saved,
    )


@access.editor_required
@require_POST
def sub_record_delete(request, pk, kind: SubRecord, record_pk):
    facility = _scoped_facility(request, pk)
    record = _child_or_404(kind.records(facility), record_pk)
    notice = kind.deleted(record)
    with transaction.atomic():
        record.delete()
    return _section(request, facility, kind.section, notice=notice)


def _child_or_404(qs, pk):
    """A figure, product or recognition of a facility already fetched through the scope."""
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


# ---------------------------------------------------------------------------------------------
# Excel import
#
# The uploaded file is kept between the preview and the confirmation as a file under
# MEDIA_ROOT/imports/ named by a random token (never by anything the user sent); the session
# remembers which tokens belong to this user. Confirming reads and validates the file again
# and saves it in one transaction, so what is saved is checked against the database as it is
# at that moment (a tax code registered meanwhile, a changed scope), by the same code that
# produced the preview. The session holds no row data.

IMPORT_SESSION_KEY = "facility_imports"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{24}$")
IMPORT_FILE_MAX_AGE = 24 * 60 * 60
IMPORT_PREVIEWS_KEPT = 3


def _import_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _import_path(request, token: str, key: str = IMPORT_SESSION_KEY) -> Path | None:
    if not TOKEN_RE.match(token or "") or token not in request.session.get(key, {}):
        return None
    path = _import_dir() / f"{token}.xlsx"
    return path if path.exists() else None


def _forget_import(request, token: str, key: str = IMPORT_SESSION_KEY) -> None:
    tokens = request.session.get(key, {})
    mine = tokens.pop(token, None) is not None  # another session's upload is not ours to delete
    request.session[key] = tokens
    if mine and TOKEN_RE.match(token or ""):
        (_import_dir() / f"{token}.xlsx").unlink(missing_ok=True)


def _remove_stale_imports() -> None:
    cutoff = time.time() - IMPORT_FILE_MAX_AGE
    for path in _import_dir().glob("*.xlsx"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _store_upload(request, upload, key: str = IMPORT_SESSION_KEY) -> str:
    directory = _import_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_imports()
    token = secrets.token_urlsafe(18)
    with open(directory / f"{token}.xlsx", "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    tokens = request.session.get(key, {})
    tokens[token] = upload.name[:200]
    # Keep the few latest previews of this session; older ones are abandoned.
    for old in list(tokens)[:-IMPORT_PREVIEWS_KEPT]:
        tokens.pop(old)
        (directory / f"{old}.xlsx").unlink(missing_ok=True)
    request.session[key] = tokens
    return token


def _preview(request, *, token: str, file_name: str, result, status: int = 200):
    return render(
        request,
        "facilities/import_preview.html",
        {
            "token": token,
            "file_name": file_name,
            "result": result,
            "upload_form": ImportUploadForm(),
        },
        status=status,
    )


def _example_locality(request):
    """A commune the user may file under, to give real examples in the column guide."""
    return (
        access.localities_for(request.user).filter(children__isnull=True).order_by("path").first()
    )


@access.editor_required
def import_start(request):
    form = ImportUploadForm(*_bound(request, files=True))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = _store_upload(request, upload)
        result = excel.parse_workbook(_import_dir() / f"{token}.xlsx", user=request.user)
        if result.file_errors:
            _forget_import(request, token)
            for error in result.file_errors:
                form.add_error("file", error)
        else:
            return _preview(request, token=token, file_name=upload.name, result=result)
    return render(
        request,
        "facilities/import.html",
        {
            "form": form,
            "columns": excel.import_columns(example_locality=_example_locality(request)),
        },
    )


@access.editor_required
def import_template(request):
    response = HttpResponse(excel.template_workbook(user=request.user), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-nhap-co-so-cnnt.xlsx"'
    return response


@access.editor_required
@require_POST
def import_confirm(request):
    """Hand the previewed file to a background job, which checks it again against the database
    as it is then and saves every row or none (facilities/jobs.py)."""
    token = request.POST.get("token", "")
    path = _import_path(request, token)
    if path is None:
        messages.error(
            request, _("Phiên nhập tệp đã hết hạn hoặc không hợp lệ. Hãy tải tệp lên lại.")
        )
        return redirect("facilities:import")
    file_name = request.session[IMPORT_SESSION_KEY][token]
    upload = f"jobs/uploads/{secrets.token_urlsafe(18)}.xlsx"
    target = Path(settings.MEDIA_ROOT) / upload
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    _forget_import(request, token)
    job = jobs.submit(
        owner=request.user,
        kind=IMPORT_JOB,
        title=_("Nhập cơ sở từ tệp “%(name)s”") % {"name": file_name},
        parameters={"upload": upload, "file_name": file_name},
    )
    return redirect(job)


@access.editor_required
@require_POST
def import_cancel(request):
    _forget_import(request, request.POST.get("token", ""))
    messages.info(request, _("Đã hủy nhập tệp; không có cơ sở nào được lưu."))
    return redirect("facilities:import")


# ---------------------------------------------------------------------------------------------
# Yearly figures import: the same upload, preview and confirm as the facility import, with its
# own session key; the work is facilities/figures_import.py.

FIGURES_SESSION_KEY = "figure_imports"


def _figures_preview(request, *, token: str, file_name: str, result, status: int = 200):
    return render(
        request,
        "facilities/figures_import_preview.html",
        {
            "token": token,
            "file_name": file_name,
            "result": result,
            "upload_form": ImportUploadForm(),
            "labels": {c.key: c.header for c in figures_import.figure_columns()},
        },
        status=status,
    )


@access.editor_required
def figures_import_start(request):
    form = ImportUploadForm(*_bound(request, files=True))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = _store_upload(request, upload, FIGURES_SESSION_KEY)
        path = _import_dir() / f"{token}.xlsx"
        result = figures_import.parse_figures(path, user=request.user)
        if result.file_errors:
            _forget_import(request, token, FIGURES_SESSION_KEY)
            for error in result.file_errors:
                form.add_error("file", error)
        else:
            return _figures_preview(request, token=token, file_name=upload.name, result=result)
    return render(
        request,
        "facilities/figures_import.html",
        {"form": form, "columns": figures_import.figure_columns()},
    )


@access.editor_required
def figures_import_template(request):
    return core_excel.download(
        figures_import.template_book(user=request.user), "mau-nhap-so-lieu-hang-nam.xlsx"
    )


@access.editor_required
@require_POST
def figures_import_confirm(request):
    token = request.POST.get("token", "")
    path = _import_path(request, token, FIGURES_SESSION_KEY)
    if path is None:
        messages.error(
            request, _("Phiên nhập tệp đã hết hạn hoặc không hợp lệ. Hãy tải tệp lên lại.")
        )
        return redirect("facilities:figures_import")
    file_name = request.session[FIGURES_SESSION_KEY][token]
    result = figures_import.parse_figures(path, user=request.user)
    if not result.ok:
        messages.error(request, _("Tệp có dòng lỗi nên chưa lưu số liệu nào."))
        return _figures_preview(request, token=token, file_name=file_name, result=result)
    try:
        outcome = figures_import.import_figures(result.rows, request.user)
    except (figures_import.ImportRefused, IntegrityError) as exc:
        reason = str(exc) if isinstance(exc, figures_import.ImportRefused) else ""
        messages.error(
            request,
            _("Không lưu được: dữ liệu vừa bị thay đổi. Chưa lưu số liệu nào. %(reason)s")
            % {"reason": reason},
        )
        result = figures_import.parse_figures(path, user=request.user)
        return _figures_preview(request, token=token, file_name=file_name, result=result)
    _forget_import(request, token, FIGURES_SESSION_KEY)
    messages.success(
        request,
        _(
            "Đã nhập số liệu từ tệp “%(name)s”: thêm %(created)s, cập nhật %(updated)s, "
            "%(same)s dòng không đổi."
        )
        % {
            "name": file_name,
            "created": outcome.created,
            "updated": outcome.updated,
            "same": outcome.unchanged,
        },
    )
    return redirect("facilities:list")


@access.editor_required
@require_POST
def figures_import_cancel(request):
    _forget_import(request, request.POST.get("token", ""), FIGURES_SESSION_KEY)
    messages.info(request, _("Đã hủy nhập tệp; không có số liệu nào được lưu."))
    return redirect("facilities:figures_import")
