"""The "Lịch sử thay đổi" of the planning pages: which records of simple_history each page
shows (khuyencong/history.py renders them). Children (budgets per source, targets) are listed
with their parent, so a raised allocation or a changed plan budget shows who, when, old → new."""

from django.utils.translation import gettext as _

from khuyencong.history import Entry, change_history
from projects.models import (
    ActivityType,
    Allocation,
    AnnualPlan,
    FundingSource,
    PlanBudget,
    Programme,
    ProgrammeBudget,
    SupportNorm,
    Target,
)

PARENTS = {"programme", "plan"}


def programme_history(programme: Programme) -> list[Entry]:
    return change_history(
        (Programme.history.filter(id=programme.pk), _("Chương trình")),
        (
            ProgrammeBudget.history.filter(programme_id=programme.pk),
            _("Kinh phí nguồn %(funding_source)s"),
        ),
        (Target.history.filter(programme_id=programme.pk), _("Chỉ tiêu %(indicator)s")),
        hidden=PARENTS,
    )


def plan_history(plan: AnnualPlan) -> list[Entry]:
    return change_history(
        (AnnualPlan.history.filter(id=plan.pk), _("Kế hoạch năm")),
        (PlanBudget.history.filter(plan_id=plan.pk), _("Kinh phí nguồn %(funding_source)s")),
        (Target.history.filter(plan_id=plan.pk), _("Chỉ tiêu %(indicator)s")),
        hidden=PARENTS,
    )


def allocation_history(allocation: Allocation) -> list[Entry]:
    return change_history((Allocation.history.filter(id=allocation.pk), _("Kinh phí được giao")))


def norm_history(norm: SupportNorm) -> list[Entry]:
    return change_history((SupportNorm.history.filter(id=norm.pk), _("Định mức hỗ trợ")))


def catalogue_history(obj: FundingSource | ActivityType) -> list[Entry]:
    return change_history((type(obj).history.filter(id=obj.pk), obj._meta.verbose_name))
