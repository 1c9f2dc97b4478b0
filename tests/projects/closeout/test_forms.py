"""The close-out forms' lists of people."""

import pytest

from khuyencong.models import User
from projects.closeout.forms import People
from tests.conftest import make_user


def in_order(users):
    """As the lists are ordered: by name, in the database's collation."""
    return list(User.objects.filter(pk__in=[u.pk for u in users]).order_by("full_name", "username"))


@pytest.fixture
def project(make_project, officer):
    return make_project(officer)  # in commune A1 of district A


def test_it_offers_the_editors_who_see_the_project_and_every_active_user_for_the_council(
    project, officer, other_officer, staff, manager, viewer, django_assert_num_queries
):
    root = make_user("quantri", "centre_staff", is_superuser=True, full_name="A Quản trị")
    retired = make_user("nghihuu", "centre_staff", is_active=False)
    people = People(project)
    # The locality tree and its changes, the active users and their localities; no more.
    with django_assert_num_queries(4):
        editors, council = people.editors, people.active_users
    assert editors == in_order([root, officer, staff, manager])
    assert council == in_order([officer, other_officer, staff, manager, viewer])
    assert retired not in council


def test_it_reads_the_users_once_for_either_list(project, staff, django_assert_num_queries):
    people = People(project)
    with django_assert_num_queries(2):
        assert staff in people.active_users
    with django_assert_num_queries(2):  # the locality tree only
        assert staff in people.editors
