"""The statements of "Việc của tôi" (projects/process/statements.py): compiled once per shape,
prepared once per connection, run with each request's values and giving the ORM's rows."""

import datetime
import itertools

import pytest
from django.db import connection
from django.db.utils import ProgrammingError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khuyencong import access, prepared
from projects.models import Project, Status
from projects.process import statements
from projects.process.statements import Statements

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="compiled and prepared on PostgreSQL only"
)

_shapes = itertools.count()


def _statements(user, today=None) -> Statements:
    today = today or timezone.localdate()
    # A shape of its own per test: the statements are kept for the whole process.
    return Statements.of(user, today, paged=True, shape=("test_statements", next(_shapes)))


def _drafts(st: Statements, status=Status.DRAFT):
    """The person's projects of `status` changed on or before the day (as the page reads a
    person, a status and a day), and a constant holding a percent sign."""

    def build(_projects):
        return (
            Project.objects.filter(
                created_by=st.user, status=status, status_changed_at__date__lte=st.day
            )
            .exclude(title__contains="50% <")
            .order_by("pk")
            .values("pk", "title")
        )

    return build


def _run(st, name, build) -> tuple[list[dict], list[str]]:
    with CaptureQueriesContext(connection) as captured:
        rows = st.rows(name, build)
    return rows, [query["sql"] for query in captured]


@pytest.mark.django_db
def test_it_prepares_a_statement_once_and_runs_it_with_each_persons_values(
    officer, other_officer, make_project, commune_b1
):
    mine = make_project(officer, title="Đề án A")
    theirs = make_project(other_officer, title="Đề án B", locality=commune_b1)
    make_project(officer, title="Đề án 50% <máy>")  # left out by the constant
    assert len(access.covered_locality_ids(officer)) == len(
        access.covered_locality_ids(other_officer)
    )
    st = _statements(officer)
    build = _drafts(st)

    first, sql = _run(st, "drafts", build)
    assert first == [{"pk": mine.pk, "title": "Đề án A"}]
    # One query, prepared and run: the page's number of queries does not depend on it.
    [prepare] = sql
    assert prepare.startswith("PREPARE ") and "; EXECUTE " in prepare
    again, [execute] = _run(st, "drafts", build)
    assert again == first
    assert execute.startswith("EXECUTE ") and "SELECT" not in execute
    # Another person of the same shape: the same statement, their own values.
    other = _statements(other_officer)
    other.shape = st.shape
    theirs_rows, [execute] = _run(other, "drafts", _drafts(other))
    assert theirs_rows == [{"pk": theirs.pk, "title": "Đề án B"}]
    assert execute.startswith("EXECUTE ")
    # The day is a parameter too: before the projects were changed, nothing.
    earlier = _statements(officer, today=datetime.date(2000, 1, 1))
    earlier.shape = st.shape
    assert _run(earlier, "drafts", _drafts(earlier))[0] == []


@pytest.mark.django_db
def test_an_officers_localities_are_one_array_parameter_and_the_kept_plan_is_run(
    officer, other_officer, make_project, commune_a1, commune_b1
):
    """The localities in scope are one parameter (`= ANY`), whatever their number, and every
    run uses the plan PostgreSQL keeps (plan_cache_mode), reset after it."""
    Project.objects.filter(pk__in=[make_project(officer).pk]).update(status=Status.SUBMITTED)
    mine = make_project(officer, locality=commune_a1)
    make_project(other_officer, locality=commune_b1)
    assert len(access.covered_locality_ids(officer)) > 1
    st = _statements(officer)

    def build(_projects):
        return (
            access.scope_by_locality(Project.objects.all(), st.user)
            .filter(status=Status.DRAFT)
            .values("pk")
        )

    for _ in range(7):  # past the five runs after which PostgreSQL chooses a plan to keep
        rows, [sql] = _run(st, "in scope", build)
        assert rows == [{"pk": mine.pk}]
    body = statements._compiled[("in scope", *st.shape, 0)].prepared.body
    assert "= ANY($1)" in body and " IN (" not in body
    assert sql.startswith("SET plan_cache_mode = force_generic_plan; EXECUTE ")
    assert sql.endswith("; RESET plan_cache_mode")
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("auto",)


def test_only_an_in_list_of_every_locality_becomes_an_array():
    """Lists of every locality (in any order) become `= ANY` of one parameter; a list of some
    of them, or of other values, stays as it is."""
    first, second = statements.STAND_IN_IDS["localities"], statements.STAND_IN_IDS["localities"] - 1
    statement = statements._Statement(
        "SELECT 1 FROM t WHERE a IN (%s, %s) AND b IN (%s, %s) AND c IN (%s) AND d IN (%s)"
        " AND e IN (%s, %s)",
        [first, second, 5, 6, first, statements.STAND_IN_IDS["user"], second, first],
    )
    assert statement.prepared.body == (
        "SELECT 1 FROM t WHERE a = ANY($1) AND b IN (%s, %s) AND c IN ($2) AND d IN ($3)"
        " AND e = ANY($1)"
    )
    assert statement.prepared.signature == "(bigint[], bigint, bigint)"
    assert statement.prepared.constants == [5, 6]


@pytest.mark.django_db
def test_statements_of_the_same_sql_and_other_constants_are_prepared_apart(officer, make_project):
    """Two groups' statements may differ only in their constants (a status, a group's key):
    each is prepared under its own name."""
    draft = make_project(officer, title="Nháp")
    submitted = make_project(officer, title="Đã nộp")
    Project.objects.filter(pk=submitted.pk).update(status=Status.SUBMITTED)
    st = _statements(officer)
    drafts, submissions = _drafts(st, Status.DRAFT), _drafts(st, Status.SUBMITTED)
    for _ in range(2):
        assert _run(st, "drafts", drafts)[0] == [{"pk": draft.pk, "title": "Nháp"}]
        assert _run(st, "submitted", submissions)[0] == [{"pk": submitted.pk, "title": "Đã nộp"}]


@pytest.mark.django_db(transaction=True)
def test_a_statement_is_prepared_again_on_a_new_connection_and_under_a_new_name_after_a_failure(
    officer, make_project
):
    draft = make_project(officer, title="Nháp")
    st = _statements(officer)
    build = _drafts(st)
    expected = [{"pk": draft.pk, "title": "Nháp"}]
    assert _run(st, "drafts", build)[0] == expected

    connection.close()  # its prepared statements go with it
    rows, [sql] = _run(st, "drafts", build)
    assert rows == expected and sql.startswith("PREPARE ")

    # Forgotten by the process but still in the session: the PREPARE fails, and the next
    # attempt prepares it under another name.
    prepared._prepared[connection.connection].clear()
    with pytest.raises(ProgrammingError):
        st.rows("drafts", build)
    rows, [sql] = _run(st, "drafts", build)
    assert rows == expected and sql.startswith("PREPARE ")
    assert _run(st, "drafts", build)[1][0].startswith("EXECUTE ")


@pytest.mark.django_db
def test_a_connection_keeps_a_bounded_number_of_prepared_statements(
    officer, make_project, monkeypatch
):
    draft = make_project(officer, title="Nháp")
    connection.ensure_connection()
    kept = prepared._prepared.setdefault(connection.connection, set())
    monkeypatch.setattr(prepared, "_PREPARED_MAX", len(kept) + 2)
    st = _statements(officer)
    expected = [{"pk": draft.pk, "title": "Nháp"}]
    sql = [_run(st, f"drafts {n}", _drafts(st)) for n in range(3)]
    assert [rows for rows, _sql in sql] == [expected] * 3
    first, second, third = (q for _rows, [q] in sql)
    assert first.startswith("PREPARE ") and second.startswith("PREPARE ")
    assert third.startswith("DEALLOCATE ALL; PREPARE ")
    # The first two were let go with the others: prepared again when asked for.
    rows, [again] = _run(st, "drafts 0", _drafts(st))
    assert rows == expected and again.startswith("PREPARE ")


@pytest.mark.django_db
def test_nothing_is_prepared_when_psycopg_manages_prepared_statements(officer, make_project):
    """psycopg deallocates every prepared statement of the session after a rollback when it
    prepares its own: the statement is then run as plain SQL."""
    draft = make_project(officer, title="Nháp")
    st = _statements(officer)
    connection.ensure_connection()
    raw = connection.connection
    threshold = raw.prepare_threshold
    raw.prepare_threshold = 5
    try:
        rows, [sql] = _run(st, "drafts", _drafts(st))
    finally:
        raw.prepare_threshold = threshold
    assert rows == [{"pk": draft.pk, "title": "Nháp"}]
    assert sql.startswith("SELECT ")
