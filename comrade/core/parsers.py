"""JSON bodies parsed with a bound on nesting and size. The standard library's parser recurses
once per level, so `[` repeated 100,000 times raises RecursionError, which no JSON parser turns
into a 400: it was a 500 on every endpoint, the anonymous ones included. The depth is measured
first, in one linear pass that skips string contents, and the body is refused before parsing.

`loads_bounded` is the plain function (webhooks reuse it); `BoundedJSONParser` is DRF's."""

import json
import re
from itertools import accumulate

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 64
# A string: possessive, and closed by the end of input when unterminated, so that every character
# is looked at once (no quadratic backtracking on hostile input).
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class InvalidJSON(ValueError):
    """The body is not acceptable JSON (the message says why)."""


class JSONTooDeep(InvalidJSON):
    pass


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _check_depth(text: str, max_depth: int) -> None:
    """Linear, and in C for all but the brackets: drop the strings, then everything but brackets,
    then follow the depth."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > max_depth:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels.")


def _reject_constant(name: str):
    raise InvalidJSON(f"{name} is not valid JSON.")


def loads_bounded(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, encoding: str = "utf-8"):
    """json.loads that raises InvalidJSON (a ValueError) for bad input of any kind: bad bytes, bad
    syntax, NaN/Infinity, or nesting deeper than `max_depth`; never RecursionError."""
    try:
        text = body.decode(encoding) if isinstance(body, bytes | bytearray) else body
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidJSON(f"The body is not valid {encoding}.") from exc
    _check_depth(text, max_depth)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError as exc:  # a belt: the depth check should have refused it first
        raise JSONTooDeep("JSON nested too deeply.") from exc
    except InvalidJSON:
        raise
    except ValueError as exc:
        raise InvalidJSON(str(exc)) from exc


def _read_limited(stream) -> bytes:
    """At most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (the limit Django applies to request.body, which
    DRF's own JSON parser does not)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(body) > limit:
        raise RequestTooLarge()
    return body


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        body = _read_limited(stream)
        try:
            return loads_bounded(body, encoding=encoding)
        except JSONTooDeep as exc:
            raise ParseError(str(exc), code="json_too_deep") from exc
        except InvalidJSON as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
