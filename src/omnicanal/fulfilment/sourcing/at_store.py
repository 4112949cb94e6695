"""Lines fulfilled at the store the customer chose: there, or not at all."""

from __future__ import annotations

from omnicanal.fulfilment.sourcing.context import Context, units
from omnicanal.fulfilment.sourcing.types import LineRequest, Shortfall
from omnicanal.fulfilment.states import Method


def source_at_store(context: Context, line: LineRequest) -> None:
    what = f"Line {line.line} ({line.quantity} x {line.sku})"
    code = line.location
    if code is None:
        context.shortfalls.append(
            Shortfall(
                line.line,
                line.sku,
                line.quantity,
                0,
                "location_required",
                f"{what}: a {line.method.value} needs the store the customer chose.",
            )
        )
        return
    site = context.sites.get(code)
    if site is None:
        context.shortfalls.append(
            Shortfall(
                line.line,
                line.sku,
                line.quantity,
                0,
                "location_not_available",
                f"{what}: {code} does not fulfil this channel's orders.",
            )
        )
        return
    if line.method is Method.pickup and not site.click_and_collect:
        context.shortfalls.append(
            Shortfall(
                line.line,
                line.sku,
                line.quantity,
                0,
                "pickup_not_available",
                f"{what}: {code} does not offer click & collect.",
            )
        )
        return
    if line.method is not Method.pickup and not site.sells_in_store:
        context.shortfalls.append(
            Shortfall(
                line.line,
                line.sku,
                line.quantity,
                0,
                "store_service_not_available",
                f"{what}: {code} does not sell in store, so it cannot {line.method.value}.",
            )
        )
        return
    have = context.left(line.sku, code)
    if have < line.quantity:
        context.shortfalls.append(
            Shortfall(
                line.line,
                line.sku,
                line.quantity,
                0,
                "insufficient_stock",
                f"{what}: {code} has {units(have)} available, {line.quantity} wanted.",
            )
        )
        return
    context.take(line, code, line.quantity)
    verb = {
        Method.pickup: "is picked up at",
        Method.reserve_and_try: "is held to try on at",
        Method.carry_out: "leaves with the customer from",
    }[line.method]
    context.explanation.append(
        f"{what} {verb} {code}, the store the customer chose ({units(have)} available)."
    )
