"""The message policy's settings: the defaults until head office saves its own, a save that
replaces them whole and reaches the policy's rules, and a save refused (a reader's key, a
time of day that is none) that changes nothing."""

from __future__ import annotations

import dataclasses
from datetime import time

import pytest
from pydantic import ValidationError

from omnicanal.engagement import settings, situation
from omnicanal.engagement.access import ADMIN_SCOPE, READ_SCOPE
from omnicanal.engagement.errors import EngagementForbidden
from omnicanal.engagement.policy import Cap
from omnicanal.platform.actors import OPERATOR
from tests.builders import snapshot

HEAD_OFFICE = dataclasses.replace(OPERATOR, scopes=frozenset({READ_SCOPE, ADMIN_SCOPE}))
READER = dataclasses.replace(
    OPERATOR, channel="web", name="web shop", scopes=frozenset({READ_SCOPE})
)
CHANGED = {
    "frequency_caps": {"email": {"count": 1, "days": 2}, "post": {"count": 4, "days": 30}},
    "quiet_start": "22:15",
    "quiet_end": "07:45",
    "suppression_days": {"returned": 0, "complaint": 60},
}


def test_the_defaults_stand_until_head_office_saves_its_own(platform):
    with platform.db.reading() as session:
        current = settings.policy_settings(session)

    assert current.updated_at is None
    assert current.frequency_caps["sms"] == {"count": 2, "days": 7}
    assert (current.quiet_start, current.quiet_end) == ("21:00", "08:00")
    assert current.suppression_days["returned"] == 14


def test_a_save_replaces_the_settings_whole_and_the_policy_follows(platform):
    with platform.db.transaction() as session:
        saved = settings.save_policy_settings(
            session, data=settings.PolicySettingsIn.model_validate(CHANGED), actor=HEAD_OFFICE
        )

    with platform.db.reading() as session:
        rules = situation.rules_of(session)
        again = settings.policy_settings(session)
    assert again == saved
    assert again.frequency_caps == CHANGED["frequency_caps"]
    assert again.suppression_days == {"complaint": 60, "returned": 0}
    assert rules.frequency_caps["email"] == Cap(1, 2)
    assert "sms" not in rules.frequency_caps
    assert (rules.quiet_start, rules.quiet_end) == (time(22, 15), time(7, 45))


def test_a_reader_cannot_change_the_policy(platform):
    before = snapshot(platform)

    with pytest.raises(EngagementForbidden), platform.db.transaction() as session:
        settings.save_policy_settings(
            session, data=settings.PolicySettingsIn.model_validate(CHANGED), actor=READER
        )

    assert snapshot(platform) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"quiet_start": "24:00"},
        {"quiet_end": "7:45"},
        {"frequency_caps": {"email": {"count": 0, "days": 7}}},
        {"frequency_caps": {"fax": {"count": 1, "days": 7}}},
        {"suppression_days": {"returned": -1}},
        {"suppression_days": {"birthday": 3}},
    ],
)
def test_settings_that_are_no_policy_are_refused_at_the_edge(changes):
    with pytest.raises(ValidationError):
        settings.PolicySettingsIn.model_validate({**CHANGED, **changes})
