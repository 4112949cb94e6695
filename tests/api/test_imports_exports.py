"""``POST /v1/imports/…`` and ``GET /v1/exports/…``: a CSV body upserted line by line (or a
dry run), refused whole with its bad lines named; files streamed as CSV or Parquet; every
route for the keys that may, and refused to the others."""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from omnicanal.platform.audit import AuditEntry
from omnicanal.platform.auth import DEFAULT_SCOPES
from omnicanal.pricing.models import ListPrice
from tests.builders import auth, make_key, make_location, make_product, receive, snapshot
from tests.customers.support import make_source, send
from tests.orders.builders import checkout_body, line, place

HEADER = "product_code,name,category,brand,sku,gtin,size,colour,price\n"
ROBE = "ROBE,Produit ROBE,Robes,,{sku},,{size},noir,{price}\n"
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def shop(platform) -> dict[str, str]:
    """Two stores with stock of ROBE-S and ROBE-M; keys by what they may do."""
    for code in ("LYON-01", "PARIS-01"):
        make_location(platform, code, channels=("web", "app", "store", "marketplace"))
    make_product(platform, "ROBE", sizes=("S", "M"))
    receive(platform, "ROBE-S", "LYON-01", 5)
    receive(platform, "ROBE-M", "PARIS-01", 3)
    every = [
        "catalog:read",
        "catalog:write",
        "inventory:read",
        "inventory:write",
        "pricing:write",
        "orders:read",
        "orders:write",
        "profiles:read",
        "profiles:export",
    ]
    return {
        "back_office": make_key(platform, "web", scopes=every),
        "web": make_key(platform, "web"),
        "lyon": make_key(platform, "store", location="LYON-01"),
        "call_centre": make_key(platform, "call_centre"),
        "marketplace": make_key(
            platform,
            "marketplace",
            scopes=["orders:read", "orders:write", "profiles:read", "profiles:export"],
        ),
    }


def post_csv(client, path: str, text: str | bytes, token: str, **params: Any):  # type: ignore[no-untyped-def]
    body = text.encode() if isinstance(text, str) else text
    return client.post(path, content=body, params=params, headers=auth(token, **CSV))


def rows_of(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def price_of(platform, sku: str) -> int:  # type: ignore[no-untyped-def]
    from omnicanal.catalog import service as catalog

    with platform.db.reading() as session:
        variant = catalog.get_variant(session, sku)
        return int(
            session.scalar(select(ListPrice.amount_minor).where(ListPrice.variant_id == variant.id))
        )


# -- imports ---------------------------------------------------------------------------------


def test_a_dry_run_answers_each_change_and_writes_nothing(platform, client, shop):
    text = (
        HEADER
        + ROBE.format(sku="ROBE-S", size="S", price="44.90")
        + ROBE.format(sku="ROBE-L", size="L", price="49.90")
    )
    before = snapshot(platform)

    response = post_csv(client, "/v1/imports/products", text, shop["back_office"], dry_run=True)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dry_run"], body["applied"], body["read"]) == (True, False, 2)
    assert (body["created"], body["updated"], body["unchanged"], body["skipped"]) == (1, 1, 0, 0)
    assert body["lines"] == [
        {
            "line": 2,
            "key": "ROBE-S",
            "action": "update",
            "changes": [{"column": "price", "before": "49.90", "after": "44.90"}],
        },
        {
            "line": 3,
            "key": "ROBE-L",
            "action": "create",
            "changes": [{"column": "price", "before": None, "after": "49.90"}],
        },
    ]
    assert snapshot(platform) == before


def test_an_import_writes_once_for_one_idempotency_key(platform, client, shop):
    text = HEADER + ROBE.format(sku="ROBE-L", size="L", price="49.90")
    token = shop["back_office"]
    headers = auth(token, **CSV, **{"Idempotency-Key": "import-1"})

    first = client.post("/v1/imports/products", content=text.encode(), headers=headers)
    again = client.post("/v1/imports/products", content=text.encode(), headers=headers)
    other = client.post(
        "/v1/imports/products", content=text.replace("49.90", "59.90").encode(), headers=headers
    )

    assert first.status_code == 200, first.text
    assert (first.json()["applied"], first.json()["created"]) == (True, 1)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert price_of(platform, "ROBE-L") == 4990
    with platform.db.reading() as session:
        operations = list(session.scalars(select(AuditEntry.operation)))
    assert operations.count("import_products") == 1


def test_a_file_with_bad_lines_is_a_422_naming_each_and_writes_nothing(platform, client, shop):
    text = (
        HEADER
        + ROBE.format(sku="ROBE-S", size="S", price="44.90")
        + ROBE.format(sku="ROBE-L", size="L", price="douze")
        + "ROBE,Produit ROBE,Robes,,ROBE-XL,4006381333932,XL,noir,9\n"
    )
    before = snapshot(platform)

    response = post_csv(client, "/v1/imports/products", text, shop["back_office"])

    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["code"], problem["bad_lines"], problem["read"]) == ("invalid_rows", 2, 3)
    assert [(row["line"], row["column"]) for row in problem["rows"]] == [
        (3, "price"),
        (4, "gtin"),
    ]
    assert "'douze' is not a price" in problem["rows"][0]["reason"]
    assert "nothing was imported" in problem["detail"]
    assert snapshot(platform) == before


def test_skip_bad_imports_the_good_lines_and_lists_the_others(platform, client, shop):
    text = (
        HEADER
        + ROBE.format(sku="ROBE-S", size="S", price="44.90")
        + ROBE.format(sku="ROBE-L", size="L", price="douze")
    )

    response = post_csv(client, "/v1/imports/products", text, shop["back_office"], skip_bad=True)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["applied"], body["updated"], body["skipped"]) == (True, 1, 1)
    assert body["errors"][0]["line"] == 3
    assert price_of(platform, "ROBE-S") == 4490


IMPORTS = [
    ("products", "catalog:write", HEADER + ROBE.format(sku="ROBE-S", size="S", price="49.90")),
    ("stock", "inventory:write", "sku,location,quantity\nROBE-S,LYON-01,5\n"),
    ("prices", "pricing:write", "sku,price\nROBE-S,49.90\n"),
]


@pytest.mark.parametrize(("kind", "scope", "text"), IMPORTS, ids=[case[0] for case in IMPORTS])
def test_an_import_needs_its_scope(platform, client, kind, scope, text):
    """A key without the scope gets a 403 naming it; the same key with it, a 200."""
    make_location(platform, "LYON-01")
    make_product(platform, "ROBE", sizes=("S",))
    without = make_key(platform, "web", scopes=["catalog:read", "inventory:read"])
    with_it = make_key(platform, "web", scopes=[scope])

    refused = post_csv(client, f"/v1/imports/{kind}", text, without)
    allowed = post_csv(client, f"/v1/imports/{kind}", text, with_it)

    assert refused.status_code == 403 and refused.json()["required_scope"] == scope
    assert allowed.status_code == 200, allowed.text


def test_a_store_key_counts_its_own_store_only(platform, client, shop):
    own = "sku,location,quantity\nROBE-S,lyon-01,7\n"
    other = "sku,location,quantity\nROBE-S,LYON-01,7\nROBE-M,PARIS-01,0\n"
    before = snapshot(platform)

    refused_dry = post_csv(client, "/v1/imports/stock", other, shop["lyon"], dry_run=True)
    refused = post_csv(client, "/v1/imports/stock", other, shop["lyon"])

    assert refused_dry.status_code == refused.status_code == 403
    assert refused.json()["code"] == "location_forbidden"
    assert snapshot(platform) == before
    allowed = post_csv(client, "/v1/imports/stock", own, shop["lyon"], reason="inventaire")
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["lines"] == [
        {
            "line": 2,
            "key": "ROBE-S@LYON-01",
            "action": "update",
            "changes": [{"column": "quantity", "before": 5, "after": 7}],
        }
    ]
    assert snapshot(platform)["stock"] == (10, 0)


def test_a_body_that_is_not_csv_is_a_415(client, shop):
    response = client.post(
        "/v1/imports/prices", json={"sku": "ROBE-S"}, headers=auth(shop["back_office"])
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_file_over_the_limit_is_a_413_and_writes_nothing(platform, client, shop):
    """10 MB of rows: refused as it arrives, before any line is read."""
    row = "ROBE-S,49.90\n"
    body = ("sku,price\n" + row * (10_000_000 // len(row))).encode()
    before = snapshot(platform)

    response = post_csv(client, "/v1/imports/prices", body, shop["back_office"])

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert snapshot(platform) == before


HOSTILE_BODIES = [
    ("a NUL in a SKU", b"sku,price\nROBE\x00-S,49.90\n", "NUL"),
    (
        "bytes that are not UTF-8",
        "sku,price\nROBE-S,49.90\nRobé-M,1\n".encode() + b"\xed\xa0\x80,2\n",
        "not text in the file's encoding",
    ),
    ("a price of 2^63 cents", b"sku,price\nROBE-S,92233720368547758.08\n", "over the limit"),
    (
        "a value of 200,000 characters",
        b"sku,price\nROBE-S," + b"9" * 200_000 + b"\n",
        "cannot be read",
    ),
]


@pytest.mark.parametrize(
    ("body", "reason"),
    [case[1:] for case in HOSTILE_BODIES],
    ids=[case[0] for case in HOSTILE_BODIES],
)
def test_a_hostile_file_is_a_422_and_writes_nothing(platform, client, shop, body, reason):
    before = snapshot(platform)

    response = post_csv(client, "/v1/imports/prices", body, shop["back_office"])

    assert response.status_code == 422, response.text
    assert reason in response.text
    assert snapshot(platform) == before


def test_a_utf16_spreadsheet_file_is_read(platform, client, shop):
    """Excel's "Unicode text" is UTF-16 with a BOM; Windows-1252 is read too."""
    utf16 = "sku;price\r\nROBE-S;44,90\r\n".encode("utf-16")
    cp1252 = "sku;price\r\nROBE-M;39,90\r\n".encode("cp1252")

    first = post_csv(client, "/v1/imports/prices", utf16, shop["back_office"])
    second = post_csv(client, "/v1/imports/prices", cp1252, shop["back_office"])

    assert (first.status_code, second.status_code) == (200, 200), first.text + second.text
    assert (price_of(platform, "ROBE-S"), price_of(platform, "ROBE-M")) == (4490, 3990)


def test_two_imports_racing_to_create_one_product_make_it_once(platform, live_server, shop):
    """Real concurrency: both files create ROBE-L at once. One creates it; the other finds it
    made (SQLite serialises writers) or is a 409 import_conflict to retry, never a 500."""
    text = HEADER + ROBE.format(sku="ROBE-L", size="L", price="49.90")
    barrier = threading.Barrier(4)

    def send_file(_: int) -> httpx.Response:
        barrier.wait(timeout=60)
        return httpx.post(
            f"{live_server.url}/v1/imports/products",
            content=text.encode(),
            headers=auth(shop["back_office"], **CSV),
            timeout=120,
        )

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send_file, range(4)))

    assert all(answer.status_code in (200, 409) for answer in answers), [
        answer.text for answer in answers
    ]
    assert sum(a.status_code == 200 and a.json()["created"] == 1 for a in answers) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] == "import_conflict"
    assert price_of(platform, "ROBE-L") == 4990


# -- exports ---------------------------------------------------------------------------------

EXPORTS = [
    ("products", "catalog:read"),
    ("stock", "inventory:read"),
    ("movements", "inventory:read"),
    ("orders", "orders:read"),
]


@pytest.mark.parametrize(("kind", "scope"), EXPORTS, ids=[case[0] for case in EXPORTS])
def test_an_export_needs_its_scope(platform, client, shop, kind, scope):
    without = make_key(platform, "web", scopes=["carts:read"])
    with_it = make_key(platform, "web", scopes=[scope])

    refused = client.get(f"/v1/exports/{kind}", headers=auth(without))
    allowed = client.get(f"/v1/exports/{kind}", headers=auth(with_it))

    assert refused.status_code == 403 and refused.json()["required_scope"] == scope
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["content-type"].startswith("text/csv")
    assert f"omnicanal-{kind}-" in allowed.headers["content-disposition"]


def test_the_products_export_is_the_products_import(platform, client, shop):
    response = client.get("/v1/exports/products", headers=auth(shop["web"]))

    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf" + HEADER.rstrip("\n").encode())
    assert [(row["sku"], row["price"]) for row in rows_of(response)] == [
        ("ROBE-M", "49.90"),
        ("ROBE-S", "49.90"),
    ]
    replay = post_csv(
        client, "/v1/imports/products", response.content, shop["back_office"], dry_run=True
    )
    assert (replay.json()["unchanged"], replay.json()["lines"]) == (2, [])


def test_a_parquet_export_reads_back_with_pyarrow_as_the_csv_says(client, shop):
    for kind in ("products", "stock", "movements"):
        as_csv = rows_of(client.get(f"/v1/exports/{kind}", headers=auth(shop["back_office"])))
        response = client.get(
            f"/v1/exports/{kind}", params={"format": "parquet"}, headers=auth(shop["back_office"])
        )

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.apache.parquet"
        table = pq.read_table(pa.BufferReader(response.content))
        assert table.column_names == list(as_csv[0])
        assert table.num_rows == len(as_csv) > 0
    stock = table_of(client, "stock", shop["back_office"])
    assert stock.schema.field("quantity").type == pa.int64()
    assert stock.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    assert sorted((row["sku"], row["location"], row["quantity"]) for row in stock.to_pylist()) == [
        ("ROBE-M", "PARIS-01", 3),
        ("ROBE-S", "LYON-01", 5),
    ]
    products = table_of(client, "products", shop["back_office"])
    assert products.schema.field("price").type == pa.decimal128(18, 2)
    assert str(products.to_pylist()[0]["price"]) == "49.90"


def table_of(client, kind: str, token: str) -> pa.Table:  # type: ignore[no-untyped-def]
    response = client.get(f"/v1/exports/{kind}", params={"format": "parquet"}, headers=auth(token))
    return pq.read_table(pa.BufferReader(response.content))


def test_a_store_key_exports_its_own_stores_movements_only(client, shop):
    everything = rows_of(client.get("/v1/exports/movements", headers=auth(shop["back_office"])))
    own = rows_of(client.get("/v1/exports/movements", headers=auth(shop["lyon"])))

    assert {row["location"] for row in everything} == {"LYON-01", "PARIS-01"}
    assert {row["location"] for row in own} == {"LYON-01"}


def test_a_marketplace_key_exports_the_orders_it_placed_only(platform, client, shop):
    place(platform, line("ROBE-S"))
    placed = client.post(
        "/v1/orders",
        json=checkout_body(line("ROBE-M")),
        headers=auth(shop["marketplace"], **{"Idempotency-Key": "mp-1"}),
    )
    assert placed.status_code == 201, placed.text

    everything = rows_of(client.get("/v1/exports/orders", headers=auth(shop["web"])))
    own = rows_of(client.get("/v1/exports/orders", headers=auth(shop["marketplace"])))

    assert sorted(row["sku"] for row in everything) == ["ROBE-M", "ROBE-S"]
    assert [(row["order_id"], row["sku"]) for row in own] == [(placed.json()["id"], "ROBE-M")]


def test_the_customers_export_needs_profiles_export_from_a_first_party_key(platform, client, shop):
    """Personal data in bulk: profiles:read is not enough, a marketplace never; each export
    is in the audit log."""
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "userId": "zoe", "traits": {"email": "zoe@example.fr"}},
    )

    without = client.get("/v1/exports/customers", headers=auth(shop["call_centre"]))
    marketplace = client.get("/v1/exports/customers", headers=auth(shop["marketplace"]))
    allowed = client.get("/v1/exports/customers", headers=auth(shop["back_office"]))

    assert without.status_code == 403 and without.json()["required_scope"] == "profiles:export"
    assert marketplace.status_code == 403 and marketplace.json()["code"] == "export_forbidden"
    assert allowed.status_code == 200
    assert [(row["email"], row["user_id"]) for row in rows_of(allowed)] == [
        ("zoe@example.fr", "zoe")
    ]
    with platform.db.reading() as session:
        exports = list(
            session.scalars(
                select(AuditEntry.operation).where(AuditEntry.operation == "export_customers")
            )
        )
    assert exports == ["export_customers"]


def test_an_export_since_a_moment_and_its_format_are_checked(client, shop):
    future = client.get(
        "/v1/exports/stock",
        params={"updated_since": "2199-01-01T00:00:00Z"},
        headers=auth(shop["web"]),
    )
    bad_format = client.get(
        "/v1/exports/stock", params={"format": "xlsx"}, headers=auth(shop["web"])
    )
    bad_moment = client.get(
        "/v1/exports/stock", params={"updated_since": "hier"}, headers=auth(shop["web"])
    )

    assert future.status_code == 200 and rows_of(future) == []
    assert bad_format.status_code == bad_moment.status_code == 422


def test_no_channels_default_key_may_export_customers():
    """profiles:export is granted key by key, like privacy:export."""
    assert all("profiles:export" not in scopes for scopes in DEFAULT_SCOPES.values())


@pytest.mark.slow
def test_generated_requests_to_imports_and_exports_get_documented_answers(platform, shop):
    """schemathesis, valid and invalid requests to these operations only: no server error,
    no status their operations do not list (the whole API is fuzzed in tests/platform)."""
    import schemathesis

    from omnicanal.api.app import create_app
    from tests.platform.test_api_fuzz import _failures_of

    app = create_app(platform, background=False)
    app.openapi()  # built and cached here, not under the schema loader's timeout
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = auth(shop["back_office"])
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(("/v1/imports/", "/v1/exports/")):
            operations += 1
            failures.extend(_failures_of(operation, headers))

    assert operations == 8
    assert failures == [], "\n\n".join(failures)
