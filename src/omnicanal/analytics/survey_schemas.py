"""What a survey tool posts (one answer or a batch) and what it gets back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omnicanal.platform.bounds import RequestModel

__all__ = [
    "MAX_SURVEY_BATCH",
    "SCORES",
    "SurveyAnswerIn",
    "SurveyAnswerOut",
    "SurveyBatchIn",
    "SurveyBatchOut",
]

MAX_SURVEY_BATCH = 500
"""The most answers one request may post."""
SCORES = {"nps": (0, 10), "csat": (1, 5)}
"""The scores each kind of answer takes: recommendation 0 to 10, satisfaction 1 to 5."""


class SurveyAnswerIn(RequestModel):
    """One customer's answer, as the survey tool recorded it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "nps",
                    "score": 9,
                    "answered_at": "2025-03-14T17:05:00Z",
                    "external_id": "resp_8841",
                    "store": "LYON-01",
                    "channel": "store",
                    "customer_ref": "email:ines@example.fr",
                }
            ]
        },
    )

    kind: Literal["nps", "csat"] = Field(
        description="nps: how likely to recommend, 0 to 10; csat: how satisfied, 1 to 5"
    )
    score: int = Field(ge=0, le=10)
    answered_at: datetime = Field(description="When the customer answered (not in the future)")
    external_id: str = Field(
        min_length=1,
        max_length=200,
        description="The survey tool's id of the answer: posted again, it is the same answer",
    )
    store: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="The store it is about; a store's key: its own (the default)",
    )
    channel: str | None = Field(
        default=None, min_length=1, max_length=50, description="The channel it is about"
    )
    customer_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The customer, as orders name them (email:…, phone:…, card:…)",
    )

    @model_validator(mode="after")
    def _score_of_its_kind(self) -> SurveyAnswerIn:
        low, high = SCORES[self.kind]
        if not low <= self.score <= high:
            raise ValueError(f"a {self.kind} score lies between {low} and {high}")
        return self


class SurveyBatchIn(RequestModel):
    """Up to 500 answers in one request."""

    model_config = ConfigDict(extra="forbid")

    answers: list[SurveyAnswerIn] = Field(min_length=1, max_length=MAX_SURVEY_BATCH)


class SurveyAnswerOut(BaseModel):
    """An answer as recorded; ``repeated`` when its ``external_id`` was posted before (the
    first answer stands)."""

    id: str
    kind: str
    score: int
    answered_at: datetime
    day: date = Field(description="The local day it counts on (the store's, else the business's)")
    store: str | None
    channel: str | None
    customer_ref: str | None
    external_id: str
    received_at: datetime
    repeated: bool = False


class SurveyBatchOut(BaseModel):
    """What a batch did: answers recorded, answers already known, each answer."""

    recorded: int
    repeated: int
    answers: list[SurveyAnswerOut]
