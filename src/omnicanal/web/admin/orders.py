"""The orders board: counts by status and channel, a filtered list, one order in full."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from omnicanal.catalog import service as catalog
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.orders.errors import UnknownOrder
from omnicanal.orders.states import OrderStatus
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.paging import InvalidCursor
from omnicanal.web.admin.common import (
    FULFILMENT_STATUS_LABELS,
    ORDER_STATUS_LABELS,
    HeadOffice,
    day_bounds,
    problem,
)
from omnicanal.web.edge import WebDep

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 25


def _filters(**values: str | None) -> dict[str, str]:
    return {key: value for key, value in values.items() if value}


@router.get("/orders")
def orders_board(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    status: str = "",
    channel: str = "",
    store: str = "",
    day: Annotated[str, Query(alias="date")] = "",
    after: str = "",
) -> Response:
    """Counts by status x channel (each a link to its list), and the filtered list; status,
    channel and store are chosen from lists (anything else is refused with a 400)."""
    placed_from = placed_until = None
    if day:
        try:
            placed_from, placed_until = day_bounds(
                date.fromisoformat(day), platform.settings.business_zone
            )
        except ValueError:
            return problem(request, edge, "bad_date", 400, value=day)
    with platform.db.reading() as session:
        stores = network.list_locations(session)
        if store and store not in {place.code for place in stores}:
            return problem(request, edge, "unknown_choice", 400, value=store, field="Store")
        counts = orders.count_orders(
            session,
            location=store or None,
            placed_from=placed_from,
            placed_until=placed_until,
        )
        # Every declared channel and status, and any other one still found on orders.
        known_channels = [each.code for each in network.list_channels(session)]
        known_channels += sorted({row.channel for row in counts} - set(known_channels))
        statuses = [s.value for s in OrderStatus]
        statuses += sorted({row.status for row in counts} - set(statuses))
        for value, choices, field in (
            (status, statuses, "Status"),
            (channel, known_channels, "Channel"),
        ):
            if value and value not in choices:
                return problem(request, edge, "unknown_choice", 400, value=value, field=field)
        try:
            page = orders.list_orders(
                session,
                status=status or None,
                channel=channel or None,
                location=store or None,
                placed_from=placed_from,
                placed_until=placed_until,
                starting_after=after or None,
                limit=PAGE_SIZE,
            )
        except InvalidCursor:
            return problem(request, edge, "bad_page", 400, value=after)
    # The board's columns: the channels with orders.
    channels = sorted({row.channel for row in counts})
    grid = {(row.status, row.channel): row.count for row in counts}
    base = _filters(store=store, date=day)
    context: dict[str, Any] = {
        "channels": channels,
        "channel_choices": known_channels,
        "stores": stores,
        "statuses": statuses,
        "grid": grid,
        "row_totals": {s: sum(grid.get((s, c), 0) for c in channels) for s in statuses},
        "column_totals": {c: sum(grid.get((s, c), 0) for s in statuses) for c in channels},
        "total": sum(grid.values()),
        "status": status,
        "channel": channel,
        "store": store,
        "day": day,
        "page": page,
        "labels": ORDER_STATUS_LABELS,
        "cell_link": lambda s, c: "/admin/orders?" + urlencode({**base, "status": s, "channel": c}),
        "next_link": (
            "/admin/orders?"
            + urlencode(
                {**_filters(status=status, channel=channel, **base), "after": page.next_cursor}
            )
            if page.next_cursor
            else None
        ),
        "first_link": "/admin/orders?" + urlencode(_filters(status=status, channel=channel, **base))
        if after
        else None,
    }
    return edge.renderer.render(request, "admin/orders.html", context)


@router.get("/orders/{order_id}")
def order_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, order_id: str
) -> Response:
    """One order: lines, totals and why, fulfilments and every status change."""
    with platform.db.reading() as session:
        try:
            order = orders.get_order(session, order_id=order_id)
        except UnknownOrder:
            return problem(request, edge, "unknown_order", 404, value=order_id)
        names = catalog.product_names(session, [line.sku for line in order.lines])
    return edge.renderer.render(
        request,
        "admin/order.html",
        {
            "order": order,
            "names": names,
            "labels": ORDER_STATUS_LABELS,
            "fulfilment_labels": FULFILMENT_STATUS_LABELS,
        },
    )
