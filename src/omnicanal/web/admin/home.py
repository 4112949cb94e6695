"""The back office's home: today's and the week's orders, stock alerts, reviews waiting."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from omnicanal.customers import service as customers
from omnicanal.inventory import alerts
from omnicanal.orders import service as orders
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.admin.common import (
    CHART_BASE,
    CHART_HEIGHT,
    CHART_WIDTH,
    HeadOffice,
    bar_chart,
    day_bounds,
    today,
)
from omnicanal.web.edge import WebDep

__all__ = ["router"]

router = APIRouter()

REVIEWS_COUNTED = 1000


@router.get("")
def overview(request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice) -> Response:
    """Headline numbers and the orders of the last seven days, day by day."""
    zone = platform.settings.business_zone
    days = [today(zone) - timedelta(days=back) for back in range(6, -1, -1)]
    with platform.db.reading() as session:
        per_day = []
        by_channel: dict[str, list[int]] = {}
        for index, day in enumerate(days):
            start, end = day_bounds(day, zone)
            counts = orders.count_orders(session, placed_from=start, placed_until=end)
            per_day.append((day.strftime("%d/%m"), sum(row.count for row in counts)))
            for row in counts:
                week = by_channel.setdefault(row.channel, [0, 0])
                week[1] += row.count
                if index == len(days) - 1:
                    week[0] += row.count
        locations = alerts.stock_alerts(session)
        reviews = len(customers.list_reviews(session, limit=REVIEWS_COUNTED))
    return edge.renderer.render(
        request,
        "admin/home.html",
        {
            "orders_today": per_day[-1][1],
            "orders_week": sum(count for _, count in per_day),
            "by_channel": sorted(by_channel.items()),
            "low_stock": sum(row.low_stock for row in locations),
            "out_of_stock": sum(row.out_of_stock for row in locations),
            "reviews": reviews,
            "reviews_capped": reviews >= REVIEWS_COUNTED,
            "bars": bar_chart(per_day),
            "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT, "base": CHART_BASE},
        },
    )
