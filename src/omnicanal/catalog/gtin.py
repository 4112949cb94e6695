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


def gtin_key(value: str) -> str:
    """The 14-digit form of a GTIN: ``4006381333931`` and ``04006381333931`` are one GTIN."""
    return value.zfill(14)


def canonical_gtin(value: str) -> str:
    """The one form a GTIN is stored and shown in: 13 digits (EAN-13) when it fits, else 14.

    GTIN-8, GTIN-12 and a GTIN-14 with a leading zero are the same number as the GTIN-13
    they pad or unpad to (GS1 compares GTINs right-aligned in 14 digits).
    """
    key = gtin_key(value)
    return key[1:] if key.startswith("0") else key


def gtin_forms(value: str) -> set[str]:
    """Every way the same GTIN may be written (8, 12, 13 or 14 digits, leading zeros)."""
    key = gtin_key(value)
    return {key[-length:] for length in GTIN_LENGTHS if not key[:-length].strip("0")}
