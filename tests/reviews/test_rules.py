"""The pure rules of reviews: what a rating and a text may be, what a Segment ``Product
Reviewed`` message says, how a decision moves a review, an average."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omnicanal.reviews.rules import (
    MAX_TEXT,
    MAX_TITLE,
    Decision,
    RefusedReview,
    ReviewDraft,
    ReviewStatus,
    average,
    clean_rating,
    clean_text,
    decide,
    draft_from_properties,
)


@pytest.mark.parametrize(("given", "stars"), [(1, 1), (5, 5), (4.0, 4), ("3", 3), (Decimal(2), 2)])
def test_a_rating_is_a_whole_number_of_stars_however_it_is_written(given, stars):
    assert clean_rating(given) == stars


@pytest.mark.parametrize(
    "given", [0, 6, -1, 4.5, "4,5", "cinq", "", None, True, float("nan"), float("inf"), [5], 10**30]
)
def test_a_rating_outside_one_to_five_whole_stars_is_refused(given):
    with pytest.raises(RefusedReview) as refused:
        clean_rating(given)

    assert (refused.value.code, refused.value.field) == ("invalid_rating", "rating")


def test_text_is_kept_trimmed_in_nfc_with_unix_line_ends():
    """A decomposed "é" (e + combining accent) is stored composed; CRLF becomes LF."""
    assert clean_text("  Tre\u0300s bien\r\nvraiment  ", field="text", limit=50) == (
        "Très bien\nvraiment"
    )
    assert clean_text("   ", field="text", limit=50) is None
    assert clean_text(None, field="text", limit=50) is None


@pytest.mark.parametrize(
    "hostile",
    [
        "Bien\x00",
        "Bien\ud800",
        "Bien\x1b[31m",
        "Bien\x7f",
        "Bien\u202eetneg",
        "Bien\u2066isolé\u2069",
        "\ufeffBien",
    ],
)
def test_text_holding_a_control_character_or_a_bidirectional_override_is_refused(hostile):
    with pytest.raises(RefusedReview) as refused:
        clean_text(hostile, field="text", limit=MAX_TEXT)

    assert (refused.value.code, refused.value.field) == ("invalid_review_text", "text")


def test_text_over_its_limit_is_refused_and_tabs_and_line_feeds_are_kept():
    assert clean_text("a\tb\nc", field="text", limit=10) == "a\tb\nc"
    with pytest.raises(RefusedReview) as refused:
        clean_text("x" * (MAX_TITLE + 1), field="title", limit=MAX_TITLE)
    assert refused.value.code == "review_too_long"
    with pytest.raises(RefusedReview):
        clean_text(42, field="title", limit=MAX_TITLE)


def test_a_product_reviewed_message_names_the_product_rating_title_and_text():
    """Segment's spec: product_id, review_id, review_body, rating; a title beside them."""
    draft = draft_from_properties(
        {
            "product_id": "ROBE-ALMA",
            "review_id": 9871,
            "review_title": "Superbe",
            "review_body": "Je recommande.",
            "rating": 5,
        }
    )

    assert draft == ReviewDraft(
        product_ref="ROBE-ALMA",
        rating=5,
        title="Superbe",
        text="Je recommande.",
        external_ref="9871",
    )


def test_a_message_without_product_id_may_name_the_sku_and_nothing_else_is_required():
    assert draft_from_properties({"sku": "ROBE-ALMA-M", "rating": "4"}) == ReviewDraft(
        product_ref="ROBE-ALMA-M", rating=4
    )


@pytest.mark.parametrize(
    ("properties", "code", "field"),
    [
        ({"rating": 5}, "missing_product", "sku"),
        ({"product_id": "  ", "rating": 5}, "missing_product", "sku"),
        ({"product_id": ["ROBE"], "rating": 5}, "invalid_field", "product_id"),
        ({"product_id": "R" * 61, "rating": 5}, "invalid_field", "product_id"),
        ({"product_id": "ROBE"}, "invalid_rating", "rating"),
        ({"product_id": "ROBE", "rating": 9}, "invalid_rating", "rating"),
        (
            {"product_id": "ROBE", "rating": 5, "review_body": "x" * 5001},
            "review_too_long",
            "review_body",
        ),
        ({"product_id": "ROBE", "rating": 5, "title": "\u202e"}, "invalid_review_text", "title"),
    ],
)
def test_a_message_whose_review_cannot_be_taken_says_which_property_and_why(
    properties, code, field
):
    with pytest.raises(RefusedReview) as refused:
        draft_from_properties(properties)

    assert (refused.value.code, refused.value.field) == (code, field)


def test_only_a_pending_review_is_decided_and_only_once():
    assert decide(ReviewStatus.pending, Decision.publish) is ReviewStatus.published
    assert decide(ReviewStatus.pending, Decision.reject) is ReviewStatus.rejected
    for status in (ReviewStatus.published, ReviewStatus.rejected):
        for decision in Decision:
            assert decide(status, decision) is None


def test_an_average_has_two_decimals_and_none_without_ratings():
    assert average(9, 2) == 4.5
    assert average(14, 3) == 4.67
    assert average(0, 0) is None
