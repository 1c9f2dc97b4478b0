"""Forms of the planning pages: programmes, annual plans with budgets and targets, allocations,
support norms and the reference lists. Rules about money live in projects/planning/budget.py."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from khuyencong.forms import (
    MoneyField,
    bound_numbers,
    date_fields,
    past_date_fields,
    year_fields,
)
from khuyencong.money import format_vnd
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
from projects.planning import budget

# --- planning -------------------------------------------------------------------------------


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


def _table_helper():
    helper = FormHelper()
    helper.form_tag = False
    helper.template = "bootstrap5/table_inline_formset.html"
    return helper


class PlanningForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        bound_numbers(self)


class ProgrammeForm(PlanningForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "start_year",
            "end_year",
            "decision_number",
            "decision_date",
            "issuer",
            "notes",
        ]
        field_classes = {
            **year_fields("start_year", "end_year"),
            **past_date_fields("decision_date"),
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class AnnualPlanForm(PlanningForm):
    class Meta:
        model = AnnualPlan
        fields = ["year", "programme", "decision_number", "decision_date", "notes"]
        field_classes = {**year_fields("year"), **past_date_fields("decision_date")}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class UniqueChoiceFormSet(forms.BaseInlineFormSet):
    """An inline formset in which one column (source, indicator) may appear only once."""

    unique_field = ""
    duplicate_message = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _table_helper()

    def add_fields(self, form, index):
        super().add_fields(form, index)
        bound_numbers(form)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Xóa")

    def clean(self):
        # Before Django's own unique check, so the user reads which row repeats and why.
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            value = form.cleaned_data.get(self.unique_field)
            if value is None:
                continue
            if value in seen:
                form.add_error(self.unique_field, self.duplicate_message % {"value": value})
            seen.add(value)
        super().clean()


class BudgetFormSet(UniqueChoiceFormSet):
    unique_field = "funding_source"
    duplicate_message = _(
        "Nguồn “%(value)s” đã có ở dòng trên; mỗi nguồn kinh phí chỉ nhập một lần."
    )


class TargetFormSet(UniqueChoiceFormSet):
    unique_field = "indicator"
    duplicate_message = _("Chỉ tiêu “%(value)s” đã có ở dòng trên; mỗi chỉ tiêu chỉ nhập một lần.")


def _inline(parent, model, fields, formset, money=None, **kwargs):
    return forms.inlineformset_factory(
        parent,
        model,
        fields=fields,
        formset=formset,
        field_classes={money: MoneyField} if money else {},
        extra=kwargs.pop("extra", 2),
        can_delete=True,
        **kwargs,
    )


ProgrammeBudgetFormSet = _inline(
    Programme,
    ProgrammeBudget,
    ["funding_source", "planned_amount"],
    BudgetFormSet,
    money="planned_amount",
)
TARGET_LABELS = {"value": _("Số lượng")}
ProgrammeTargetFormSet = _inline(
    Programme,
    Target,
    ["indicator", "value"],
    TargetFormSet,
    fk_name="programme",
    extra=3,
    labels=TARGET_LABELS,
)
PlanBudgetFormSet = _inline(
    AnnualPlan, PlanBudget, ["funding_source", "amount"], BudgetFormSet, money="amount"
)
PlanTargetFormSet = _inline(
    AnnualPlan,
    Target,
    ["indicator", "value"],
    TargetFormSet,
    fk_name="plan",
    extra=3,
    labels=TARGET_LABELS,
)


class AllocationForm(PlanningForm):
    amount = MoneyField(label=_("Kinh phí được giao (đồng)"))

    class Meta:
        model = Allocation
        fields = ["year", "funding_source", "decision_number", "decision_date", "amount", "notes"]
        field_classes = {**year_fields("year"), **past_date_fields("decision_date")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.committed = 0
        if self.instance.pk:
            figures = budget.allocation_figures([self.instance])[self.instance.pk]
            # What approvals hold on to: approved minus what settlement or cancellation released.
            self.committed = figures.approved - figures.released
            if figures.projects:
                # Approved projects point at this allocation for their year and source.
                for name in ("year", "funding_source"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _(
                        "Không sửa được vì đã có đề án được phê duyệt trên kinh phí này."
                    )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("Kinh phí được giao phải lớn hơn 0."))
        if amount is not None and amount < self.committed:
            raise forms.ValidationError(
                _(
                    "Kinh phí được giao không được thấp hơn số đã phê duyệt cho các đề án "
                    "(%(committed)s)."
                )
                % {"committed": format_vnd(self.committed)}
            )
        return amount


class SupportNormForm(PlanningForm):
    max_amount = MoneyField(label=_("Mức hỗ trợ tối đa (đồng)"), required=False)

    class Meta:
        model = SupportNorm
        fields = [
            "activity_type",
            "funding_source",
            "max_rate_percent",
            "max_amount",
            "unit",
            "effective_from",
            "effective_to",
            "legal_basis",
        ]
        field_classes = date_fields("effective_from", "effective_to")
        help_texts = {
            "max_rate_percent": _("Phần trăm tổng kinh phí đề án; để trống nếu chỉ có mức tối đa."),
            "effective_to": _("Để trống nếu còn hiệu lực."),
        }

    def clean(self):
        data = super().clean()
        if data.get("max_rate_percent") is None and data.get("max_amount") is None:
            raise forms.ValidationError(
                _("Cần nhập tỷ lệ hỗ trợ tối đa, mức hỗ trợ tối đa, hoặc cả hai.")
            )
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error(
                "effective_to", _("Ngày hết hiệu lực phải trùng hoặc sau ngày có hiệu lực.")
            )
        return data


class FundingSourceForm(PlanningForm):
    class Meta:
        model = FundingSource
        fields = ["code", "name", "is_national", "order"]


class ActivityTypeForm(PlanningForm):
    class Meta:
        model = ActivityType
        fields = [
            "code",
            "name",
            "order",
            "is_active",
            "max_advance_percent",
            "advance_legal_basis",
            "advance_confirmed",
        ]
