"""One GTIN, however many digits it is written with: stored once, found by any of its forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicanal.catalog.gtin import canonical_gtin, gtin_forms, is_valid_gtin, make_gtin13
from tests.builders import auth
from tests.catalog.test_products_api import catalog_key
from tests.inventory.test_bad_input import refused

EAN13 = "4006381333931"
GTIN14 = "04006381333931"


def _product(code: str, gtin: str) -> dict[str, object]:
    return {
        "code": code,
        "name": f"Produit {code}",
        "category": "Pulls",
        "variants": [{"sku": f"{code}-M", "gtin": gtin, "size": "M"}],
    }


def test_a_gtin_14_with_a_leading_zero_is_the_gtin_13_it_pads():
    """GS1 compares GTINs right-aligned: the leading zero changes nothing."""
    assert canonical_gtin(GTIN14) == EAN13
    assert canonical_gtin(EAN13) == EAN13
    assert canonical_gtin("96385074") == "0000096385074"
    assert canonical_gtin("10614141000415") == "10614141000415"


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_form_of_a_gtin_has_one_canonical_form(body):
    """Each written form is valid and canonicalises to the same 13 or 14 digits."""
    gtin = make_gtin13(body)
    forms = gtin_forms(gtin)
    assert gtin in forms and gtin.zfill(14) in forms
    assert all(is_valid_gtin(form) for form in forms)
    assert {canonical_gtin(form) for form in forms} == {canonical_gtin(gtin)}


@pytest.mark.parametrize(("first", "second"), [(EAN13, GTIN14), (GTIN14, EAN13)])
def test_the_same_gtin_in_another_form_is_a_conflict(platform, client, first, second):
    """Creating 4006381333931 then 04006381333931 (or the reverse) is one GTIN twice."""
    token = catalog_key(platform)
    created = client.post("/v1/products", json=_product("PULL-A", first), headers=auth(token))
    assert created.status_code == 201, created.text
    assert created.json()["variants"][0]["gtin"] == EAN13

    refused(
        platform,
        client,
        "POST",
        "/v1/products",
        token,
        409,
        "sku_exists",
        json=_product("PULL-B", second),
    )


@pytest.mark.parametrize("scanned", [EAN13, GTIN14])
def test_either_form_of_a_gtin_finds_the_variant(platform, client, scanned):
    """A scanner reading 13 or 14 digits finds the same variant."""
    token = catalog_key(platform)
    client.post("/v1/products", json=_product("PULL-A", GTIN14), headers=auth(token))

    found = client.get(f"/v1/skus/{scanned}", headers=auth(token))

    assert found.status_code == 200, found.text
    assert (found.json()["sku"], found.json()["product_code"]) == ("PULL-A-M", "PULL-A")
