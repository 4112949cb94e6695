"""The answers of writes: the JSON a model dumps itself to, as FastAPI's encoder made it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from omnicanal.platform.http.deps import json_ready, json_response


class Status(StrEnum):
    OPEN = "open"


class Line(BaseModel):
    sku: str
    quantity: int
    unit_price: Decimal


class Answer(BaseModel):
    id: str
    status: Status
    placed_at: datetime
    local_time: datetime
    due: date | None
    hold: timedelta
    rate: Decimal
    lines: list[Line]
    attributes: dict[str, object]
    kind: str = Field(serialization_alias="type")
    note: str | None = None


def an_answer() -> Answer:
    return Answer(
        id="01J0000000000000000000000",
        status=Status.OPEN,
        placed_at=datetime(2026, 12, 7, 10, 30, 0, 123456, tzinfo=UTC),
        local_time=datetime(2026, 12, 7, 11, 30, tzinfo=timezone(timedelta(hours=1))),
        due=date(2026, 12, 9),
        hold=timedelta(days=2, seconds=5),
        rate=Decimal("1.2500"),
        lines=[Line(sku="ROBE-ALMA-38", quantity=2, unit_price=Decimal("49.90"))],
        attributes={"taille": "38", "étiquettes": ["soldes", "été"], "nested": {"a": [1, 2.5]}},
        kind="checkout",
    )


def test_a_model_answer_is_the_json_fastapis_encoder_made_of_it() -> None:
    answer = an_answer()

    assert json_ready(answer) == jsonable_encoder(answer)
    assert json_ready([answer, answer]) == jsonable_encoder([answer, answer])
    assert json_ready(answer)["type"] == "checkout"  # by alias, as the encoder writes it


def test_other_answers_go_through_the_encoder() -> None:
    value = {"when": datetime(2026, 1, 1, tzinfo=UTC), "lines": [an_answer()]}

    assert json_ready(value) == jsonable_encoder(value)


def test_the_response_renders_what_orjson_refuses_with_the_standard_library() -> None:
    body = {"count": 2**70, "name": "Hélène"}

    response = json_response(body, status_code=201, headers={"Idempotent-Replayed": "true"})

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["idempotent-replayed"] == "true"
    assert json.loads(response.body) == body
