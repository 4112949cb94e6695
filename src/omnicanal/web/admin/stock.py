"""Stock across the network: alerts by location, one location's alerts, where a SKU is."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import Response

from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.inventory import alerts, availability
from omnicanal.network import service as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff import service as staff
from omnicanal.web.admin.common import (
    MAP_HEIGHT,
    MAP_WIDTH,
    HeadOffice,
    NotHeadOffice,
    france_outline,
    problem,
    project,
)
from omnicanal.web.edge import Member, WebDep

__all__ = ["router"]

router = APIRouter()

STATUS_LABELS = {"low_stock": "Low", "out_of_stock": "Out", "in_stock": "In stock"}


@router.get("/stock")
def stock_by_location(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """Every location with how many of its SKUs are low and out of stock."""
    with platform.db.reading() as session:
        rows = alerts.stock_alerts(session)
    return edge.renderer.render(request, "admin/stock.html", {"rows": rows})


@router.get("/stock/sku")
def where_is_sku(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, q: str = ""
) -> Response:
    """A SKU or GTIN on a map of France and in a table: on hand, reserved, available."""
    code = q.strip()
    context: dict[str, object] = {"q": code, "map_width": MAP_WIDTH, "map_height": MAP_HEIGHT}
    if not code:
        return edge.renderer.render(request, "admin/sku.html", context)
    with platform.db.reading() as session:
        try:
            variant = catalog.find_variant(session, code)
        except UnknownSku:
            return edge.renderer.render(
                request, "admin/sku.html", {**context, "unknown": True}, status_code=404
            )
        stock = availability.stock_for_sku(session, sku=variant.sku)
        places = {location.code: location for location in network.list_locations(session)}
        name = catalog.product_names(session, [variant.sku]).get(variant.sku, "")
    top = max((row.available for row in stock.locations), default=0) or 1
    dots = []
    for row in stock.locations:
        place = places[row.location]
        point = project(place.latitude, place.longitude)
        dots.append(
            {
                "row": row,
                "city": place.city,
                "point": point,
                # Area proportional to the quantity: a dot twice as big holds twice as much.
                "radius": round(5 + 13 * math.sqrt(row.available / top), 1),
            }
        )
    return edge.renderer.render(
        request,
        "admin/sku.html",
        {
            **context,
            "variant": variant,
            "name": name,
            "stock": stock,
            "dots": dots,
            "outline": france_outline(),
            "labels": STATUS_LABELS,
        },
    )


@router.get("/stock/{location_code}")
def location_stock(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    location_code: str,
    status: str = "",
    q: str = "",
) -> Response:
    """A location's low and out-of-stock SKUs, with product names; filter by status or SKU."""
    own_store = member.role == staff.Role.store_manager and member.location_code == location_code
    if member.role != staff.Role.head_office and not own_store:
        raise NotHeadOffice
    chosen = status if status in alerts.ALERT_STATUSES else None
    with platform.db.reading() as session:
        try:
            location = network.get_location(session, location_code)
        except UnknownLocation:
            return problem(request, edge, "unknown_location", 404, value=location_code)
        rows = alerts.location_alerts(
            session, location=location.code, status=chosen, sku_contains=q.strip() or None
        )
        names = catalog.product_names(session, [row.sku for row in rows])
    return edge.renderer.render(
        request,
        "admin/location_stock.html",
        {
            "location": location,
            "rows": rows,
            "names": names,
            "status": chosen or "",
            "q": q.strip(),
            "labels": STATUS_LABELS,
        },
    )
