"""Change history on the planning pages; documents: long names, downloads in the audit log."""

# Fixtures come from tests/projects/screens.py: imported by name, then requested by name.
# ruff: noqa: F401, F811

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from khuyencong.models import AuditEvent, AuditKind
from projects.models import AnnualPlan, PlanBudget, ProjectDocument, SupportNorm
from tests.projects.screens import M, at_state

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def history_of(page: str) -> str:
    return page[page.index('id="lich-su"') :]


def edit_allocation(client, allocation, amount: str):
    return client.post(
        reverse("planning:allocation_edit", args=[allocation.pk]),
        {
            "year": allocation.year,
            "funding_source": allocation.funding_source_id,
            "decision_number": allocation.decision_number,
            "decision_date": allocation.decision_date.strftime("%d/%m/%Y"),
            "amount": amount,
            "notes": "",
        },
    )


def test_a_raised_allocation_shows_who_when_and_old_to_new(login, manager, viewer, allocation):
    assert allocation.amount == 1000 * M
    response = edit_allocation(login(manager), allocation, "1.200.000.000")
    assert response.status_code == 302
    page = login(viewer).get(reverse("planning:allocation_detail", args=[allocation.pk]))
    history = history_of(page.content.decode())
    assert "Lịch sử thay đổi" in history
    assert manager.display_name in history
    assert re.search(r"<del>1\.000\.000\.000 ₫</del>.*<ins>1\.200\.000\.000 ₫</ins>", history)
    assert "Kinh phí được giao" in history


def test_the_allocation_page_runs_the_same_queries_however_long_its_history(
    login, manager, viewer, allocation
):
    client = login(manager)
    edit_allocation(client, allocation, "1.100.000.000")
    url = reverse("planning:allocation_detail", args=[allocation.pk])
    viewer_client = login(viewer)
    with CaptureQueriesContext(connection) as short:
        viewer_client.get(url)
    client = login(manager)
    for amount in ("1.200.000.000", "1.300.000.000", "1.400.000.000"):
        edit_allocation(client, allocation, amount)
    viewer_client = login(viewer)
    with CaptureQueriesContext(connection) as long:
        viewer_client.get(url)
    assert len(long) == len(short)


def test_a_changed_plan_budget_shows_on_the_plan_page(login, manager, local_source):
    plan = AnnualPlan.objects.create(year=2026, decision_number="1/QĐ")
    budget = PlanBudget.objects.create(plan=plan, funding_source=local_source, amount=850 * M)
    data = {
        "year": "2026",
        "programme": "",
        "decision_number": "2/QĐ",
        "decision_date": "",
        "notes": "",
        "budgets-TOTAL_FORMS": "1",
        "budgets-INITIAL_FORMS": "1",
        "budgets-0-id": budget.pk,
        "budgets-0-funding_source": local_source.pk,
        "budgets-0-amount": "900.000.000",
        "targets-TOTAL_FORMS": "0",
        "targets-INITIAL_FORMS": "0",
    }
    client = login(manager)
    assert client.post(reverse("planning:plan_edit", args=[2026]), data).status_code == 302
    history = history_of(client.get(reverse("planning:plan_detail", args=[2026])).content.decode())
    assert f"Kinh phí nguồn {local_source}" in history
    assert "<del>850.000.000 ₫</del>" in history and "<ins>900.000.000 ₫</ins>" in history
    assert "<del>1/QĐ</del>" in history and "<ins>2/QĐ</ins>" in history


def test_norms_and_reference_lists_show_their_history(login, manager, local_source):
    client = login(manager)
    url = reverse("planning:catalogue_edit", args=["sources", local_source.pk])
    assert "Chưa có thay đổi nào được ghi lại." in client.get(url).content.decode()
    old_name = local_source.name
    local_source.name = "Khuyến công địa phương (đổi tên)"
    local_source.save()  # loaded by a migration: the first recorded version
    local_source.name = "Khuyến công địa phương (lần hai)"
    local_source.save()
    history = history_of(client.get(url).content.decode())
    assert "<del>(không rõ)</del>" in history and f">{old_name}<" not in history
    assert "<del>Khuyến công địa phương (đổi tên)</del>" in history
    assert "<ins>Khuyến công địa phương (lần hai)</ins>" in history
    norm = SupportNorm.objects.first()
    norm.max_rate_percent = 40
    norm.save()
    page = client.get(reverse("planning:norm_edit", args=[norm.pk])).content.decode()
    assert "Lịch sử thay đổi" in page and "<ins>40" in history_of(page)


def test_a_document_name_of_200_characters_is_accepted(login, officer, at_state):
    project = at_state("draft")
    name = "Thuyết minh " + "x" * (200 - len("Thuyết minh ") - 4) + ".pdf"
    assert len(name) == 200
    login(officer).post(
        reverse("projects:document_upload", args=[project.pk]),
        {"kind": "proposal", "file": SimpleUploadedFile(name, PDF), "note": ""},
    )
    assert ProjectDocument.objects.get().original_name == name


def test_a_download_is_recorded_and_not_cached(login, officer, at_state):
    project = at_state("draft")
    client = login(officer)
    client.post(
        reverse("projects:document_upload", args=[project.pk]),
        {"kind": "proposal", "file": SimpleUploadedFile("to-trinh.pdf", PDF), "note": ""},
    )
    document = ProjectDocument.objects.get()
    response = client.get(reverse("projects:document_download", args=[project.pk, document.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(kind=AuditKind.DOWNLOAD)
    assert (event.user, event.object_repr) == (officer, "to-trinh.pdf")
    assert event.details == {"project": project.code}


def test_exports_are_recorded(login, staff):
    client = login(staff)
    client.get(reverse("projects:export"))
    client.get(reverse("facilities:export"))
    client.get(reverse("reports:annual"), {"format": "xlsx"})
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, user=staff).count() == 3
