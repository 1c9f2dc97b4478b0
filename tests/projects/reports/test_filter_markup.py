"""The report pages write their filter form in Python (report_tags.report_filters): the same
elements, attributes and texts as crispy's rendering of the same form, valid or with errors."""

from html.parser import HTMLParser

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from crispy_forms.utils import render_crispy_form

from projects.reports import forms as report_forms
from projects.templatetags.report_tags import crispy_field, report_filters

pytestmark = pytest.mark.django_db


class Outline(HTMLParser):
    """Elements with their attributes (order aside; class as a set) and the texts, whitespace
    aside: what a reader and a browser get from the markup."""

    def __init__(self):
        super().__init__()
        self.items = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "class" in attrs:
            attrs["class"] = " ".join(sorted(set(attrs["class"].split())))
        self.items.append(("<", tag, tuple(sorted(attrs.items()))))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in ("input",):
            self.items.append((">", tag))

    def handle_data(self, data):
        text = " ".join(data.split())
        if text:
            self.items.append(("text", text))


def outline(html: str) -> list:
    parser = Outline()
    parser.feed(str(html))
    return parser.items


FORMS = [
    (report_forms.AnnualForm, {"year": "2024", "unit": "trieu", "number": "12"}),
    (report_forms.AnnualForm, {"year": "20x4", "unit": "nope"}),
    (report_forms.FacilityStatsForm, {"first_year": "2024", "last_year": "2020"}),
    (report_forms.ProductForm, {}),
    (report_forms.ProgrammeForm, {"programme": "999"}),
]


@pytest.mark.parametrize("form_class,data", FORMS)
def test_a_report_filter_reads_as_crispy_writes_it(form_class, data, staff, commune_a1):
    form = form_class(data, user=staff)
    form.is_valid()
    assert outline(report_filters(form)) == outline(render_crispy_form(form))


@pytest.mark.parametrize(
    "data",
    [
        {"year_from": "2024", "year_to": "2024"},
        {"year_from": "2025", "year_to": "2024", "status": "draft", "unit": "ty"},
        {"year_from": "x", "year_to": "2024", "locality": "99999"},
    ],
)
def test_the_register_filter_reads_as_crispy_writes_it(data, officer, commune_a1):
    from projects.models import Project

    filterset = report_forms.RegisterFilter(
        data, queryset=Project.objects.all(), request=None, user=officer
    )
    filterset.is_valid()
    form = filterset.form
    assert outline(report_filters(form)) == outline(render_crispy_form(form))


@pytest.mark.parametrize(
    "data", [{"year": "2024"}, {"year": "abc", "grouping": "then"}, {"grouping": "nope"}]
)
def test_the_dashboards_fields_read_as_crispy_writes_them(data, staff):
    form = report_forms.DashboardForm(data, user=staff)
    form.is_valid()
    for name in ("year", "grouping"):
        assert outline(crispy_field(form[name])) == outline(as_crispy_field(form[name])), name
