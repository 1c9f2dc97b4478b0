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
from django.db.models.query import get_related_populators

# Keys are few (scopes × years asked for); the cap only bounds a flood of distinct ones.
_COMPILED_MAX = 256
_compiled: dict[tuple, tuple | None] = {}


def values_rows(key: tuple, build: Callable[[], QuerySet]) -> list[dict]:
    """The rows of the values() queryset `build()`, as dicts, as the queryset gives them.

    `key` must hold everything `build` makes its statement from (the caller's name for it
    first): `build` is called only the first time a key is seen in the process."""
    entry = _entry(("values", *key), build, _compile_values)
    if entry is None:
        return []
    compiler, names, integers, others = entry[2:]
    rows = _fetch(entry)
    if others:
        rows = compiler.apply_converters(rows, others)
    if not integers:
        return [dict(zip(names, row, strict=True)) for row in rows]
    result = []
    for row in rows:
        row = list(row)
        for i in integers:
            value = row[i]
            if value is not None:
                row[i] = int(value)
        result.append(dict(zip(names, row, strict=True)))
    return result


def instances(key: tuple, build: Callable[[], QuerySet]) -> list:
    """The model instances of the queryset `build()`, with what its only() and
    select_related() load, as the queryset gives them (no annotations). `key` as for
    `values_rows`."""
    entry = _entry(("instances", *key), build, _compile_instances)
    if entry is None:
        return []
    db, compiler, model, start, end, init_list, populators = entry[1:]
    objects = []
    for row in compiler.results_iter([_fetch(entry)]):
        obj = model.from_db(db, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        objects.append(obj)
    return objects


def count(key: tuple, build: Callable[[], QuerySet]) -> int:
    """`build().count()`, counted over the queryset's rows in a subquery (PostgreSQL plans
    it as the count itself). `key` as for `values_rows`."""
    entry = _entry(("count", *key), build, _compile_count)
    if entry is None:
        return 0
    return _fetch(entry)[0][0]


def total(key: tuple, build: Callable[[], QuerySet], field: str) -> int:
    """The sum of `field` over the rows of the queryset `build()` (its
    `aggregate(Sum(field))`, 0 for no rows). `key` as for `values_rows`."""
    entry = _entry(("total", field, *key), build, lambda qs: _compile_total(qs, field))
    if entry is None:
        return 0
    return int(_fetch(entry)[0][0] or 0)


def _entry(key: tuple, build: Callable[[], QuerySet], compile_: Callable) -> tuple | None:
    entry = _compiled.get(key, _compiled)  # the dict itself: not compiled yet
    if entry is _compiled:
        queryset = build()
        try:
            entry = compile_(queryset)
        except EmptyResultSet:
            # Nothing can match (no locality in scope): no statement, as the ORM does.
            entry = None
        if len(_compiled) >= _COMPILED_MAX:
            _compiled.clear()
        _compiled[key] = entry
    return entry


def _fetch(entry: tuple) -> list[tuple]:
    (sql, params), db = entry[0], entry[1]
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Each compiled entry: ((sql, params), db, …what reading its rows needs). The compiler stays
# with its statement: it converts the rows as the queryset would (a sum of integers comes from
# PostgreSQL as a decimal).


def _compile_values(queryset: QuerySet) -> tuple:
    query = queryset.query
    # The names of the columns, as ValuesIterable takes them.
    names = (
        list(query.selected)
        if query.selected
        else [*query.extra_select, *query.values_select, *query.annotation_select]
    )
    compiler = query.get_compiler(queryset.db)
    statement = compiler.as_sql()
    # The converters results_iter applies to every row, found once. A sum of integers (a
    # decimal from PostgreSQL) only becomes an int, most of the converting: done in place
    # (_integer_columns); any other converter as the compiler applies it.
    columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
    if compiler.has_composite_fields(columns):
        raise ValueError("compiled.values_rows reads no composite fields")
    converters = compiler.get_converters(columns)
    integers = _integer_columns(converters)
    others = {i: c for i, c in converters.items() if i not in integers}
    return statement, queryset.db, compiler, names, integers, others


def _integer_columns(converters: dict) -> tuple[int, ...]:
    """The columns whose only converter is an expression's own `int(value)` (the output
    field an integer, as BaseExpression.convert_value makes it)."""
    return tuple(
        i
        for i, (convs, expression) in converters.items()
        if len(convs) == 1
        and convs[0] is getattr(expression, "convert_value", None)
        and expression.output_field.get_internal_type().endswith("IntegerField")
    )


def _compile_instances(queryset: QuerySet) -> tuple:
    # What ModelIterable reads its rows with.
    db = queryset.db
    compiler = queryset.query.get_compiler(db)
    statement = compiler.as_sql()
    if compiler.annotation_col_map or queryset._known_related_objects:
        raise ValueError("compiled.instances reads no annotations or known related objects")
    info = compiler.klass_info
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in compiler.select[start:end]]
    populators = get_related_populators(info, compiler.select, db)
    return statement, db, compiler, info["model"], start, end, init_list, populators


def _compile_count(queryset: QuerySet) -> tuple:
    sql, params = queryset.order_by().values("pk").query.get_compiler(queryset.db).as_sql()
    return (f'SELECT COUNT(*) FROM ({sql}) "counted"', params), queryset.db


def _compile_total(queryset: QuerySet, field: str) -> tuple:
    column = connections[queryset.db].ops.quote_name(field)
    sql, params = queryset.order_by().values(field).query.get_compiler(queryset.db).as_sql()
    return (f'SELECT SUM({column}) FROM ({sql}) "summed"', params), queryset.db
