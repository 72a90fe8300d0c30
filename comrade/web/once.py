"""Money-moving forms move money once, however often they are submitted.

The review page renders a fresh key into the form (`FIELD`); the confirming POST runs the service
through the API's Idempotency-Key machinery (`comrade.core.idempotency.run_once`), so a double
click, a resubmitted form or a retry after a lost connection replays the first receipt instead of
moving the money again. Views redirect to the URL `submit_once` returns (post, redirect, get).
"""

import hashlib
import json
import uuid
from collections.abc import Callable

from django import forms

from comrade.core.errors import ApplicationError
from comrade.core.idempotency import run_once

FIELD = "form_key"


def new_key() -> str:
    return str(uuid.uuid4())


class OnceField(forms.UUIDField):
    """The hidden key on a money-moving form."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {"required": "This form has expired; start again.", "invalid": "This form has expired; start again."},
        )
        super().__init__(**kwargs)


def submit_once(request, *, key: uuid.UUID | str, data: dict, work: Callable[[], str]) -> str:
    """Run `work` (which moves money and returns the URL of its receipt) once per key and user.
    A repeat of the same submission returns the first receipt's URL without running anything.
    Raises ApplicationError as the API does: 409 while the first submission is still running,
    422 when the key comes back with different values."""
    body = json.dumps(data, sort_keys=True, default=str)
    fingerprint = hashlib.sha256(f"WEB {request.path}\n{body}".encode()).hexdigest()
    once = run_once(
        user=request.user,
        key=f"web:{key}",
        fingerprint=fingerprint,
        work=work,
        answer=lambda url: (303, {"location": url}),
    )
    return once.body["location"]


def add_error(form: forms.Form, error: ApplicationError) -> None:
    """Put a service's refusal next to the field it names, or at the top of the form."""
    placed = False
    for name, messages in error.fields.items():
        if name in form.fields:
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)
