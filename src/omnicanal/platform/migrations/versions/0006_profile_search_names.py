"""customers: profile search names, backfilled from the name traits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 11:00:00.000000
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from omnicanal.platform.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_search_names",
        sa.Column("profile_id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("folded", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_profile_search_names_profile_id_profiles"),
        ),
        sa.PrimaryKeyConstraint("profile_id", name=op.f("pk_profile_search_names")),
    )
    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> int:
    """Give every existing root profile with a name its search name; returns how many.

    The rules are those of ``customers.service.search`` when this revision was written,
    copied here so that upgrading gives the same rows whatever the code becomes."""
    rows = connection.execute(
        sa.select(_traits.c.profile_id, _traits.c.name, _traits.c.value, _traits.c.observed_at)
        .join(_profiles, _profiles.c.id == _traits.c.profile_id)
        .where(_profiles.c.root_id == _profiles.c.id, _traits.c.name.in_(_NAME_TRAITS))
    )
    names = _latest_names(rows)
    connection.execute(sa.delete(_search_names))
    if names:
        connection.execute(
            sa.insert(_search_names),
            [
                {
                    "profile_id": profile_id,
                    "name": name[:_MAX_NAME],
                    "folded": _fold(name)[:_MAX_NAME],
                }
                for profile_id, name in sorted(names.items())
            ],
        )
    return len(names)


# -- the search-name rules as this revision knows them ---------------------------------------

_GIVEN = ("first_name", "firstName", "given_name", "givenName", "firstname", "prenom")
_FAMILY = ("last_name", "lastName", "family_name", "familyName", "lastname", "nom")
_NAME_TRAITS = (*_GIVEN, *_FAMILY, "name")
_MAX_NAME = 300
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o"})
_SEPARATORS = re.compile(r"[\W_]+")

_profiles = sa.table("profiles", sa.column("id", sa.String), sa.column("root_id", sa.String))
_traits = sa.table(
    "profile_traits",
    sa.column("profile_id", sa.String),
    sa.column("name", sa.String),
    sa.column("value", sa.JSON),
    sa.column("observed_at", UtcDateTime(timezone=True)),
)
_search_names = sa.table(
    "profile_search_names",
    sa.column("profile_id", sa.String),
    sa.column("name", sa.String),
    sa.column("folded", sa.String),
)


def _fold(text: str) -> str:
    """Lower-case words without accents, punctuation or repeated spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_SEPARATORS.sub(" ", stripped.casefold()).split())


def _first(traits: Mapping[str, Any], names: Iterable[str]) -> str | None:
    for name in names:
        value = traits.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _full_name(traits: Mapping[str, Any]) -> str:
    """A profile's full name from its name traits ("" when it has none)."""
    given, family = _first(traits, _GIVEN), _first(traits, _FAMILY)
    if given is None and family is None and isinstance(traits.get("name"), str):
        parts = traits["name"].split()
        if len(parts) >= 2:
            given, family = parts[0], " ".join(parts[1:])
    return " ".join(part for part in (given, family) if part)


def _latest_names(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """Each profile's full name from its latest name traits; rows are (profile id, trait
    name, value, observed at)."""
    traits: dict[str, dict[str, tuple[datetime, Any]]] = {}
    for profile_id, name, value, observed_at in rows:
        held = traits.setdefault(profile_id, {})
        if name not in held or held[name][0] <= observed_at:
            held[name] = (observed_at, value)
    names = {}
    for profile_id, held in traits.items():
        full = _full_name({name: value for name, (_, value) in held.items()})
        if full:
            names[profile_id] = full
    return names


def downgrade() -> None:
    op.drop_table("profile_search_names")
