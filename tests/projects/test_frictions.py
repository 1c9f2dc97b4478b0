"""Small frictions an officer met on the way (issue 15): each one, as the officer would see it."""

import pytest
from django.urls import reverse

from projects.models import Project
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
