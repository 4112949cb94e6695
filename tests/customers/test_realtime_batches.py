"""The real-time matcher takes the records of a relay batch together: after a burst it
catches up in a few transactions, and two records of one burst are compared with each other."""

from __future__ import annotations

from sqlalchemy import func, select

from omnicanal.platform.events import ProcessedEvent
from tests.customers.support import make_source, profile_by, profiles_key, send
from tests.customers.test_probabilistic_matching import TILL_JEAN, WEB_JEAN


def test_two_records_of_one_burst_are_matched_with_each_other(platform, client):
    """The web account and the till record arrive before the matcher runs; one relay batch
    matches them together."""
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_JEAN)

    platform.relay().drain()

    headers = profiles_key(platform)
    till = profile_by(client, headers, external_id="POS-LYO-1")
    assert till["id"] == profile_by(client, headers, user_id="jean-web")["id"]


def test_every_record_of_a_burst_is_handled_once_by_the_matcher(platform, client):
    """A burst of identifies leaves no record behind, and a second drain finds nothing to do."""
    key = make_source(platform, "store")
    send(
        client,
        key,
        *[
            {
                "type": "identify",
                "userId": f"c-{i}",
                "traits": {"first_name": f"Prénom{i}", "last_name": "Garnier", "zip": "3500{i}"},
            }
            for i in range(8)
        ],
    )

    platform.relay().drain()
    platform.relay().drain()

    with platform.db.reading() as session:
        handled = session.scalar(
            select(func.count())
            .select_from(ProcessedEvent)
            .where(ProcessedEvent.consumer == "customers.matching")
        )
    assert handled == 8
