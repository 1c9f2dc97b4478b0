"""Reads whose statement is built and compiled once per process for a key that fixes it.

The dashboard's figures are a few grouped reads of the running totals: PostgreSQL answers
each in well under a millisecond, while the ORM takes a millisecond or two to build and
compile it on every request. Their SQL and parameters depend only on what the caller puts in
the key (the years, the ids and the scope they name), so each is compiled once per process and
key and only its rows are read on every call. Unlike projects/process/statements.py no value
is put in at run time: the key holds every input the statement is built from, so one key
always means the same statement with the same parameters, and since the statement holds
nothing read from the database, no write makes it stale.
"""

from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Keys are few (scopes × years asked for); the cap only bounds a flood of distinct ones.
_COMPILED_MAX = 256
_compiled: dict[tuple, tuple | None] = {}


def values_rows(key: tuple, build: Callable[[], QuerySet]) -> list[dict]:
    """The rows of the values() queryset `build()`, as dicts, as the queryset gives them.

    `key` must hold everything `build` makes its statement from (the caller's name for it
    first): `build` is called only the first time a key is seen in the process."""
    entry = _compiled.get(key, _compiled)  # the dict itself: not compiled yet
    if entry is _compiled:
        entry = _compile(build())
        if len(_compiled) >= _COMPILED_MAX:
            _compiled.clear()
        _compiled[key] = entry
    if entry is None:
        return []
    db, compiler, names, sql, params = entry
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    # The compiler stays with its statement: it converts the rows as the queryset would (a
    # sum of integers comes from PostgreSQL as a decimal).
    indexes = range(len(names))
    return [{names[i]: row[i] for i in indexes} for row in compiler.results_iter([fetched])]


def _compile(queryset: QuerySet) -> tuple | None:
    query = queryset.query
    # The names of the columns, as ValuesIterable takes them.
    names = (
        list(query.selected)
        if query.selected
        else [*query.extra_select, *query.values_select, *query.annotation_select]
    )
    compiler = query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        # Nothing can match (no locality in scope): no statement, as the ORM does.
        return None
    return queryset.db, compiler, names, sql, params
