"""The event catalogue: every module's declared events, and the Markdown page integrators
read (``docs/events.md``), generated from the classes so that it never says other than the
code.

``platform`` knows no module; this file, above them all, lists the modules' ``events``.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from omnicanal.platform.events import DomainEvent, dataschema_of, declared_events

__all__ = ["EVENT_MODULES", "catalogue_markdown", "events_by_module", "load_events"]

EVENT_MODULES = (
    "omnicanal.catalog.events",
    "omnicanal.network.events",
    "omnicanal.pricing.events",
    "omnicanal.inventory.events",
    "omnicanal.carts.events",
    "omnicanal.orders.events",
    "omnicanal.fulfilment.events",
    "omnicanal.returns.events",
    "omnicanal.customers.events",
    "omnicanal.engagement.events",
    "omnicanal.loyalty.events",
    "omnicanal.reviews.events",
    "omnicanal.privacy.events",
    "omnicanal.webhooks.events",
)
"""Every module that declares events, in the catalogue's order."""

REGENERATE = "omnicanal events catalogue --output docs/events.md"


def load_events() -> dict[str, type[DomainEvent]]:
    """Every module's declared event classes, by type (importing their modules)."""
    for module in EVENT_MODULES:
        importlib.import_module(module)
    return {
        event_type: declared
        for event_type, declared in declared_events().items()
        if declared.__module__ in EVENT_MODULES
    }


def events_by_module() -> dict[str, list[type[DomainEvent]]]:
    """The declared event classes of each module (``orders``, ``carts``...), in the order
    they are declared."""
    declared = load_events().values()
    return {
        module.split(".")[1]: [cls for cls in declared if cls.__module__ == module]
        for module in EVENT_MODULES
    }


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _meaning(cls: type[DomainEvent]) -> str:
    return " ".join((cls.__doc__ or "").split())


def _section(cls: type[DomainEvent]) -> list[str]:
    example = cls.model_validate(cls.example)
    return [
        f"### `{cls.type}`",
        "",
        _meaning(cls),
        "",
        f"- version: {cls.version} (`dataschema`: `{dataschema_of(cls.type)}`)",
        f"- class: `{cls.__module__}.{cls.__qualname__}`",
        f"- subject: `{example.subject}` (in the example)",
        "",
        "Payload (JSON Schema):",
        "",
        "```json",
        _json(cls.model_json_schema()),
        "```",
        "",
        "Example:",
        "",
        "```json",
        _json(example.model_dump(mode="json", exclude_unset=True)),
        "```",
        "",
    ]


def catalogue_markdown() -> str:
    """The catalogue page: every declared event, grouped by module, with its version,
    meaning, payload schema and an example."""
    modules = events_by_module()
    lines = [
        "# Event catalogue",
        "",
        f"Generated from the event classes by `{REGENERATE}`: do not edit it by hand.",
        "",
        "Every event travels in a CloudEvents 1.0 envelope: `id`, `type` (below), `source`",
        "(the channel, and the store, that caused it), `subject` (what it is about), `time`,",
        "`actor`, `dataschema` (`urn:omnicanal:event:<type>:v<version>`) and `data`, the",
        "payload described here. On NATS JetStream the subject of a message is",
        "`<prefix>.<type>`. A payload field that is not required is absent from the events",
        "that have nothing to say in it.",
        "",
    ]
    for module, classes in modules.items():
        lines.append(f"- {module}: " + ", ".join(f"`{cls.type}`" for cls in classes))
    lines.append("")
    for module, classes in modules.items():
        lines += [f"## {module}", ""]
        for cls in classes:
            lines += _section(cls)
    return "\n".join(lines).rstrip("\n") + "\n"
