"""Hostile JSON bodies are 400s with the project's error shape, never 500s, on every endpoint."""

import io
import json

import pytest
from django.test import override_settings

from comrade.accounts.models import User
from comrade.core.parsers import (
    MAX_JSON_DEPTH,
    BoundedJSONParser,
    InvalidJSON,
    JSONTooDeep,
    RequestTooLarge,
    loads_bounded,
)
from comrade.ledger.models import TransactionToken

DEEP_ARRAYS = b"[" * 100_000
DEEP_OBJECTS = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.django_db
@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS, b'{"email": ' + DEEP_ARRAYS])
def test_deep_json_to_the_anonymous_register_endpoint_is_a_400(client, body):
    response = client.post("/api/auth/register/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "json_too_deep",
        "message": f"JSON nested deeper than {MAX_JSON_DEPTH} levels.",
        "fields": {},
    }
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_deep_json_to_a_money_endpoint_is_a_400_and_moves_nothing(api):
    response = api.post(
        "/payments/transactions/create_transaction/", data=DEEP_OBJECTS, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "json_too_deep"
    assert not TransactionToken.objects.exclude(transaction_type="FUNDING").exists()


@pytest.mark.django_db
def test_ordinary_bad_json_is_a_parse_error(client):
    response = client.post("/api/auth/register/", data=b'{"email": ', content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    response = client.post("/api/auth/register/", data=b'{"x": NaN}', content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_the_parser_reads_no_more_than_the_upload_limit():
    """Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when request.body is read; DRF reads the
    stream itself, so the parser applies the same limit."""
    body = json.dumps({"x": "y" * 2000}).encode()
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000), pytest.raises(RequestTooLarge):
        BoundedJSONParser().parse(io.BytesIO(body))
    assert BoundedJSONParser().parse(io.BytesIO(body)) == {"x": "y" * 2000}


@pytest.mark.django_db
def test_well_formed_json_still_registers(client):
    body = {"email": "new@example.com", "password": "a-long-Passw0rd!", "first_name": "N", "last_name": "U"}
    response = client.post("/api/auth/register/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert User.objects.filter(email="new@example.com").exists()


def test_loads_bounded_accepts_the_limit_and_refuses_one_more():
    assert loads_bounded(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(JSONTooDeep):
        loads_bounded(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(JSONTooDeep):
        loads_bounded(nested(3), max_depth=2)


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"a": "[" * 1000 + '\\"{' * 500, "b": ["]]]", {"c": "\\"}]})
    assert loads_bounded(text.encode()) == json.loads(text)


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b'{"a": 1,}', b"\xff\xfe", b'{"a": Infinity}', b'"unterminated \\', b'"' + b'\\"' * 50_000],
)
def test_loads_bounded_raises_a_value_error_for_bad_input(body):
    with pytest.raises(InvalidJSON) as raised:
        loads_bounded(body)
    assert isinstance(raised.value, ValueError)


def test_loads_bounded_parses_what_json_parses():
    body = b'{"amount": "10.00", "items": [1, 2.5, null, true, {"x": []}], "s": "\\u00e9"}'
    assert loads_bounded(body) == json.loads(body)
