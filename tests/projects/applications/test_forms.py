"""Forms of the application: the application's rules and uploads."""

# Fixtures come from tests/projects/screens.py: imported by name, then requested by name.
# ruff: noqa: F401, F811

import datetime

import pytest
from django import forms as django_forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from projects.applications import workflow
from projects.applications.forms import DocumentForm, ProjectForm
from projects.models import Programme, Project, SupportNorm
from tests.projects.screens import M, at_state, form_values

TODAY = datetime.date(2026, 3, 1)


@pytest.mark.django_db
class TestProjectForm:
    def form(self, user, instance=None, **overrides):
        return ProjectForm(form_values(**overrides), user=user, instance=instance, today=TODAY)

    def warning(self, user, instance, **overrides):
        form = self.form(user, instance=instance, **overrides)
        assert form.is_valid(), form.errors
        return form.norm_warning

    def test_a_valid_application(self, officer, machinery, local_source, commune_a1):
        form = self.form(
            officer,
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            locality=commune_a1.pk,
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["other_funds"] == 0

    def test_the_norm_of_the_application_date_is_a_warning_not_a_refusal(
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
        # Saved as a draft all the same, so the manager decides on the real figure.
        assert form.is_valid(), form.errors
        assert "vượt định mức 150.000.000 ₫" in form.norm_warning
        assert "Quy định mới (thử nghiệm)" in form.norm_warning

    def test_an_application_filed_in_2017_is_measured_by_the_norm_of_2017(
        self, officer, make_project, national_source
    ):
        # 250 of 600 million: above the 2014 cap (200), within the 2018 cap (300).
        project = make_project(officer, funding_source=national_source, year=2017)
        filed = timezone.make_aware(datetime.datetime(2017, 6, 1, 9))
        Project.objects.filter(pk=project.pk).update(created_at=filed)
        project.refresh_from_db()
        values = {
            "activity_type": project.activity_type_id,
            "funding_source": national_source.pk,
            "locality": project.locality_id,
            "year": "2017",
            "total_cost": "600.000.000",
            "requested_support": "250.000.000",
            "counterpart_funds": "350.000.000",
        }
        form = self.form(officer, instance=project, **values)
        assert form.is_valid(), form.errors
        assert "200.000.000 ₫" in form.norm_warning

    def test_a_manager_override_silences_the_warning_up_to_its_amount(
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
        project = workflow.edit_project(
            project=project, by=officer, requested_support=500 * M, counterpart_funds=500 * M
        )
        assert self.warning(officer, project, **values)
        project = workflow.override_norm(
            project=project, by=manager, amount=500 * M, reason="Vùng đặc biệt khó khăn"
        )
        assert not self.warning(officer, project, **values)
        values |= {"requested_support": "600.000.000", "counterpart_funds": "400.000.000"}
        assert self.warning(officer, project, **values)

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
