"""The list filters' shared pieces (khuyencong/filters.py): the options read in one query are
kept, with what a list makes of them, only while the database gives the same rows."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from khuyencong.templatetags.portal import filter_field
from projects.applications.filters import ProjectFilter
from projects.models import FundingSource, Project


def _filter(user, data=None):
    request = RequestFactory().get("/", data or {})
    request.user = user
    return ProjectFilter(data, queryset=Project.objects.all(), request=request)


@pytest.mark.django_db
def test_the_options_follow_the_data_the_language_and_the_scope(staff, officer, commune_b1):
    first = _filter(staff).offered_choices()
    assert _filter(staff).offered_choices() is first  # the same rows: made once
    source = FundingSource.objects.order_by("pk").first()
    source.name = "Nguồn đổi tên <mới>"
    source.save()
    renamed = _filter(staff).offered_choices()
    assert renamed is not first
    assert (source.pk, f"Nguồn đổi tên <mới> ({source.code})") in renamed["funding_source"]
    html = str(filter_field(_filter(staff).form["funding_source"]))
    assert "Nguồn đổi tên &lt;mới&gt;" in html
    # An officer is offered only their own localities; staff the whole province.
    officers = dict(_filter(officer).offered_choices()["locality"])
    assert commune_b1.pk not in officers
    assert commune_b1.pk in dict(_filter(staff).offered_choices()["locality"])
    with translation.override("en"):
        english = _filter(staff).offered_choices()
    assert english is not _filter(staff).offered_choices()


@pytest.mark.django_db
def test_the_selected_option_is_marked_for_each_request(staff):
    source = FundingSource.objects.order_by("pk").last()
    plain = str(filter_field(_filter(staff).form["funding_source"]))
    assert plain.count(" selected") == 1
    assert '<option value="" selected>' in plain
    chosen = _filter(staff, {"funding_source": str(source.pk)})
    chosen.form.is_valid()
    html = str(filter_field(chosen.form["funding_source"]))
    assert f'<option value="{source.pk}" selected>' in html
    assert html.count(" selected") == 1
    assert str(filter_field(_filter(staff).form["funding_source"])) == plain
