"""French by default, English on request: gettext catalogs read from the ``.po`` files.

Message ids are English; ``locale/fr/LC_MESSAGES/messages.po`` holds the French and
``locale/en/…`` only the words for codes shown to people (``user_id`` → "customer account").
Every ``.po`` file of a language's folder is read (one per part of the app: ``messages.po``
for the clerk app, ``counter.po`` for its basket and receipt, ``admin.po`` for the back
office, ``explanations.po`` for the engines' explanations and the code words of
``labels.py``) and compiled in memory at startup
into one catalog (no ``.mo`` to build or ship).
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "choose_language", "load_translations"]

LOCALES = Path(__file__).with_name("locale")
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@cache
def _compiled(language: str) -> gettext.NullTranslations:
    """The language's catalogue, compiled once per process (the ``.po`` files ship with the
    package and do not change under a running process)."""
    files = sorted((LOCALES / language / "LC_MESSAGES").glob("*.po"))
    if not files:
        return gettext.NullTranslations()
    catalog = None
    for po in files:
        with po.open("rb") as source:
            part = read_po(source, locale=language)
        if catalog is None:
            catalog = part
            continue
        for message in part:
            if message.id:
                catalog[message.id] = message
    assert catalog is not None
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def load_translations() -> dict[str, gettext.NullTranslations]:
    """One translations object per language we speak."""
    return {language: _compiled(language) for language in LANGUAGES}


def choose_language(*, query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The switch wins, then the remembered choice, then the browser's first language we speak."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                weight = 0.0
        ranked.append((-weight, position, tag.strip().lower()[:2]))
    for _weight, _position, language in sorted(ranked):
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE
