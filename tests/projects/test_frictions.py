"""Small frictions an officer met on the way (issue 15): each one, as the officer would see it."""

import pytest
from django.urls import reverse

from khuyencong.models import Role
from projects.models import Project
from tests.conftest import make_user
from tests.projects.screens import M, at_state  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_approving_above_the_request_shows_the_refusal_once(login, manager, allocation, at_state):  # noqa: F811
    project = at_state("appraised")
    response = login(manager).post(
        reverse("projects:action", args=[project.pk, "approve"]),
        {
            "decision_number": "12/QĐ",
            "decision_date": "15.03.2026",
            "approved_amount": str(project.requested_support + M),
            "allocation": allocation.pk,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("không được vượt kinh phí đề nghị hỗ trợ") == 1
    assert Project.objects.get(pk=project.pk).approved_amount is None


def test_a_facility_page_offers_to_file_a_project_for_it(login, officer, viewer, facility_a):
    page = login(officer).get(reverse("facilities:detail", args=[facility_a.pk])).content.decode()
    assert f'href="{reverse("projects:create")}?facility={facility_a.pk}"' in page


def test_a_viewer_is_not_offered_to_file_a_project(client, login, viewer, facility_a):
    page = login(viewer).get(reverse("facilities:detail", args=[facility_a.pk])).content.decode()
    assert 'id="create-project"' not in page


def test_the_project_list_of_a_facility_files_for_that_facility(login, officer, facility_a):
    page = login(officer).get(reverse("projects:list"), {"facility": facility_a.pk})
    assert f'{reverse("projects:create")}?facility={facility_a.pk}"' in page.content.decode()


def test_the_application_form_preselects_the_named_facility(login, officer, facility_a):
    response = login(officer).get(reverse("projects:create"), {"facility": facility_a.pk})
    form = response.context["form"]
    assert str(form["facility"].value()) == str(facility_a.pk)
    assert f'<option value="{facility_a.pk}" selected>' in response.content.decode()


def test_another_localitys_facility_is_not_preselected(login, officer, facility_b):
    response = login(officer).get(reverse("projects:create"), {"facility": facility_b.pk})
    select = str(response.context["form"]["facility"])
    assert f'value="{facility_b.pk}"' not in select and " selected" not in select


def test_an_officer_may_name_himself_responsible_officer(login, officer, staff):
    response = login(officer).get(reverse("projects:create"))
    offered = set(response.context["form"].fields["responsible_officer"].queryset)
    assert officer in offered and staff in offered


def test_the_superuser_account_is_not_offered_as_responsible_officer(login, staff):
    root = make_user("quantri", Role.CENTRE_STAFF, is_superuser=True)
    response = login(staff).get(reverse("projects:create"))
    offered = set(response.context["form"].fields["responsible_officer"].queryset)
    assert staff in offered and root not in offered
