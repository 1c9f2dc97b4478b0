"""The project page's change history names a changed foreign key, and reads the names of only
the foreign keys that changed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_only_a_changed_foreign_key_is_named(make_project, officer, staff, login, training):
    project = make_project(officer)
    machinery = project.activity_type
    client = login(staff)
    url = reverse("projects:detail", args=[project.pk])
    with CaptureQueriesContext(connection) as created:
        client.get(url)
    project.activity_type = training
    project.save()
    with CaptureQueriesContext(connection) as changed:
        page = client.get(url).content.decode()
    history = page[page.index('id="lich-su"') :]
    assert f"<del>{machinery}</del> → <ins>{training}</ins>" in history
    # One more query: the activity types' names; locality, funding source, author… unchanged.
    assert len(changed) == len(created) + 1
