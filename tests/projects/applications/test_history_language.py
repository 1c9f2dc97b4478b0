"""The project page's change history in the reader's language (issue 15): a step's reason is
stored as its Vietnamese message id, whatever language the actor used, and said in the
reader's language."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from projects.applications import workflow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _vietnamese_after():
    """A request in English leaves English active in this thread; later tests expect
    Vietnamese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _history(client, project, language):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    return page[page.index('id="lich-su"') :]


def test_a_steps_reason_is_shown_in_the_readers_language(make_project, officer, staff, login):
    project = make_project(officer)
    with translation.override("en"):  # the officer works in English
        workflow.submit(project=project, by=officer)
    assert project.history.first().history_change_reason == "Nộp đề án"
    client = login(staff)
    assert "Nộp đề án" in _history(client, project, "vi")
    english = _history(client, project, "en")
    assert "Submit project" in english and "Nộp đề án" not in english
