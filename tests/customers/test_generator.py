"""The messy French customer base that ``bench.identity`` measures identity on, and its
scores."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import cache

import phonenumbers
import pytest

from tests.customers.generator import (
    GENERIC_EMAIL,
    PLACEHOLDER_MOBILE,
    SOURCES,
    TABLET_ID,
    MessySet,
    fold,
    generate,
    typed_phone,
)
from tests.customers.scoring import household_merges, score, told_apart

PEOPLE = 300


@cache
def messy(seed: int = 0) -> MessySet:
    """The set of ``PEOPLE`` people for ``seed``, drawn once per test session."""
    return generate(PEOPLE, seed)


def national(raw: str) -> str:
    """A typed French number back to its national digits."""
    number = phonenumbers.parse(raw, "FR")
    return "0" + str(number.national_number)


def test_the_same_seed_gives_the_same_messages() -> None:
    """A benchmark run can be repeated: the set depends on the seed only."""
    assert generate(PEOPLE, 0).messages == messy(0).messages
    assert generate(PEOPLE, 1).messages != messy(0).messages


def test_every_message_is_a_segment_identify_with_an_id_and_its_truth() -> None:
    """Each record is one identify, keyed by its messageId, with a person and a household."""
    people = {p.person_id: p for p in messy().people}
    ids = [r.record_id for r in messy().records]
    assert len(ids) == len(set(ids))
    for record in messy().records:
        assert record.message["type"] == "identify"
        assert record.message["messageId"] == record.record_id
        assert record.message["anonymousId"]
        assert record.source in SOURCES
        assert people[record.person_id].household_id == record.household_id


def test_only_the_times_move_with_the_end_of_the_period() -> None:
    """A live run can end the set today: the same records, shifted in time."""
    from datetime import UTC, datetime, timedelta

    until = datetime(2030, 6, 1, tzinfo=UTC)
    later = generate(PEOPLE, 0, until=until)
    assert [r.message["traits"] for r in later.records] == [
        r.message["traits"] for r in messy().records
    ]
    assert max(r.sent_at for r in later.records) <= until
    assert min(r.sent_at for r in later.records) >= until - timedelta(days=300)


def test_messages_come_in_time_order_each_sent_after_it_happened() -> None:
    """Records are sent as they happen; sentAt never precedes the timestamp."""
    times = [r.sent_at for r in messy().records]
    assert times == sorted(times)
    for record in messy().records:
        assert record.message["sentAt"] >= record.message["timestamp"]


def test_every_person_has_a_record_and_the_people_asked_for() -> None:
    """The set holds exactly the people asked for, each seen at least once."""
    assert len(messy().people) == PEOPLE
    assert {r.person_id for r in messy().records} == {p.person_id for p in messy().people}


def test_true_pairs_join_records_of_one_person_and_household_pairs_of_two() -> None:
    """Ground-truth pairs: same person; household pairs: two people of one household."""
    by_id = {r.record_id: r for r in messy().records}
    for pair in messy().true_pairs:
        a, b = (by_id[i] for i in pair)
        assert a.person_id == b.person_id
    for pair in messy().household_pairs:
        a, b = (by_id[i] for i in pair)
        assert a.person_id != b.person_id
        assert a.household_id == b.household_id
    per_person = Counter(r.person_id for r in messy().records)
    assert len(messy().true_pairs) == sum(n * (n - 1) // 2 for n in per_person.values())


def test_members_of_a_household_share_the_address_and_the_landline() -> None:
    """A household is one address, and one landline when it has one."""
    households = defaultdict(list)
    for person in messy().people:
        households[person.household_id].append(person)
    shared = [members for members in households.values() if len(members) > 1]
    assert shared
    for members in shared:
        assert len({(p.street, p.postcode, p.city) for p in members}) == 1
        assert len({p.landline for p in members}) == 1
    assert sum(1 for members in shared if members[0].landline) >= len(shared) // 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_stated_shares_roughly_hold(seed: int) -> None:
    """The mix the module docstring states is the mix drawn (within a loose margin)."""
    people = messy(seed).people
    records = messy(seed).records
    sizes = Counter(Counter(p.household_id for p in people).values())
    in_households = sum(size * count for size, count in sizes.items() if size > 1)
    assert 0.5 <= in_households / len(people) <= 0.75
    assert 0.7 <= sum(p.mobile is not None for p in people) / len(people) <= 0.9
    assert 0.75 <= sum(p.email is not None for p in people) / len(people) <= 0.95
    assert 2.0 <= len(records) / len(people) <= 2.8
    sources = Counter(r.source for r in records)
    assert 0.28 <= sources["store"] / len(records) <= 0.42
    assert 0.23 <= sources["web"] / len(records) <= 0.37


def test_numbers_follow_the_french_plan_and_the_region_of_the_address() -> None:
    """Mobiles are valid 06/07 numbers; landlines are 09 or the region's 01-05."""
    region = {"75": "01", "44": "02", "59": "03", "69": "04", "33": "05"}
    for person in messy().people:
        if person.mobile:
            assert re.fullmatch(r"0[67]\d{8}", person.mobile)
            parsed = phonenumbers.parse(person.mobile, "FR")
            assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        if person.landline:
            assert phonenumbers.is_valid_number(phonenumbers.parse(person.landline, "FR"))
            expected = region.get(person.postcode[:2])
            if expected is not None:
                assert person.landline[:2] in (expected, "09")


def test_phones_are_written_in_every_french_form() -> None:
    """Every written form reads back to the same national number."""
    import random

    rng = random.Random(0)
    written = {typed_phone("0612345678", rng) for _ in range(200)}
    assert {"06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "0612345678",
            "+33 (0)6 12 34 56 78"} <= written  # fmt: skip
    assert {national(w.replace("(0)", "")) for w in written} == {"0612345678"}


def test_e_mails_use_french_providers_and_name_based_local_parts() -> None:
    """Personal e-mails are at common providers and built from the person's names."""
    providers = Counter(p.email.split("@")[1] for p in messy().people if p.email)
    assert providers.most_common(1)[0][0] == "gmail.com"
    assert {"orange.fr", "free.fr", "hotmail.fr"} <= set(providers)
    for person in messy().people:
        if person.email:
            local = person.email.split("@")[0]
            family = fold(person.family_name).replace(" ", "").replace("'", "")
            assert family in local


def test_the_set_holds_namesakes_a_shared_tablet_and_traps() -> None:
    """The hard cases are there: namesakes, a shared tablet, a placeholder, a generic e-mail."""
    records = messy(0).records + messy(1).records + messy(2).records
    people = messy(0).people
    names = Counter((p.given_name, p.family_name) for p in people)
    assert any(count > 1 for count in names.values())
    tablet = {r.person_id for r in records if r.message["anonymousId"] == TABLET_ID}
    assert len(tablet) > 1
    phones = [r.message["traits"].get("phone") for r in records]
    assert PLACEHOLDER_MOBILE in phones
    assert GENERIC_EMAIL in [r.message["traits"].get("email") for r in records]
    home_only = [
        r
        for r in records
        if "email" not in r.message["traits"]
        and "loyalty_card" not in r.message["traits"]
        and "address" in r.message["traits"]
        and r.message["traits"].get("phone")
    ]
    assert home_only


def test_a_family_e_mail_or_a_lent_card_reaches_two_people() -> None:
    """Some identifiers are shared by nature: the same value is given by two people."""
    records = messy(0).records + messy(1).records
    for kind in ("email", "loyalty_card"):
        people_by_value = defaultdict(set)
        for record in records:
            value = record.message["traits"].get(kind)
            if value and value != GENERIC_EMAIL:
                people_by_value[value].add(record.person_id)
        assert any(len(people) > 1 for people in people_by_value.values()), kind


def test_a_perfect_clustering_scores_one_and_merges_no_household() -> None:
    """Scoring the truth against itself: precision, recall and F1 of 1, no household pair."""
    truth = score(messy(), {r.record_id: r.person_id for r in messy().records})
    assert (truth.precision, truth.recall, truth.f1) == (1.0, 1.0, 1.0)
    assert truth.household_pairs_merged == truth.household_people_merged == 0
    assert truth.household_people_merged_told_apart == 0


def test_merging_whole_households_counts_every_household_pair() -> None:
    """A clustering by household finds every true pair and merges every household pair."""
    result = score(messy(), {r.record_id: r.household_id for r in messy().records})
    assert result.recall == 1.0
    assert result.household_pairs_merged == len(messy().household_pairs)
    sizes = Counter(Counter(p.household_id for p in messy().people).values())
    assert result.household_people_merged == sum(
        count * size * (size - 1) // 2 for size, count in sizes.items()
    )
    assert result.precision < 1.0


def test_a_refused_record_counts_as_a_profile_of_its_own() -> None:
    """A record missing from the clustering (refused at ingest) links to nothing."""
    clusters = {r.record_id: r.person_id for r in messy().records}
    lost = next(iter(messy().true_pairs))
    for record_id in lost:
        clusters.pop(record_id)
    result = score(messy(), clusters)
    assert result.precision == 1.0
    assert result.recall < 1.0


def test_merged_household_pairs_are_told_apart_by_what_the_records_share() -> None:
    """Each merged household pair is counted once, under the identifier its records share."""
    by_household = {r.record_id: r.household_id for r in messy().records}
    counts = household_merges(messy(), by_household)
    assert sum(counts.values()) == len(messy().household_pairs)
    assert {"phone", "nothing"} <= set(counts)
    assert household_merges(messy(), {r.record_id: r.person_id for r in messy().records}) == {}


def test_addresses_are_written_long_and_short() -> None:
    """The same street comes as "boulevard"/"Saint-" and as "Bd"/"St-", sometimes with a flat."""
    streets = [
        r.message["traits"]["address"]["street"]
        for r in messy().records
        if "address" in r.message["traits"]
    ]
    assert any(" Bd " in street or " Av. " in street for street in streets)
    assert any("St-" in street or "Ste-" in street for street in streets)
    assert any("Saint-" in street for street in streets)
    assert any(street.startswith("Appt ") for street in streets)


def test_birth_dates_are_spread_and_every_customer_is_an_adult() -> None:
    """No birth date is shared by more than a handful of people; nobody is born after 2008."""
    from datetime import date

    births = Counter(p.birth_date for p in messy().people)
    assert max(births.values()) <= 3
    assert max(births) <= date(2008, 12, 31)


def test_namesakes_with_nothing_else_are_not_told_apart_but_other_names_are() -> None:
    """Two people are told apart by names beyond a slip or by birth dates, not by a typo."""
    from tests.customers.generator import Record

    def record(**traits: str) -> Record:
        message = {"anonymousId": "a", "traits": traits}
        return Record("r", "p", "h", "web", message)

    olivier = record(first_name="Olivier", last_name="Berger", email="famille.berger@free.fr")
    assert not told_apart(olivier, record(first_name="OLIVIER", last_name="BERGER"))
    assert not told_apart(olivier, record(first_name="Oliveir", last_name="Berger"))
    assert told_apart(olivier, record(first_name="Cédric", last_name="Berger"))
    assert told_apart(
        record(first_name="Olivier", birthday="1971-02-03"),
        record(first_name="Olivier", birthday="1999-03-11"),
    )


def test_an_e_mail_platform_record_always_carries_the_address_it_is_kept_by() -> None:
    """An e-mail platform keeps its contacts by their address: its records have one (a
    personal or a family one, sometimes a trap), and people without any are not on it."""
    records = [r for seed in (0, 1, 2) for r in messy(seed).records if r.source == "email"]
    assert records
    assert all(r.message["traits"].get("email") for r in records)
