"""Whether a person accepts personalised offers, however the channel named the trait."""

from __future__ import annotations

import pytest

from omnicanal.customers.service import OffersConsent, offers_consent


@pytest.mark.parametrize(
    "traits",
    [
        {"marketing_consent": False},
        {"personalised_offers": "no"},
        {"accepts_marketing": "opt_out"},
        {"consent": {"categoryPreferences": {"personalization": False}}},
        {"marketing_consent": True, "personalised_offers": False},
    ],
)
def test_a_refusal_in_any_trait_means_refused(traits):
    assert offers_consent(traits).consent is OffersConsent.refused
    assert not offers_consent(traits).allows_suggestions


def test_an_acceptance_names_the_trait_that_says_so():
    state = offers_consent({"personalised_offers": True, "first_name": "Zoé"})

    assert (state.consent, state.trait) == (OffersConsent.given, "personalised_offers")


def test_nobody_asked_is_unknown_and_does_not_block_suggestions():
    state = offers_consent({"first_name": "Zoé", "marketing_consent": "maybe"})

    assert state.consent is OffersConsent.unknown
    assert state.allows_suggestions
