"""Migration operations the apps share."""

from django.db import migrations


class TrigramIndex(migrations.operations.base.Operation):
    """A GIN trigram index on a text column, so `LIKE '%…%'` (the `contains` lookup of the
    folded search columns) reads the index instead of every row. PostgreSQL only (pg_trgm,
    created here when missing; a trusted extension since PostgreSQL 13, so the database owner may
    create it); on SQLite it does nothing and the search stays a scan. Kept out of
    `Meta.indexes` because a `GinIndex` there would break the SQLite schema."""

    reversible = True

    def __init__(self, model_name: str, field: str, name: str):
        self.model_name = model_name
        self.field = field
        self.name = name

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "field": self.field, "name": self.name},
        )

    def state_forwards(self, app_label, state):
        pass  # not part of the model state: makemigrations never sees it

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        quote = schema_editor.quote_name
        column = model._meta.get_field(self.field).column
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(self.name)} ON {quote(model._meta.db_table)} "
            f"USING gin ({quote(column)} gin_trgm_ops)"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        # The extension stays: other databases objects may use it.
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self):
        return f"Trigram index {self.name} on {self.model_name}.{self.field} (PostgreSQL only)"

    @property
    def migration_name_fragment(self):
        return self.name
