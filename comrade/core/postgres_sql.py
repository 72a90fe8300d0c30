"""Shared by the migrations that install PostgreSQL functions (the ledger's triggers and its
one-call paths): SQL that runs on PostgreSQL and is skipped on SQLite."""


def on_postgres(sql: str):
    """A RunPython function that executes `sql` when the database is PostgreSQL."""

    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return apply
