"""The table behind each KPI chart, as a file: CSV for a spreadsheet, Parquet for a
notebook.

The same rows the page draws (the pages and the exports call the same functions of
``kpi_panels``), with the raw values a program wants: a share between 0 and 1, money in
minor units beside its currency, durations in seconds, days as ISO dates. CSV is UTF-8 with
a BOM and CRLF lines, and a text cell that a spreadsheet would run as a formula is escaped
as every export of the platform does (``platform.tabular``); Parquet keeps each column's
type (text, int64, float64, date32, UTC timestamp, boolean).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from fastapi.responses import Response

from omnicanal.platform.clock import as_utc
from omnicanal.platform.tabular import escape_formula

__all__ = ["FORMATS", "Kind", "Table", "csv_bytes", "file_response", "parquet_bytes"]

Kind = Literal["text", "integer", "number", "date", "moment", "boolean"]
FORMATS = ("csv", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


@dataclass(frozen=True)
class Table:
    """A table behind a chart: its columns (name, kind) and its rows in their order."""

    name: str
    columns: tuple[tuple[str, Kind], ...]
    rows: list[tuple[Any, ...]]


def _cell(kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    if kind == "text":
        return escape_formula(str(value))
    if kind == "date":
        assert isinstance(value, date)
        return value.isoformat()
    if kind == "moment":
        assert isinstance(value, datetime)
        return as_utc(value).isoformat().replace("+00:00", "Z")
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "number":
        return repr(float(value))
    return str(int(value))


def csv_bytes(table: Table) -> bytes:
    """The table as CSV: a header of the column names, then a line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in table.columns])
    for row in table.rows:
        writer.writerow(
            [_cell(kind, value) for (_, kind), value in zip(table.columns, row, strict=True)]
        )
    return codecs.BOM_UTF8 + buffer.getvalue().encode()


def parquet_bytes(table: Table) -> bytes:
    """The table as a Parquet file, one typed column per column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "text": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "date": pa.date32(),
        "moment": pa.timestamp("us", tz="UTC"),
        "boolean": pa.bool_(),
    }
    schema = pa.schema([(name, types[kind]) for name, kind in table.columns])
    arrays = [
        pa.array(
            [
                None
                if row[index] is None
                else float(row[index])
                if kind == "number"
                else row[index]
                for row in table.rows
            ],
            type=types[kind],
        )
        for index, (_, kind) in enumerate(table.columns)
    ]
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def file_response(table: Table, fmt: str, filename: str) -> Response:
    """The table as a file to download, named ``filename``.``fmt``."""
    body = parquet_bytes(table) if fmt == "parquet" else csv_bytes(table)
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )
