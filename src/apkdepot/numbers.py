"""The one parser for whole numbers that arrive from outside (query and path
parameters, form fields, headers, manifest attributes).

Only ASCII digits count: ``str.isdigit()`` accepts ``²`` and Arabic-Indic
digits that ``int()`` then refuses or reads differently, ``int()`` accepts
``1_000`` and spaces, and a 5,000-digit string costs a ValueError deep in a
handler. Every caller names its bounds, so nothing past a database column's
range (2^63 - 1) ever reaches a query."""

from __future__ import annotations

import re

ASCII_DIGITS = re.compile(r"[0-9]+\Z")
SIGNED_ASCII_DIGITS = re.compile(r"-?[0-9]+\Z")
# The largest value any column we query can hold (signed 64-bit).
DATABASE_MAX = 2**63 - 1
# More digits than this cannot be in any range we accept; refused before int().
_MAX_DIGITS = 20


def parse_whole(raw: object, low: int = 0, high: int = DATABASE_MAX, *, signed: bool = False) -> int | None:
    """``raw`` as an int within [low, high], or None when it is not exactly
    that: ASCII digits only (a leading ``-`` when ``signed``), no spaces, signs,
    underscores or other scripts' digits."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if low <= raw <= high else None
    if isinstance(raw, float):  # a JSON number like 58.0 is a whole number too
        return int(raw) if raw.is_integer() and low <= raw <= high else None
    if not isinstance(raw, str):
        return None
    pattern = SIGNED_ASCII_DIGITS if signed else ASCII_DIGITS
    if len(raw) > _MAX_DIGITS + 1 or not pattern.match(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def is_ascii_digits(raw: str) -> bool:
    return bool(ASCII_DIGITS.match(raw))
