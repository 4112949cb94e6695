"""Bounded input: what any value from outside may be before it reaches a rule or a table.

Both databases must be able to store whatever passes here, so a bad value is refused at the
edge with a 422 naming its field instead of failing deep inside (PostgreSQL refuses NUL in
text and integers beyond int4/int8; SQLite refuses integers beyond int8; Python's datetime
overflows when ``0001-01-01T00:00:00+01:00`` is turned into UTC).

- Text: no NUL character, no lone surrogate (it cannot be encoded as UTF-8), a maximum length.
- Integers: quantities ``1..MAX_QUANTITY``, amounts in minor units ``0..MAX_AMOUNT_MINOR``,
  any other integer within int4 (``MAX_INT``), the type of most integer columns.
- Datetimes: years ``MIN_YEAR..MAX_YEAR``; a value without a timezone is taken as UTC.
- Lists and objects: a maximum number of items and a maximum nesting depth.

Request schemas derive from :class:`RequestModel`, which applies all of this to every field
(nested lists and objects included); a field keeps its own tighter ``max_length``, ``ge`` and
``le`` where it has a meaning. Parameters outside a body use :func:`check_text` and
:data:`MAX_PARAMETER_LENGTH`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = [
    "MAX_AMOUNT_MINOR",
    "MAX_INT",
    "MAX_ITEMS",
    "MAX_JSON_DEPTH",
    "MAX_PARAMETER_LENGTH",
    "MAX_QUANTITY",
    "MAX_TEXT_LENGTH",
    "MAX_YEAR",
    "MIN_YEAR",
    "Amount",
    "Count",
    "Day",
    "Moment",
    "Quantity",
    "RequestModel",
    "SignedQuantity",
    "Text",
    "check_day",
    "check_moment",
    "check_text",
    "check_value",
    "json_depth",
]

MAX_TEXT_LENGTH = 2_000
"""The longest free text field unless the field says less (a description, a note)."""
MAX_PARAMETER_LENGTH = 200
"""The longest path, query or header parameter unless the parameter says less."""
MAX_QUANTITY = 100_000
"""Units in one line, reservation or movement."""
MAX_AMOUNT_MINOR = 1_000_000_000
"""An amount in minor units (10 million in euros): an order total still fits int4 columns."""
MAX_INT = 2**31 - 1
"""Any other integer: the largest value of PostgreSQL's ``integer`` (int4)."""
MIN_YEAR = 1900
MAX_YEAR = 2200
MAX_ITEMS = 1_000
"""The most items in a list or object that has no tighter bound of its own."""
MAX_JSON_DEPTH = 32
"""The deepest nesting of lists and objects in a JSON document."""


def check_text(value: str) -> str:
    """``value`` unchanged, or ``ValueError`` when it holds a NUL or a lone surrogate."""
    if "\x00" in value:
        raise ValueError("text may not contain a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text may not contain a lone surrogate (invalid Unicode)") from None
    return value


def check_moment(value: datetime) -> datetime:
    """``value`` in UTC (naive: taken as UTC), or ``ValueError`` outside the sane years."""
    # The year is checked before any conversion: converting year 1 or 9999 with an offset
    # overflows Python's datetime.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"a date must fall between the years {MIN_YEAR} and {MAX_YEAR}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def check_day(value: date) -> date:
    """``value`` unchanged, or ``ValueError`` outside the sane years."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"a date must fall between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


def json_depth(value: Any, *, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply ``value`` nests lists and objects, counting no further than ``limit + 1``."""
    depth, level = 0, [value]
    while depth <= limit:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        depth += 1
        level = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
        ]
    return depth


def check_value(value: Any, *, depth: int = 0) -> Any:
    """``value`` with its texts, integers and datetimes checked, nested ones included."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT_LENGTH:
            raise ValueError(f"text here is at most {MAX_TEXT_LENGTH} characters")
        return check_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise ValueError(f"an integer here lies between {-MAX_INT} and {MAX_INT}")
        return value
    if isinstance(value, datetime):
        return check_moment(value)
    if isinstance(value, date):
        return check_day(value)
    if isinstance(value, BaseModel):
        return value  # validated by its own class
    if isinstance(value, dict | list | tuple | set | frozenset):
        if depth >= MAX_JSON_DEPTH:
            raise ValueError(f"lists and objects nest at most {MAX_JSON_DEPTH} deep")
        if len(value) > MAX_ITEMS:
            raise ValueError(f"at most {MAX_ITEMS} items")
        if isinstance(value, dict):
            return {
                check_value(key, depth=depth + 1): check_value(item, depth=depth + 1)
                for key, item in value.items()
            }
        checked = [check_value(item, depth=depth + 1) for item in value]
        return type(value)(checked) if not isinstance(value, list) else checked
    return value


class RequestModel(BaseModel):
    """The base of every request body: unknown fields refused, every value bounded."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT_LENGTH, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        # A field that declares its own bounds (an amount, a quantity) keeps them.
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and field is not None
            and any(hasattr(rule, "le") or hasattr(rule, "lt") for rule in field.metadata)
        ):
            return value
        return check_value(value)


Text = Annotated[str, AfterValidator(check_text)]
"""Text without NUL or lone surrogates (give it a ``max_length`` with ``Field``)."""
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
"""A number of units: 1 to ``MAX_QUANTITY``."""
SignedQuantity = Annotated[int, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
"""A change of units either way (an adjustment): ``-MAX_QUANTITY`` to ``MAX_QUANTITY``."""
Count = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]
"""A counted or threshold quantity: 0 to ``MAX_QUANTITY``."""
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT_MINOR)]
"""An amount in minor units (cents): 0 to ``MAX_AMOUNT_MINOR``."""
Moment = Annotated[datetime, AfterValidator(check_moment)]
"""A timezone-aware UTC datetime between ``MIN_YEAR`` and ``MAX_YEAR`` (naive: UTC)."""
Day = Annotated[date, AfterValidator(check_day)]
"""A calendar date between ``MIN_YEAR`` and ``MAX_YEAR``."""
