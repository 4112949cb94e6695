"""A postal return's label: SVG, PNG and PDF whose QR code holds the signed authorisation.

No QR reader is installed, so the PNG is read back module by module (a small PNG decoder
below) and compared with the QR code of the token; the token itself round-trips through
the serializer, and expires.
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import timedelta

import pytest
import segno

from omnicanal.platform.clock import utcnow
from omnicanal.returns.errors import InvalidReturnToken, ReturnAuthorisationExpired
from omnicanal.returns.tokens import read_token, sign_token
from tests.builders import auth
from tests.returns.builders import make_shop, return_body, web_order

SCALE, BORDER = 4, 4


@pytest.fixture
def postal(platform, client):  # type: ignore[no-untyped-def]
    """A web order's postal return, authorised by the web shop."""
    shop = make_shop(platform)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    returned = client.post(
        "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.web)
    ).json()
    return shop, returned


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _png_pixels(data: bytes) -> list[list[int]]:
    """The dark (1) and light (0) pixels of a 1-bit greyscale PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, colour, interlace) == (1, 0, 0)
    raw = zlib.decompress(idat)
    stride = (width + 7) // 8
    rows: list[list[int]] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - 1] if x else 0
            up, corner = previous[x], previous[x - 1] if x else 0
            predictor = [0, left, up, (left + up) // 2, _paeth(left, up, corner)][kind]
            line[x] = (line[x] + predictor) & 0xFF
        previous = line
        bits = [(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)]
        rows.append([1 - bit for bit in bits])  # greyscale: 0 is black, a dark module
    return rows


def _modules(pixels: list[list[int]]) -> list[list[int]]:
    """One sample per module, in the middle of it, quiet zone removed."""
    size = len(pixels) // SCALE - 2 * BORDER
    middle = SCALE // 2
    return [
        [pixels[(BORDER + y) * SCALE + middle][(BORDER + x) * SCALE + middle] for x in range(size)]
        for y in range(size)
    ]


def test_the_png_label_holds_the_qr_code_of_the_returns_authorisation(platform, client, postal):
    shop, returned = postal
    token = returned["authorisation"]["token"]

    response = client.get(f"/v1/returns/{returned['id']}/label.png", headers=auth(shop.web))

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    expected = [list(row) for row in segno.make(token, error="m", micro=False).matrix]
    assert _modules(_png_pixels(response.content)) == expected
    assert (
        read_token(
            token, secret_key=platform.settings.resolved_secret_key(), valid_days=30, now=utcnow()
        )
        == returned["id"]
    )


def test_the_svg_label_draws_the_qr_code_and_names_the_return(client, postal):
    shop, returned = postal
    token = returned["authorisation"]["token"]

    response = client.get(f"/v1/returns/{returned['id']}/label.svg", headers=auth(shop.web))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text
    assert svg.startswith("<?xml")
    assert f"<title>Return {returned['id']}</title>" in svg
    assert f"<desc>{token}</desc>" in svg
    path = re.search(r'<path[^>]* d="([^"]+)"', svg)
    assert path is not None
    buffer = segno.make(token, error="m", micro=False)
    assert path.group(1) in buffer.svg_inline(scale=4)


def test_the_pdf_label_is_a_pdf(client, postal):
    shop, returned = postal

    response = client.get(f"/v1/returns/{returned['id']}/label.pdf", headers=auth(shop.web))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response.content.rstrip().endswith(b"%%EOF")


def test_a_counter_return_has_no_label(platform, client):
    shop = make_shop(platform)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    taken = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon)).json()

    response = client.get(f"/v1/returns/{taken['id']}/label.svg", headers=auth(shop.lyon))

    assert response.status_code == 409
    assert response.json()["code"] == "return_has_no_label"


def test_an_authorisation_round_trips_and_expires():
    now = utcnow()
    token = sign_token("01RETURN", secret_key="k", now=now)

    assert read_token(token, secret_key="k", valid_days=30, now=now + timedelta(days=29)) == (
        "01RETURN"
    )
    with pytest.raises(ReturnAuthorisationExpired):
        read_token(token, secret_key="k", valid_days=30, now=now + timedelta(days=31))
    with pytest.raises(InvalidReturnToken):
        read_token(token, secret_key="another", valid_days=30, now=now)
    with pytest.raises(InvalidReturnToken):
        read_token(token[:-2] + "xx", secret_key="k", valid_days=30, now=now)


def test_an_expired_label_is_refused_where_the_parcel_arrives(platform, client, postal):
    from omnicanal.platform.actors import OPERATOR
    from omnicanal.returns import service
    from omnicanal.returns.policy import ReturnPolicy
    from omnicanal.returns.schemas import ReturnIn

    _, returned = postal
    rules = ReturnPolicy.from_settings(platform.settings)

    with pytest.raises(ReturnAuthorisationExpired), platform.db.transaction() as session:
        service.open_return(
            session,
            data=ReturnIn(token=returned["authorisation"]["token"], location="WH-CENTRE"),
            actor=OPERATOR,
            policy=rules,
            now=utcnow() + timedelta(days=31),
        )
