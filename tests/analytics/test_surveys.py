"""Customers' NPS and satisfaction answers: posted by a survey tool, one or in batches, each
counted once on its local day, bounded at the edge, and kept without the customer once
erased."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omnicanal.analytics import measures
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.survey_models import SurveyAnswer
from omnicanal.analytics.surveys import survey_counts
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key, make_location, snapshot
from tests.customers.support import make_source, relay_and_match, send

MARCH_14 = date(2025, 3, 14)


def _answer(external_id: str, kind: str = "nps", score: int = 9, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "score": score,
        "answered_at": "2025-03-14T10:00:00Z",
        "external_id": external_id,
        **fields,
    }


def _survey_tool(platform: Platform) -> dict[str, str]:
    return auth(make_key(platform, "web", scopes=["surveys:write"]))


def _post(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post("/v1/analytics/surveys", json=body, headers=headers)


def test_one_answer_is_recorded_on_the_local_day_of_its_store(platform, client):
    """Answered at 23:30 UTC on 14 March: the 15th in Lyon (UTC+1), where it counts."""
    make_location(platform, "LYON-01")
    response = _post(
        client,
        _survey_tool(platform),
        _answer("r-1", answered_at="2025-03-14T23:30:00Z", store="LYON-01", channel="store"),
    )

    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["day"], answer["store"], answer["channel"]) == ("2025-03-15", "LYON-01", "store")
    assert (answer["kind"], answer["score"], answer["repeated"]) == ("nps", 9, False)


def test_an_answer_posted_again_by_the_same_tool_is_the_same_answer(platform, client):
    """The repeat (even with another score) comes back as the first, ``repeated``; a batch
    naming an id twice records it once; another tool's same id is another answer."""
    tool = _survey_tool(platform)
    first = _post(client, tool, _answer("r-1", score=9)).json()

    again = _post(client, tool, _answer("r-1", score=2))
    batch = _post(
        client,
        tool,
        {"answers": [_answer("r-2", score=3), _answer("r-2", score=4), _answer("r-1")]},
    )
    other = _post(client, _survey_tool(platform), _answer("r-1", score=0))

    assert again.status_code == 201
    assert again.json() == {**first, "repeated": True}
    assert batch.json()["recorded"] == 1 and batch.json()["repeated"] == 2
    assert [(a["external_id"], a["score"], a["repeated"]) for a in batch.json()["answers"]] == [
        ("r-2", 3, False),
        ("r-2", 3, True),
        ("r-1", 9, True),
    ]
    assert other.json()["repeated"] is False
    with platform.db.reading() as session:
        scores = sorted(session.scalars(select(SurveyAnswer.score)))
    assert scores == [0, 3, 9]


def test_a_repeated_idempotency_key_answers_the_first_answer(platform, client):
    """The retry of a batch is replayed, nothing recorded twice."""
    headers = {**_survey_tool(platform), "Idempotency-Key": "batch-1"}
    body = {"answers": [_answer("r-1"), _answer("r-2", kind="csat", score=4)]}

    first = _post(client, headers, body)
    again = _post(client, headers, body)

    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["recorded"] == 2


def test_a_stores_key_answers_for_its_own_store_only(platform, client):
    """No store named: its own; another store: 403 location_forbidden."""
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", city="Paris")
    till = auth(make_key(platform, "store", location="LYON-01", scopes=["surveys:write"]))

    own = _post(client, till, _answer("t-1", kind="csat", score=5))
    other = _post(client, till, _answer("t-2", store="PARIS-01"))

    assert own.json()["store"] == "LYON-01"
    assert other.status_code == 403
    assert other.json()["code"] == "location_forbidden"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (_answer("x", score=11), 422, "validation_error"),
        (_answer("x", kind="csat", score=0), 422, "validation_error"),
        (_answer("x", kind="csat", score=6), 422, "validation_error"),
        (_answer("x", kind="ces", score=3), 422, "validation_error"),
        (_answer("x", score=2**63), 422, "validation_error"),
        (_answer("x\x00y"), 422, "validation_error"),
        (_answer("x", answered_at="9999-01-01T00:00:00Z"), 422, "validation_error"),
        (_answer("x", answered_at="2150-01-01T00:00:00Z"), 422, "answer_in_the_future"),
        (_answer("x", store="NOWHERE"), 404, "unknown_location"),
        (_answer("x", channel="fax"), 404, "unknown_channel"),
        ({"answers": []}, 422, "validation_error"),
        ({"answers": [_answer(f"r-{n}") for n in range(501)]}, 422, "validation_error"),
        ({"answers": [_answer("ok"), _answer("x", store="NOWHERE")]}, 404, "unknown_location"),
    ],
)
def test_a_bad_answer_is_refused_and_records_nothing(platform, client, body, status, code):
    """Out-of-range scores, unknown kinds, far or future dates, NUL, empty or oversized
    batches, unknown stores and channels: a problem, and the whole batch is left out."""
    tool = _survey_tool(platform)
    before = snapshot(platform)

    response = _post(client, tool, body)

    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert snapshot(platform) == before


def test_a_key_without_the_surveys_scope_cannot_post_answers(platform, client):
    """A web shop's key holds no surveys:write."""
    response = _post(client, auth(make_key(platform, "web")), _answer("r-1"))

    assert response.status_code == 403
    assert response.json()["required_scope"] == "surveys:write"


def _hand_built_answers(platform: Platform, client: TestClient) -> None:
    """Lyon, 14 March: NPS 10, 9, 8, 6, 0 and CSAT 5, 4, 2 (one anonymous each); Paris: NPS
    10 and CSAT 1; Lyon on the 13th: NPS 0 (outside the day)."""
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", city="Paris")
    lyon = [("nps", 10), ("nps", 9), ("nps", 8), ("nps", 6), ("nps", 0)]
    lyon += [("csat", 5), ("csat", 4), ("csat", 2)]
    answers = [
        _answer(
            f"l-{n}",
            kind=kind,
            score=score,
            store="LYON-01",
            **({"customer_ref": f"email:client{n}@exemple.fr"} if n > 0 else {}),
        )
        for n, (kind, score) in enumerate(lyon)
    ]
    answers += [
        _answer("p-1", score=10, store="PARIS-01"),
        _answer("p-2", kind="csat", score=1, store="PARIS-01"),
        _answer("l-old", score=0, store="LYON-01", answered_at="2025-03-13T10:00:00Z"),
    ]
    response = _post(client, _survey_tool(platform), {"answers": answers})
    assert response.status_code == 201, response.text


def test_survey_counts_sort_the_answers_as_nps_and_csat_count_them(platform, client):
    """Lyon on the 14th: promoters 10 and 9, passive 8, detractors 6 and 0; CSAT satisfied
    5 and 4 of 3; the recognised segment leaves out the first (anonymous) answer."""
    _hand_built_answers(platform, client)

    with platform.db.reading() as session:
        lyon = survey_counts(session, Scope(MARCH_14, MARCH_14, stores=("LYON-01",)))
        chain = survey_counts(session, Scope(MARCH_14, MARCH_14))
        recognised = survey_counts(
            session, Scope(MARCH_14, MARCH_14, stores=("LYON-01",), segment="recognised")
        )

    assert (lyon.promoters, lyon.passives, lyon.detractors) == (2, 1, 2)
    assert (lyon.csat_answers, lyon.csat_satisfied) == (3, 2)
    assert lyon.nps == (2 - 2) / 5 * 100
    assert (chain.promoters, chain.detractors, chain.csat_answers) == (3, 2, 4)
    assert (recognised.promoters, recognised.passives, recognised.detractors) == (1, 1, 2)


def test_the_nps_and_csat_figures_equal_the_values_computed_by_hand(platform, client):
    """Chain on the 14th: NPS = (3 - 2) ÷ 6 x 100 = 16.67; CSAT = 2 ÷ 4 = 0.5 (no return
    gave a satisfaction); Lyon alone: NPS 0, CSAT 2 ÷ 3."""
    _hand_built_answers(platform, client)

    with platform.db.reading() as session:
        chain = measures.figures(session, Scope(MARCH_14, MARCH_14), ["nps", "csat"])
        lyon = measures.figures(
            session, Scope(MARCH_14, MARCH_14, stores=("LYON-01",)), ["nps", "csat"]
        )

    assert [(f.metric, f.value) for f in chain] == [
        ("nps", pytest.approx((3 - 2) / 6 * 100)),
        ("csat", pytest.approx(2 / 4)),
    ]
    assert [(f.metric, f.value) for f in lyon] == [
        ("nps", pytest.approx(0.0)),
        ("csat", pytest.approx(2 / 3)),
    ]


def test_an_erased_customers_answers_stay_counted_without_them(platform, client):
    """Her export lists her answer; after the erasure it names no one and still counts."""
    tool = _survey_tool(platform)
    send(
        client,
        make_source(platform, "web"),
        {
            "type": "identify",
            "userId": "ines.roux",
            "traits": {"email": "ines.roux@exemple.fr"},
            "messageId": "web-1",
        },
    )
    relay_and_match(platform)
    _post(client, tool, _answer("r-1", score=10, customer_ref="email:ines.roux@exemple.fr"))
    _post(client, tool, _answer("r-2", score=3, customer_ref="email:other@exemple.fr"))
    privacy = auth(make_key(platform, "call_centre", scopes=["privacy:export", "privacy:erase"]))

    export = client.get(
        "/v1/privacy/export", params={"email": "ines.roux@exemple.fr"}, headers=privacy
    ).json()
    erased = client.post(f"/v1/profiles/{export['person']['profile_id']}/erase", headers=privacy)

    assert [answer["external_id"] for answer in export["survey_answers"]] == ["r-1"]
    assert erased.status_code == 200, erased.text
    assert erased.json()["counts"]["survey_answers_anonymised"] == 1
    with platform.db.reading() as session:
        rows = session.execute(
            select(
                SurveyAnswer.external_id, SurveyAnswer.customer_ref, SurveyAnswer.segment
            ).order_by(SurveyAnswer.external_id)
        ).all()
        counts = survey_counts(session, Scope(MARCH_14, MARCH_14, segment="recognised"))
    assert [tuple(row) for row in rows] == [
        ("r-1", None, "recognised"),
        ("r-2", "email:other@exemple.fr", "recognised"),
    ]
    assert (counts.promoters, counts.detractors) == (1, 1)
