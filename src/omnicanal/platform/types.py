"""Column types shared by every module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from omnicanal.platform.clock import as_utc

WideInteger = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit integer, for a sum that may pass 2^31 (a balance of many refunds): BIGINT on
PostgreSQL, INTEGER on SQLite, whose integers are 64 bits whatever a column declares. A
column that began as INTEGER widens on PostgreSQL alone, so SQLite does not rebuild its
table (which it cannot do under a foreign key pointing at it)."""


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC, always hands back an aware UTC datetime (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)
