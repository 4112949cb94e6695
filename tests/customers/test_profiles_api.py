"""The profile 360 API: lookup by any identifier, the paged timeline, computed traits,
and the customer metrics."""

from __future__ import annotations

import pytest

from tests.customers.support import make_source, profile_by, profiles_key, send


@pytest.fixture
def known(platform, client):
    """A person seen at the till (landline-free) and on the web, with two orders."""
    till, web = make_source(platform, "store"), make_source(platform, "web")
    send(
        client,
        till,
        {
            "type": "identify",
            "anonymousId": "till-1",
            "traits": {"phone": "07 81 23 45 67", "customer_number": "POS-9", "first_name": "Zoé"},
            "timestamp": "2026-02-01T10:00:00Z",
        },
        {
            "type": "track",
            "anonymousId": "till-1",
            "event": "Order Completed",
            "properties": {
                "order_id": "T-1",
                "total": 59.9,
                "currency": "EUR",
                "products": [{"category": "Robes"}, {"category": "Accessoires"}],
            },
            "timestamp": "2026-02-01T10:05:00Z",
        },
    )
    send(
        client,
        web,
        *[
            {
                "type": "page",
                "anonymousId": "cookie-z",
                "name": f"Page {n}",
                "timestamp": f"2026-02-02T10:{n:02d}:00Z",
            }
            for n in range(30)
        ],
        {
            "type": "identify",
            "userId": "zoe",
            "anonymousId": "cookie-z",
            "traits": {"phone": "+33781234567", "email": "zoe@example.fr"},
            "timestamp": "2026-02-02T11:00:00Z",
        },
        {
            "type": "track",
            "userId": "zoe",
            "event": "Order Completed",
            "properties": {
                "order_id": "W-1",
                "revenue": "120.00",
                "currency": "EUR",
                "products": [{"category": "Robes"}],
            },
            "timestamp": "2026-02-03T09:00:00Z",
        },
        {
            "type": "track",
            "userId": "zoe",
            "event": "Order Completed",
            "properties": {"order_id": "W-1", "revenue": "120.00", "currency": "EUR"},
            "timestamp": "2026-02-03T09:00:01Z",
        },
    )
    return profiles_key(platform)


@pytest.mark.parametrize(
    "phone", ["07 81 23 45 67", "07.81.23.45.67", "0781234567", "+33781234567", "+33 7 81 23 45 67"]
)
def test_a_profile_is_found_by_phone_in_any_french_format(client, known, phone):
    assert profile_by(client, known, phone=phone)["identifiers"]


def test_every_identifier_finds_the_same_profile(client, known):
    ids = {
        profile_by(client, known, **query)["id"]
        for query in (
            {"phone": "0781234567"},
            {"email": " ZOE@example.fr "},
            {"user_id": "zoe"},
            {"external_id": "POS-9"},
            {"anonymous_id": "cookie-z"},
            {"anonymous_id": "till-1"},
        )
    }
    assert len(ids) == 1


def test_the_360_view_shows_identifiers_traits_channels_and_computed_traits(client, known):
    profile = profile_by(client, known, email="zoe@example.fr")

    assert profile["status"] == "recognised"
    assert {c["channel"]: c["events"] for c in profile["channels"]} == {"store": 2, "web": 33}
    assert {t["name"]: t["source"] for t in profile["traits"]} == {"first_name": "store/test store"}
    phone = next(i for i in profile["identifiers"] if i["kind"] == "phone")
    assert phone["source"] == "store/test store"
    assert phone["last_source"] == "web/test web"
    assert phone["first_seen_at"] == "2026-02-01T10:00:00Z"
    computed = profile["computed"]
    assert computed["orders"] == 2
    assert computed["monetary_minor"] == 5990 + 12000
    assert computed["average_order_minor"] == 8995
    assert computed["favourite_categories"] == ["Robes", "Accessoires"]
    assert computed["last_order_at"] == "2026-02-03T09:00:00Z"
    assert profile["first_seen_at"] == "2026-02-01T10:00:00Z"


def test_the_timeline_pages_newest_first_without_gaps_or_repeats(client, known):
    profile_id = profile_by(client, known, user_id="zoe")["id"]
    seen, cursor = [], None
    while True:
        params = {"limit": 7, **({"starting_after": cursor} if cursor else {})}
        page = client.get(f"/v1/profiles/{profile_id}/events", params=params, headers=known).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        assert page["has_more"] is (cursor is not None)
        if cursor is None:
            break

    assert len(seen) == 35
    assert len({e["id"] for e in seen}) == 35
    times = [e["occurred_at"] for e in seen]
    assert times == sorted(times, reverse=True)


def test_a_bad_cursor_is_a_422(client, known):
    profile_id = profile_by(client, known, user_id="zoe")["id"]

    response = client.get(
        f"/v1/profiles/{profile_id}/events", params={"starting_after": "nonsense"}, headers=known
    )

    assert (response.status_code, response.json()["code"]) == (422, "invalid_cursor")


def test_an_unknown_identifier_is_a_404_and_a_malformed_one_a_422(client, known):
    unknown = client.get(
        "/v1/profiles/lookup", params={"email": "nobody@example.fr"}, headers=known
    )
    malformed = client.get("/v1/profiles/lookup", params={"phone": "06 12"}, headers=known)
    two = client.get(
        "/v1/profiles/lookup", params={"email": "zoe@example.fr", "user_id": "zoe"}, headers=known
    )
    missing = client.get("/v1/profiles/01ZZZZZZZZZZZZZZZZZZZZZZZZ", headers=known)

    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_identifier")
    assert (malformed.status_code, malformed.json()["code"]) == (422, "invalid_identifier")
    assert two.status_code == 422
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_profile")


def test_the_metrics_give_match_rates_recognised_share_and_unification_times(client, known):
    metrics = client.get("/v1/customers/metrics", headers=known).json()

    assert metrics["profiles"] == 1
    assert metrics["recognised_profiles"] == 1
    assert metrics["events"] == 35
    assert metrics["recognised_event_share_now"] == 1.0
    assert metrics["recognised_event_share_at_ingestion"] == pytest.approx(5 / 35, abs=1e-4)
    rates = {r["pair"]: r for r in metrics["match_rates"]}
    assert rates["phone↔external_id"]["both"] == 1
    assert rates["phone↔external_id"]["first_matched_rate"] == 1.0
    assert rates["anonymous_id↔user_id"]["first_matched_rate"] == 1.0
    assert rates["email↔loyalty_card"]["first_matched_rate"] == 0.0
    times = metrics["time_to_unification"]
    assert times["events"] == 35
    assert 0 <= times["p50_ms"] <= times["p99_ms"] <= times["max_ms"]
