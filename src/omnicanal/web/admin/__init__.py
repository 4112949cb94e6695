"""The back office (``/admin``), for head office: orders, stock, customers, prices, returns,
loyalty, messages, webhooks.

Each page reads through the modules' public service functions; no rule lives here.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from omnicanal.web.admin import (
    audit,
    customers,
    home,
    kpis,
    loyalty,
    messages,
    orders,
    prices,
    privacy,
    product_reviews,
    returns,
    stock,
    webhooks,
)
from omnicanal.web.admin.common import NotHeadOffice
from omnicanal.web.edge import WebEdge

__all__ = ["install"]

PARTS = (
    home,
    orders,
    stock,
    customers,
    prices,
    audit,
    privacy,
    returns,
    loyalty,
    product_reviews,
    messages,
    webhooks,
    kpis,
)


def install(app: FastAPI) -> None:
    """Mount the back office and its refusal page on the application."""
    for part in PARTS:
        app.include_router(part.router, prefix="/admin", include_in_schema=False)

    @app.exception_handler(NotHeadOffice)
    async def _refused(request: Request, error: NotHeadOffice) -> Response:
        edge: WebEdge = request.app.state.web
        return edge.renderer.render(
            request, "admin/error.html", {"problem": "head_office_only"}, status_code=403
        )
