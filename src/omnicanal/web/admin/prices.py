"""Prices in the back office: the consistency audit across channels, and the promotions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from omnicanal.catalog import service as catalog
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.pricing import overrides, promotions
from omnicanal.pricing.schemas import PromotionOut
from omnicanal.web.admin.common import HeadOffice
from omnicanal.web.edge import WebDep

__all__ = ["router"]

router = APIRouter()


@router.get("/prices")
def price_audit(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """Every SKU priced differently between channels, with each override's who, why, when."""
    currency = platform.settings.default_currency
    with platform.db.reading() as session:
        report = overrides.consistency(session, currency=currency)
        details = {
            override.id: override
            for override in overrides.list_overrides(
                session, currency=currency, active_at=report.at
            )
        }
        names = catalog.product_names(session, [item.sku for item in report.items])
    return edge.renderer.render(
        request,
        "admin/prices.html",
        {"report": report, "details": details, "names": names},
    )


def _phase(promotion: PromotionOut, now: datetime) -> str:
    if promotion.starts_at is not None and as_utc(promotion.starts_at) > now:
        return "upcoming"
    if promotion.ends_at is not None and as_utc(promotion.ends_at) <= now:
        return "ended"
    return "active"


@router.get("/promotions")
def promotion_list(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """Active, upcoming and ended promotions: channels, dates, conditions, redemptions."""
    now = utcnow()
    with platform.db.reading() as session:
        found = promotions.list_promotions(session)
    groups: dict[str, list[PromotionOut]] = {"active": [], "upcoming": [], "ended": []}
    for promotion in found:
        groups[_phase(promotion, now)].append(promotion)
    context: dict[str, Any] = {"groups": groups}
    return edge.renderer.render(request, "admin/promotions.html", context)
