"""Stock across the network: alerts by location, one location's alerts, where a SKU is."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.inventory import alerts, availability
from omnicanal.inventory.priority import Priority
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
from omnicanal.web.labels import ALERT_PRIORITY_LABELS

__all__ = ["router"]

router = APIRouter()

STATUS_LABELS = {"low_stock": "Low", "out_of_stock": "Out", "in_stock": "In stock"}
ALERTS_PER_PAGE = 50


def _page_number(value: str) -> int | None:
    """The page asked (1 when none), or None when it is not a page number."""
    if not value:
        return 1
    return int(value) if value.isdigit() and 0 < int(value) < 1_000_000 else None


def _alerts_context(
    page: alerts.AlertPage, path: str, filters: dict[str, str]
) -> dict[str, object]:
    """What the ranked alerts table and its pager show."""
    kept = {key: value for key, value in filters.items() if value}

    def link(number: int) -> str:
        return f"{path}?" + urlencode({**kept, **({"page": number} if number > 1 else {})})

    return {
        "alerts": page,
        "priorities": list(Priority),
        "priority_labels": ALERT_PRIORITY_LABELS,
        "labels": STATUS_LABELS,
        "previous_link": link(page.page - 1) if page.page > 1 else None,
        "next_link": link(page.page + 1) if page.page < page.pages else None,
    }


@router.get("/stock")
def stock_by_location(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """Every location with how many of its SKUs are low and out of stock."""
    with platform.db.reading() as session:
        rows = alerts.stock_alerts(session)
    return edge.renderer.render(request, "admin/stock.html", {"rows": rows})


@router.get("/stock/alerts")
def ranked_alerts(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    location: str = "",
    channel: str = "",
    category: str = "",
    status: str = "",
    page: str = "",
) -> Response:
    """Every low and out-of-stock line of the network, the most urgent first, by page;
    filtered by location, channel, category and alert (choices from lists)."""
    number = _page_number(page)
    if number is None:
        return problem(request, edge, "bad_page", 400, value=page)
    if status and status not in alerts.ALERT_STATUSES:
        return problem(request, edge, "unknown_choice", 400, value=status, field="Alert")
    with platform.db.reading() as session:
        locations = [loc for loc in network.list_locations(session) if loc.active]
        channels = network.list_channels(session)
        categories = catalog.list_categories(session)
        for value, choices, field in (
            (location, {loc.code for loc in locations}, "Location"),
            (channel, {each.code for each in channels}, "Channel"),
            (category, set(categories), "Category"),
        ):
            if value and value not in choices:
                return problem(request, edge, "unknown_choice", 400, value=value, field=field)
        found = alerts.ranked_alerts(
            session,
            location=location or None,
            channel=channel or None,
            category=category or None,
            status=status or None,
            page=number,
            per_page=ALERTS_PER_PAGE,
        )
    filters = {"location": location, "channel": channel, "category": category, "status": status}
    return edge.renderer.render(
        request,
        "admin/alerts.html",
        {
            **filters,
            "locations": locations,
            "channels": channels,
            "categories": categories,
            **_alerts_context(found, "/admin/stock/alerts", filters),
        },
    )


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
    page: str = "",
) -> Response:
    """A location's low and out-of-stock SKUs, the most urgent first, by page; filter by
    status or SKU."""
    own_store = member.role == staff.Role.store_manager and member.location_code == location_code
    if member.role != staff.Role.head_office and not own_store:
        raise NotHeadOffice
    number = _page_number(page)
    if number is None:
        return problem(request, edge, "bad_page", 400, value=page)
    if status and status not in alerts.ALERT_STATUSES:
        return problem(request, edge, "unknown_choice", 400, value=status, field="Alert")
    with platform.db.reading() as session:
        try:
            location = network.get_location(session, location_code)
        except UnknownLocation:
            return problem(request, edge, "unknown_location", 404, value=location_code)
        found = alerts.ranked_alerts(
            session,
            location=location.code,
            status=status or None,
            sku_contains=q.strip() or None,
            page=number,
            per_page=ALERTS_PER_PAGE,
        )
    return edge.renderer.render(
        request,
        "admin/location_stock.html",
        {
            "location": location,
            "status": status,
            "q": q.strip(),
            **_alerts_context(
                found, f"/admin/stock/{location.code}", {"status": status, "q": q.strip()}
            ),
        },
    )
