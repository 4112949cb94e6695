"""Postal return authorisations: a signed, expiring token naming the return, printed as a
QR code on the parcel's label and scanned where the parcel arrives.

The token is signed with the platform's secret key (itsdangerous), so a label cannot be
forged or pointed at another return; it carries the time it was signed, and is refused
once older than the authorisation period.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Literal

import segno
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from omnicanal.returns.errors import InvalidReturnToken, ReturnAuthorisationExpired

__all__ = ["LABEL_MEDIA_TYPES", "LabelFormat", "label", "read_token", "sign_token"]

SALT = "omnicanal.returns.postal-authorisation"
LabelFormat = Literal["svg", "png", "pdf"]
LABEL_MEDIA_TYPES: dict[str, str] = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
}


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign_token(return_id: str, *, secret_key: str, now: datetime) -> str:
    """The authorisation of postal return ``return_id``, signed at ``now`` (the time it
    carries: the start of its validity)."""
    signed_at = int(now.timestamp())

    class _SignedAt(TimestampSigner):
        def get_timestamp(self) -> int:
            return signed_at

    serializer = URLSafeTimedSerializer(secret_key, salt=SALT, signer=_SignedAt)
    return serializer.dumps({"return_id": return_id})


def read_token(token: str, *, secret_key: str, valid_days: int, now: datetime) -> str:
    """The return a token authorises; refuses a token not signed by us (422) or expired at
    ``now`` (409)."""
    serializer = _serializer(secret_key)
    try:
        payload, signed_at = serializer.loads(token, return_timestamp=True)
    except BadSignature as error:
        raise InvalidReturnToken(
            "This is not a return authorisation of ours (a label misread, or altered).",
            field="token",
        ) from error
    if not isinstance(payload, dict) or not isinstance(payload.get("return_id"), str):
        raise InvalidReturnToken("This return authorisation names no return.", field="token")
    expires_at = signed_at + timedelta(days=valid_days)
    if now > expires_at:
        raise ReturnAuthorisationExpired(
            f"This return authorisation expired on {expires_at:%Y-%m-%d}: the customer needs "
            "a new one.",
            field="token",
            expired_at=expires_at.isoformat(),
        )
    return str(payload["return_id"])


def label(token: str, *, fmt: LabelFormat, title: str) -> bytes:
    """The label's QR code holding ``token``, as SVG, PNG or PDF (printable at 4 pixels a
    module with the standard quiet zone)."""
    code = segno.make(token, error="m", micro=False)
    buffer = io.BytesIO()
    if fmt == "svg":
        code.save(buffer, kind="svg", scale=4, title=title, desc=token)
    else:
        code.save(buffer, kind=fmt, scale=4)
    return buffer.getvalue()
