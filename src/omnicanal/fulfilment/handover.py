"""Handing an order over at the store: the pickup code, and the proof the clerk asks for.

Each pickup and each hold gets a short code when it is created: six characters from an
alphabet without the look-alikes 0/O and 1/I, easy to read aloud and to type. The customer
shows it (in the "ready" message, in the app); the clerk types it to hand the parcel over,
or, when the customer has no code, ticks that they checked an identity document and says
which. A wrong code refuses the handover: the parcel on the counter is not this customer's.

Pure rules: nothing here touches the database (docs/adr/0019).
"""

from __future__ import annotations

import secrets
from enum import StrEnum

from omnicanal.fulfilment.errors import HandoverProofRequired, PickupCodeMismatch
from omnicanal.fulfilment.states import Method

__all__ = [
    "PICKUP_CODE_ALPHABET",
    "PICKUP_CODE_LENGTH",
    "WITH_PICKUP_CODE",
    "IdentityDocument",
    "check_handover",
    "new_pickup_code",
    "normalise_pickup_code",
]

PICKUP_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""32 characters: the capitals and digits without 0, O, 1 and I."""
PICKUP_CODE_LENGTH = 6
"""32**6, about a billion codes: a guess at the counter has no chance."""
WITH_PICKUP_CODE = frozenset({Method.pickup, Method.reserve_and_try})
"""The methods whose customer comes to the store to be handed something."""


class IdentityDocument(StrEnum):
    """The identity document a clerk checked instead of a pickup code."""

    id_card = "id_card"
    passport = "passport"
    driving_licence = "driving_licence"
    residence_permit = "residence_permit"


def new_pickup_code() -> str:
    """A fresh random pickup code."""
    return "".join(secrets.choice(PICKUP_CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


def normalise_pickup_code(typed: str) -> str:
    """The code as typed, in capitals, without spaces or dashes ("k7m 4qx" → "K7M4QX")."""
    return "".join(char for char in typed.upper() if not char.isspace() and char != "-")


def check_handover(
    expected: str | None,
    *,
    pickup_code: str | None,
    identity_checked: IdentityDocument | None,
) -> str:
    """How the customer proved the parcel is theirs, in words for the history; refuses a
    wrong code (:class:`PickupCodeMismatch`) or no proof at all
    (:class:`HandoverProofRequired`).

    A code typed is always checked, even with a document: a wrong code means the wrong parcel.
    """
    typed = normalise_pickup_code(pickup_code or "")
    if typed:
        if expected is None or not secrets.compare_digest(typed, expected):
            raise PickupCodeMismatch(
                "This pickup code is not the order's: check the parcel and the code the "
                "customer shows.",
                field="pickup_code",
            )
        return "pickup code checked"
    if identity_checked is not None:
        return f"identity document checked: {identity_checked.value}"
    raise HandoverProofRequired(
        "Handing over needs the customer's pickup code, or an identity document checked "
        "(pickup_code or identity_checked).",
        field="pickup_code",
    )
