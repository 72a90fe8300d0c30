"""Strict parsing of integer query parameters.

`str.isdigit()` is true for superscripts and other scripts' digits ("²", "٣"), which `int()` then
refuses or reads as a number nobody typed; a parameter here is ASCII digits only, of bounded
length, within its range, or a 400 that names it."""

from collections.abc import Mapping

from comrade.core.errors import field_error


def query_int(params: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))
    if not digits or not low <= int(raw) <= high:
        raise field_error(name, f"{name} must be a whole number from {low} to {high}.")
    return int(raw)
