"""Input and output types of the privacy module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ErasureOut(BaseModel):
    """An erasure carried out: its id (as in the ``customer.erased`` event) and what it did."""

    id: str
    profile_ids: list[str]
    reason: str
    counts: dict[str, int] = Field(description="Rows erased or anonymised, per kind")


class ErasureRecord(BaseModel):
    id: str
    profile_ids: list[str]
    reason: str
    requested_by: str
    erased_at: datetime
    counts: dict[str, Any]
