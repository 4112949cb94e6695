"""Every word the pages show has its French: the messages of the templates, the status
words, and the codes shown to people (identifier kinds, fulfilment methods)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.identity.rules import MergeRule, ReviewReason
from omnicanal.fulfilment.states import Method
from omnicanal.web.i18n import LOCALES, load_translations
from omnicanal.web.labels import (
    ACTOR_NAMES,
    CHANNEL_LABELS,
    EVENT_LABELS,
    FULFILMENT_STATUS_LABELS,
    FULFILMENT_STEP_LABELS,
    LOCATION_KIND_LABELS,
    ORDER_STATUS_LABELS,
    PAYMENT_PROVIDER_LABELS,
)
from omnicanal.web.rendering import TEMPLATES

OPTIONS = {"trim_blocks": "true", "lstrip_blocks": "true"}


def _template_messages() -> dict[str | tuple[str, ...], str]:
    found: dict[str | tuple[str, ...], str] = {}
    for template in sorted(TEMPLATES.rglob("*.html")):
        with template.open("rb") as source:
            for line, _function, message, _comments in babel_extract(
                source, ("_", "ngettext"), [], OPTIONS
            ):
                key = tuple(message) if isinstance(message, tuple) else message
                found.setdefault(key, f"{template.relative_to(TEMPLATES)}:{line}")
    return found


def _french() -> dict[str, object]:
    catalog: dict[str, object] = {}
    for po in (LOCALES / "fr" / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as source:
            for message in read_po(source, locale="fr"):
                key = message.id if isinstance(message.id, str) else message.id[0]
                if key:
                    catalog[key] = message.string
    return catalog


def _translated(value: object) -> bool:
    if isinstance(value, tuple | list):
        return all(value)
    return bool(value)


def test_every_message_of_the_templates_has_its_french():
    french = _french()
    messages = _template_messages()

    missing = [
        f"{where}: {message!r}"
        for message, where in messages.items()
        if not _translated(french.get(message[0] if isinstance(message, tuple) else message))
        and (message[0] if isinstance(message, tuple) else message)
    ]

    assert len(messages) > 200  # the extraction sees the templates
    assert missing == []


@pytest.mark.parametrize(
    "words",
    [
        list(ORDER_STATUS_LABELS.values()),
        list(FULFILMENT_STATUS_LABELS.values()),
        [kind.value for kind in IdentifierKind],
        [method.value for method in Method],
        list(CHANNEL_LABELS.values()),
        list(EVENT_LABELS.values()),
        list(FULFILMENT_STEP_LABELS.values()),
        list(LOCATION_KIND_LABELS.values()),
        list(ACTOR_NAMES.values()),
        list(PAYMENT_PROVIDER_LABELS.values()),
        [
            ReviewReason.probable_match,
            ReviewReason.person_conflict,
            ReviewReason.untrusted_source,
            ReviewReason.shared_identifier_merge,
            *(ReviewReason.conflict(kind) for kind in IdentifierKind),
        ],
        [
            MergeRule.shared_identifier,
            MergeRule.anonymous_activity,
            MergeRule.review,
            MergeRule.probabilistic_match,
        ],
    ],
    ids=[
        "order statuses",
        "fulfilment statuses",
        "identifier kinds",
        "methods",
        "channels",
        "events",
        "fulfilment steps",
        "location kinds",
        "actors",
        "payment providers",
        "identity review reasons",
        "merge rules",
    ],
)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_words_for_codes_have_their_french(words, language):
    """A code shown to people reads as words in both languages: in English too, a code
    such as ``untrusted_source`` is not a sentence."""
    catalog = load_translations()[language]

    untranslated = [
        word
        for word in words
        if catalog.gettext(word) == word and (language == "fr" or "_" in word)
    ]

    assert untranslated == []


def test_the_catalogs_are_valid_po_files():
    for po in Path(LOCALES).rglob("*.po"):
        with po.open("rb") as source:
            assert len(read_po(source)) > 0, po
