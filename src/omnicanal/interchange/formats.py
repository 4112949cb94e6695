"""Writing an export's pages as CSV or Parquet, a chunk of bytes per page, for streaming.

CSV: UTF-8 with a BOM (so that a spreadsheet reads the accents), comma-separated, CRLF
lines; money as ``49.90``, moments in ISO 8601 UTC, empty for none; text cells that a
spreadsheet would run as formulas (``=HYPERLINK(…)``) escaped with a leading apostrophe,
which the importers undo (``platform/tabular.py``). Parquet (pyarrow): one row group per
page; text as strings, integers as int64, money as decimal(18, 2), moments as UTC
timestamps, nothing escaped (no spreadsheet runs Parquet).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from omnicanal.platform.tabular import Column, ColumnKind, Page, escape_formula

__all__ = ["ExportFormat", "csv_chunks", "media_type", "parquet_chunks", "write_chunks"]


class ExportFormat(StrEnum):
    """The file an export is written as."""

    csv = "csv"
    parquet = "parquet"


def media_type(format: ExportFormat) -> str:
    """The Content-Type of an export in ``format``."""
    if format is ExportFormat.parquet:
        return "application/vnd.apache.parquet"
    return "text/csv; charset=utf-8"


def _money(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _csv_cell(kind: ColumnKind) -> Callable[[Any], str]:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if kind is ColumnKind.text:
            return escape_formula(str(value))
        if kind is ColumnKind.money:
            return _money(int(value))
        if kind is ColumnKind.moment:
            assert isinstance(value, datetime)
            return value.isoformat().replace("+00:00", "Z")
        if kind is ColumnKind.boolean:
            return "true" if value else "false"
        return str(value)

    return cell


def csv_chunks(columns: Sequence[Column], pages: Iterable[Page]) -> Iterator[bytes]:
    """The header, then each page's rows, as UTF-8 CSV bytes."""
    cells = [_csv_cell(column.kind) for column in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode()
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(
            [cell(value) for cell, value in zip(cells, row, strict=True)] for row in page.rows
        )
        if page.rows:
            yield buffer.getvalue().encode()


class _Sink(io.RawIOBase):
    """Where pyarrow writes: the bytes are taken away after each row group."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        chunk, self._chunks = b"".join(self._chunks), []
        return chunk


def _arrow_type(kind: ColumnKind) -> Any:
    import pyarrow as pa

    return {
        ColumnKind.text: pa.string(),
        ColumnKind.integer: pa.int64(),
        ColumnKind.money: pa.decimal128(18, 2),
        ColumnKind.moment: pa.timestamp("us", tz="UTC"),
        ColumnKind.boolean: pa.bool_(),
    }[kind]


def _arrow_value(kind: ColumnKind, value: Any) -> Any:
    if value is None or kind is not ColumnKind.money:
        return value
    return Decimal(int(value)).scaleb(-2)


def parquet_chunks(columns: Sequence[Column], pages: Iterable[Page]) -> Iterator[bytes]:
    """A Parquet file, a row group per page, as the bytes pyarrow writes for each."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(column.name, _arrow_type(column.kind)) for column in columns])
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    try:
        for page in pages:
            if not page.rows:
                continue
            arrays = [
                pa.array(
                    [_arrow_value(column.kind, row[index]) for row in page.rows],
                    type=schema.field(index).type,
                )
                for index, column in enumerate(columns)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            chunk = sink.take()
            if chunk:
                yield chunk
    finally:
        writer.close()
    yield sink.take()


def write_chunks(
    format: ExportFormat, columns: Sequence[Column], pages: Iterable[Page]
) -> Iterator[bytes]:
    """The export's bytes in ``format``, a chunk per page."""
    if format is ExportFormat.parquet:
        return parquet_chunks(columns, pages)
    return csv_chunks(columns, pages)
