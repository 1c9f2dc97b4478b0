"""The dashboard (Tổng quan) and the report pages (Báo cáo), each with an .xlsx download.

Views stay thin: read the filter form, build an `Area` (the user's scope, narrowed to the chosen
locality), call the report function in projects/reports.py, and render its tables or write them
to a workbook. Every role may read reports; district officers see their own localities only.
"""

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from khuyencong import access, audit, compiled, jobs, unchanged
from khuyencong.models import AuditKind, Role, User
from khuyencong.notification_views import unread_panel
from projects import reports
from projects.models import ReportedFigure, ReportFiling
from projects.process.mywork import settings_key, waiting_for
from projects.process.work import ProjectValues
from projects.reports import excel, filing
from projects.reports.base import Grouping
from projects.reports.forms import (
    AnnualForm,
    DashboardForm,
    FacilityStatsForm,
    ProductForm,
    ProgrammeForm,
    RegisterFilter,
    ReportedFigureForm,
    ReportFilingForm,
)

# The kind of background job of a large register download (projects/reports/jobs.py).
REGISTER_JOB = "reports.register"
# How many items of each "what waits for me" / overdue group the dashboard lists.
DASHBOARD_ITEMS = 5
# What the overdue card shows of an action: its project's code, what and when, and its owner
# (User.display_name).
OVERDUE_ACTION_COLUMNS = (
    "description",
    "due_date",
    "project__code",
    "owner__full_name",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)


@dataclass(eq=False)
class OverdueProject(ProjectValues):
    """A project as the overdue card shows it (report_tags.overdue_lines)."""

    pk: int
    code: str
    title: str
    end_date: date
    url: str


def _overdue_projects(key: tuple, overdue) -> list[OverdueProject]:
    """The first projects of `overdue()`, read as plain values, only the columns the card
    shows: model instances, and a URL reversed for each, cost more to make than the rest of
    the card. The statement compiled once per process for each key (khuyencong.compiled)."""
    rows = compiled.values_rows(
        ("dashboard.overdue_rows", *key),
        lambda: overdue().values("pk", "code", "title", "end_date")[:DASHBOARD_ITEMS],
    )
    # Reversed once, each project's id put in (as "Việc của tôi" builds its lines' URLs).
    prefix, suffix = reverse("projects:detail", args=[0]).rsplit("/0/", 1)
    return [
        OverdueProject(
            p["pk"], p["code"], p["title"], p["end_date"], f"{prefix}/{p['pk']}/{suffix}"
        )
        for p in rows
    ]


def _overdue_actions(key: tuple, actions) -> list[SimpleNamespace]:
    """The first actions of `actions()` as `_overdue_projects` reads its projects: without an
    instance of each action, its project and its owner."""
    rows = compiled.values_rows(
        ("dashboard.actions_rows", *key),
        lambda: actions().values(*OVERDUE_ACTION_COLUMNS)[:DASHBOARD_ITEMS],
    )
    return [
        SimpleNamespace(
            project=SimpleNamespace(code=a["project__code"]),
            description=a["description"],
            due_date=a["due_date"],
            owner=User.display_name_of(
                a["owner__full_name"],
                a["owner__first_name"],
                a["owner__last_name"],
                a["owner__username"],
            ),
        )
        for a in rows
    ]


def _bound(form_class, request, defaults: dict):
    """The filter form bound to the query string, with defaults for what is left empty."""
    data = dict(defaults)
    data.update({k: v for k, v in request.GET.items() if v != "" and k != "format"})
    return form_class(data, user=request.user)


def _wants_xlsx(request) -> bool:
    return request.GET.get("format") == "xlsx"


def _offer_tree(form, area: reports.Area) -> None:
    """Have the filter's locality select offer the localities in the user's scope
    (access.localities_in_scope, by path) from the rows of the tree the area reads for its
    breakdown by locality (Area.tree, its statement compiled once): no query of its own."""
    form.fields["locality"].rows = _tree_rows(area)


def _tree_rows(area: reports.Area) -> tuple:
    """The rows of the locality select (LocalityChoiceField.rows) for `area`'s user."""
    user = area.user
    whole = access.sees_whole_province(user)
    covered = None if whole else access.covered_locality_ids(user)
    return tuple(
        (n["id"], n["path"], n["kind"], n["name"], n["valid_to"], n["former_name"])
        for n in area.tree
        if whole or n["id"] in covered
    )


def _render_report(request, template: str, form, report, filename: str, **extra):
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    tables = []
    if report is not None:
        tables = [filing.in_unit(t, data.get("unit")) for t in report.tables()]
    head = filing.letterhead(number=data.get("number", ""), on=today)
    if report is not None and _wants_xlsx(request):
        audit.record(request, AuditKind.EXPORT, obj=filename)
        return excel.response(report, filename=filename, produced=today, tables=tables, head=head)
    if report is not None:
        _offer_tree(form, report.area)
    context = {
        "form": form,
        "report": report,
        "tables": tables,
        "today": today,
        "head": head,
        # The unit of amounts shown outside the tables (the facility statistics' figures).
        "unit": data.get("unit") or filing.Unit.DONG,
        "unit_label": filing.Unit(data.get("unit") or filing.Unit.DONG).label,
        **extra,
    }
    return render(request, template, context)


@login_required
@require_safe
def dashboard(request):
    today = timezone.localdate()
    user = request.user
    form = _bound(DashboardForm, request, {"year": today.year})
    data = form.cleaned_data if form.is_valid() else None
    # Everything the page reads but the notifications (whose labels tell the time since) is
    # given again while nothing is committed to the database (khuyencong/unchanged.py): the
    # person's role and localities are data too, so the key holds only the day, the filter,
    # the settings of the work's due dates and the language of the labels.
    key = (
        "dashboard",
        user.pk,
        today,
        tuple(sorted(data.items())) if data is not None else None,
        *settings_key(),  # of the lines of work; with the language of every label
    )
    figures = unchanged.kept(key, lambda: _dashboard_figures(user, today, data))
    if data is not None:
        form.fields["locality"].rows = figures["tree_rows"]
    context = {
        "form": form,
        "today": today,
        # Rendered with the page rather than fetched by htmx after it: one query here instead
        # of a second request (session, user, middleware and two queries).
        "notifications": unread_panel(user),
        **figures,
    }
    return render(request, "dashboard.html", context)


def _dashboard_figures(user: User, today: date, data: dict | None) -> dict:
    """What the dashboard shows for `user` on `today` with the filter's `data` (None: not
    valid, no figures), as plain values and tables for the template."""
    work = [
        {"group": g, "count": g.count, "items": g.items}
        for g in waiting_for(user, today, limit=DASHBOARD_ITEMS)
        if g.count
    ]
    # The overdue card's statements depend only on the user's scope and the day: compiled once
    # per process for each (khuyencong.compiled), not built by the ORM on every view.
    key = (reports.Area(user).scope_key, today)

    def overdue():
        return reports.overdue_projects(user, today)

    def actions():
        return reports.overdue_actions(user, today)

    figures = {
        "board": None,
        "work": work,
        "work_total": sum(w["count"] for w in work),
        "overdue_count": compiled.count(("dashboard.overdue", *key), overdue),
        "overdue": _overdue_projects(key, overdue),
        "actions_count": compiled.count(("dashboard.actions", *key), actions),
        "actions": _overdue_actions(key, actions),
    }
    if data is not None:
        board = reports.dashboard(area=_area(user, data), year=data["year"])
        figures.update(
            board=board,
            tree_rows=_tree_rows(board.area),
            facility_count=reports.facility_count(board.area),
            totals=board.annual.totals,
            achieved=board.annual.achieved,
            tables=[
                board.budget_table(),
                board.status_table(),
                board.activity_table(),
                board.locality_table(),
            ],
        )
    return figures


@login_required
@require_safe
def index(request):
    return render(request, "reports/index.html")


def _area(user, data: dict) -> reports.Area:
    """The area a report's filter names, with the grouping and the years it covers."""
    years = [data[key] for key in ("year", "first_year", "last_year") if data.get(key)]
    period = (date(min(years), 1, 1), date(max(years), 12, 31)) if years else None
    return reports.Area(user, data.get("locality"), data.get("grouping") or Grouping.NOW, period)


def _report_page(request, form_class, defaults: dict, build, template: str, filename, **extra):
    """A report page: the filter form bound to the query string, the report built from its
    cleaned data for the area it names (`build(area, data)`), as HTML or, with ?format=xlsx, as
    a workbook. `filename` is a text or a function of the report."""
    form = _bound(form_class, request, defaults)
    report = None
    if form.is_valid():
        data = form.cleaned_data
        report = build(_area(request.user, data), data)
    name = filename(report) if callable(filename) else filename
    return _render_report(request, template, form, report, name, **extra)


@login_required
@require_safe
def annual(request):
    return _report_page(
        request,
        AnnualForm,
        {"year": timezone.localdate().year},
        lambda area, data: reports.annual_report(
            area=area, year=data["year"], funding_source=data["funding_source"], reconcile=True
        ),
        "reports/annual.html",
        lambda report: f"bao-cao-khuyen-cong-nam-{report.year if report else ''}",
    )


@login_required
@require_safe
def programme(request):
    default = reports.default_programme(timezone.localdate())
    if default is None:
        # No programme yet: the page says so and links to the planning pages.
        form = _bound(ProgrammeForm, request, {"programme": ""})
        return _render_report(
            request,
            "reports/programme.html",
            form,
            None,
            "bao-cao-chuong-trinh-khuyen-cong",
            no_programme=True,
        )
    return _report_page(
        request,
        ProgrammeForm,
        {"programme": default.pk},
        lambda area, data: reports.programme_report(area=area, programme=data["programme"]),
        "reports/programme.html",
        "bao-cao-chuong-trinh-khuyen-cong",
        no_programme=False,
    )


def _period_defaults(span: tuple[int, int] | None, years: int = 10) -> dict:
    last = span[1] if span else timezone.localdate().year
    first = max(span[0], last - years + 1) if span else last - years + 1
    return {"first_year": first, "last_year": last}


@login_required
@require_safe
def facility_stats(request):
    return _report_page(
        request,
        FacilityStatsForm,
        _period_defaults(reports.facility_years(reports.Area(request.user))),
        lambda area, data: reports.facility_stats(
            area=area,
            first_year=data["first_year"],
            last_year=data["last_year"],
            sector=data["sector"],
            reconcile=True,
        ),
        "reports/facilities.html",
        "thong-ke-co-so-cnnt",
    )


@login_required
@require_safe
def products(request):
    return _report_page(
        request,
        ProductForm,
        _period_defaults(reports.recognition_years(reports.Area(request.user))),
        lambda area, data: reports.product_report(
            area=area,
            first_year=data["first_year"],
            last_year=data["last_year"],
            level=data["level"],
            sector=data["sector"],
        ),
        "reports/products.html",
        "san-pham-cnnt-tieu-bieu",
    )


def register_filterset(request) -> RegisterFilter:
    """The register's filter as `request.user` (the page, the download, the background job),
    with this year as the default period."""
    area = reports.Area(request.user)
    return RegisterFilter(
        register_query(request), queryset=area.projects(), request=request, user=request.user
    )


def register_query(request) -> dict:
    today = timezone.localdate()
    data = {"year_from": today.year, "year_to": today.year}
    data.update({k: v for k, v in request.GET.items() if v != "" and k not in ("format", "page")})
    return data


def register_report(request, filterset: RegisterFilter):
    first, last = filterset.clean_years()
    data = filterset.form.cleaned_data
    area = reports.Area(request.user, data.get("locality"))
    report = reports.project_register(
        area=area,
        projects=filterset.qs,
        first_year=first,
        last_year=last,
        unit=data.get("unit"),
        number=data.get("number"),
        # The same filter over the running totals: every field it filters on is one of theirs.
        # Without a locality chosen, for the whole province: the province's rows.
        totals=filterset.filter_queryset(area.year_totals()),
        # The projects are the user's (register_filterset), the totals the area's, both
        # filtered by the filter's values and the period.
        key=(area.scope_key, first, last, filterset.statement_key),
    )
    return report, f"danh-muc-de-an-{first}-{last}"


@login_required
@require_safe
def register(request):
    today = timezone.localdate()
    filterset = register_filterset(request)
    report = None
    page = None
    if filterset.is_valid():
        report, filename = register_report(request, filterset)
        if _wants_xlsx(request):
            count = filterset.qs.count()
            if count > settings.JOB_EXPORT_IMMEDIATE_MAX_ROWS:
                # Large: a background job (projects/reports/jobs.py), with the period fixed now.
                job = jobs.submit(
                    owner=request.user,
                    kind=REGISTER_JOB,
                    title=_("Xuất Excel danh mục đề án %(period)s (%(count)s đề án)")
                    % {
                        "period": report.first_year
                        if report.first_year == report.last_year
                        else f"{report.first_year}–{report.last_year}",
                        "count": number_format(count, force_grouping=True),
                    },
                    parameters={"query": urlencode(register_query(request))},
                )
                audit.record(request, AuditKind.EXPORT, obj=filename, rows=count, job=job.pk)
                return redirect(job)
            audit.record(request, AuditKind.EXPORT, obj=filename)
            return excel.response(
                report,
                filename=filename,
                produced=today,
                tables=report.filed_tables(),
                head=report.letterhead(),
            )
        page = report.page(request.GET.get("page"))
        _offer_tree(filterset.form, report.area)
    return render(
        request,
        "reports/register.html",
        {
            "form": filterset.form,
            "report": report,
            "page": page,
            "today": today,
            # The letterhead and signatures of the print view (reports/report.html).
            "head": report.letterhead() if report is not None else None,
        },
    )


# --- what is filed: the letterhead (managers) and the figures reported upward (the centre) ----


@access.role_required(Role.MANAGER)
def filing_edit(request):
    form = ReportFilingForm(request.POST or None, instance=ReportFiling.load())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Đã lưu thể thức báo cáo."))
        return redirect("reports:filing")
    return render(
        request,
        "reports/filing_form.html",
        {"form": form, "head": filing.letterhead(number="12", on=timezone.localdate())},
    )


@login_required
@require_safe
def reported_list(request):
    years = sorted(set(ReportedFigure.objects.values_list("year", flat=True)), reverse=True)
    try:
        year = int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        year = years[0] if years else timezone.localdate().year
    figures = list(
        ReportedFigure.objects.filter(year=year).select_related("entered_by").order_by("indicator")
    )
    return render(
        request,
        "reports/reported_list.html",
        {
            "year": year,
            "years": years,
            "figures": figures,
            "may_edit": access.has_role(request.user, *REPORTED_EDITORS),
        },
    )


REPORTED_EDITORS = (Role.CENTRE_STAFF, Role.MANAGER)


@access.role_required(*REPORTED_EDITORS)
def reported_edit(request, pk=None):
    figure = get_object_or_404(ReportedFigure, pk=pk) if pk else ReportedFigure()
    initial = {"year": request.GET.get("year")} if not pk and request.GET.get("year") else None
    form = ReportedFigureForm(request.POST or None, instance=figure, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.instance.entered_by = request.user
        try:
            with transaction.atomic():
                saved = form.save()
        except IntegrityError:
            form.add_error("indicator", _("Chỉ tiêu này của năm này vừa được người khác nhập."))
        else:
            messages.success(
                request,
                _("Đã lưu số liệu đã báo cáo: %(figure)s.") % {"figure": saved},
            )
            return redirect(f"{reverse('reports:reported')}?year={saved.year}")
    return render(
        request, "reports/reported_form.html", {"form": form, "figure": figure if pk else None}
    )
