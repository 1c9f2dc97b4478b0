"""Statements prepared once per database connection (PostgreSQL).

PostgreSQL parses and plans a statement on every run; for the statements of "Việc của tôi"
(projects/process/statements.py) and of a record's page (compiled.instances) that took longer
than running them. Prepared once per connection (PREPARE, then EXECUTE with this request's
values), PostgreSQL keeps the plan; every value that is not a parameter is written into the
prepared statement, so the kept plan reads the same indexes. A plan is no data: PostgreSQL
plans again by itself when a table's definition or statistics change.

Every prepared statement of a connection is counted in one place (`_prepared`): a connection
keeps at most _PREPARED_MAX, and the DEALLOCATE ALL that bounds them lets go of all of them.
"""

import itertools
import re
import weakref

from django.db import connections

_PREPARED_MAX = 64
# {connection: the names of the statements it has prepared}.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_names = itertools.count(1)
# The names of the statements made here: each prepares a SELECT (reads_only).
_made: set[str] = set()
_OURS = re.compile(
    r"(?:DEALLOCATE ALL; )?(?:SET plan_cache_mode = force_generic_plan; )?(?:PREPARE|EXECUTE) (\w+)"
)
PLACEHOLDER = re.compile(r"(%s|%%)")
# The kept plan made without the values (generic) for every run of a Statement(generic=True):
# after its first five runs PostgreSQL keeps one only if it does not estimate it costlier than
# the plans it made for each run's values. For a district officer's "Việc của tôi" it did (the
# first items: 716 against 268, for an area unknown to the generic plan), though both run as
# fast (0.8 ms at 50,000 projects), and it planned his statements again on every run, 1 to 4 ms
# each, longer than running them. Set for the EXECUTE alone and reset after it in the same round
# trip (the setting also rolls back with a failed one): nothing else of the session plans
# otherwise.
_GENERIC = "SET plan_cache_mode = force_generic_plan; "
_GENERIC_END = "; RESET plan_cache_mode"


def may_prepare(alias: str = "default") -> bool:
    """Whether this connection's prepared statements are left alone: psycopg deallocates every
    prepared statement of the session (DEALLOCATE ALL) after a rollback when it prepares its
    own, which Django turns off (prepare_threshold None)."""
    database = connections[alias]
    return (
        database.vendor == "postgresql"
        and getattr(database.connection, "prepare_threshold", 0) is None
    )


def split(sql: str, params, keys) -> tuple[str, list, tuple]:
    """A compiled statement's SQL as a prepared statement's body: each value whose key (in
    `keys`, one per value of `params`) is not None becomes a parameter ($1…, one per distinct
    key, in the order first met) and the others, the constants, stay placeholders, filled in
    once when it is prepared. Returns the body, the constants and the keys of $1…."""
    pieces = PLACEHOLDER.split(sql)
    numbers: dict = {}
    body, constants = [pieces[0]], []
    values = iter(zip(params, keys, strict=True))
    for token, text in zip(pieces[1::2], pieces[2::2], strict=True):
        if token == "%s":
            value, key = next(values)
            if key is None:
                constants.append(value)
                body.append("%s")
            else:
                if key not in numbers:
                    numbers[key] = len(numbers) + 1
                body.append(f"${numbers[key]}")
        else:
            body.append(token)
        body.append(text)
    return "".join(body), constants, tuple(numbers)


class Statement:
    """A statement to prepare: its body ($1… for its parameters, %s for its constants), the
    parameters' types and the constants."""

    def __init__(self, body: str, types, constants, prefix: str, *, generic: bool = False):
        self.body, self.constants, self.prefix = body, list(constants), prefix
        self.generic = generic
        self.signature = f"({', '.join(types)})" if types else ""
        self.call = f"({', '.join(['%s'] * len(types))})" if types else ""
        # Its own name, whatever its SQL: statements of the same SQL may differ in their
        # constants (a group's key, its statuses).
        self.name = self._new_name()

    def _new_name(self) -> str:
        name = f"{self.prefix}_{next(_names)}"
        _made.add(name)
        return name

    def execute(self, cursor, arguments) -> None:
        """Runs it with `arguments` (the values of $1…) on the cursor's connection, which must
        keep what it prepares (may_prepare): prepared there the first time."""
        raw = cursor.db.connection
        prepared = _prepared.setdefault(raw, set())
        run = f"EXECUTE {self.name}{self.call}"
        if self.generic:
            run = f"{_GENERIC}{run}{_GENERIC_END}"
        if self.name in prepared:
            cursor.execute(run, arguments)
            _to_rows(cursor)
            return
        # PREPARE and EXECUTE in one round trip, so that the page's number of queries does not
        # depend on whether the connection had prepared it.
        forget = ""
        if len(prepared) >= _PREPARED_MAX:
            # Bounds what a flood of shapes (a group's pages one by one) keeps in the session.
            forget = "DEALLOCATE ALL; "
            prepared.clear()
        try:
            cursor.execute(
                f"{forget}PREPARE {self.name}{self.signature} AS {self.body}; {run}",
                [*self.constants, *arguments],
            )
        except Exception:
            # A PREPARE that failed with its EXECUTE may have left its statement behind: the
            # next attempt prepares it under another name.
            self.name = self._new_name()
            raise
        _to_rows(cursor)
        prepared.add(self.name)


def _to_rows(cursor) -> None:
    """To the rows of EXECUTE, past the results of the statements before it. Asked by
    `rownumber` (None but for rows), not `description`, which psycopg makes anew, an object per
    column, at each reading: a record's statement has a hundred columns."""
    while cursor.rownumber is None and cursor.nextset():
        pass


def reads_only(sql: str) -> bool:
    """Whether `sql` is what a Statement sends (PREPARE and EXECUTE, or EXECUTE, of one of the
    statements made here, all SELECTs): a read (khuyencong/unchanged.py's request watch)."""
    found = _OURS.match(sql)
    return found is not None and found.group(1) in _made
