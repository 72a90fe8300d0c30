"""Shared by the migrations that start the history of editable rows (django-pghistory)."""


def baseline_snapshot(table: str, event_table: str, columns: list[str]):
    """A RunPython function that snapshots the rows existing when history starts (label
    "baseline"), so that their first change shows the old value too. PostgreSQL only, like the
    history triggers."""
    cols = ", ".join(columns)

    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {event_table} (pgh_created_at, pgh_label, pgh_obj_id, {cols})"
                    f" SELECT NOW(), 'baseline', id, {cols} FROM {table}"
                )

    return apply
