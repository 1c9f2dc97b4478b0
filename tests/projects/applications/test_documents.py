"""Documents of a project: upload with type and content checks, download only through access."""

# Fixtures come from tests/projects/screens.py: imported by name, then requested by name.
# ruff: noqa: F401, F811

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.models import ProjectDocument
from tests.projects.screens import at_state, messages_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"\x00" * 64
OLD_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 64


def upload(client, project, name, content, kind="proposal"):
    return client.post(
        reverse("projects:document_upload", args=[project.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, content), "note": "Bản ký"},
        follow=True,
    )


def download_url(project, document):
    return reverse("projects:document_download", args=[project.pk, document.pk])


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("Thuyết minh đề án.pdf", PDF),
        ("du-toan.docx", DOCX),
        ("du-toan.xlsx", DOCX),
        ("bao-cao.ods", DOCX),
        ("du-toan-cu.xls", OLD_XLS),
        ("anh hien truong.JPG", JPEG),
        ("so-do.png", PNG),
    ],
)
def test_it_accepts_pdf_office_files_and_images(login, officer, at_state, name, content):
    project = at_state("draft")
    response = upload(login(officer), project, name, content)
    document = ProjectDocument.objects.get()
    assert messages_of(response)[-1].startswith("Đã tải lên")
    assert document.original_name == name
    assert document.size == len(content)
    assert document.uploaded_by == officer
    # Stored under a server-chosen name, in the private media folder of the project.
    stored = Path(document.file.path)
    assert stored.parent == Path(settings.MEDIA_ROOT) / "documents" / str(project.pk)
    assert stored.stem != Path(name).stem


def test_it_refuses_a_forbidden_extension(login, officer, at_state):
    project = at_state("draft")
    response = upload(login(officer), project, "cai-dat.exe", EXE)
    assert "Không nhận tệp “cai-dat.exe”" in messages_of(response)[-1]
    assert not ProjectDocument.objects.exists()


def test_it_refuses_a_file_whose_content_does_not_match_its_extension(login, officer, at_state):
    project = at_state("draft")
    response = upload(login(officer), project, "hop-dong.pdf", EXE)
    assert "không phải tệp .pdf thật" in messages_of(response)[-1]
    response = upload(login(officer), project, "anh.png", PDF)
    assert "không phải tệp .png thật" in messages_of(response)[-1]
    assert not ProjectDocument.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(login, officer, at_state, settings):
    settings.MAX_UPLOAD_MB = 1
    project = at_state("draft")
    response = upload(login(officer), project, "lon.pdf", PDF + b"0" * (1024 * 1024))
    assert "vượt giới hạn 1 MB" in messages_of(response)[-1]
    assert not ProjectDocument.objects.exists()


def test_the_download_keeps_the_original_name_and_is_an_attachment(
    login, officer, viewer, at_state
):
    project = at_state("draft")
    upload(login(officer), project, "Dự toán chi tiết.pdf", PDF)
    document = ProjectDocument.objects.get()
    response = login(viewer).get(download_url(project, document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "D%E1%BB%B1%20to%C3%A1n%20chi%20ti%E1%BA%BFt.pdf" in disposition


def test_another_localitys_officer_can_neither_download_nor_upload(
    login, officer, other_officer, at_state
):
    project = at_state("draft")
    upload(login(officer), project, "de-an.pdf", PDF)
    document = ProjectDocument.objects.get()
    client = login(other_officer)
    assert client.get(download_url(project, document)).status_code == 404
    response = client.post(
        reverse("projects:document_upload", args=[project.pk]),
        {"kind": "other", "file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 404
    assert ProjectDocument.objects.count() == 1


def test_a_document_of_another_project_is_not_found_under_this_one(
    login, officer, staff, at_state, make_project, commune_b1
):
    mine = at_state("draft")
    theirs = make_project(staff, locality=commune_b1)
    upload(login(staff), theirs, "b.pdf", PDF)
    document = ProjectDocument.objects.get()
    assert login(officer).get(download_url(mine, document)).status_code == 404


def test_a_viewer_cannot_upload(login, viewer, at_state):
    project = at_state("draft")
    response = login(viewer).post(
        reverse("projects:document_upload", args=[project.pk]),
        {"kind": "other", "file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 403
    assert not ProjectDocument.objects.exists()


@pytest.mark.parametrize("state", ["submitted", "appraised", "approved"])
def test_uploads_continue_while_the_project_is_open(login, staff, at_state, state):
    project = at_state(state)
    upload(login(staff), project, "bien-ban.pdf", PDF, kind="minutes")
    assert ProjectDocument.objects.get().kind == "minutes"


@pytest.mark.parametrize("state", ["rejected", "cancelled"])
def test_a_closed_project_takes_no_more_documents(login, staff, at_state, state):
    project = at_state(state)
    response = upload(login(staff), project, "muon.pdf", PDF)
    assert "không tải thêm tài liệu được" in messages_of(response)[-1]
    assert not ProjectDocument.objects.exists()


def test_documents_have_no_public_address(login, officer, at_state, client):
    project = at_state("draft")
    upload(login(officer), project, "de-an.pdf", PDF)
    document = ProjectDocument.objects.get()
    client.logout()
    assert client.get(f"/media/{document.file.name}").status_code == 404
    response = client.get(download_url(project, document))
    assert response.status_code == 302  # to the login page


def test_the_kept_upload_fields_follow_the_language_and_the_settings(
    login, officer, at_state, settings
):
    """The upload form's fields are kept per process (a blank form: {% fixed by %}) under the
    language and the settings: each shows at once."""
    project = at_state("draft")
    client = login(officer)

    def fields(language="vi") -> str:
        client.cookies["django_language"] = language
        page = client.get(project.get_absolute_url()).content.decode()
        return page[page.index('id="upload-form"') :].split("</form>")[0]

    settings.MAX_UPLOAD_MB = 7
    vietnamese = fields()
    assert "tối đa 7 MB" in vietnamese and 'name="kind"' in vietnamese
    english = fields("en")
    assert english != vietnamese and "7 MB" in english
    settings.MAX_UPLOAD_MB = 3
    assert "tối đa 3 MB" in fields()
