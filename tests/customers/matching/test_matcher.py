"""The matcher on the issue's cases: tills, web accounts, accents, swaps and households."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from omnicanal.customers.matching import Matcher, PersonRecord, Thresholds
from omnicanal.customers.matching.matcher import decide
from tests.customers.matching.population import fitted_matcher, population

TILL_DUPONT = PersonRecord(
    "till-1", given_name="J.", family_name="DUPONT", postcode="75011", phone="+33612345678"
)
WEB_JEAN_DUPONT = PersonRecord(
    "web-1",
    given_name="Jean",
    family_name="Dupont",
    street="12 rue Oberkampf",
    postcode="75011",
    city="Paris",
    phone="+33612345678",
    email="jean.dupont@gmail.com",
)


def make_couple() -> tuple[PersonRecord, PersonRecord]:
    """Jean and Marie Dupont: one address, one landline, their own names and birth dates."""
    home = {
        "street": "8 rue de la Paix",
        "postcode": "69002",
        "city": "Lyon",
        "phone": "+33478123456",
        "phone_is_landline": True,
    }
    return (
        PersonRecord("jean", "Jean", "Dupont", date(1975, 6, 2), **home),  # type: ignore[arg-type]
        PersonRecord("marie", "Marie", "Dupont", date(1978, 1, 23), **home),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("matcher", [fitted_matcher(), Matcher()], ids=["fitted", "unfitted"])
def test_a_till_record_and_a_web_account_of_one_person_are_merged_or_reviewed(matcher):
    """ "DUPONT J., 06 12 34 56 78" at the till and jean.dupont@… on the web share a family
    name, a fitting initial, a postcode and a mobile: enough to link them."""
    score = matcher.score(TILL_DUPONT, WEB_JEAN_DUPONT)

    assert score.decision in ("merge", "review")
    assert score.probability >= 0.9


def test_a_till_name_typed_in_one_field_still_matches_the_web_account():
    till = PersonRecord("till-2", family_name="DUPONT J.", postcode="75011", phone="+33612345678")

    assert fitted_matcher().score(till, WEB_JEAN_DUPONT).decision in ("merge", "review")


def test_accents_dropped_at_the_till_still_match():
    web = PersonRecord("web-2", "Hélène", "Lefèvre", date(1982, 5, 17), postcode="33000")
    till = PersonRecord("till-3", "HELENE", "LEFEVRE", date(1982, 5, 17), postcode="33000")

    score = fitted_matcher().score(web, till)

    assert score.decision == "merge"
    assert score.reasons[1].startswith(
        "family name Lefèvre ~ LEFEVRE: exact after accent and case folding, +"
    )


def test_swapped_first_and_last_names_still_match():
    web = PersonRecord("web-3", "Hélène", "Lefèvre", date(1982, 5, 17), postcode="33000")
    app = PersonRecord("app-3", "LEFEVRE", "HELENE", date(1982, 5, 17), postcode="33000")

    score = fitted_matcher().score(web, app)

    assert score.decision == "merge"
    assert "(first and last names swapped)" in score.reasons[0]


@pytest.mark.parametrize("matcher", [fitted_matcher(), Matcher()], ids=["fitted", "unfitted"])
def test_a_household_sharing_address_and_landline_is_a_household_never_a_merge(matcher):
    jean, marie = make_couple()

    assert matcher.score(jean, marie).decision == "household"


def test_twins_at_one_address_are_never_merged():
    """Same family, address, landline and birth date, other given names: a household, or a
    person decides; never an automatic merge."""
    jean, _ = make_couple()
    twin = PersonRecord(
        "paul",
        "Paul",
        "Dupont",
        jean.birth_date,
        jean.street,
        jean.postcode,
        jean.city,
        jean.phone,
        phone_is_landline=True,
    )

    assert fitted_matcher().score(jean, twin).decision in ("household", "review")
    assert Matcher().score(jean, twin).decision in ("household", "review")


def test_every_reason_names_the_comparison_the_two_values_and_the_weight():
    score = fitted_matcher().score(TILL_DUPONT, WEB_JEAN_DUPONT)

    assert [reason.split(" ")[0] for reason in score.reasons] == [
        "given",
        "family",
        "birth",
        "address",
        "phone",
        "email",
        "birth",
    ]
    assert score.reasons[2] == "birth date — ~ —: missing, neutral, +0.0"
    assert score.reasons[4].startswith("phone +33612345678 ~ +33612345678: same mobile, +")
    assert score.weight == pytest.approx(
        sum(float(reason.rsplit(", ", 1)[1]) for reason in score.reasons), abs=0.05
    )


def test_matching_a_base_finds_its_duplicates_and_never_merges_a_household():
    """On the shared base (web, till and app records of 300 people, 60 couples)."""
    base = population()
    found = fitted_matcher().match(base.records)

    linked = {
        frozenset((a.record_id, b.record_id))
        for a, b, score in found
        if score.decision in ("merge", "review")
    }
    truth = base.true_pairs()
    assert len(linked & truth) >= 0.95 * len(truth)
    assert len(linked - truth) <= 0.02 * len(linked)
    merged = {frozenset((a.record_id, b.record_id)) for a, b, s in found if s.decision == "merge"}
    assert not merged & {frozenset(pair) for pair in base.households}
    assert [score.weight for *_, score in found] == sorted(
        (score.weight for *_, score in found), reverse=True
    )


def test_a_match_right_after_the_fit_scores_the_pairs_the_fit_compared_and_no_stale_ones():
    """Matching the fitted records takes the fit's pairs and finds what comparing them again
    finds; matching other records (one changed) compares those records."""
    records = population().records[:150]
    changed = [replace(records[0], given_name="Zoé", birth_date=None), *records[1:]]

    def scored(found):  # type: ignore[no-untyped-def]
        return [(a.record_id, b.record_id, score) for a, b, score in found]

    matcher = Matcher().fit(records)
    shared = scored(matcher.match(records))
    compared_again = scored(matcher.match(records))
    matcher.fit(records)
    after_a_change = scored(matcher.match(changed))

    assert shared and shared == compared_again
    assert after_a_change == scored(Matcher(model=matcher.model).match(changed))
    assert after_a_change != shared


def test_matching_reports_its_progress_over_the_candidate_pairs():
    calls: list[tuple[int, int]] = []

    fitted_matcher().match(population().records[:100], progress=lambda *done: calls.append(done))

    assert calls and calls[-1][0] == calls[-1][1] > 0


def test_one_new_record_is_scored_against_its_block_in_milliseconds():
    """The real-time path: a new till record against 300 candidates sharing its keys."""
    base = population()
    web = next(r for r in base.records if r.record_id.startswith("web-") and r.phone)
    till = PersonRecord(
        "till-new",
        web.given_name[0] + ".",
        web.family_name.upper(),
        postcode=web.postcode,
        phone=web.phone,
    )
    others = [record for record in base.records if record.record_id != web.record_id]
    candidates = [*others[:299], web]
    matcher = fitted_matcher()
    matcher.match_one(till, candidates)  # warm

    started = time.perf_counter()
    found = matcher.match_one(till, candidates)
    elapsed = time.perf_counter() - started

    best, score = found[0]
    assert base.person_of[best.record_id] == base.person_of[web.record_id]
    assert score.decision in ("merge", "review")
    assert elapsed < 0.25


def test_thresholds_must_be_ordered_probabilities():
    with pytest.raises(ValueError, match="review <= merge"):
        Thresholds(merge=0.8, review=0.9)


def test_decisions_put_households_first_and_keep_conflicts_from_merging():
    probabilities = np.array([0.999, 0.999, 0.999, 0.95, 0.5, 0.5])
    decisions = decide(
        probabilities,
        shared_home=np.array([False, False, True, False, True, False]),
        different_person=np.array([False, False, True, False, False, False]),
        conflict=np.array([False, True, True, False, False, False]),
        thresholds=Thresholds(merge=0.99, review=0.9),
    )

    assert decisions.tolist() == [
        "merge",
        "review",
        "household",
        "review",
        "household",
        "distinct",
    ]
