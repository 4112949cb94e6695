"""Tabular files in and out: CSV read as spreadsheets write it, and cells a spreadsheet
would run as formulas escaped on the way out.

Reading takes bytes from anywhere (a file, a request body) and never raises on what is in
them beyond a row the ``csv`` module cannot split: a byte that is not text in the file's
encoding becomes a lone surrogate, which the importers' bounds then name with its line and
column (ADR 0011), so an operator sees "line 7, name" rather than a garbled product.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading apostrophe (OWASP's advice against CSV injection: a spreadsheet shows the
text instead of running it). Reading undoes exactly that escape, so an exported file
imports back to the same values.

An export is described the same way by every module: its :class:`Column` list (a name and
how values are written) and its rows a :class:`Page` at a time.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from omnicanal.platform.errors import InvalidInput

__all__ = [
    "FORMULA_TRIGGERS",
    "Column",
    "ColumnKind",
    "CsvRows",
    "Page",
    "UnreadableCsv",
    "escape_formula",
    "read_csv",
    "unescape_formula",
]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""
_ESCAPE = "'"
# A complete UTF-8 sequence of two to four bytes: a file holding one is UTF-8 with some bad
# bytes, not a Windows-1252 file (whose accents are single bytes).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


class ColumnKind(StrEnum):
    """How a column's values are written: CSV text, or a Parquet type."""

    text = "text"
    integer = "integer"
    money = "money"
    """Minor units (cents), written as '49.90' in CSV and as a decimal in Parquet."""
    moment = "moment"
    """A UTC datetime, ISO 8601 in CSV, a UTC timestamp in Parquet."""
    boolean = "boolean"


@dataclass(frozen=True)
class Column:
    """One column of an export: its name and how its values are written."""

    name: str
    kind: ColumnKind = ColumnKind.text


@dataclass(frozen=True)
class Page:
    """One page of an export's rows (tuples in its columns' order) and the cursor after it;
    ``after`` is None on the last page."""

    rows: list[tuple[Any, ...]]
    after: str | None


class UnreadableCsv(InvalidInput):
    code = "unreadable_csv"
    title = "The file cannot be read as CSV"


@dataclass(frozen=True)
class CsvRows:
    """A CSV file's header and its non-blank rows with their line numbers."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str


def escape_formula(text: str) -> str:
    """``text`` as a spreadsheet shows it rather than runs it: ``=1+1`` → ``'=1+1``.

    A text already starting with the escape before a trigger (or before another escape) gets
    one more, so :func:`unescape_formula` gives back exactly what was written.
    """
    if text.startswith(FORMULA_TRIGGERS) or (
        text.startswith(_ESCAPE) and text[1:2] in (*FORMULA_TRIGGERS, _ESCAPE)
    ):
        return _ESCAPE + text
    return text


def unescape_formula(text: str) -> str:
    """The value :func:`escape_formula` escaped: one leading apostrophe removed before a
    trigger or another apostrophe; any other text unchanged (``'Tis`` stays as it is)."""
    if text.startswith(_ESCAPE) and text[1:2] in (*FORMULA_TRIGGERS, _ESCAPE):
        return text[1:]
    return text


def _decode(raw: bytes) -> tuple[str, str]:
    """The text of ``raw`` and the encoding it was read in.

    UTF-16 with its BOM (Excel's "Unicode text"), UTF-8 with or without a BOM, else
    Windows-1252 (French spreadsheets saved as CSV). Bytes that do not decode become lone
    surrogates (``surrogateescape``), refused later with their line.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="surrogatepass"), "utf-16"
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(raw):
        return raw.decode("utf-8-sig", errors="surrogateescape"), "utf-8"
    return raw.decode("cp1252", errors="surrogateescape"), "windows-1252"


def read_csv(raw: bytes) -> CsvRows:
    """Read a CSV as spreadsheets write it: BOM or not, ',' or ';', UTF-8, UTF-16 or
    Windows-1252; formula escapes undone. :class:`UnreadableCsv` names the line the ``csv``
    module could not split (a value over its 131,072 characters)."""
    text, encoding = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            cells = [unescape_formula(value) for value in values]
            if header is None:
                header = cells
            else:
                rows.append((reader.line_num, cells))
    except csv.Error as error:
        line = max(reader.line_num, 1)
        raise UnreadableCsv(
            f"Line {line} cannot be read: {error} (a value is too long, or a quote is "
            "never closed).",
            field="file",
            line=line,
        ) from None
    return CsvRows(header=header or [], rows=rows, encoding=encoding)
