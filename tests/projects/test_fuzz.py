"""Bad input on every main form never reaches the database as a server error.

Each form is read from its page as a browser would (field names and the values the page
offers), then posted again with one field at a time replaced by something a careless or hostile
user might type. The Django test client re-raises any exception of the view, so a 500 fails the
test; on PostgreSQL (CI) an integer past its column or a NUL byte would fail it too. Refused
input must also leave no row behind.
"""

import datetime
import html
import re

import pytest
from django.urls import reverse

from khuyencong.money import MAX_MONEY
from projects.closeout import steps
from projects.models import Allocation, Disbursement, MonitoringVisit, Project
from tests.projects.screens import at_state  # noqa: F401  (a fixture, requested by name)

pytestmark = pytest.mark.django_db

NASTY = [
    "1.5",  # a decimal point, not a thousands separator
    "5.0000.000",
    "3000000000",  # past a 32-bit column
    str(MAX_MONEY * 100_000),  # past a 64-bit column
    "-1",
    "１２",  # full-width digits
    "nul\x00byte",
    "31/12/9999",
    "01/01/0001",
    '=HYPERLINK("http://x")',
    "x" * 5000,
]

FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>(.*?)(?:</\1>)?", re.IGNORECASE | re.DOTALL)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
OPTION = re.compile(r"<option\b([^>]*)>", re.IGNORECASE)


def form_data(page: str) -> dict[str, str]:
    """The fields of the page's POST forms with the values a user would send untouched."""
    data: dict[str, str] = {}
    for form in re.findall(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', page, re.S | re.I):
        for tag, attrs_text, inner in FIELD.findall(form):
            attrs = dict(ATTR.findall(attrs_text))
            name = attrs.get("name")
            if not name or name == "csrfmiddlewaretoken" or "disabled" in attrs_text:
                continue
            kind = attrs.get("type", "text").lower()
            if tag.lower() == "select":
                options = [
                    dict(ATTR.findall(o)) for o in OPTION.findall(inner.split("</select>")[0])
                ]
                chosen = [o for o in options if "selected" in o] or [
                    o for o in options if o.get("value")
                ]
                data[name] = chosen[0].get("value", "") if chosen else ""
            elif tag.lower() == "textarea":
                data[name] = html.unescape(inner.split("</textarea>")[0].strip())
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs_text:
                    data[name] = attrs.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                data[name] = html.unescape(attrs.get("value", ""))
    return data


def fuzz(client, url: str, count_rows) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    base = form_data(page.content.decode())
    assert base, f"no form fields found on {url}"
    sent = 0
    for name in base:
        if name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")):
            continue
        for value in NASTY:
            before = count_rows()
            response = client.post(url, {**base, name: value})
            sent += 1
            assert response.status_code in (200, 302), (url, name, value, response.status_code)
            if response.status_code == 200:
                # Refused: the page shows the form again and nothing was saved.
                assert count_rows() == before, (url, name, value)
    return sent


def test_the_application_form_survives_bad_input(login, officer, facility_a, allocation):
    client = login(officer)
    sent = fuzz(client, reverse("projects:create"), Project.objects.count)
    assert sent > 100


def test_the_approval_and_appraisal_forms_survive_bad_input(login, staff, manager, at_state):  # noqa: F811
    submitted = at_state("submitted")
    fuzz(login(staff), reverse("projects:action", args=[submitted.pk, "appraise"]), lambda: 0)
    appraised = at_state("appraised")
    fuzz(
        login(manager),
        reverse("projects:action", args=[appraised.pk, "approve"]),
        lambda: Project.objects.filter(approved_amount__isnull=False).count(),
    )


def test_the_close_out_forms_survive_bad_input(login, staff, make_approved_project):
    project = make_approved_project()
    project = steps.start(
        project=project,
        by=staff,
        contract_number="01/HĐ",
        contract_date=datetime.date(2025, 3, 1),
    )
    client = login(staff)
    fuzz(client, reverse("projects:disburse", args=[project.pk]), Disbursement.objects.count)
    fuzz(client, reverse("projects:record_visit", args=[project.pk]), MonitoringVisit.objects.count)


def test_the_planning_forms_survive_bad_input(login, manager, local_source):
    client = login(manager)
    fuzz(client, reverse("planning:allocation_create"), Allocation.objects.count)
    fuzz(client, reverse("planning:plan_create"), lambda: 0)
    fuzz(client, reverse("planning:programme_create"), lambda: 0)
    fuzz(client, reverse("planning:norm_create"), lambda: 0)


def test_the_facility_forms_survive_bad_input(login, officer, facility_a):
    client = login(officer)
    from facilities.models import Facility, YearlyFigure

    fuzz(client, reverse("facilities:create"), Facility.objects.count)
    fuzz(
        client,
        reverse("facilities:figure_create", args=[facility_a.pk]),
        YearlyFigure.objects.count,
    )


def test_a_nul_byte_in_a_follow_up_note_is_refused_not_a_server_error(
    login, staff, make_approved_project
):
    from projects.models import FollowUpAction

    project = make_approved_project()
    project = steps.start(
        project=project, by=staff, contract_number="01/HĐ", contract_date=datetime.date(2025, 3, 1)
    )
    steps.record_visit(
        project=project,
        by=staff,
        date=datetime.date(2025, 4, 1),
        officers=[staff],
        place="Xưởng",
        progress_percent=20,
        findings="Chậm",
        actions=[("Bổ sung hồ sơ", staff, datetime.date(2025, 5, 1))],
    )
    action = FollowUpAction.objects.get()
    response = login(staff).post(
        reverse("projects:complete_follow_up", args=[project.pk, action.pk]),
        {"note": "xong\x00"},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_at is None
