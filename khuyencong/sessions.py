"""Sessions in the database, as Django's own store, read by one statement written once.

Every signed-in request reads its session first. Django's store reads it with
`Session.objects.get(...)`, a query the ORM builds and compiles each time: about a quarter of
the smallest signed-in page's time. This store reads the same row by SQL written once per
database; everything else (saving, expiry, clearing) is Django's.
"""

import functools

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        if self.session_key is None:  # (Django's store queries for it and finds nothing)
            return None
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_statement(self.model, connection.vendor), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        # The two columns read; the expiry date, if ever asked for, is read then.
        return self.model.from_db(alias, ["session_key", "session_data"], row)


@functools.cache
def _statement(model, vendor: str) -> str:
    """The query Session.objects.get(session_key=…, expire_date__gt=…) makes, reading only the
    columns `load` needs."""
    qn = connections[router.db_for_read(model)].ops.quote_name
    key, data, expiry = (
        qn(model._meta.get_field(name).column)
        for name in ("session_key", "session_data", "expire_date")
    )
    return (
        f"SELECT {key}, {data} FROM {qn(model._meta.db_table)} WHERE {key} = %s AND {expiry} > %s"
    )
