"""Bulk inserts on the batch paths (standing orders, the ledger's batches).

Django's `bulk_create` sends a VALUES list of one parameter per column per row; psycopg converts
such a statement (thousands of parameters) in Python on every call, and that cost more than the
insert itself (docs/performance.md). On PostgreSQL these helpers send the rows as one JSON
parameter that `json_populate_recordset` expands; elsewhere they fall back to Django's own path."""

import json
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models


def json_default(value):
    """How json.dumps writes what JSON has no type for, for json_populate_record(set): numbers as
    strings (exact), times in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def pg_array(values) -> str:
    """Numbers or dates as a PostgreSQL array literal, to be cast (`%s::bigint[]`): psycopg
    adapts a list element by element in Python, about six times slower than this."""
    return "{" + ",".join(map(str, values)) + "}"


def any_of(column: str, values, cast: str = "bigint") -> tuple[str, list]:
    """`column IN (values)` as SQL and its parameters: on PostgreSQL one array parameter
    (`= ANY(%s::bigint[])`: a batch's thousand ids cost psycopg and the planner far less than a
    thousand placeholders), elsewhere a list of placeholders. `values`: numbers or dates."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{cast}[])", [pg_array(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def insert_rows(table: str, columns: list[str], rows: list[tuple], *, returning: bool = False) -> list[int]:
    """Insert plain rows (values in the order of `columns`). `returning` (PostgreSQL only): their
    new ids, in the order of `rows`."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        names = ", ".join(columns)
        sql = f"INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, %s)"
        data = json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=json_default)
        with connection.cursor() as cursor:
            cursor.execute(sql + (" RETURNING id" if returning else ""), [data])
            return [row[0] for row in cursor.fetchall()] if returning else []
    if returning:
        raise NotImplementedError("insert_rows(returning=True) is PostgreSQL only; use insert_objects")
    per_statement = max(1, (connection.features.max_query_params or 30_000) // len(columns))
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([marks] * len(chunk))}",
                [v for row in chunk for v in row],
            )
    return []


def column_values(objs: list[models.Model], fields: list, *, now: datetime | None = None) -> list[tuple]:
    """The values of `fields` for new instances, as `bulk_create` prepares them (defaults,
    auto_now). With `now`, every auto_now and auto_now_add field is set to it (one timestamp for
    a batch) and a field whose pre_save is Django's plain one is read directly: a batch of a
    thousand rows then spends a fraction of the time per-field pre_save calls take."""
    if now is None:
        return [tuple(f.pre_save(obj, add=True) for f in fields) for obj in objs]
    read, stamped, prepared = [], [], []
    for n, field in enumerate(fields):
        if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
            stamped.append(field.attname)
            read.append((n, field.attname))
        elif type(field).pre_save in (models.Field.pre_save, models.DateField.pre_save):
            read.append((n, field.attname))
        else:
            prepared.append((n, field))
    rows = []
    for obj in objs:
        for name in stamped:
            setattr(obj, name, now)
        row = [None] * len(fields)
        for n, name in read:
            row[n] = getattr(obj, name)
        for n, field in prepared:
            row[n] = field.pre_save(obj, add=True)
        rows.append(tuple(row))
    return rows


def insert_objects(objs: list[models.Model], *, now: datetime | None = None) -> None:
    """`bulk_create(objs)` for new instances of one model with an auto id, each column's value
    prepared by its field as the ORM does (defaults, auto_now; with `now`, on PostgreSQL: see
    `column_values`); sets their ids."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        if connection.features.can_return_rows_from_bulk_insert:
            model.objects.bulk_create(objs)
        else:
            for obj in objs:
                obj.save(force_insert=True)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = column_values(objs, fields, now=now)
    ids = insert_rows(model._meta.db_table, [f.column for f in fields], rows, returning=True)
    for obj, pk in zip(objs, ids, strict=True):
        inserted(obj, pk)


def inserted(obj: models.Model, pk: int) -> None:
    """Mark an instance whose row raw SQL inserted as saved, with the id the database gave it."""
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias
