"""The users the records of one page name (authors, officers, owners …), read in one query.

A page of many records that each name a user — the project page: its events, documents,
comments, visits, reports, payments, reviews — used to join the users into every record's
query. Django compiles each joined user's twenty columns and builds a user per row, and on a
page of mostly short lists that cost more than the rows themselves (an empty list with three
users joined took twice the time of the same list alone). Instead each list is read alone, the
records are handed to `NamedUsers.want`, and `read()` fetches every user they name at once and
sets it on the records, as `select_related` would have: a name read afterwards costs no query.
"""

from collections.abc import Iterable

from khuyencong import compiled
from khuyencong.models import User


class NamedUsers:
    def __init__(self):
        self._wanted = []  # (foreign key to User, records)

    def want(self, records: Iterable, *names: str):
        """Remember the user foreign keys `names` of `records` (a list, returned as given)."""
        records = list(records) if not isinstance(records, list) else records
        if records:
            meta = records[0]._meta
            for name in names:
                self._wanted.append((meta.get_field(name), records))
        return records

    def read(self) -> None:
        """Fetch the users wanted so far (one query, none when nobody is named) and set them on
        their records. Records wanted later need another read()."""
        wanted, self._wanted = self._wanted, []
        ids = {getattr(record, f.attname) for f, records in wanted for record in records}
        ids.discard(None)
        users = {user.pk: user for user in _users(tuple(sorted(ids)))} if ids else {}
        for f, records in wanted:
            for record in records:
                f.set_cached_value(record, users.get(getattr(record, f.attname)))


def _users(ids: tuple[int, ...]) -> list[User]:
    """The users `ids`, their statement compiled once per process and number of users (their
    building was most of the read)."""
    return compiled.instances(
        "named_users", lambda users: User.objects.filter(pk__in=users), users=ids
    )
