"""Staff passwords: Argon2id hashes, the older scrypt hashes still read, and the policy a new
password must meet. Pure: no database."""

from __future__ import annotations

import gzip
import hashlib
import hmac
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from omnicanal.platform.errors import InvalidInput

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH",
    "WeakPassword",
    "check_policy",
    "hash_password",
    "needs_rehash",
    "verify_against_nothing",
    "verify_password",
]

MIN_LENGTH = 12
MAX_LENGTH = 256  # long pass-phrases are welcome; megabytes sent to the hasher are not
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")

PARAMETERS = profiles.RFC_9106_LOW_MEMORY
"""RFC 9106's second recommended profile: Argon2id, t=3, 64 MiB, p=4 (argon2-cffi's default)."""
_HASHER = PasswordHasher.from_parameters(PARAMETERS)


class WeakPassword(InvalidInput):
    code = "weak_password"
    title = "The password does not meet the policy"


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(
            line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
        )


def check_policy(password: str, *, email: str = "") -> None:
    """Refuse a password that is too short, too long, common, or the account's own email."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"A password has at least {MIN_LENGTH} characters.", field="password", reason="short"
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(
            f"A password has at most {MAX_LENGTH} characters.", field="password", reason="long"
        )
    folded = password.casefold()
    if folded in _common_passwords() or (email and folded == email.casefold()):
        raise WeakPassword(
            "This password is among the most common ones: choose another.",
            field="password",
            reason="common",
        )


def hash_password(password: str) -> str:
    """A salted Argon2id hash in the PHC string format (``$argon2id$v=19$m=…``)."""
    return _HASHER.hash(password)


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (Argon2id, or an older scrypt one)."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash is of an older scheme or weaker parameters than today's."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("no account has this password")


def verify_against_nothing(password: str) -> bool:
    """Spend the time of a real check when there is no account, so that an unknown email
    answers no faster than a wrong password. Always False."""
    verify_password(password, _dummy_hash())
    return False
