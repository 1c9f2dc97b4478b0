"""Forms: money input, the application's rules, uploads, allocations, norms and formsets."""

# Fixtures come from tests/projects/screens.py: imported by name, then requested by name.
# ruff: noqa: F401, F811

import datetime

import pytest
from django import forms as django_forms
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import workflow
from projects.forms import (
    AllocationForm,
    DocumentForm,
    MoneyField,
    MoneyInput,
    ProgrammeBudgetFormSet,
    ProjectForm,
    SupportNormForm,
)
from projects.models import Programme, SupportNorm
from tests.projects.screens import M, at_state, form_values

TODAY = datetime.date(2026, 3, 1)


class TestMoneyField:
    @pytest.mark.parametrize(
        ("typed", "amount"),
        [
            ("1.075.000.000", 1_075_000_000),
            ("1075000000", 1_075_000_000),
            (" 1 075 000 000 ", 1_075_000_000),
            ("1.075.000.000 ₫", 1_075_000_000),
            ("850.000.000 đồng", 850_000_000),
            ("0", 0),
        ],
    )
    def test_it_reads_the_ways_officers_write_amounts(self, typed, amount):
        assert MoneyField().clean(typed) == amount

    @pytest.mark.parametrize("typed", ["1,5", "12a", "1.000,50", "mười triệu", "١٢٣"])
    def test_it_refuses_what_is_not_a_whole_number_of_dong(self, typed):
        with pytest.raises(django_forms.ValidationError) as error:
            MoneyField().clean(typed)
        assert "số nguyên đồng" in error.value.messages[0]

    def test_it_refuses_negative_amounts(self):
        with pytest.raises(django_forms.ValidationError) as error:
            MoneyField().clean("-1.000")
        assert error.value.messages == ["Số tiền không được âm."]

    def test_it_is_required_unless_said_otherwise(self):
        with pytest.raises(django_forms.ValidationError):
            MoneyField().clean("")
        assert MoneyField(required=False).clean("") is None

    def test_it_shows_amounts_with_dot_grouping(self):
        assert 'value="1.075.000.000"' in MoneyInput().render("x", 1_075_000_000)


@pytest.mark.django_db
class TestProjectForm:
    def form(self, user, instance=None, **overrides):
        return ProjectForm(form_values(**overrides), user=user, instance=instance, today=TODAY)

    def test_a_valid_application(self, officer, machinery, local_source, commune_a1):
        form = self.form(
            officer,
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            locality=commune_a1.pk,
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["other_funds"] == 0

    def test_the_norm_of_the_application_date_applies(
        self, officer, machinery, national_source, commune_a1
    ):
        values = {
            "activity_type": machinery.pk,
            "funding_source": national_source.pk,
            "locality": commune_a1.pk,
            "total_cost": "500.000.000",
            "requested_support": "250.000.000",
            "counterpart_funds": "250.000.000",
        }
        assert self.form(officer, **values).is_valid()  # 50% of 500 million, under 300 million
        SupportNorm.objects.filter(activity_type=machinery, funding_source=national_source).update(
            effective_to=datetime.date(2026, 2, 28)
        )
        SupportNorm.objects.create(
            activity_type=machinery,
            funding_source=national_source,
            max_rate_percent=30,
            max_amount=300 * M,
            effective_from=datetime.date(2026, 3, 1),
            legal_basis="Quy định mới (thử nghiệm)",
        )
        form = self.form(officer, **values)
        assert not form.is_valid()
        error = form.errors["requested_support"][0]
        assert "vượt định mức 150.000.000 ₫" in error
        assert "Quy định mới (thử nghiệm)" in error

    def test_a_manager_override_on_the_project_lifts_the_norm(
        self, officer, manager, make_project, national_source
    ):
        project = make_project(
            officer, funding_source=national_source, total_cost=1000 * M, counterpart_funds=750 * M
        )
        values = {
            "activity_type": project.activity_type_id,
            "funding_source": national_source.pk,
            "locality": project.locality_id,
            "total_cost": "1.000.000.000",
            "requested_support": "500.000.000",
            "counterpart_funds": "500.000.000",
        }
        assert not self.form(officer, instance=project, **values).is_valid()
        project = workflow.override_norm(
            project=project, by=manager, reason="Vùng đặc biệt khó khăn"
        )
        assert self.form(officer, instance=project, **values).is_valid()

    def test_neither_facility_nor_locality_is_an_error(self, officer, machinery, local_source):
        form = self.form(officer, activity_type=machinery.pk, funding_source=local_source.pk)
        assert "Chọn địa bàn thực hiện" in form.errors["locality"][0]

    def test_the_year_must_be_sane(self, officer, machinery, local_source, commune_a1):
        form = self.form(
            officer,
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            locality=commune_a1.pk,
            year="1999",
        )
        assert "year" in form.errors

    def test_centre_staff_may_file_anywhere_in_the_province(
        self, staff, machinery, local_source, facility_b
    ):
        form = self.form(
            staff,
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            facility=facility_b.pk,
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["locality"] == facility_b.locality

    def test_only_centre_staff_are_offered_as_responsible_officer(
        self, officer, staff, manager, viewer
    ):
        form = ProjectForm(user=officer)
        assert list(form.fields["responsible_officer"].queryset) == [staff]

    def test_workflow_fields_are_not_in_the_form(self, officer):
        fields = set(ProjectForm(user=officer).fields)
        for name in ("status", "code", "approved_amount", "allocation", "norm_override_reason"):
            assert name not in fields


class TestDocumentForm:
    def form(self, name, content):
        return DocumentForm({"kind": "proposal"}, {"file": SimpleUploadedFile(name, content)})

    def test_extension_and_leading_bytes_must_agree(self):
        assert self.form("a.pdf", b"%PDF-1.7 ...").is_valid()
        assert not self.form("a.docx", b"%PDF-1.7 ...").is_valid()
        assert not self.form("a.doc", b"PK\x03\x04....").is_valid()
        assert self.form("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1...").is_valid()
        assert not self.form("a.jpg", b"\x89PNG\r\n\x1a\n").is_valid()

    def test_an_empty_file_is_refused(self):
        form = self.form("a.pdf", b"")
        assert not form.is_valid()


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
