"""Idempotency-Key support for every endpoint that moves money.

Two short database transactions around the work, never one long one (an endpoint may call a
payment provider over the network, and no lock may be held meanwhile):

1. Claim the key: insert (user, key, fingerprint) and commit. The unique constraint lets exactly
   one request claim it; that request does the work.
2. Store the answer on the claim. If the work raised before it opened a transaction, the claim
   is deleted, so a retry runs again (nothing was written). If it raised after a transaction was
   committed (money held, then a later step failed), the claim is kept and marked interrupted:
   a retry gets 409 `idempotency_request_interrupted` with those transactions and runs nothing.

When the work calls no provider (an internal transfer), the claim, the work and the answer can
instead be one database transaction (`in_one_transaction=True`; a view opts in with
`idempotent_in_one_transaction(request)`): one COMMIT instead of three. A retry meanwhile waits on
the claim's unique index and then replays the committed answer; if the work raises, or the worker
dies, everything rolls back together and the key is free again, so nothing can be left half done.

A retry that finds the key answered replays the answer. One that arrives while the first is still
running waits for it (up to IDEMPOTENCY_WAIT_SECONDS) and then replays it, or answers 409.

Every transaction opened while a claimed request runs is linked to its claim. So when a request
died between the two steps (a killed worker), a retry after IDEMPOTENCY_STALE_SECONDS can tell:
no linked transaction means no money moved, and the work is run again; otherwise the retry gets
409 with the transactions the interrupted request made, and nothing is run twice.
"""

import hashlib
import json
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from comrade.core.bulk import inserted
from comrade.core.errors import ApplicationError
from comrade.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
POLL_SECONDS = 0.05
# Stored in response_body (response_status stays null) when the request raised after moving money.
INTERRUPTED_MARK = {"interrupted": True}
logger = logging.getLogger(__name__)
_current_record: ContextVar[int | None] = ContextVar("idempotency_record", default=None)


def current_idempotency_record_id() -> int | None:
    """The claim of the request being served, for transaction_open to link to."""
    return _current_record.get()


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


CLAIM_SQL = (
    "INSERT INTO core_idempotencyrecord (user_id, key, fingerprint, created_at) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
)
ANSWER_SQL = "UPDATE core_idempotencyrecord SET response_status = %s, response_body = %s WHERE id = %s"


def _claim(user, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """Insert the claim, or find the one already there. ON CONFLICT DO NOTHING (PostgreSQL, and
    SQLite >= 3.24) waits for a concurrent claim of the same key to commit or roll back, raises
    nothing, and so needs no savepoint around it."""
    record = IdempotencyRecord(user=user, key=key, fingerprint=fingerprint, created_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [user.pk, key, fingerprint, record.created_at])
        row = cursor.fetchone()
    if row is None:
        return IdempotencyRecord.objects.get(user=user, key=key), False
    inserted(record, row[0])
    return record, True


def _wait_for_answer(record: IdempotencyRecord) -> IdempotencyRecord | None:
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while record.response_status is None and not _marked(record) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        record = IdempotencyRecord.objects.filter(pk=record.pk).first()
        if record is None:
            return None  # the first request failed and gave the key back
    return record


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[int, object]:
    if record.fingerprint != fingerprint:
        raise ApplicationError(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request.",
            status_code=422,
        )
    record = _wait_for_answer(record)
    if record is not None and record.response_status is None and (_marked(record) or _is_stale(record)):
        _interrupted(record)
    if record is None or record.response_status is None:
        raise ApplicationError(
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key is still in progress or its outcome is unknown; "
            "check your transactions before retrying with a new key.",
            status_code=409,
        )
    return record.response_status, record.response_body


def _marked(record: IdempotencyRecord) -> bool:
    return record.response_status is None and record.response_body == INTERRUPTED_MARK


def _release_or_keep(record: IdempotencyRecord) -> None:
    """The work raised. Without a linked transaction nothing moved: give the key back so a retry
    runs again. With one, keep the key, marked, so that a retry is told what the request did
    instead of moving the money a second time. If even this fails (the database is gone), the key
    stays claimed and the stale-request rule decides later."""
    try:
        if record.transactions.exists():
            IdempotencyRecord.objects.filter(pk=record.pk).update(response_body=INTERRUPTED_MARK)
        else:
            record.delete()
    except Exception:
        logger.exception("could not release or mark Idempotency-Key record %s", record.pk)


def _is_stale(record: IdempotencyRecord) -> bool:
    return record.created_at < timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS)


class _RunAgain(Exception):
    pass


def _interrupted(record: IdempotencyRecord) -> None:
    """The request that claimed this key died. Without a transaction it moved nothing: release the
    key (the caller claims it again). Otherwise say what it did."""
    from comrade.ledger.serializers import TransactionSerializer

    transactions = list(record.transactions.order_by("id"))
    if not transactions:
        IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()
        raise _RunAgain
    raise ApplicationError(
        "idempotency_request_interrupted",
        "The request with this Idempotency-Key was interrupted after it started; here is what it did.",
        status_code=409,
        extra={"transactions": TransactionSerializer(transactions, many=True).data},
    )


@dataclass(frozen=True)
class Once:
    """What `run_once` gives back: the stored answer, and the work's own result on the first run
    (None on a replay)."""

    status: int
    body: object
    replayed: bool
    result: object = None


def run_once(
    *,
    user,
    key: str,
    fingerprint: str,
    work: Callable[[], object],
    answer: Callable[[object], tuple[int, object]],
    in_one_transaction: bool = False,
) -> Once:
    """Run `work` once per (user, key): the API's Idempotency-Key and the web forms' issued key.
    `answer(result)` turns the work's result into the (status, JSON body) a retry replays.
    `in_one_transaction`: claim, work and answer commit together (only for work that calls no
    provider and holds no lock it must not hold across the others)."""
    if in_one_transaction:
        with transaction.atomic():
            return _run_once(user, key, fingerprint, work, answer, release=False)
    return _run_once(user, key, fingerprint, work, answer, release=True)


def _run_once(user, key, fingerprint, work, answer, *, release: bool) -> Once:
    record, created = _claim(user, key, fingerprint)
    if not created:
        try:
            return Once(*_replay(record, fingerprint), replayed=True)
        except _RunAgain:
            record, created = _claim(user, key, fingerprint)
            if not created:
                return Once(*_replay(record, fingerprint), replayed=True)
    context = _current_record.set(record.pk)
    try:
        result = work()
    except BaseException:
        if release:  # in one transaction, the rollback takes the claim back with the work
            _release_or_keep(record)
        raise
    finally:
        _current_record.reset(context)
    status, body = answer(result)
    with connection.cursor() as cursor:  # raw: the ORM's update() cost more to build than to run
        cursor.execute(ANSWER_SQL, [status, connection.ops.adapt_json_value(body, None), record.pk])
    return Once(status, body, replayed=False, result=result)


def _drf_answer(response: Response) -> tuple[int, object]:
    return response.status_code, json.loads(JSONRenderer().render(response.data) or b"null")


def idempotent(view_method):
    """Wrap a DRF view method so that a retried request returns the first answer. A view whose
    `idempotent_in_one_transaction(request)` answers True has it run in one database transaction
    (see run_once)."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ApplicationError("invalid_idempotency_key", f"{HEADER} is longer than {MAX_KEY_LENGTH}.")
        in_one = getattr(self, "idempotent_in_one_transaction", None)
        once = run_once(
            user=request.user,
            key=key,
            fingerprint=_fingerprint(request),
            work=lambda: view_method(self, request, *args, **kwargs),
            answer=_drf_answer,
            in_one_transaction=bool(in_one and in_one(request)),
        )
        if not once.replayed:
            return once.result
        response = Response(once.body, status=once.status)
        response["Idempotent-Replayed"] = "true"
        return response

    return wrapper
