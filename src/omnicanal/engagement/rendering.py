"""Rendering a message template: Jinja2 in a sandbox, Babel for money and times, the shipped
templates, and the frame every e-mail goes in.

A template is Jinja2 text rendered in a sandbox, because a retailer's template is input:

- The HTML is escaped (a first name ``<script>`` arrives as text), and there is no ``safe``
  filter to undo it.
- A name the context does not have renders empty (``{{ coupon.code }}`` without a coupon),
  so a template written for a richer context still renders.
- Nothing in a template may run away: no macros, includes or imports, loops nested at most
  :data:`MAX_LOOP_DEPTH` deep and never recursive, no ``range``, no string padding or
  repetition beyond :data:`MAX_RENDERED` characters, and the output stops there too.

Money, dates and times are said by Babel filters in the message's language: ``money``
(minor units, the context's currency by default), ``date`` (``"long"``, ``"medium"``...),
``datetime`` ("samedi 14 mars à 19:00") and ``time``, in the context's ``zone`` (a store's)
unless given another, and ``percent``.

The shipped templates are the files of ``default_templates/``: one per kind and language,
one block per part (the e-mail's ``subject``, ``text`` and ``html``, the ``sms``, the push
notification's ``push_title`` and ``push``). A marketing e-mail ends with the footer of
``<language>/_footer.j2`` carrying its context's ``preference_url`` and ``unsubscribe_url``;
the footer is not part of an editable template, so no template can lose it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_percent
from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes, pass_context
from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from omnicanal.engagement.contexts import DEFAULT_ZONE
from omnicanal.engagement.gsm import to_gsm
from omnicanal.engagement.models import TRIGGER_KINDS
from omnicanal.platform.clock import as_utc
from omnicanal.platform.errors import InvalidInput
from omnicanal.platform.money import MINOR_UNITS

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "MAX_LOOP_DEPTH",
    "MAX_RENDERED",
    "MAX_SUBJECT_LENGTH",
    "TEMPLATE_CHANNELS",
    "InvalidTemplate",
    "Rendered",
    "TemplateFailed",
    "TemplateSource",
    "check_channel",
    "compiled",
    "compose",
    "default_source",
    "language_or_default",
    "run",
]

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
TEMPLATE_CHANNELS = ("email", "sms", "push")
"""The channels a message is written for (a letter by post is not)."""
MAX_SUBJECT_LENGTH = 300
MAX_RENDERED = 200_000
"""The most characters one part of a message may render to."""
MAX_LOOP_DEPTH = 2
"""Loops in loops: the lines of a cart, and what each line lists."""
DEFAULTS = Path(__file__).with_name("default_templates")

_DATETIME_PATTERN = {"fr": "EEEE d MMMM 'à' HH:mm", "en": "EEEE d MMMM 'at' HH:mm"}
_NAMED_FORMATS = ("short", "medium", "long", "full")
_SAFE_FILTERS = (
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "groupby",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "reverse",
    "round",
    "select",
    "selectattr",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
)
"""Jinja's filters a template may use: none that pads, repeats, formats or marks as safe."""
_REFUSED_NODES: dict[type[nodes.Node], str] = {
    nodes.Macro: "macros",
    nodes.CallBlock: "call blocks",
    nodes.Import: "imports",
    nodes.FromImport: "imports",
    nodes.Include: "includes",
    nodes.Extends: "extends",
    nodes.Block: "blocks",
}
_PADDING_METHODS = frozenset(
    {"format", "format_map", "center", "ljust", "rjust", "zfill", "expandtabs"}
)
_WIDE_FORMAT = re.compile(r"%[-+ #0]*(\*|\d{4,})|\.(\*|\d{4,})")
_BLOCK = re.compile(r"{%-?\s*block\s+(\w+)\s*-?%}(.*?){%-?\s*endblock(?:\s+\w+)?\s*-?%}", re.DOTALL)


class InvalidTemplate(InvalidInput):
    code = "invalid_template"
    title = "This message template cannot be used"


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: its subject (an e-mail's, a push's title; empty for an SMS),
    its text and, for an e-mail, its HTML. ``sample``: rendered with typical data, not the
    person's own (a preview)."""

    subject: str
    text: str
    html: str | None
    sample: bool = False


@dataclass(frozen=True)
class TemplateSource:
    """A template's Jinja2 sources: subject, text and HTML (an e-mail only)."""

    subject: str
    body_text: str
    body_html: str | None


class TemplateFailed(Exception):
    """A template could not be compiled or rendered (why, for the log or the refusal)."""

    def __init__(self, problem: str, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.line = line


# --- the sandbox ------------------------------------------------------------------------------


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with the operators that could build huge values checked."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and not (
            _is_number(left) and _is_number(right) and abs(right) <= 16 and abs(left) <= 10**6
        ):
            raise SecurityError("powers are limited to small numbers")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(times, int)
                    and len(sequence) * times > MAX_RENDERED
                ):
                    raise SecurityError("this repetition would be too long")
        if operator == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
            raise SecurityError("format widths are limited")
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _PADDING_METHODS:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _language_of(context: Context | Mapping[str, Any]) -> str:
    language = context.get("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _zone_of(context: Context | Mapping[str, Any], zone: Any = None) -> ZoneInfo:
    for name in (zone, context.get("zone"), DEFAULT_ZONE):
        if isinstance(name, str) and name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(DEFAULT_ZONE)


def _instant(value: Any) -> datetime | None:
    """A moment from a context: a datetime, or its ISO 8601 text (what a stored context
    holds); None for anything else."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str) and 0 < len(value) <= 64:
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _minor(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,15}", value.strip()):
        return int(value.strip())
    return None


@pass_context
def _money(context: Context, value: Any, currency: Any = None) -> str:
    """Minor units as money in the message's language: ``4990`` → "49,90 €", "€49.90"."""
    minor = _minor(value)
    if minor is None:
        return ""
    code = currency if isinstance(currency, str) else context.get("currency")
    if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code)):
        code = "EUR"
    amount = Decimal(minor).scaleb(-MINOR_UNITS.get(code, 2))
    return str(format_currency(amount, code, locale=_language_of(context)))


@pass_context
def _date(context: Context, value: Any, format: Any = "long", zone: Any = None) -> str:
    """The day of a moment in the zone: "14 mars 2026" (``long``), "14/03/2026" (``short``)."""
    moment = _instant(value)
    if moment is None:
        return ""
    style = format if format in _NAMED_FORMATS else "long"
    day = moment.astimezone(_zone_of(context, zone)).date()
    return str(format_date(day, style, locale=_language_of(context)))


@pass_context
def _datetime(context: Context, value: Any, format: Any = None, zone: Any = None) -> str:
    """A moment on the zone's clock: "samedi 14 mars à 19:00", "Saturday 14 March at 19:00"."""
    moment = _instant(value)
    if moment is None:
        return ""
    language = _language_of(context)
    style = format if format in _NAMED_FORMATS else _DATETIME_PATTERN[language]
    return str(format_datetime(moment, style, tzinfo=_zone_of(context, zone), locale=language))


@pass_context
def _time(context: Context, value: Any, zone: Any = None) -> str:
    """The hour of a moment on the zone's clock: "19:00"."""
    moment = _instant(value)
    if moment is None:
        return ""
    return str(
        format_time(moment, "HH:mm", tzinfo=_zone_of(context, zone), locale=_language_of(context))
    )


@pass_context
def _percent(context: Context, value: Any) -> str:
    """A percentage: ``10`` → "10 %" in French, "10%" in English."""
    if not _is_number(value):
        return ""
    try:
        share = Decimal(str(value)) / 100
    except (InvalidOperation, ValueError):
        return ""
    return str(format_percent(share, locale=_language_of(context)))


def _finalize(value: Any) -> Any:
    # None says nothing to a customer: it renders empty, like a name the context lacks.
    return "" if value is None else value


@cache
def _environment(html: bool) -> _Sandbox:
    environment = _Sandbox(
        autoescape=html,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    environment.filters = {name: FILTERS[name] for name in _SAFE_FILTERS}
    environment.filters.update(
        money=_money, date=_date, datetime=_datetime, time=_time, percent=_percent
    )
    environment.globals = {}
    return environment


def _check_tree(tree: nodes.Node) -> None:
    def walk(node: nodes.Node, depth: int) -> None:
        for refused, named in _REFUSED_NODES.items():
            if isinstance(node, refused):
                raise TemplateFailed(
                    "unsupported", f"a message template has no {named}", line=node.lineno
                )
        if isinstance(node, nodes.For):
            if node.recursive:
                raise TemplateFailed("unsupported", "a loop may not be recursive", line=node.lineno)
            depth += 1
            if depth > MAX_LOOP_DEPTH:
                raise TemplateFailed(
                    "unsupported",
                    f"loops nest at most {MAX_LOOP_DEPTH} deep",
                    line=node.lineno,
                )
        for child in node.iter_child_nodes():
            walk(child, depth)

    walk(tree, 0)


@lru_cache(maxsize=512)
def compiled(source: str, html: bool) -> Template:
    environment = _environment(html)
    try:
        _check_tree(environment.parse(source))
        return environment.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateFailed("syntax", error.message or "syntax error", line=error.lineno) from None


def run(source: str, data: Mapping[str, Any], *, html: bool) -> str:
    template = compiled(source, html)
    chunks: list[str] = []
    size = 0
    try:
        for chunk in template.generate(dict(data)):
            size += len(chunk)
            if size > MAX_RENDERED:
                raise TemplateFailed("too_long", f"it renders over {MAX_RENDERED} characters")
            chunks.append(chunk)
    except TemplateFailed:
        raise
    except RecursionError:
        raise TemplateFailed("render", "it nests too deeply") from None
    except Exception as error:
        # A retailer's template may fail in any way Python can (a division by zero, a call
        # of a name the context lacks, the sandbox's refusal): it is refused when saved,
        # and replaced by the shipped template when sent.
        line = getattr(error, "lineno", None)
        raise TemplateFailed(
            "render", str(error)[:300] or type(error).__name__, line=line
        ) from None
    return "".join(chunks)


# --- the shipped templates --------------------------------------------------------------------


@cache
def _blocks(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {name: body.strip("\n") for name, body in _BLOCK.findall(text)}


def language_or_default(language: str) -> str:
    """``language`` if templates are written in it, else French."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def default_source(kind: str, language: str, channel: str) -> TemplateSource:
    """The shipped template of a kind of message in a language on a channel."""
    if kind not in TRIGGER_KINDS:
        raise InvalidTemplate(f"{kind!r} is not a kind of message.", field="kind")
    check_channel(channel)
    blocks = _blocks(DEFAULTS / language_or_default(language) / f"{kind}.j2")
    if channel == "email":
        return TemplateSource(blocks["subject"].strip(), blocks["text"], blocks["html"])
    if channel == "sms":
        return TemplateSource("", blocks["sms"], None)
    return TemplateSource(blocks["push_title"].strip(), blocks["push"], None)


def check_channel(channel: str) -> None:
    """Refuse a channel no template is written for (a letter by post)."""
    if channel not in TEMPLATE_CHANNELS:
        raise InvalidTemplate(
            f"A message template is written for e-mail, SMS or push, not {channel[:20]!r}.",
            field="channel",
            detail_fr="Un modèle s'écrit pour l'e-mail, le SMS ou la notification.",
        )


# --- rendering --------------------------------------------------------------------------------


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _html_of_text(text: str) -> str:
    paragraphs = [part for part in text.split("\n\n") if part.strip()]
    return "\n".join(
        f"<p>{Markup('<br>').join(escape(line) for line in part.splitlines())}</p>"
        for part in paragraphs
    )


def _footer(data: Mapping[str, Any], language: str) -> tuple[str, str] | None:
    if not (data.get("preference_url") or data.get("unsubscribe_url")):
        return None
    blocks = _blocks(DEFAULTS / language / "_footer.j2")
    return _tidy(run(blocks["text"], data, html=False)), run(blocks["html"], data, html=True)


def compose(
    source: TemplateSource,
    *,
    language: str,
    channel: str,
    context: Mapping[str, Any],
) -> Rendered:
    """The message ``source`` makes of ``context`` on ``channel``: an SMS on one line in the
    GSM alphabet, a push's title and text, an e-mail's subject, text and HTML in its frame,
    with the marketing footer when the context carries the preference links;
    :class:`TemplateFailed` when a part fails."""
    language = language_or_default(language)
    data = {**context, "language": language}
    subject = _one_line(run(source.subject, data, html=False)) if source.subject else ""
    text = _tidy(run(source.body_text, data, html=False))
    if channel == "sms":
        return Rendered("", to_gsm(_one_line(text)), None)
    if channel == "push":
        return Rendered(subject[:MAX_SUBJECT_LENGTH], _one_line(text), None)
    content = run(source.body_html, data, html=True) if source.body_html else _html_of_text(text)
    footer = _footer(data, language)
    if footer is not None:
        text = f"{text}\n\n{footer[0]}"
    frame = _blocks_free(DEFAULTS / "_layout.html.j2")
    html = run(
        frame,
        {
            "language": language,
            "subject": subject,
            "content": Markup(content),
            "footer": Markup(footer[1]) if footer else "",
        },
        html=True,
    )
    return Rendered(subject[:MAX_SUBJECT_LENGTH], text, html.strip())


@cache
def _blocks_free(path: Path) -> str:
    """A shipped file that is one template (the e-mail's frame), without its comment."""
    return re.sub(r"^{#.*?#}\s*", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
