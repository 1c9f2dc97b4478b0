"""Whether a record's related lists have rows, asked in the record's own query.

A detail page (a project, a facility) shows a dozen lists of related rows; most are empty on
most records, and an empty list read alone costs a whole query — Django's compiling it more
than PostgreSQL's running it. `with_row_flags(queryset, *names)` adds to each row a
`has_<name>` (an EXISTS over the list's index, costing the database a probe), and
`may_have(record, name)` tells the page whether to read the list: False only when the record
was read with the flag and the list was empty then. The EXISTS are written as SQL, as the ORM's
`Exists` would compile a subquery each, about as dear as the query it saves.
"""

from django.db import models
from django.db.models.expressions import RawSQL


def _rows_of(model, name: str):
    """The table of list `name` of `model` and its column naming the record: a reverse foreign
    key or many-to-many (by related name), a forward many-to-many, or "history"
    (django-simple-history's records, which keep the record's own id)."""
    if name == "history":
        return model.history.model._meta.db_table, model._meta.pk.column
    f = model._meta.get_field(name)
    if f.many_to_many and not f.auto_created:
        return f.m2m_db_table(), f.m2m_column_name()
    if f.many_to_many:
        return f.field.m2m_db_table(), f.field.m2m_reverse_name()
    return f.related_model._meta.db_table, f.field.column


def with_row_flags(queryset: models.QuerySet, *names: str, **lists) -> models.QuerySet:
    """`queryset` with `has_<name>` for each list in `names` (see _rows_of) and in `lists`
    (name → (table, column naming the record) of any other table)."""
    model = queryset.model
    table, pk = model._meta.db_table, model._meta.pk.column
    sources = {name: _rows_of(model, name) for name in names} | lists
    return queryset.annotate(
        **{
            f"has_{name}": RawSQL(
                f'EXISTS (SELECT 1 FROM "{rows}" AS r WHERE r."{column}" = "{table}"."{pk}")',
                (),
                output_field=models.BooleanField(),
            )
            for name, (rows, column) in sources.items()
        }
    )


def may_have(record, name: str) -> bool:
    """False when `record` was read with_row_flags and its list `name` had no row then."""
    return getattr(record, f"has_{name}", True)
