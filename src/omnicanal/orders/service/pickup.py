"""The click & collect choices of a basket: the stores offered, and the stores holding the
items that are not, each with its reason (the rule: :mod:`omnicanal.orders.pickup`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from omnicanal.fulfilment.states import Method
from omnicanal.inventory import availability
from omnicanal.inventory.schemas import LocationStock
from omnicanal.network import service as network
from omnicanal.network.geo import great_circle_km
from omnicanal.orders.pickup import ExcludedStore, StoreHolding, exclusions
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.service.allocation import load_network
from omnicanal.orders.service.selling import PickupOption, pickup_options

__all__ = ["PickupChoices", "pickup_choices"]


@dataclass(frozen=True)
class PickupChoices:
    """The stores offered for the pickup, nearest first, and those holding the items that
    are not offered, nearest first, with why."""

    options: list[PickupOption]
    excluded: list[ExcludedStore]


def pickup_choices(
    session: Session,
    *,
    lines: Sequence[tuple[str, int]],
    channel: str,
    near: tuple[float, float] | None = None,
    policy: OrderPolicy | None = None,
    limit: int = 10,
    explained: int = 5,
) -> PickupChoices:
    """:func:`pickup_options` (at most ``limit``), and the nearest stores with every line on
    their shelves that are not among them (at most ``explained``), each with an
    :class:`~omnicanal.orders.pickup.Exclusion`."""
    policy = policy or OrderPolicy()
    options = pickup_options(
        session, lines=lines, channel=channel, near=near, policy=policy, limit=limit
    )
    wanted: dict[str, int] = {}
    for sku, quantity in lines:
        wanted[sku] = wanted.get(sku, 0) + quantity
    if not wanted:
        return PickupChoices(options=options, excluded=[])
    # Every location's level of each line, reserved and safety stock included: what is on
    # the shelf, not only what may be sold; all the lines in one read.
    stock: dict[str, dict[str, LocationStock]] = {
        sku: {row.location: row for row in found.locations}
        for sku, found in availability.stock_for_skus(session, skus=list(wanted)).items()
    }
    holding = set.intersection(
        *(
            {code for code, row in stock[sku].items() if row.on_hand >= quantity}
            for sku, quantity in wanted.items()
        )
    )
    serving = load_network(session, channel=channel, methods={Method.pickup}, policy=policy)
    holdings = []
    for place in network.locations_by_code(session, holding).values():
        if not place.active or not (place.sells_in_store or place.click_and_collect):
            continue  # a warehouse is no store to collect from
        levels = [(stock[sku][place.code], quantity) for sku, quantity in wanted.items()]
        holdings.append(
            StoreHolding(
                location=place.code,
                name=place.name,
                distance_km=round(
                    great_circle_km(near[0], near[1], place.latitude, place.longitude), 1
                )
                if near is not None
                else None,
                serves_channel=place.code in serving.locations,
                click_and_collect=place.click_and_collect,
                unreserved_covers=all(row.on_hand - row.reserved >= n for row, n in levels),
                available_covers=all(row.available >= n for row, n in levels),
            )
        )
    return PickupChoices(
        options=options,
        excluded=exclusions(
            holdings, offered={option.location for option in options}, limit=explained
        ),
    )
