"""Reads whose statement is built and compiled once per process for a key that fixes it.

The dashboard's figures are a few grouped reads of the running totals: PostgreSQL answers
each in well under a millisecond, while the ORM takes a millisecond or two to build and
compile it on every request. Their SQL and parameters depend only on what the caller puts in
the key (the years, the ids and the scope they name), so each is compiled once per process and
key and only its rows are read on every call. Unlike projects/process/statements.py no value
is put in at run time: the key holds every input the statement is built from, so one key
always means the same statement with the same parameters, and since the statement holds
nothing read from the database, no write makes it stale.

A count or a total (`count`, `total`) is also given again while nothing has been committed to
the database (khuyencong/unchanged.py): its key holds every input of its statement.

`instances` also reads records by ids put in at run time (a record's page: the project with its
related rows, its payments, reviews and the people it names), and `values_rows` rows (the
figures of a page of the project register): the statement is compiled once per key and number
of ids, from stand-ins for the ids, and each call runs it with its own.
"""

from collections.abc import Callable, Hashable

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import QuerySet, Value
from django.db.models.query import get_related_populators

from khuyencong import prepared, unchanged

# Keys are few (scopes × years asked for, pages' reads × numbers of ids); the cap only bounds a
# flood of distinct ones.
_COMPILED_MAX = 512
_compiled: dict[tuple, tuple | None] = {}

# Stand-ins for ids in a statement compiled once (`instances`), a base per kind of id, minus the
# id's position in its list: no id is negative, so none can be mistaken for a constant.
_STAND_IN_BASES = {
    "pk": -7_300_000,
    "localities": -7_400_000,
    "project": -7_500_000,
    "reviews": -7_600_000,
    "users": -7_700_000,
    "projects": -7_800_000,
}
_STAND_IN_LIST_MAX = 100_000


def values_rows(key: tuple, build: Callable[..., QuerySet], **ids: tuple) -> list[dict]:
    """The rows of the values() queryset `build()`, as dicts, as the queryset gives them.

    `key` must hold everything `build` makes its statement from (the caller's name for it
    first): `build` is called only the first time a key is seen in the process. With `ids`, as
    for `instances`: `build` takes a list of stand-ins per kind, and each call puts its own ids
    where they were."""
    if ids and not _compilable(ids):
        return list(build(**{kind: list(values) for kind, values in ids.items()}))
    shape = ("values", *key, *((kind, len(values)) for kind, values in sorted(ids.items())))
    entry = _entry(
        shape, _with_stand_ins(build, ids), lambda queryset: _compile_values(queryset, bool(ids))
    )
    if entry is None:
        return []
    compiler, names, integers, others = entry[2:]
    rows = _fetch(entry, ids)
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


def aggregate(key: tuple, build: Callable[[], QuerySet], **aggregates) -> dict:
    """`build().aggregate(**aggregates)`, its statement compiled once per key (`key` as for
    `values_rows`). Read as a values() query of a constant with the aggregates annotated:
    with no column to group by, the database answers one row, as for the aggregate."""
    (row,) = values_rows(
        ("aggregate", *key),
        lambda: build().order_by().values(aggregated=Value(1)).annotate(**aggregates),
    )
    del row["aggregated"]
    return row


def _compilable(ids: dict) -> bool:
    """Whether a statement with `ids` put in at run time can be compiled once: on PostgreSQL,
    for ids in the column's range (the ORM's to refuse others)."""
    return connection.vendor == "postgresql" and all(
        type(i) is int and 0 < i < 2**31 for values in ids.values() for i in values
    )


def _with_stand_ins(build: Callable[..., QuerySet], ids: dict) -> Callable[[], QuerySet]:
    """`build` called with stand-ins for `ids` (a list per kind, as many as the ids)."""
    if not ids:
        return build

    def stand_ins() -> QuerySet:
        return build(
            **{
                kind: [_STAND_IN_BASES[kind] - n for n in range(len(values))]
                for kind, values in ids.items()
            }
        )

    return stand_ins


def instances(key: Hashable, build: Callable[..., QuerySet], **ids: tuple) -> list:
    """The records of the queryset `build()`, with what its only(), select_related() and
    annotations load, as the queryset gives them. `key` as for `values_rows`.

    With `ids` (a kind of id → a tuple of ids; kinds as in _STAND_IN_BASES), `build` takes a
    list of stand-ins per kind and `key` only names the queryset, which must be the same on
    every call: on PostgreSQL its statement is compiled once per key and numbers of ids, and
    each call puts its own ids where the stand-ins were; elsewhere, and for an id out of the
    column's range (the ORM's to refuse), the ORM reads it. Building and compiling a record
    page's statements (joined tables, flags, lists of rows) cost Python several times what
    PostgreSQL takes to run them."""
    if ids and not _compilable(ids):
        return list(build(**{kind: list(values) for kind, values in ids.items()}))
    shape = ("instances", key, *((kind, len(values)) for kind, values in sorted(ids.items())))
    entry = _entry(shape, _with_stand_ins(build, ids), _compile_instances)
    if entry is None:
        return []
    (sql, slots), db, converters, model, start, end, init_list, populators, annotations = entry[:9]
    statement, parameters = entry[9:]
    database = connections[db]
    with database.cursor() as cursor:
        if statement is not None and prepared.may_prepare(db):
            statement.execute(cursor, [ids[kind][at] for kind, at in parameters])
        else:
            cursor.execute(sql, _params(slots, ids))
        rows = cursor.fetchall()
    rows = converted(rows, converters, database)
    records = []
    for row in rows:
        record = model.from_db(db, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, record)
        for name, position in annotations.items():
            setattr(record, name, row[position])
        records.append(record)
    return records


def converted(rows: list, converters, connection) -> list:
    """`rows` with each column's values converted as SQLCompiler.apply_converters converts them,
    by `converters` found once per statement: (position, (functions, expression)) pairs."""
    if not converters:
        return rows
    rows = [list(row) for row in rows]
    for row in rows:
        for position, (functions, expression) in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
    return rows


def count(key: tuple, build: Callable[[], QuerySet]) -> int:
    """`build().count()`, counted over the queryset's rows in a subquery (PostgreSQL plans
    it as the count itself). `key` as for `values_rows`."""
    entry = _entry(("count", *key), build, _compile_count)
    if entry is None:
        return 0
    # A number, read again only after a commit (khuyencong/unchanged.py): a searched list's
    # count is the database rechecking every trigram candidate.
    return unchanged.kept(("count", *key), lambda: _fetch(entry)[0][0], using=entry[1])


def total(key: tuple, build: Callable[[], QuerySet], field: str) -> int:
    """The sum of `field` over the rows of the queryset `build()` (its
    `aggregate(Sum(field))`, 0 for no rows). `key` as for `values_rows`."""
    entry = _entry(("total", field, *key), build, lambda qs: _compile_total(qs, field))
    if entry is None:
        return 0
    return unchanged.kept(
        ("total", field, *key), lambda: int(_fetch(entry)[0][0] or 0), using=entry[1]
    )


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


def _fetch(entry: tuple, ids: dict | None = None) -> list[tuple]:
    (sql, params), db = entry[0], entry[1]
    if ids:
        params = _params(params, ids)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _slots(params) -> tuple:
    """Each parameter of a statement compiled from stand-ins as (kind, position in its list,
    None) for a stand-in and (None, 0, value) for a constant."""
    slots = []
    for param in params:
        for kind, base in _STAND_IN_BASES.items():
            if type(param) is int and base - _STAND_IN_LIST_MAX < param <= base:
                slots.append((kind, base - param, None))
                break
        else:
            slots.append((None, 0, param))
    return tuple(slots)


def _params(slots: tuple, ids: dict) -> list:
    """The parameters of a statement compiled with `_slots`, with `ids` for the stand-ins."""
    return [ids[kind][at] if kind else value for kind, at, value in slots]


# Each compiled entry: ((sql, params), db, …what reading its rows needs). The compiler stays
# with its statement: it converts the rows as the queryset would (a sum of integers comes from
# PostgreSQL as a decimal).


def _compile_values(queryset: QuerySet, stand_ins: bool = False) -> tuple:
    query = queryset.query
    # The names of the columns, as ValuesIterable takes them.
    names = (
        list(query.selected)
        if query.selected
        else [*query.extra_select, *query.values_select, *query.annotation_select]
    )
    compiler = query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    # Built with stand-ins for ids (values_rows' `ids`): the parameters are kept as slots.
    statement = (sql, _slots(params) if stand_ins else params)
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
    """The statement of `queryset` with the place of each stand-in among its parameters, and
    what ModelIterable reads its rows with."""
    if queryset._known_related_objects or queryset._prefetch_related_lookups:
        raise ValueError("compiled.instances reads plain querysets (no prefetch)")
    db = queryset.db
    compiler = queryset.query.get_compiler(db)
    sql, params = compiler.as_sql()
    slots = _slots(params)
    # The same statement to prepare on a connection (khuyencong/prepared.py), the ids its
    # parameters: PostgreSQL planned the project page's statement of seven tables and ten list
    # flags in some 2 ms on every request, ten times what running it takes.
    keys = [(kind, at) if kind else None for kind, at, _constant in slots]
    body, constants, parameters = prepared.split(sql, params, keys)
    # Only a statement with ids is prepared: one keyed by its values alone (a norm's pair) would
    # put a statement per key in every connection, against the few shapes of pages.
    statement = None
    if parameters:
        statement = prepared.Statement(body, ["bigint"] * len(parameters), constants, "record")
    columns = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(columns):
        raise ValueError("compiled.instances reads no composite fields")
    # The values Django converts after reading (SQLCompiler.results_iter finds them per read).
    converters = tuple(compiler.get_converters(columns).items())
    info = compiler.klass_info
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in compiler.select[start:end]]
    populators = get_related_populators(info, compiler.select, db)
    return (
        (sql, slots),
        db,
        converters,
        info["model"],
        start,
        end,
        init_list,
        populators,
        dict(compiler.annotation_col_map),
        statement,
        parameters,
    )


def _compile_count(queryset: QuerySet) -> tuple:
    sql, params = queryset.order_by().values("pk").query.get_compiler(queryset.db).as_sql()
    return (f'SELECT COUNT(*) FROM ({sql}) "counted"', params), queryset.db


def _compile_total(queryset: QuerySet, field: str) -> tuple:
    column = connections[queryset.db].ops.quote_name(field)
    sql, params = queryset.order_by().values(field).query.get_compiler(queryset.db).as_sql()
    return (f'SELECT SUM({column}) FROM ({sql}) "summed"', params), queryset.db
