"""Sizes in their order: one size up or down among a product's sizes, whatever their kind."""

from __future__ import annotations

import pytest

from omnicanal.catalog.sizes import neighbour_size, size_rank


@pytest.mark.parametrize(
    ("sizes", "size", "step", "expected"),
    [
        (("XS", "S", "M", "L", "XL"), "S", 1, "M"),
        (("XS", "S", "M", "L", "XL"), "S", -1, "XS"),
        (("L", "XS", "M", "S"), "M", 1, "L"),
        (("34", "36", "38", "40"), "38", 1, "40"),
        (("40", "38", "36"), "38", -1, "36"),
        (("36", "37", "38", "38.5", "39"), "38", 1, "38.5"),
        (("S", "M", "XL"), "M", 1, "XL"),
        (("M", "L", "2XL"), "L", 1, "2XL"),
    ],
)
def test_the_next_size_is_the_next_one_the_product_has(sizes, size, step, expected):
    """A missing size in the range is skipped: after M comes the product's next size."""
    assert neighbour_size(sizes, size, step=step) == expected


@pytest.mark.parametrize(
    ("sizes", "size", "step"),
    [
        (("XS", "S", "M"), "M", 1),
        (("XS", "S", "M"), "XS", -1),
        (("TU",), "TU", 1),
        (("S", "M"), "L", 1),
        (("S", "M"), "S", 0),
    ],
)
def test_there_is_no_size_past_the_ends_of_the_range_or_for_one_size(sizes, size, step):
    assert neighbour_size(sizes, size, step=step) is None


def test_letters_and_numbers_are_never_neighbours():
    """A product sold in M and in 38 offers 38's neighbour among the numbers only."""
    assert neighbour_size(("M", "38", "L", "40"), "38", step=1) == "40"
    assert neighbour_size(("M", "38", "L", "40"), "M", step=1) == "L"


def test_sizes_are_read_whatever_their_case_and_spacing():
    assert size_rank(" xl ") == size_rank("XL")
    assert size_rank("2XL") == size_rank("XXL")
    assert size_rank("38,5") == size_rank("38.5")
    assert size_rank("TU") is None
    assert size_rank("-2") is None
