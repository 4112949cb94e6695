"""Staff passwords: Argon2id hashes, older scrypt hashes still read, and the policy."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from argon2 import PasswordHasher, profiles

from omnicanal.staff import passwords


def scrypt_hash(password: str) -> str:
    """A hash as omnicanal stored them before Argon2id: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"


def test_a_password_verifies_against_its_argon2id_hash_and_nothing_else():
    stored = passwords.hash_password("correct horse battery")

    assert stored.startswith("$argon2id$")
    assert passwords.verify_password("correct horse battery", stored)
    assert not passwords.verify_password("correct horse batterY", stored)
    assert "correct horse" not in stored


def test_production_hashes_use_rfc_9106s_recommended_argon2id_parameters():
    """The suite hashes with argon2-cffi's cheapest profile (conftest); what a deployment
    stores is Argon2id at t=3, 64 MiB, p=4, and a cheaper hash is upgraded at sign-in."""
    production = PasswordHasher.from_parameters(passwords.PARAMETERS)

    stored = production.hash("correct horse battery")

    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST).hash("x")
    assert production.check_needs_rehash(cheap)


def test_two_hashes_of_one_password_differ_by_their_salt():
    assert passwords.hash_password("correct horse") != passwords.hash_password("correct horse")


def test_an_older_scrypt_hash_still_verifies_and_asks_to_be_rehashed():
    stored = scrypt_hash("correct horse battery")

    assert passwords.verify_password("correct horse battery", stored)
    assert not passwords.verify_password("wrong horse battery", stored)
    assert passwords.needs_rehash(stored)
    assert not passwords.needs_rehash(passwords.hash_password("correct horse battery"))


@pytest.mark.parametrize("stored", ["", "scrypt$1$2", "$argon2id$garbage", "md5$abc"])
def test_a_malformed_hash_verifies_nothing(stored):
    assert not passwords.verify_password("correct horse battery", stored)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "short"),
        ("x" * (passwords.MAX_LENGTH + 1), "long"),
        ("password1234", "common"),
        ("PASSWORD1234", "common"),
        ("lea@example.fr-x", None),
    ],
)
def test_the_policy_refuses_short_long_and_common_passwords(password, reason):
    """At least 12 characters, at most 256, and none of the 10,000 most common passwords."""
    if reason is None:
        passwords.check_policy(password, email="lea@example.fr")
        return
    with pytest.raises(passwords.WeakPassword) as refused:
        passwords.check_policy(password, email="lea@example.fr")
    assert refused.value.extra["reason"] == reason
    assert refused.value.code == "weak_password"


def test_the_policy_refuses_the_account_s_own_email_as_its_password():
    with pytest.raises(passwords.WeakPassword):
        passwords.check_policy("Lea.Martin@example.fr", email="lea.martin@example.fr")


def test_the_common_password_list_ships_with_the_package():
    """The list is data in the package: 10,000 entries, read without any network."""
    common = passwords._common_passwords()

    assert len(common) >= 9_900
    assert "password1234" in common
