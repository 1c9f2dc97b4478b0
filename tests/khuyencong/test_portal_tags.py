"""The list filters' fields are built in Python (templatetags.portal.filter_field) for speed; the
page must not change: the markup is crispy's, field for field, with and without errors."""

import re

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.test import RequestFactory

from facilities.filters import FacilityFilter
from facilities.models import Facility
from khuyencong.templatetags.portal import filter_field
from projects.applications.filters import ProjectFilter
from projects.models import Project


def _same(html: str) -> str:
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(r"\s*([<>])\s*", r"\1", html).strip()


def _forms(user, data):
    request = RequestFactory().get("/", data)
    request.user = user
    return [
        ProjectFilter(data, queryset=Project.objects.all(), request=request).form,
        FacilityFilter(data, queryset=Facility.objects.all(), request=request).form,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": "Giang <b>", "year": "2025", "locality": "", "o": "-name"},
        {"status": "zzz", "year": "1990", "locality": "999999", "legal_form": "x"},
    ],
)
def test_it_renders_the_filter_fields_as_crispy_does(staff, officer, facility_a, data):
    for user in (staff, officer):
        fast_forms, crispy_forms = _forms(user, data), _forms(user, data)
        for fast, slow in zip(fast_forms, crispy_forms, strict=True):
            fast.is_valid(), slow.is_valid()
            for name, field in fast.fields.items():
                if isinstance(field.widget, forms.HiddenInput):
                    continue
                assert _same(filter_field(fast[name])) == _same(as_crispy_field(slow[name])), name


@pytest.mark.django_db
def test_it_shows_the_error_of_a_field(staff):
    (form, _facilities) = _forms(staff, {"status": "zzz"})
    form.is_valid()
    html = str(filter_field(form["status"]))
    assert 'class="select form-select is-invalid"' in html
    assert 'id="id_status_error" class="invalid-feedback"' in html
