"""Idempotency-Key support for every endpoint that moves money.

The record is inserted in the same database transaction as the work it guards. A concurrent
retry blocks on the unique index until the first request commits, then reads the stored answer;
if the first request failed and rolled back, the retry simply does the work itself.
"""

import hashlib
import json
from functools import wraps

from django.db import IntegrityError, transaction
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from comrade.core.errors import ApplicationError
from comrade.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(user, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint), True
    except IntegrityError:
        return IdempotencyRecord.objects.get(user=user, key=key), False


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise ApplicationError(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request.",
            status_code=422,
        )
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view_method):
    """Wrap a DRF view method so that a retried request returns the first answer."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ApplicationError("invalid_idempotency_key", f"{HEADER} is longer than {MAX_KEY_LENGTH}.")
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            record, created = _claim(request.user, key, fingerprint)
            if not created:
                return _replay(record, fingerprint)
            response = view_method(self, request, *args, **kwargs)
            record.response_status = response.status_code
            record.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
            record.save(update_fields=["response_status", "response_body"])
            return response

    return wrapper
