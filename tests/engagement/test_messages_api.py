"""Reading messages: through the API (``engagement:read``: newest first, filtered, a cursor
per page; one with its decisions and delivery log) and the CLI; a channel key reads none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from omnicanal.cli.main import app
from omnicanal.platform.clock import as_utc
from tests.builders import auth, make_key
from tests.engagement.journey_builders import (
    INES,
    consent,
    drain,
    make_person,
    messages,
    no_quiet_hours,
    noon_after,
    open_cart,
    run_send_due,
    smtp_platform,
)
from tests.mail_server import Inbox, smtp_server
from tests.returns.builders import make_shop


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture
def platform(backend, tmp_path, request, inbox):  # type: ignore[no-untyped-def]
    platform = smtp_platform(backend, tmp_path, request, inbox)
    yield platform
    platform.close()


@pytest.fixture
def scene(platform, client):  # type: ignore[no-untyped-def]
    """Two reminders: Inès's sent, Léa's withheld (no consent); a reader's key. No quiet
    hours: the reminders are planned at the real present, whatever its hour."""
    no_quiet_hours(platform)
    shop = make_shop(platform)
    ines = make_person(platform, INES)
    consent(platform, ines)
    lea = make_person(platform, "lea@example.fr")
    open_cart(client, shop.web, (shop.robe_m, 1), customer_ref=f"email:{INES}")
    open_cart(client, shop.web, (shop.veste, 1), customer_ref="email:lea@example.fr")
    drain(platform)
    due = max(as_utc(m.due_at) for m in messages(platform))
    run_send_due(platform, noon_after(due))
    reader = make_key(platform, "call_centre")
    return shop, ines, lea, reader


def test_messages_are_listed_newest_first_a_page_at_a_time(client, scene):
    _, ines, lea, reader = scene

    first = client.get("/v1/engagement/messages", params={"limit": 1}, headers=auth(reader))
    assert first.status_code == 200, first.text
    [newest] = first.json()["items"]
    cursor = first.json()["next_cursor"]
    second = client.get(
        "/v1/engagement/messages",
        params={"limit": 1, "starting_after": cursor},
        headers=auth(reader),
    ).json()
    [older] = second["items"]
    by_alias = client.get(
        "/v1/engagement/messages", params={"limit": 1, "after": cursor}, headers=auth(reader)
    ).json()

    assert by_alias == second
    assert first.json()["has_more"] is True
    assert (second["has_more"], second["next_cursor"]) == (False, None)
    assert {newest["profile_id"], older["profile_id"]} == {ines, lea}
    assert (newest["created_at"], newest["id"]) > (older["created_at"], older["id"])


@pytest.mark.parametrize(
    ("params", "who"),
    [
        ({"status": "sent"}, "ines"),
        ({"status": "withheld"}, "lea"),
        ({"kind": "abandoned_cart", "status": "sent"}, "ines"),
        ({"profile_id": "{lea}"}, "lea"),
    ],
)
def test_messages_are_filtered_by_status_kind_and_person(client, scene, params, who):
    _, ines, lea, reader = scene
    people = {"ines": ines, "lea": lea}
    params = {k: v.replace("{lea}", lea) for k, v in params.items()}

    response = client.get("/v1/engagement/messages", params=params, headers=auth(reader))

    assert response.status_code == 200, response.text
    assert [item["profile_id"] for item in response.json()["items"]] == [people[who]]


def test_one_message_shows_every_decision_and_its_delivery_log(client, scene):
    *_, reader = scene
    [sent] = client.get(
        "/v1/engagement/messages", params={"status": "sent"}, headers=auth(reader)
    ).json()["items"]

    response = client.get(f"/v1/engagement/messages/{sent['id']}", headers=auth(reader))

    assert response.status_code == 200, response.text
    detail = response.json()
    assert [(d["stage"], d["outcome"]) for d in detail["decisions"]] == [
        ("schedule", "send"),
        ("send", "send"),
    ]
    assert [(d["provider"], d["outcome"], d["recipient"]) for d in detail["deliveries"]] == [
        ("smtp", "accepted", INES)
    ]
    assert detail["coupon_code"] in detail["rendered_text"]
    assert detail["context"]["coupon"]["code"] == detail["coupon_code"]


@pytest.mark.parametrize("channel", ["web", "marketplace"])
def test_a_channel_key_reads_no_message(platform, client, scene, channel):
    key = make_key(platform, channel, scopes=["engagement:read"])

    response = client.get("/v1/engagement/messages", headers=auth(key))

    assert response.status_code == 403, response.text


def test_a_channel_key_without_the_scope_reads_no_message(client, scene):
    shop, *_ = scene

    response = client.get("/v1/engagement/messages", headers=auth(shop.web))

    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("path", "params", "status", "problem"),
    [
        ("/v1/engagement/messages", {"after": "not-a-cursor"}, 422, "invalid_cursor"),
        ("/v1/engagement/messages", {"status": "lost"}, 422, "validation_error"),
        ("/v1/engagement/messages", {"limit": 0}, 422, "validation_error"),
        ("/v1/engagement/messages", {"since": "9999-01-01T00:00:00Z"}, 422, "validation_error"),
        ("/v1/engagement/messages/01JQ7Z0000000000000000MSGE", {}, 404, "unknown_message"),
    ],
)
def test_a_bad_read_is_a_problem(client, scene, path, params, status, problem):
    *_, reader = scene

    response = client.get(path, params=params, headers=auth(reader))

    assert response.status_code == status, response.text
    assert response.json()["code"] == problem


def test_the_cli_lists_shows_and_sends(platform, scene, backend):
    if backend != "sqlite":
        pytest.skip("the CLI test reads the SQLite file")
    env = {"OMNICANAL_DATABASE_URL": str(platform.db.url), "COLUMNS": "250"}
    runner = CliRunner()
    [sent] = [m for m in messages(platform) if m.status == "sent"]

    listed = runner.invoke(app, ["messages", "list"], env=env)
    shown = runner.invoke(app, ["messages", "show", sent.id], env=env)
    triggers = runner.invoke(app, ["messages", "triggers"], env=env)
    due = runner.invoke(app, ["messages", "send-due"], env=env)

    assert listed.exit_code == 0, listed.output
    assert sent.id in listed.output and "withheld" in listed.output
    assert shown.exit_code == 0, shown.output
    assert "Decisions" in shown.output and "accepted" in shown.output
    assert triggers.exit_code == 0, triggers.output
    assert "ABANDONED_CART" in triggers.output and "WIN_BACK" in triggers.output
    assert due.exit_code == 0, due.output
    assert "0 message(s) sent" in due.output
    missing = runner.invoke(app, ["messages", "show", "NOPE"], env=env)
    assert missing.exit_code == 2 and "unknown_message" in missing.output
