"""SMS text: the GSM 03.38 alphabet an SMS is cheapest in, and its length.

An SMS holds 160 characters of the GSM 7-bit alphabet, or only 70 as soon as one character
falls outside it (the whole message is then sent in UCS-2). French needs care: é, è, à, ù
and Ç are in the alphabet, but ê, â, î, ô, û, ç and the typographic apostrophe are not. So
the text of an SMS is brought into the alphabet before it is measured and sent: a letter
outside it loses its accent ("prête" → "prete"), typographic quotes, dashes and spaces
become their plain forms, and what has no plain form becomes "?".

Pure: nothing here touches the database.
"""

from __future__ import annotations

import unicodedata

__all__ = ["GSM_BASIC", "GSM_EXTENDED", "SMS_LENGTH", "gsm_length", "to_gsm"]

SMS_LENGTH = 160
"""GSM 7-bit characters in one SMS."""
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The GSM 03.38 basic alphabet: one septet each."""
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
"""Characters sent with an escape: two septets each."""

_PLAIN = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "«": '"',
    "»": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\t": " ",
    "œ": "oe",
    "Œ": "OE",
    "ç": "c",
    "\u00d7": "x",
}


def _plain(char: str) -> str:
    if char in GSM_BASIC or char in GSM_EXTENDED:
        return char
    if char in _PLAIN:
        return _PLAIN[char]
    base = "".join(
        part for part in unicodedata.normalize("NFD", char) if not unicodedata.combining(part)
    )
    if base and all(part in GSM_BASIC for part in base):
        return base
    return "?"


def to_gsm(text: str) -> str:
    """``text`` within the GSM alphabet: accents outside it dropped, typographic signs made
    plain, anything else "?"."""
    return "".join(_plain(char) for char in text)


def gsm_length(text: str) -> int | None:
    """The septets ``text`` takes in GSM 7-bit (escaped characters count two); None when it
    holds a character outside the alphabet."""
    length = 0
    for char in text:
        if char in GSM_BASIC:
            length += 1
        elif char in GSM_EXTENDED:
            length += 2
        else:
            return None
    return length
