"""The statements of "Việc của tôi" (projects/process/mywork.py), compiled once per shape.

Building and compiling the page's statements (a UNION ALL of a dozen querysets, each with its
joins and order) costs Python several times what PostgreSQL takes to run them. Their SQL
depends only on the shape of the request: the person's role, how many localities they cover,
the groups asked for, the page (LIMIT and OFFSET are written into it) and, for the late
reports, how many projects are shown. The person, today and the localities and projects are
only parameters. So on PostgreSQL each statement is compiled once per process and shape, from
stand-ins for those values, and each request runs it with its own values put where the
stand-ins were. The SQL holds nothing read from the database, so no write makes it stale.
No id is negative and no date of the portal is this old, so a stand-in cannot be mistaken for
a constant of the query; an id's stand-in is its base minus its position in its list.
"""

import datetime
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from khuyencong import access, prepared
from khuyencong.models import User

STAND_IN_DAY = datetime.date(1000, 1, 1)
STAND_IN_IDS = {"user": -7_000_000, "localities": -7_100_000, "projects": -7_200_000}
_STAND_IN_LIST_MAX = 100_000
# Shapes are few (roles × scope sizes × pages asked for); the cap only bounds a flood of pages.
_COMPILED_MAX = 512
_compiled: dict[tuple, "_Statement | None"] = {}


def _slot(param) -> tuple:
    """Where a compiled parameter's value comes from: ("day", days from today), (name of an id
    list, position), or ("constant", value)."""
    if isinstance(param, datetime.datetime):
        # A moment would be frozen at the first request's time: the statements ask for days.
        raise ValueError(f"a moment constant in a compiled statement: {param}")
    if type(param) is datetime.date:
        days = (param - STAND_IN_DAY).days
        if abs(days) > 10 * 366:
            raise ValueError(f"a date constant in a compiled statement: {param}")
        return ("day", days)
    if type(param) is int:
        for name, base in STAND_IN_IDS.items():
            if base - _STAND_IN_LIST_MAX < param <= base:
                return (name, base - param)
    return ("constant", param)


class Statements:
    """Runs the statements of one call of waiting_for. `user` and `day` are what the querysets
    are built from: here the person and today themselves (the ORM runs every statement)."""

    def __init__(self, user: User, today: datetime.date):
        self.user, self.day = user, today

    @staticmethod
    def of(user: User, today: datetime.date, *, paged: bool, shape: tuple) -> "Statements":
        """Compiled once per shape on PostgreSQL when a page is asked for; `shape` is what,
        besides the person's role and number of localities, the SQL depends on."""
        if connection.vendor == "postgresql" and paged:
            return _CompiledStatements(user, today, shape)
        return Statements(user, today)

    # Whether the statements are compiled once per shape (then `rows` may wrap them).
    compiled = False

    def rows(self, name: str, build: Callable[[list], QuerySet], projects=()) -> list[dict]:
        """The rows, as dicts, of the values() queryset `build(projects)`."""
        return list(build(list(projects)))


class _CompiledStatements(Statements):
    """The statements compiled once per shape (see the module's docstring), run with this
    request's values."""

    compiled = True

    def __init__(self, user: User, today: datetime.date, shape: tuple):
        localities = tuple(access.covered_locality_ids(user))
        self.values = {"user": (user.pk,), "localities": localities}
        self.today = today
        self.shape = (user.role, user.is_superuser, user.is_active, len(localities), *shape)
        stand_in = User(
            pk=STAND_IN_IDS["user"],
            role=user.role,
            is_superuser=user.is_superuser,
            is_active=user.is_active,
        )
        stand_in._covered_locality_ids = frozenset(
            STAND_IN_IDS["localities"] - n for n in range(len(localities))
        )
        super().__init__(stand_in, STAND_IN_DAY)

    def rows(
        self,
        name: str,
        build: Callable[[list], QuerySet],
        projects=(),
        wrap: Callable[[str], str] | None = None,
    ) -> list[dict]:
        """The rows of `build(projects)`'s statement, written around by `wrap` (SQL → SQL)."""
        values = {**self.values, "projects": tuple(projects)}
        key = (name, *self.shape, len(values["projects"]))
        entry = _compiled.get(key, _compiled)  # the dict itself: not compiled yet
        if entry is _compiled:
            stand_ins = [STAND_IN_IDS["projects"] - n for n in range(len(values["projects"]))]
            queryset = build(stand_ins)
            try:
                sql, params = queryset.query.get_compiler(queryset.db).as_sql()
            except EmptyResultSet:
                # Nothing can match (no locality in scope): no statement, as the ORM does.
                entry = None
            else:
                entry = _Statement(wrap(sql) if wrap else sql, params)
            if len(_compiled) >= _COMPILED_MAX:
                _compiled.clear()
            _compiled[key] = entry
        if entry is None:
            return []
        with connection.cursor() as cursor:
            entry.execute(cursor, self.today, values)
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# Prepared statements ------------------------------------------------------------------------
#
# PostgreSQL parsed and planned the page's statements on every request: for the first items,
# a dozen ordered branches, three times as long as running them. Prepared once per connection
# (khuyencong/prepared.py), PostgreSQL plans them with the person, the day and the localities as
# parameters and keeps that plan: every other value (the statuses the partial indexes are
# defined by) is written into the prepared statement, so the kept plan reads the same indexes.

# The localities of an `IN` list that names them all, as one array parameter (_as_arrays).
_ALL_LOCALITIES = "localities[]"
_PARAMETER_TYPES = {
    "day": "date",
    "user": "bigint",
    "localities": "bigint",
    "projects": "bigint",
    _ALL_LOCALITIES: "bigint[]",
}


class _Statement:
    """A compiled statement: its SQL with a placeholder per value and where each value comes
    from (_slot); and the same SQL as a prepared statement, where the person's, the day's and
    the localities' values are its parameters ($1…, one per distinct value, typed) and only the
    constants are placeholders, filled in once when it is prepared."""

    def __init__(self, sql: str, params):
        self.sql = sql
        self.slots = tuple(_slot(param) for param in params)
        pieces = prepared.PLACEHOLDER.split(sql)
        slots = iter(self.slots)
        tokens = [
            [token, next(slots) if token == "%s" else None, text]
            for token, text in zip(pieces[1::2], pieces[2::2], strict=True)
        ]
        head, tokens = _as_arrays(pieces[0], tokens)
        placed = [slot for token, slot, _text in tokens if token == "%s"]
        body, constants, self.parameters = prepared.split(
            head + "".join(token + text for token, _slot, text in tokens),
            [value for _source, value in placed],
            [None if source == "constant" else (source, value) for source, value in placed],
        )
        types = [_PARAMETER_TYPES[source] for source, _value in self.parameters]
        # Its kept plan made without the values (generic) for every run (prepared.Statement)
        # when it reads by localities: PostgreSQL keeps the generic plan of the others by itself,
        # and setting the mode around each run cost the province's staff some 0.1 ms a statement.
        generic = any(source in ("localities", _ALL_LOCALITIES) for source, _ in self.parameters)
        self.prepared = prepared.Statement(body, types, constants, "work", generic=generic)

    @property
    def name(self) -> str:
        return self.prepared.name

    def execute(self, cursor, today: datetime.date, values: dict) -> None:
        """Runs the statement with these values: prepared on the connection when the connection
        keeps what it prepares (prepared.may_prepare), as plain SQL otherwise."""

        def value(source, slot):
            if source == "day":
                return today + datetime.timedelta(days=slot)
            if source == _ALL_LOCALITIES:
                return list(values["localities"])
            return slot if source == "constant" else values[source][slot]

        if not prepared.may_prepare():
            cursor.execute(self.sql, [value(*slot) for slot in self.slots])
            return
        self.prepared.execute(cursor, [value(*slot) for slot in self.parameters])


def _as_arrays(head: str, tokens: list[list]) -> tuple[str, list[list]]:
    """The body's tokens ([placeholder, its slot, the text after it]; `head` the text before
    the first) with each `IN (…)` list that holds every locality of the statement, one
    placeholder each, made `= ANY(…)` of one array parameter. With a parameter per locality
    the statement had a shape per number of localities, and PostgreSQL judged the plan it
    keeps for them (generic: made without the values) worse than one made for each run's
    values, so it planned an officer's statements again on every run, which took longer than
    running them; with one array it keeps the generic plan."""
    everyone = {slot[1] for _token, slot, _text in tokens if slot and slot[0] == "localities"}
    if not everyone:
        return head, tokens

    def of_a_locality(at: int) -> bool:
        return tokens[at][1] is not None and tokens[at][1][0] == "localities"

    result: list[list] = []
    at = 0
    while at < len(tokens):
        before = result[-1][2] if result else head
        end = at  # the placeholders at…end - 1: localities, ", " between them
        while end < len(tokens) and of_a_locality(end):
            end += 1
            if tokens[end - 1][2] != ", ":
                break
        if (
            end > at
            and before.endswith(" IN (")
            and tokens[end - 1][2].startswith(")")
            and {slot[1] for _token, slot, _text in tokens[at:end]} == everyone
        ):
            opening = before.removesuffix(" IN (") + " = ANY("
            if result:
                result[-1][2] = opening
            else:
                head = opening
            result.append(["%s", (_ALL_LOCALITIES, 0), tokens[end - 1][2]])
            at = end
        else:
            result.append(tokens[at])
            at += 1
    return head, result
