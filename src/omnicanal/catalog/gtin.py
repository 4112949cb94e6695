"""GTIN (EAN/UPC) check digits."""

from __future__ import annotations

GTIN_LENGTHS = (8, 12, 13, 14)


def check_digit(body: str) -> int:
    """The GS1 check digit for the digits of a GTIN without its last one."""
    total = 0
    for position, char in enumerate(reversed(body)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid_gtin(value: str) -> bool:
    """True for a GTIN-8/12/13/14 made of digits whose check digit is right."""
    return (
        len(value) in GTIN_LENGTHS
        and value.isascii()
        and value.isdigit()
        and check_digit(value[:-1]) == int(value[-1])
    )


def make_gtin13(body12: str) -> str:
    """Complete 12 digits into a GTIN-13 by appending its check digit."""
    if len(body12) != 12 or not body12.isdigit():
        raise ValueError("a GTIN-13 body is 12 digits")
    return body12 + str(check_digit(body12))
