"""Forms of the planning pages: allocations, norms and formsets."""

# Fixtures come from tests/projects/screens.py: imported by name, then requested by name.
# ruff: noqa: F401, F811

import datetime

import pytest
from django import forms as django_forms
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.applications import workflow
from projects.models import Programme, SupportNorm
from projects.planning.forms import AllocationForm, ProgrammeBudgetFormSet, SupportNormForm
from tests.projects.screens import M, at_state, form_values

TODAY = datetime.date(2026, 3, 1)


@pytest.mark.django_db
class TestAllocationForm:
    def test_the_amount_cannot_drop_below_what_is_approved(
        self, at_state, allocation, local_source
    ):
        at_state("approved")  # 250 million on `allocation`
        data = {
            "year": 2026,
            "funding_source": local_source.pk,
            "decision_number": allocation.decision_number,
            "decision_date": "10/01/2026",
            "amount": "200.000.000",
            "notes": "",
        }
        form = AllocationForm(data, instance=allocation)
        assert not form.is_valid()
        assert "250.000.000 ₫" in form.errors["amount"][0]
        # Year and source are locked once projects draw on it.
        assert form.fields["year"].disabled
        data["amount"] = "250.000.000"
        assert AllocationForm(data, instance=allocation).is_valid()

    def test_the_amount_must_be_positive(self, local_source):
        form = AllocationForm(
            {
                "year": 2026,
                "funding_source": local_source.pk,
                "decision_number": "1/QĐ",
                "decision_date": "10/01/2026",
                "amount": "0",
            }
        )
        assert "lớn hơn 0" in form.errors["amount"][0]


@pytest.mark.django_db
class TestSupportNormForm:
    def data(self, activity, source, **overrides):
        values = {
            "activity_type": activity.pk,
            "funding_source": source.pk,
            "max_rate_percent": "50",
            "max_amount": "300.000.000",
            "unit": "mỗi cơ sở",
            "effective_from": "01/01/2026",
            "effective_to": "",
            "legal_basis": "Nghị quyết HĐND tỉnh (thử nghiệm)",
        }
        values.update(overrides)
        return values

    def test_an_overlapping_norm_is_refused(self, machinery, national_source):
        form = SupportNormForm(self.data(machinery, national_source))
        assert not form.is_valid()
        assert "Đã có định mức khác" in form.non_field_errors()[0]

    def test_a_norm_needs_a_rate_or_an_amount(self, machinery, local_source):
        form = SupportNormForm(
            self.data(machinery, local_source, max_rate_percent="", max_amount="")
        )
        assert "Cần nhập tỷ lệ hỗ trợ tối đa" in form.non_field_errors()[0]

    def test_a_new_local_norm_is_saved(self, machinery, local_source):
        form = SupportNormForm(self.data(machinery, local_source))
        assert form.is_valid(), form.errors
        norm = form.save()
        assert norm.max_amount == 300 * M


@pytest.mark.django_db
def test_a_programme_budget_lists_each_source_once(local_source):
    programme = Programme.objects.create(name="Thử", start_year=2026, end_year=2030)
    data = {
        "budgets-TOTAL_FORMS": "2",
        "budgets-INITIAL_FORMS": "0",
        "budgets-0-funding_source": local_source.pk,
        "budgets-0-planned_amount": "1.000.000.000",
        "budgets-1-funding_source": local_source.pk,
        "budgets-1-planned_amount": "2.000.000.000",
    }
    formset = ProgrammeBudgetFormSet(data, instance=programme, prefix="budgets")
    assert not formset.is_valid()
    assert "mỗi nguồn kinh phí chỉ nhập một lần" in formset.forms[1].errors["funding_source"][0]
