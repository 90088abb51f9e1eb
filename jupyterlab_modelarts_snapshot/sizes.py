"""Sizes for people, printed exactly as the front end prints them (``format.ts``'s humanBytes):
``tests/byte-cases.json`` holds both to the same figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

UNITS = ("B", "KB", "MB", "GB", "TB")


def human_bytes(size: int) -> str:
    """Bytes for people: 980 KB, 3.2 GB. One decimal under 10, none from 10 on; halves go up,
    as JavaScript's toFixed rounds them."""
    value = Decimal(size)
    unit = 0
    while value >= 1024 and unit < len(UNITS) - 1:
        value /= 1024
        unit += 1
    places = Decimal("0.1") if unit > 0 and value < 10 else Decimal("1")
    return f"{value.quantize(places, rounding=ROUND_HALF_UP)} {UNITS[unit]}"
