"""Pages of long lists."""

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection, connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.translation import get_language

from khuyencong import compiled, unchanged

T = TypeVar("T")


class ListPaginator(Paginator):
    """Pages a queryset by choosing the page's ids first ("deferred join"): the rows skipped by
    OFFSET are read as ids from the index of the list's order, and only the page's rows are
    joined to their related tables and computed columns. A plain OFFSET makes the database
    build every skipped row in full: on the last page of 50,000 projects that was all of them.
    The page is still one query (the ids are a subquery) and shows the same rows. The page
    keeps the ids' queryset as `ids` (None when the list is not a queryset) for `page_rows`.

    With `key` — a key naming the list's queryset, which must hold everything it is built from
    (the caller's name for the list first: its filters' values, the user's scope) — `object_list`
    is a function giving that queryset, and on PostgreSQL the list's count and each page's ids
    are compiled once per process and key (`page_rows`): the function is called only when one of
    them is not compiled yet. Building a filtered list's queryset (a filterset applying its
    filters) and compiling it twice, for the count and for the page, was a good part of a
    searched list's Python. The statements hold nothing read from the database."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, key=None):
        if key is not None and connection.vendor != "postgresql":
            object_list, key = object_list(), None
        self.key = key
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)

    def _check_object_list_is_ordered(self):
        if self.key is None:  # a keyed list's queryset is not built to be checked
            super()._check_object_list_is_ordered()

    @cached_property
    def count(self):
        if self.key is None:
            return super().count
        # Given again while nothing has been committed (compiled.count).
        return compiled.count((*self.key, "count"), self.object_list)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self.key is not None:
            build = self.object_list
            page = self._get_page(
                SimpleLazyObject(lambda: _page_of(build(), bottom, top)), number, self
            )
            page.ids, page.bounds = None, (self.key, bottom, top)
            return page
        rows, ids = self.object_list, None
        if isinstance(rows, QuerySet):
            ids = rows.values("pk")[bottom:top]
            rows = rows.filter(pk__in=ids)
        else:
            rows = rows[bottom:top]
        page = self._get_page(rows, number, self)
        page.ids = ids
        return page


def kept_rows(page: Page, shape: str, make: Callable[[Page], T]) -> T:
    """`make(page)`: what a list shows of a page, made from its rows (`page_rows`) — given
    again while nothing is committed to the database (khuyencong/unchanged.py) for a page of a
    keyed ListPaginator, whose key holds the query and the user's scope, in the language of
    the request; made on every request otherwise. What it gives is shared between requests:
    the list's template only reads it."""
    bounds = getattr(page, "bounds", None)
    if bounds is None:
        return make(page)
    return unchanged.kept(("rows", shape, *bounds, get_language()), lambda: make(page))


def _page_of(rows: QuerySet, bottom: int, top: int) -> QuerySet:
    return rows.filter(pk__in=rows.values("pk")[bottom:top])


# Where the ids' subquery goes in a compiled page statement.
_IDS = "SELECT NULL /* the page's ids */"
# The page statements of `page_rows` by shape: SQL before the ids, SQL after them, their
# parameters before and after, and the converters of the columns whose values Django converts
# after reading (as SQLCompiler.apply_converters); and an unfiltered list's ids' statements by
# page bounds (SQL, parameters). Shapes are a few per list (its sorts); the cap bounds the rest.
_statements: dict[tuple, tuple] = {}
_STATEMENTS_MAX = 256


def page_rows(page: Page, shape: str, values: Callable[[QuerySet], QuerySet]) -> list[dict]:
    """The rows of a ListPaginator page as dicts, those of `values(page.object_list)` (a
    values() queryset of the page's rows: the columns the list shows), in the list's order.

    Building and compiling that query (a dozen columns, joins and subqueries, and the filters
    twice: around the page's ids and within them) was most of the ORM's time on a list page,
    though it depends only on the list's order. So the statement around the ids is compiled
    once per process under `shape` (the caller's name for `values`, which must give the same
    statement on every call), the order and the list's annotations; each request compiles
    only the ids' query, with its filters, and puts it where the ids go. The rows are the same:
    the filters already chose the ids. The SQL holds nothing read from the database, so no
    write makes it stale. On PostgreSQL only (as the other statements compiled once); elsewhere,
    and for lists with extra(), distinct(), a union or an aggregate, the ORM reads the rows.

    A page of a keyed ListPaginator (`bounds`: its key and the page's bounds) has its ids'
    statement kept too, with the key of the statement around them: its list's queryset is
    built only the first time."""
    bounds = getattr(page, "bounds", None)
    if bounds is not None:
        kept = _statements.get(("ids", shape, *bounds))
        statement = _statements.get(kept[0]) if kept is not None else None
        if statement is not None:
            return _read(connections[kept[1]], statement, kept[2])
        _list, bottom, top = bounds
        page.ids = page.paginator.object_list().values("pk")[bottom:top]
    ids = getattr(page, "ids", None)
    query = ids.query if ids is not None else None
    if (
        query is None
        or connections[ids.db].vendor != "postgresql"
        or query.extra_order_by
        or query.extra
        or query.distinct
        or query.combinator
        or query.group_by is not None
        or any(annotation.contains_aggregate for annotation in query.annotations.values())
    ):
        return list(values(page.object_list))
    connection = connections[ids.db]
    annotations = tuple(query.annotations.items())
    key = (shape, ids.db, query.model, tuple(query.order_by), query.default_ordering, annotations)
    try:
        statement = _statements.get(key)
    except TypeError:  # an expression that cannot be hashed
        return list(values(page.object_list))
    if statement is None:
        outer = query.model._base_manager.annotate(**dict(annotations))
        outer = outer.filter(pk__in=RawSQL(_IDS, ()))
        outer = outer.order_by(*query.order_by) if query.order_by else outer
        if not query.default_ordering:
            outer = outer.order_by()
        compiler = values(outer).query.get_compiler(ids.db)
        sql, params = compiler.as_sql()
        before, after = sql.split(_IDS)
        split = before.count("%s")
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        statement = (before, after, tuple(params[:split]), tuple(params[split:]), converters)
        if len(_statements) >= _STATEMENTS_MAX:
            _statements.clear()
        _statements[key] = statement
    # A list that filters nothing (the province's whole list, as centre staff first see it):
    # its ids' statement depends only on the order and the page's bounds, kept too.
    plain = None if query.where else (key, "ids", query.low_mark, query.high_mark)
    compiled_ids = _statements.get(plain) if plain else None
    if compiled_ids is None:
        try:
            compiled_ids = query.get_compiler(ids.db).as_sql()
        except EmptyResultSet:  # nothing can match (no locality in scope): no query, as the ORM
            return []
        if len(_statements) >= _STATEMENTS_MAX:
            _statements.clear()
            _statements[key] = statement
        if plain:
            _statements[plain] = compiled_ids
        if bounds is not None:
            _statements["ids", shape, *bounds] = (key, ids.db, compiled_ids)
    return _read(connection, statement, compiled_ids)


def _read(connection, statement: tuple, compiled_ids: tuple) -> list[dict]:
    before, after, params_before, params_after, converters = statement
    ids_sql, ids_params = compiled_ids
    if not ids_sql:  # an empty page (LIMIT 0): no query, as the ORM
        return []
    with connection.cursor() as cursor:
        cursor.execute(before + ids_sql + after, (*params_before, *ids_params, *params_after))
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    rows = compiled.converted(rows, converters.items(), connection)
    return [dict(zip(names, row, strict=True)) for row in rows]
