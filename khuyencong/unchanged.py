"""Results kept while the database has not changed since they were read.

PostgreSQL names the state of the data a statement sees by its snapshot
(`pg_current_snapshot()`: the first transaction still running, the first not yet started,
and those running in between). A later statement finds the same snapshot only if no
transaction committed in the meantime, anywhere in the cluster (a commit either leaves the
running list or moves the boundary on, and neither ever goes back). So a result read after
the snapshot was taken is exactly what a request that finds the same snapshot would read
itself: it is given again instead of read again. Any commit — a saved session, a notice
read, a project changed — makes the next request read afresh.

Worth it for reads that cost milliseconds of the database's time whatever Python does: the
count of a searched list is PostgreSQL rechecking every trigram candidate (a few thousand
rows at a large province's size), asked again for each page of the same search. Asking for
the snapshot is one statement that reads no table.

Kept per process, for the latest snapshot seen only (older ones cannot come back). Not
inside a transaction, whose own writes do not change its snapshot, and not on SQLite, which
names no snapshot: there every call reads.

Within a request (`RequestSnapshotMiddleware`) the snapshot is asked for once, for all the
results the page keeps, and asked again after any statement of the request's own that is not
a read: its results are then at least as new as the snapshot and everything the request wrote.
A statement is told a read by its text (a single SELECT, or a prepared SELECT of
khuyencong/prepared.py): a database function that writes, called from a SELECT, would not be
seen — the portal defines none.
"""

from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from khuyencong import prepared

T = TypeVar("T")

# Keys per snapshot are few (the lists and searches read since the last commit); the cap
# bounds a flood of distinct searches between two commits.
_KEPT_MAX = 512
_latest: tuple[str | None, dict] = (None, {})


def kept(key: Hashable, read: Callable[[], T], using: str = DEFAULT_DB_ALIAS) -> T:
    """`read()`, or the value it gave under `key` since the last commit to the database.

    `key` must hold everything the result depends on besides the data (the statement's
    inputs: the user's scope, the filters' values, the day where it matters), as the keys of
    khuyencong.compiled do. The value is shared by the requests that find it: it must not be
    changed by its reader."""
    global _latest
    connection = connections[using]
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not settings.KEEP_UNCHANGED_RESULTS
        or not connection.get_autocommit()  # a transaction opened by hand: as atomic
    ):
        return read()
    stamp = _stamp(connection)
    latest = _latest
    if latest[0] != stamp:
        latest = _latest = (stamp, {})
    values = latest[1]
    key = (using, key)
    try:
        return values[key]
    except KeyError:
        pass
    except TypeError:  # a key that cannot be hashed (a value no filter should give): read
        return read()
    value = read()
    if len(values) >= _KEPT_MAX:
        values.clear()
    values[key] = value
    return value


def _stamp(connection) -> str:
    request = getattr(connection, "kc_request_snapshot", None)
    if request is not None and request.stamp is not None:
        return request.stamp
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        stamp = cursor.fetchone()[0]
    if request is not None:
        request.stamp = stamp
    return stamp


def _reads_only(sql: str) -> bool:
    """A single SELECT, or a statement of khuyencong/prepared.py (each a SELECT). Anything
    else — several statements in one string, a PREPARE or EXECUTE of another statement —
    counts as a write: the request asks for the snapshot again (it only costs a question)."""
    if sql.startswith(("SELECT ", "(SELECT ")):
        return ";" not in sql
    return prepared.reads_only(sql)


class _RequestSnapshot:
    def __init__(self):
        self.stamp = None

    def watch(self, execute, sql, params, many, context):
        if many or not _reads_only(sql):
            self.stamp = None
        return execute(sql, params, many, context)


class RequestSnapshotMiddleware:
    """One question for the snapshot per request, however many results the page keeps (see
    above); next to the view among the middleware, so that it watches the view's statements."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            return self.get_response(request)
        state = connection.kc_request_snapshot = _RequestSnapshot()
        try:
            with connection.execute_wrapper(state.watch):
                return self.get_response(request)
        finally:
            connection.kc_request_snapshot = None
