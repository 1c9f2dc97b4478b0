"""The list pages' queries can read their indexes on PostgreSQL (migrations projects 0008 and
facilities 0004). The test tables are tiny, where a scan is always cheapest, so sequential scans
(and, for the searches, plain index scans) are switched off: the plan then shows whether an index
exists that serves the query's shape, which is what a province-sized table needs."""

import datetime

import pytest
from django.db import connection, transaction
from django.test import RequestFactory

from facilities import views as facility_views
from projects.applications import views as project_views
from projects.reports.dashboard import overdue_actions, overdue_projects


def plan(queryset, *, plain_index_scans: bool = True) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not plain_index_scans:
            cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def list_query(view_module, user, query: str):
    request = RequestFactory().get(f"/?{query}")
    request.user = user
    return view_module.filtered(request).qs[:25]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("", "project_list_order"),
        ("page=3", "project_list_order"),
        ("sort=-year", "project_list_order"),
        ("sort=title", "project_sort_title"),
        ("sort=-requested", "project_sort_requested"),
        ("sort=approved", "project_sort_approved"),
        ("sort=start", "project_sort_start"),
        ("status=in_progress", "project_status_order"),
    ],
)
def test_the_project_list_reads_an_index_in_its_order(staff, facility_a, query, index):
    assert index in plan(list_query(project_views, staff, query))


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "index"), [("", "facility_list_order"), ("o=-name", "facility_list_order")]
)
def test_the_facility_list_reads_an_index_in_its_order(staff, facility_a, query, index):
    assert index in plan(list_query(facility_views, staff, query))


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("view_module", "index"),
    [(project_views, "project_search_trgm"), (facility_views, "facility_search_trgm")],
)
def test_the_search_reads_the_trigram_index(staff, facility_a, view_module, index):
    # `contains` on the folded text is LIKE '%…%', which only a trigram index can serve.
    assert index in plan(list_query(view_module, staff, "q=giang hien"), plain_index_scans=False)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_overdue_lists_read_their_partial_indexes(staff):
    today = datetime.date(2026, 6, 1)
    assert "project_overdue" in plan(overdue_projects(staff, today)[:10])
    assert "followup_open_due" in plan(overdue_actions(staff, today)[:10])
