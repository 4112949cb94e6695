"""GTIN check digits, as a scanner and a supplier's file need them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from omnicanal.catalog.gtin import is_valid_gtin, make_gtin13


def test_known_real_world_gtins_are_valid():
    assert is_valid_gtin("3017620422003")  # a French EAN-13
    assert is_valid_gtin("96385074")  # EAN-8
    assert is_valid_gtin("036000291452")  # UPC-A


def test_a_wrong_check_digit_letters_or_a_bad_length_are_invalid():
    assert not is_valid_gtin("3017620422004")
    assert not is_valid_gtin("30176204220O3")
    assert not is_valid_gtin("301762042200")
    assert not is_valid_gtin("")
    assert not is_valid_gtin("".join(chr(0xFF10 + int(d)) for d in "3017620422003"))  # full-width


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_completed_body_is_valid_and_every_other_last_digit_is_not(body):
    gtin = make_gtin13(body)
    assert is_valid_gtin(gtin)
    for digit in "0123456789":
        if digit != gtin[-1]:
            assert not is_valid_gtin(body + digit)
