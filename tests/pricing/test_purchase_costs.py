"""A SKU's purchase cost: set by head office (API and CLI), recorded as an event when it
changes, and never shown to the channels."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from omnicanal.cli.main import app
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key, snapshot
from tests.pricing.builders import make_sku

HEAD_OFFICE = ["pricing:read", "pricing:write"]


def _cost_events(platform: Platform) -> list[dict[str, object]]:
    with platform.db.reading() as session:
        return list(
            session.scalars(
                select(OutboxEvent.data)
                .where(OutboxEvent.type == "pricing.purchase_cost_changed")
                .order_by(OutboxEvent.seq)
            )
        )


def test_setting_a_cost_records_one_event_per_change_with_the_cost_it_replaced(platform, client):
    """First cost, a new cost, the same cost again: two events, the second naming the first."""
    sku = make_sku(platform, "ROBE-LIN-38", 7990)
    head_office = auth(make_key(platform, "web", scopes=HEAD_OFFICE))

    first = client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 3120}, headers=head_office)
    second = client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 2990}, headers=head_office)
    same = client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 2990}, headers=head_office)
    read = client.get(f"/v1/prices/{sku}/cost", headers=head_office)

    assert first.status_code == second.status_code == same.status_code == 200, first.text
    assert read.json()["cost_minor"] == 2990
    assert read.json()["currency"] == "EUR"
    assert read.json()["updated_by"].startswith("key:")
    assert _cost_events(platform) == [
        {"sku": sku, "currency": "EUR", "cost_minor": 3120, "previous_minor": None},
        {"sku": sku, "currency": "EUR", "cost_minor": 2990, "previous_minor": 3120},
    ]


def test_a_cost_is_kept_per_currency(platform, client):
    """A cost in CHF leaves the cost in EUR as it was."""
    sku = make_sku(platform, "ROBE-LIN-38", 7990)
    head_office = auth(make_key(platform, "web", scopes=HEAD_OFFICE))

    client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 3120}, headers=head_office)
    client.put(
        f"/v1/prices/{sku}/cost", json={"cost_minor": 3300, "currency": "CHF"}, headers=head_office
    )

    euros = client.get(f"/v1/prices/{sku}/cost", headers=head_office).json()
    francs = client.get(f"/v1/prices/{sku}/cost?currency=CHF", headers=head_office).json()
    assert (euros["cost_minor"], francs["cost_minor"]) == (3120, 3300)


def test_a_repeated_idempotency_key_sets_the_cost_once(platform, client):
    """The retry answers the first answer and records no second event."""
    sku = make_sku(platform, "ROBE-LIN-38", 7990)
    headers = auth(make_key(platform, "web", scopes=HEAD_OFFICE), **{"Idempotency-Key": "cost-1"})

    first = client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 3120}, headers=headers)
    again = client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 3120}, headers=headers)

    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(_cost_events(platform)) == 1


def test_channels_reading_prices_never_see_a_cost(platform, client):
    """A web shop's key (pricing:read) may neither read nor set a cost, and the SKU, product
    and prices it reads carry no cost."""
    sku = make_sku(platform, "ROBE-LIN-38", 7990)
    head_office = auth(make_key(platform, "web", scopes=HEAD_OFFICE))
    client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 3120}, headers=head_office)
    shop = auth(make_key(platform, "web"))

    read = client.get(f"/v1/prices/{sku}/cost", headers=shop)
    write = client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 1}, headers=shop)
    seen = [
        client.get(f"/v1/skus/{sku}", headers=shop).text,
        client.get(f"/v1/products/P-{sku}", headers=shop).text,
        client.get("/v1/prices", headers=shop).text,
    ]

    assert (read.status_code, write.status_code) == (403, 403)
    assert read.json()["required_scope"] == "pricing:write"
    assert not any("cost" in text or "3120" in text for text in seen)


def test_a_bad_cost_is_refused_and_changes_nothing(platform, client):
    """Negative, over the largest amount, a decimal, an unknown SKU or NUL: a 4xx problem each."""
    sku = make_sku(platform, "ROBE-LIN-38", 7990)
    head_office = auth(make_key(platform, "web", scopes=HEAD_OFFICE))
    before = snapshot(platform)

    answers = [
        client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": -1}, headers=head_office),
        client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 2**63}, headers=head_office),
        client.put(f"/v1/prices/{sku}/cost", json={"cost_minor": 31.2}, headers=head_office),
        client.put(
            f"/v1/prices/{sku}/cost", json={"cost_minor": 1, "currency": "eur"}, headers=head_office
        ),
        client.put("/v1/prices/NOPE/cost", json={"cost_minor": 1}, headers=head_office),
        client.put("/v1/prices/A%00B/cost", json={"cost_minor": 1}, headers=head_office),
        client.get("/v1/prices/NOPE/cost", headers=head_office),
        client.get(f"/v1/prices/{sku}/cost", headers=head_office),
    ]

    assert [answer.status_code for answer in answers] == [422, 422, 422, 422, 404, 422, 404, 404]
    assert answers[4].json()["code"] == "unknown_sku"
    assert answers[7].json()["code"] == "no_purchase_cost"
    assert snapshot(platform) == before


def test_the_cli_sets_and_shows_a_cost(platform):
    """``omnicanal pricing cost SKU --cost 31,20`` sets 3120 minor units; without --cost it
    shows it."""
    sku = make_sku(platform, "ROBE-LIN-38", 7990)
    env = {
        "OMNICANAL_DATABASE_URL": platform.settings.resolved_database_url(),
        "OMNICANAL_DATA_DIR": str(platform.settings.data_dir),
        "COLUMNS": "200",
    }

    set_ = CliRunner().invoke(app, ["pricing", "cost", sku, "--cost", "31,20"], env=env)
    shown = CliRunner().invoke(app, ["pricing", "cost", sku], env=env)
    bad = CliRunner().invoke(app, ["pricing", "cost", sku, "--cost", "31.205"], env=env)

    assert set_.exit_code == 0, set_.output
    assert shown.exit_code == 0, shown.output
    assert "31,20" in shown.output and "operator:cli" in shown.output
    assert bad.exit_code == 2
    assert _cost_events(platform) == [
        {"sku": sku, "currency": "EUR", "cost_minor": 3120, "previous_minor": None}
    ]
