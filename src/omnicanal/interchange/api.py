"""HTTP routes of imports and exports: a CSV file in (``POST /v1/imports/…``), a CSV or
Parquet file out, streamed (``GET /v1/exports/…``)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.exceptions import HTTPException

from omnicanal.interchange.exports import ExportKind, open_export
from omnicanal.interchange.formats import ExportFormat, media_type, write_chunks
from omnicanal.interchange.imports import ImportKind, import_file
from omnicanal.interchange.schemas import ImportOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, scope, write
from omnicanal.platform.http.problems import MEDIA_TYPE, responses
from omnicanal.platform.tabular import read_csv
from omnicanal.platform.wiring import Platform

router = APIRouter(prefix="/v1")

CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
"""What a client may call the file it sends (curl --data-binary, a spreadsheet's export)."""

DryRun = Annotated[
    bool, Query(description="Say what the file would change, line by line, and change nothing")
]
SkipBad = Annotated[
    bool,
    Query(description="Import the good lines and list the bad ones (default: all or nothing)"),
]
Since = Annotated[
    Moment | None,
    Query(description="Only what changed from this moment (ISO 8601; UTC when no offset)"),
]
Format = Annotated[ExportFormat, Query(description="csv (UTF-8, for spreadsheets) or parquet")]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **responses(409),
    403: _problem("The key lacks the scope, or a store key counts another store's stock"),
    409: _problem("The Idempotency-Key was used for another file, or the catalogue changed"),
    413: _problem("The file is over the import size limit (payload_too_large)"),
    415: _problem("The body is not sent as text/csv (unsupported_media_type)"),
    422: _problem(
        "Lines of the file are wrong (invalid_rows, each with its line, column and reason; "
        "nothing is written), the file cannot be read (unreadable_csv), or a parameter is "
        "invalid (validation_error)"
    ),
}


def _csv_body_schema(columns: str, example: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": f"A CSV file: {columns}. UTF-8, UTF-16 or Windows-1252; ',' or ';'.",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": example}},
        }
    }


async def csv_body(request: Request) -> bytes:
    """The request body, when it is sent as a CSV file (415 otherwise)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in CSV_MEDIA_TYPES:
        raise HTTPException(415)
    return await request.body()


CsvBody = Annotated[bytes, Depends(csv_body)]


def _import(
    platform: Platform,
    kind: ImportKind,
    body: bytes,
    *,
    actor: Actor,
    idempotency_key: str | None,
    dry_run: bool,
    skip_bad: bool,
    reason: str = "",
) -> Any:
    data = read_csv(body)
    currency = platform.settings.default_currency
    reason = reason or f"stock import by {actor.label}"

    def run(session: Any, *, dry: bool) -> ImportOut:
        report = import_file(
            session,
            kind,
            data,
            actor=actor,
            currency=currency,
            reason=reason,
            dry_run=dry,
            skip_bad=skip_bad,
        )
        return ImportOut.of(report)

    if dry_run:
        with platform.db.reading() as session:
            return run(session, dry=True)
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"import_{kind.value}",
        payload={
            "sha256": hashlib.sha256(body).hexdigest(),
            "skip_bad": skip_bad,
            "reason": reason,
        },
        action=lambda session: run(session, dry=False),
    )


@router.post(
    "/imports/products",
    tags=["imports"],
    operation_id="importProducts",
    response_model=ImportOut,
    responses=IMPORT_RESPONSES,
    openapi_extra=_csv_body_schema(
        "product_code,name,category,brand,sku,gtin,size,colour,price[,description]",
        "product_code,name,category,brand,sku,gtin,size,colour,price\n"
        "ROB-101,Robe Alma,Robes,Maison Lumière,ROB-101-NOI-S,3770021000012,S,noir,49.90\n",
    ),
)
def import_products(
    platform: PlatformDep,
    body: CsvBody,
    dry_run: DryRun = False,
    skip_bad: SkipBad = False,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("catalog:write"),
):
    """Upsert products by SKU: create them, update their fields, GTINs and list prices, add
    sizes and colours to a product. All or nothing unless ``skip_bad``."""
    return _import(
        platform,
        ImportKind.products,
        body,
        actor=actor,
        idempotency_key=idempotency_key,
        dry_run=dry_run,
        skip_bad=skip_bad,
    )


@router.post(
    "/imports/stock",
    tags=["imports"],
    operation_id="importStock",
    response_model=ImportOut,
    responses=IMPORT_RESPONSES,
    openapi_extra=_csv_body_schema(
        "sku,location,quantity[,safety_stock]", "sku,location,quantity\nROB-101-NOI-S,LYON-01,4\n"
    ),
)
def import_stock(
    platform: PlatformDep,
    body: CsvBody,
    dry_run: DryRun = False,
    skip_bad: SkipBad = False,
    reason: Annotated[str, Query(max_length=200, description="Why, for the ledger")] = "",
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("inventory:write"),
):
    """Set on-hand stock per location to counted quantities (a ledger line for each change;
    location codes in any case). A store key counts its own store only."""
    return _import(
        platform,
        ImportKind.stock,
        body,
        actor=actor,
        idempotency_key=idempotency_key,
        dry_run=dry_run,
        skip_bad=skip_bad,
        reason=reason,
    )


@router.post(
    "/imports/prices",
    tags=["imports"],
    operation_id="importPrices",
    response_model=ImportOut,
    responses=IMPORT_RESPONSES,
    openapi_extra=_csv_body_schema("sku,price", "sku,price\nROB-101-NOI-S,44.90\n"),
)
def import_prices(
    platform: PlatformDep,
    body: CsvBody,
    dry_run: DryRun = False,
    skip_bad: SkipBad = False,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("pricing:write"),
):
    """Set list prices by SKU in the default currency's price book."""
    return _import(
        platform,
        ImportKind.prices,
        body,
        actor=actor,
        idempotency_key=idempotency_key,
        dry_run=dry_run,
        skip_bad=skip_bad,
    )


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, streamed",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    **responses(),
    403: _problem(
        "The key lacks the scope; customers: a key without profiles:export, or a marketplace"
    ),
}


def _download(
    platform: Platform,
    kind: ExportKind,
    *,
    actor: Actor,
    format: ExportFormat,
    since: datetime | None,
) -> StreamingResponse:
    export = open_export(
        platform.db,
        kind,
        actor=actor,
        currency=platform.settings.default_currency,
        since=since,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"omnicanal-{kind.value}-{stamp}.{format.value}"
    return StreamingResponse(
        write_chunks(format, export.columns, export.pages(platform.db)),
        media_type=media_type(format),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _export_route(kind: ExportKind, summary: str) -> dict[str, Any]:
    return {
        "path": f"/exports/{kind.value}",
        "tags": ["exports"],
        "operation_id": f"export{kind.value.title()}",
        "response_class": StreamingResponse,
        "responses": EXPORT_RESPONSES,
        "summary": summary,
    }


@router.get(**_export_route(ExportKind.products, "Export products"))
def export_products(
    platform: PlatformDep,
    format: Format = ExportFormat.csv,
    updated_since: Since = None,
    actor: Actor = scope("catalog:read"),
):
    """Every variant with its product and list price, in the products import's columns (an
    export imports back unchanged); with ``updated_since``, those changed from then."""
    return _download(platform, ExportKind.products, actor=actor, format=format, since=updated_since)


@router.get(**_export_route(ExportKind.stock, "Export stock levels"))
def export_stock(
    platform: PlatformDep,
    format: Format = ExportFormat.csv,
    updated_since: Since = None,
    actor: Actor = scope("inventory:read"),
):
    """Stock per SKU and location: on hand (``quantity``), safety stock, reserved, available;
    the stock import's columns first, so an export imports back unchanged."""
    return _download(platform, ExportKind.stock, actor=actor, format=format, since=updated_since)


@router.get(**_export_route(ExportKind.orders, "Export orders"))
def export_orders(
    platform: PlatformDep,
    format: Format = ExportFormat.csv,
    updated_since: Since = None,
    actor: Actor = scope("orders:read"),
):
    """One row per order line with its order's status, payment and totals; the orders the key
    reads (a marketplace key: those it placed)."""
    return _download(platform, ExportKind.orders, actor=actor, format=format, since=updated_since)


@router.get(**_export_route(ExportKind.customers, "Export customers"))
def export_customers(
    platform: PlatformDep,
    format: Format = ExportFormat.csv,
    updated_since: Since = None,
    actor: Actor = scope("profiles:read"),
):
    """Every recognised customer with their name and identifiers: personal data, for keys
    with ``profiles:export`` only (no channel's default), recorded in the audit log."""
    return _download(
        platform, ExportKind.customers, actor=actor, format=format, since=updated_since
    )


@router.get(**_export_route(ExportKind.movements, "Export the stock ledger"))
def export_movements(
    platform: PlatformDep,
    format: Format = ExportFormat.csv,
    updated_since: Since = None,
    actor: Actor = scope("inventory:read"),
):
    """The ledger's lines, oldest first (a store key: its own store's)."""
    return _download(
        platform, ExportKind.movements, actor=actor, format=format, since=updated_since
    )
