"""Lines fulfilled at the store the customer chose: there, or not at all."""

from __future__ import annotations

from omnicanal.fulfilment.sourcing.context import Context
from omnicanal.fulfilment.sourcing.reasons import (
    AT_CHOSEN_STORE,
    LOCATION_NOT_AVAILABLE,
    LOCATION_REQUIRED,
    NOT_ENOUGH_AT_CHOSEN_STORE,
    PICKUP_NOT_AVAILABLE,
    STORE_SERVICE_NOT_AVAILABLE,
)
from omnicanal.fulfilment.sourcing.types import LineRequest, Shortfall
from omnicanal.fulfilment.states import Method
from omnicanal.platform.reasons import Param, Reason


def _short(context: Context, line: LineRequest, code: str, why: Reason) -> None:
    context.shortfalls.append(Shortfall(line.line, line.sku, line.quantity, 0, code, why))


def source_at_store(context: Context, line: LineRequest) -> None:
    what: dict[str, Param] = {"line": line.line, "quantity": line.quantity, "sku": line.sku}
    code = line.location
    if code is None:
        why = LOCATION_REQUIRED(**what, method=line.method.value)
        _short(context, line, "location_required", why)
        return
    site = context.sites.get(code)
    if site is None:
        _short(
            context, line, "location_not_available", LOCATION_NOT_AVAILABLE(**what, location=code)
        )
        return
    if line.method is Method.pickup and not site.click_and_collect:
        _short(context, line, "pickup_not_available", PICKUP_NOT_AVAILABLE(**what, location=code))
        return
    if line.method is not Method.pickup and not site.sells_in_store:
        why = STORE_SERVICE_NOT_AVAILABLE(**what, location=code, method=line.method.value)
        _short(context, line, "store_service_not_available", why)
        return
    have = context.left(line.sku, code)
    if have < line.quantity:
        why = NOT_ENOUGH_AT_CHOSEN_STORE(
            **what, location=code, available=have, wanted=line.quantity
        )
        _short(context, line, "insufficient_stock", why)
        return
    context.take(line, code, line.quantity)
    context.reasons.append(
        AT_CHOSEN_STORE[line.method.value](**what, location=code, available=have)
    )
