"""The history of editable rows (django-pghistory): what its migrations share, and its middleware."""

import pghistory.middleware
from django.conf import settings


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


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """pghistory's middleware (the request's user and path on every history row it writes), except
    on HISTORY_CONTEXT_SKIP_PATHS: routes that write no history-tracked row, where pghistory's
    `set_config` prefix on every statement was a tenth of the request's CPU (docs/performance.md).
    A test pins that those routes write no history row."""

    def __call__(self, request):
        if request.path_info in settings.HISTORY_CONTEXT_SKIP_PATHS:
            return self.get_response(request)
        return super().__call__(request)
