"""JSON and CSV, produced as iterators of text so that a statement of any length streams.

JSON amounts are strings with two decimals, like everywhere in the API. CSV is one table with a
header row, ISO dates and plain decimal amounts; text a person typed (descriptions, names) is
defused against formula injection: a spreadsheet would run a cell that starts with = + - @."""

import csv
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice

from comrade.core.money import CENT
from comrade.statements.selectors import Movement, Statement

BATCH = 500
CSV_HEADER = ["date", "time", "token", "type", "description", "counterparty", "amount", "balance"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def movement_json(m: Movement) -> dict:
    return {
        "date": m.created_at.date().isoformat(),
        "created_at": m.created_at.isoformat().replace("+00:00", "Z"),
        "token": m.token,
        "type": m.type,
        "description": m.description,
        "counterparty": m.counterparty,
        "amount": money(m.amount),
        "balance": money(m.balance),
    }


def header_json(statement: Statement) -> dict:
    return {
        "kind": statement.kind,
        "account": statement.account,
        "currency": statement.currency,
        "date_from": statement.period.date_from.isoformat(),
        "date_to": statement.period.date_to.isoformat(),
        "opening_balance": money(statement.opening_balance),
        "closing_balance": money(statement.closing_balance),
    }


def footer_json(statement: Statement) -> dict:
    if statement.kind != "group":
        return {}
    members = [
        {"user_id": t.user_id, "email": t.email, "contributed": money(t.contributed), "received": money(t.received)}
        for t in statement.member_totals
    ]
    sections = [
        {"key": s.key, "title": s.title, "rows": [dict(zip(s.columns, row, strict=True)) for row in s.rows]}
        for s in statement.sections
    ]
    return {"member_totals": members, "sections": sections}


def batches(rows: Iterable, size: int = BATCH) -> Iterator[list]:
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def statement_json(statement: Statement) -> Iterator[str]:
    """One JSON object whose `movements` array is written a batch at a time."""
    head = json.dumps(header_json(statement))
    yield head[:-1] + ', "movements": ['
    separator = ""
    for batch in batches(statement.movements()):
        yield separator + ", ".join(json.dumps(movement_json(m)) for m in batch)
        separator = ", "
    tail = json.dumps(footer_json(statement))
    yield "]" + (", " + tail[1:] if tail != "{}" else "}")


def defused(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def movement_csv(m: Movement) -> list[str]:
    moment = m.created_at
    return [
        moment.date().isoformat(),
        moment.time().isoformat(timespec="seconds"),
        m.token,
        m.type,
        defused(m.description),
        defused(m.counterparty),
        money(m.amount),
        money(m.balance),
    ]


class Lines:
    """The file-like object csv.writer writes to: it hands each line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


def statement_csv(statement: Statement) -> Iterator[str]:
    """A UTF-8 byte order mark first, so that spreadsheets read names in any script correctly."""
    writer = csv.writer(Lines())
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    for batch in batches(statement.movements()):
        yield "".join(writer.writerow(movement_csv(m)) for m in batch)
