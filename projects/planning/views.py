"""Screens of programmes, annual plans, allocations, support norms and the reference lists.

Everyone signed in reads them (a district officer sees the norms and the money left, but only the
projects of their own locality); only managers change them (others get a 403).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from khuyencong import access
from khuyencong.models import Role
from projects.models import (
    ActivityType,
    Allocation,
    AnnualPlan,
    FundingSource,
    PlanBudget,
    Programme,
    ProgrammeBudget,
    Project,
    SupportNorm,
)
from projects.planning import budget
from projects.planning import history as change_history
from projects.planning.filters import AllocationFilter
from projects.planning.forms import (
    ActivityTypeForm,
    AllocationForm,
    AnnualPlanForm,
    FundingSourceForm,
    PlanBudgetFormSet,
    PlanTargetFormSet,
    ProgrammeBudgetFormSet,
    ProgrammeForm,
    ProgrammeTargetFormSet,
    SupportNormForm,
)

manager_required = access.role_required(Role.MANAGER)


def _is_manager(user) -> bool:
    return access.has_role(user, Role.MANAGER)


def _sources():
    return list(FundingSource.objects.all())


def _by_source(rows, amount_attr):
    """{funding source id: amount} of budget rows."""
    return {row.funding_source_id: getattr(row, amount_attr) for row in rows}


# --- programmes and plans -------------------------------------------------------------------


@login_required
@require_safe
def programme_list(request):
    programmes = Programme.objects.prefetch_related(
        Prefetch("budgets", ProgrammeBudget.objects.select_related("funding_source"))
    )
    plans = AnnualPlan.objects.select_related("programme").prefetch_related(
        Prefetch("budgets", PlanBudget.objects.select_related("funding_source"))
    )
    sources = _sources()
    # (source, amount) pairs: a phone shows each amount labelled with its source's code.
    programme_rows = [
        (p, [(s, _by_source(p.budgets.all(), "planned_amount").get(s.pk)) for s in sources])
        for p in programmes
    ]
    plan_rows = [
        (p, [(s, _by_source(p.budgets.all(), "amount").get(s.pk)) for s in sources]) for p in plans
    ]
    return render(
        request,
        "planning/programme_list.html",
        {
            "programme_rows": programme_rows,
            "plan_rows": plan_rows,
            "sources": sources,
            "is_manager": _is_manager(request.user),
        },
    )


def _year_allocations(years):
    """Allocated / approved / remaining per (year, source code) for the given years."""
    allocations = list(Allocation.objects.for_list().filter(year__in=list(years)))
    figures = budget.allocation_figures(allocations)
    per_year = {}
    for allocation in allocations:
        bucket = per_year.setdefault(allocation.year, {}).setdefault(
            allocation.funding_source_id, budget.AllocationFigures()
        )
        f = figures[allocation.pk]
        bucket.allocated += f.allocated
        bucket.approved += f.approved
        bucket.disbursed += f.disbursed
        bucket.released += f.released
    return per_year


@login_required
@require_safe
def programme_detail(request, pk):
    programme = get_object_or_404(Programme, pk=pk)
    sources = _sources()
    budgets = programme.budgets.select_related("funding_source")
    plans = programme.plans.prefetch_related("budgets").order_by("year")
    per_year = _year_allocations(programme.years)
    plan_rows = []
    for plan in plans:
        amounts = _by_source(plan.budgets.all(), "amount")
        plan_rows.append(
            (
                plan,
                [(amounts.get(s.pk), per_year.get(plan.year, {}).get(s.pk)) for s in sources],
            )
        )
    planned_total = sum(b.planned_amount for b in budgets)
    return render(
        request,
        "planning/programme_detail.html",
        {
            "programme": programme,
            "budgets": budgets,
            "planned_total": planned_total,
            "targets": programme.targets.select_related("indicator"),
            "plan_rows": plan_rows,
            "sources": sources,
            "is_manager": _is_manager(request.user),
            "history": change_history.programme_history(programme),
        },
    )


def _edit_with_formsets(request, *, form, formsets, template, context):
    if request.method == "POST" and form.is_valid() and all(fs.is_valid() for fs in formsets):
        with transaction.atomic():
            obj = form.save()
            for formset in formsets:
                formset.instance = obj
                formset.save()
        messages.success(request, _("Đã lưu."))
        return obj
    return render(request, template, {"form": form, "formsets": formsets, **context})


@manager_required
def programme_edit(request, pk=None):
    programme = get_object_or_404(Programme, pk=pk) if pk else Programme()
    data = request.POST or None
    form = ProgrammeForm(data, instance=programme)
    formsets = [
        ProgrammeBudgetFormSet(data, instance=programme, prefix="budgets"),
        ProgrammeTargetFormSet(data, instance=programme, prefix="targets"),
    ]
    result = _edit_with_formsets(
        request,
        form=form,
        formsets=formsets,
        template="planning/programme_form.html",
        context={"programme": programme if pk else None},
    )
    if isinstance(result, Programme):
        return redirect("planning:programme_detail", pk=result.pk)
    return result


@login_required
@require_safe
def plan_detail(request, year):
    plan = get_object_or_404(AnnualPlan.objects.select_related("programme"), year=year)
    sources = _sources()
    amounts = _by_source(plan.budgets.all(), "amount")
    allocations = list(Allocation.objects.for_list().filter(year=year))
    figures = budget.allocation_figures(allocations)
    per_source = _year_allocations([year]).get(year, {})
    projects = access.scope_by_locality(Project.objects.filter(year=year), request.user)
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "source_rows": [(s, amounts.get(s.pk), per_source.get(s.pk)) for s in sources],
            "plan_total": sum(a for a in amounts.values() if a),
            "targets": plan.targets.select_related("indicator"),
            "allocation_rows": [(a, figures[a.pk]) for a in allocations],
            "project_count": projects.count(),
            "is_manager": _is_manager(request.user),
            "history": change_history.plan_history(plan),
        },
    )


@manager_required
def plan_edit(request, year=None):
    plan = get_object_or_404(AnnualPlan, year=year) if year else AnnualPlan()
    if not year and request.method == "GET":
        plan.year = timezone.localdate().year + 1
        plan.programme = Programme.objects.filter(
            start_year__lte=plan.year, end_year__gte=plan.year
        ).first()
    data = request.POST or None
    form = AnnualPlanForm(data, instance=plan)
    formsets = [
        PlanBudgetFormSet(data, instance=plan, prefix="budgets"),
        PlanTargetFormSet(data, instance=plan, prefix="targets"),
    ]
    result = _edit_with_formsets(
        request,
        form=form,
        formsets=formsets,
        template="planning/plan_form.html",
        context={"plan": plan if year else None},
    )
    if isinstance(result, AnnualPlan):
        return redirect("planning:plan_detail", year=result.year)
    return result


# --- allocations ----------------------------------------------------------------------------


@login_required
@require_safe
def allocation_list(request):
    filterset = AllocationFilter(request.GET or None, queryset=Allocation.objects.for_list())
    page = Paginator(filterset.qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    figures = budget.allocation_figures(rows)
    total = budget.AllocationFigures()
    for f in figures.values():
        total.allocated += f.allocated
        total.approved += f.approved
        total.disbursed += f.disbursed
        total.settled += f.settled
        total.released += f.released
    return render(
        request,
        "planning/allocation_list.html",
        {
            "filter": filterset,
            "page": page,
            "rows": [(a, figures[a.pk]) for a in rows],
            "total": total,
            "is_manager": _is_manager(request.user),
        },
    )


@login_required
@require_safe
def allocation_detail(request, pk):
    allocation = get_object_or_404(Allocation.objects.for_list(), pk=pk)
    figures = budget.allocation_figures([allocation])[allocation.pk]
    projects = access.scope_by_locality(
        Project.objects.for_list().filter(allocation=allocation), request.user
    ).order_by("code")
    return render(
        request,
        "planning/allocation_detail.html",
        {
            "allocation": allocation,
            "figures": figures,
            "projects": projects,
            "is_manager": _is_manager(request.user),
            "history": change_history.allocation_history(allocation),
        },
    )


@manager_required
def allocation_edit(request, pk=None):
    allocation = get_object_or_404(Allocation, pk=pk) if pk else Allocation()
    if request.method == "POST":
        with transaction.atomic():
            if pk:
                # Approvals lock the allocation row; so does this, so the amount can never be
                # lowered under what an approval is committing at the same moment.
                allocation = Allocation.objects.select_for_update().get(pk=pk)
            form = AllocationForm(request.POST, instance=allocation)
            if form.is_valid():
                allocation = form.save()
                messages.success(request, _("Đã lưu kinh phí được giao %(a)s.") % {"a": allocation})
                return redirect("planning:allocation_detail", pk=allocation.pk)
    else:
        form = AllocationForm(instance=allocation)
    return render(
        request,
        "planning/allocation_form.html",
        {"form": form, "allocation": allocation if pk else None},
    )


# --- support norms --------------------------------------------------------------------------


@login_required
@require_safe
def norm_list(request):
    today = timezone.localdate()
    norms = list(SupportNorm.objects.select_related("activity_type", "funding_source"))
    for norm in norms:
        norm.in_force = norm.effective_from <= today and (
            norm.effective_to is None or norm.effective_to >= today
        )
    show = request.GET.get("hien", "")
    if show != "tat-ca":
        norms = [n for n in norms if n.in_force or n.effective_from > today]
    return render(
        request,
        "planning/norm_list.html",
        {"norms": norms, "show_all": show == "tat-ca", "is_manager": _is_manager(request.user)},
    )


@manager_required
def norm_edit(request, pk=None):
    norm = get_object_or_404(SupportNorm, pk=pk) if pk else SupportNorm()
    form = SupportNormForm(request.POST or None, instance=norm)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Đã lưu định mức hỗ trợ."))
        return redirect("planning:norm_list")
    history = change_history.norm_history(norm) if pk else []
    context = {"form": form, "norm": norm if pk else None, "history": history}
    return render(request, "planning/norm_form.html", context)


# --- reference lists: funding sources and activity types ------------------------------------

CATALOGUES = {
    "sources": (FundingSource, FundingSourceForm),
    "activities": (ActivityType, ActivityTypeForm),
}


@login_required
@require_safe
def catalogue(request):
    return render(
        request,
        "planning/catalogue.html",
        {
            "sources": FundingSource.objects.all(),
            "activities": ActivityType.objects.all(),
            "is_manager": _is_manager(request.user),
        },
    )


@manager_required
def catalogue_edit(request, kind, pk=None):
    if kind not in CATALOGUES:
        raise Http404
    model, form_class = CATALOGUES[kind]
    obj = get_object_or_404(model, pk=pk) if pk else model()
    form = form_class(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Đã lưu “%(name)s”.") % {"name": form.instance.name})
        return redirect("planning:catalogue")
    return render(
        request,
        "planning/catalogue_form.html",
        {
            "form": form,
            "obj": obj if pk else None,
            "verbose_name": model._meta.verbose_name,
            "history": change_history.catalogue_history(obj) if pk else [],
        },
    )
