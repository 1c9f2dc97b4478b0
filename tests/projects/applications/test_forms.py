"""Forms of the application: the application's rules and uploads."""

# Fixtures come from tests/projects/screens.py: imported by name, then requested by name.
# ruff: noqa: F401, F811

import datetime

import pytest
from django import forms as django_forms
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.applications.forms import DocumentForm, ProjectForm
from projects.models import Programme
from tests.projects.screens import M, at_state, form_values

TODAY = datetime.date(2026, 3, 1)


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

    def test_a_request_above_the_norm_is_not_a_form_error(
        self, officer, machinery, national_source, commune_a1
    ):
        # 400 of 1 billion, above the 300 million the norm allows: the application is saved as
        # a draft marked for the manager (see test_workflow.py), not refused here.
        form = self.form(
            officer,
            activity_type=machinery.pk,
            funding_source=national_source.pk,
            locality=commune_a1.pk,
            total_cost="1.000.000.000",
            requested_support="400.000.000",
            counterpart_funds="600.000.000",
        )
        assert form.is_valid(), form.errors

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

    def test_centre_staff_and_the_officer_himself_are_offered_as_responsible_officer(
        self, officer, other_officer, staff, manager, viewer
    ):
        form = ProjectForm(user=officer)
        assert set(form.fields["responsible_officer"].queryset) == {staff, officer}

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
