"""The sourcing rules' reasons: one code per sentence they say, and how each is said.

A line is named by its ``line``, ``quantity`` and ``sku``; a location by its code, with
``<name>_kind`` (``warehouse``, ``store`` ...) and, when the delivery address has
coordinates, ``<name>_km``: its distance as the sentence rounds it (whole kilometres from
10 km, an int; one decimal below, a float).
"""

from __future__ import annotations

from omnicanal.platform.reasons import (
    Param,
    Params,
    Phrase,
    Sayer,
    Speaker,
    catalogue,
    codes,
    distance,
    listed,
    names,
    units,
    word,
)

__all__ = [
    "AT_CHOSEN_STORE",
    "CHOSEN_OVER",
    "LOCATION_NOT_AVAILABLE",
    "LOCATION_REQUIRED",
    "MANY_STORES_KEEP_LAST_UNITS",
    "NOT_ENOUGH_AT_CHOSEN_STORE",
    "NOT_ENOUGH_TO_SHIP",
    "NO_COORDINATES",
    "NO_SPLIT",
    "ONE_SHIPMENT",
    "PHRASES",
    "PICKUP_NOT_AVAILABLE",
    "SENDS_LINES",
    "SPLIT",
    "STORES_KEEP_LAST_UNITS",
    "STORE_SERVICE_NOT_AVAILABLE",
    "TOO_MANY_LOCATIONS",
    "rounded_km",
]


def rounded_km(kilometres: float) -> int | float:
    """A distance as the sentences show it: whole kilometres from 10 km, one decimal below."""
    if kilometres >= 10:
        return int(f"{kilometres:.0f}")
    return float(f"{kilometres:.1f}")


def _place(speaker: Speaker, code: str, kind: str, kilometres: Param | None) -> str:
    said = speaker.word("location_kind", kind)
    if isinstance(kilometres, int | float):
        return speaker.gettext("%(code)s (%(kind)s, %(distance)s)") % {
            "code": code,
            "kind": said,
            "distance": speaker.distance(kilometres),
        }
    return speaker.gettext("%(code)s (%(kind)s)") % {"code": code, "kind": said}


def place(params: Params, name: str, speaker: Speaker) -> str:
    """``LYON-01`` with its kind and distance: "LYON-01 (store, 4.2 km)"."""
    return _place(speaker, str(params[name]), str(params[f"{name}_kind"]), params.get(f"{name}_km"))


def shares(params: Params, name: str, speaker: Speaker) -> str:
    """Units from each location: "3 from WH (warehouse, 1.2 km) and 2 from LYON-01 (...)";
    the codes in ``<name>``, with ``<name>_units``, ``<name>_kind`` and ``<name>_km`` lists."""
    sites, counts, kinds = params[name], params[f"{name}_units"], params[f"{name}_kind"]
    distances = params.get(f"{name}_km")
    assert isinstance(sites, list) and isinstance(counts, list) and isinstance(kinds, list)
    parts = [
        speaker.gettext("%(count)s from %(site)s")
        % {
            "count": count,
            "site": _place(
                speaker,
                str(site),
                str(kind),
                distances[index] if isinstance(distances, list) else None,
            ),
        }
        for index, (site, count, kind) in enumerate(zip(sites, counts, kinds, strict=True))
    ]
    return listed(parts, speaker, conjunction="%(first)s and %(last)s")


_LINE = "Line %(line)s (%(quantity)s x %(sku)s)"
_AVAILABLE = {"available": units}

AT_CHOSEN_STORE = {
    "pickup": Phrase(
        "sourcing.picked_up_at_chosen_store",
        f"{_LINE} is picked up at %(location)s, the store the customer chose "
        "(%(available)s available).",
        says=_AVAILABLE,
    ),
    "reserve_and_try": Phrase(
        "sourcing.held_to_try_at_chosen_store",
        f"{_LINE} is held to try on at %(location)s, the store the customer chose "
        "(%(available)s available).",
        says=_AVAILABLE,
    ),
    "carry_out": Phrase(
        "sourcing.carried_out_from_chosen_store",
        f"{_LINE} leaves with the customer from %(location)s, the store the customer chose "
        "(%(available)s available).",
        says=_AVAILABLE,
    ),
}
"""A line fulfilled at the store the customer chose, by fulfilment method."""

LOCATION_REQUIRED = Phrase(
    "sourcing.location_required",
    f"{_LINE}: a %(method)s needs the store the customer chose.",
    says={"method": word("method")},
)
LOCATION_NOT_AVAILABLE = Phrase(
    "sourcing.location_not_available",
    f"{_LINE}: %(location)s does not fulfil this channel's orders.",
)
PICKUP_NOT_AVAILABLE = Phrase(
    "sourcing.pickup_not_available",
    f"{_LINE}: %(location)s does not offer click & collect.",
)
STORE_SERVICE_NOT_AVAILABLE = Phrase(
    "sourcing.store_service_not_available",
    f"{_LINE}: %(location)s does not sell in store, so it cannot %(method)s.",
    says={"method": word("method")},
)
NOT_ENOUGH_AT_CHOSEN_STORE = Phrase(
    "sourcing.not_enough_at_chosen_store",
    f"{_LINE}: %(location)s has %(available)s available, %(wanted)s wanted.",
    says=_AVAILABLE,
)
NO_SPLIT = Phrase(
    "sourcing.no_split",
    f"{_LINE}: no single location can ship it whole and splitting is off.",
)
NOT_ENOUGH_TO_SHIP = Phrase(
    "sourcing.not_enough_to_ship",
    f"{_LINE}: only %(available)s can be shipped from the locations serving this order.",
    says=_AVAILABLE,
)
TOO_MANY_LOCATIONS = Phrase(
    "sourcing.too_many_locations",
    f"{_LINE}: it would take more than %(most)s locations.",
)

NO_COORDINATES = Phrase(
    "sourcing.no_coordinates",
    "No coordinates for the delivery address: distance does not count.",
)
ONE_SHIPMENT = Phrase(
    "sourcing.one_shipment",
    "One shipment: %(site)s can send the line whole.",
    "One shipment: %(site)s can send all %(lines)s lines whole.",
    count="lines",
    says={"site": place},
)
SENDS_LINES = Phrase(
    "sourcing.sends_lines",
    "%(site)s sends line %(lines)s.",
    "%(site)s sends lines %(lines)s.",
    count="lines",
    says={"site": place, "lines": names},
)


def _chosen_over(why: str, message: str, **says: Sayer) -> Phrase:
    return Phrase(
        f"sourcing.chosen_over.{why}",
        f"%(location)s chosen over %(rival)s: {message}.",
        says={"rival": place, **says},
    )


CHOSEN_OVER = {
    phrase.code.rsplit(".", 1)[1]: phrase
    for phrase in (
        _chosen_over("fewer_shipments", "it needs fewer shipments"),
        _chosen_over("prefer_warehouses", "warehouses are preferred to stores"),
        _chosen_over(
            "nearer",
            "it is nearer the delivery address (%(location_km)s against %(rival_km)s)",
            location_km=distance,
            rival_km=distance,
        ),
        _chosen_over("channel_priority", "the channel lists it first"),
        _chosen_over("location_codes", "the location codes break the tie"),
    )
}
"""Why a location was chosen over the best other one that could send the same lines."""

STORES_KEEP_LAST_UNITS = Phrase(
    "sourcing.stores_keep_last_units",
    "%(stores)s keeps the last %(protected)s of %(sku)s for the shop floor, so it does not ship "
    "line %(line)s.",
    "%(stores)s keep the last %(protected)s of %(sku)s for the shop floor, so they do not ship "
    "line %(line)s.",
    count="stores",
    says={"stores": names, "protected": units},
)
MANY_STORES_KEEP_LAST_UNITS = Phrase(
    "sourcing.many_stores_keep_last_units",
    # The English says "stores" even for one more (as the API always has); a language with
    # its own plural says it in its catalog.
    "%(stores)s and %(more)s more stores keep the last %(protected)s of %(sku)s for the shop "
    "floor, so they do not ship line %(line)s.",
    "%(stores)s and %(more)s more stores keep the last %(protected)s of %(sku)s for the shop "
    "floor, so they do not ship line %(line)s.",
    count="more",
    says={"stores": codes, "protected": units},
)
SPLIT = Phrase(
    "sourcing.split",
    f"{_LINE} is split: %(parts)s, as no location can ship %(quantity)s alone.",
    says={"parts": shares},
)

PHRASES = catalogue(
    AT_CHOSEN_STORE.values(),
    [
        LOCATION_REQUIRED,
        LOCATION_NOT_AVAILABLE,
        PICKUP_NOT_AVAILABLE,
        STORE_SERVICE_NOT_AVAILABLE,
        NOT_ENOUGH_AT_CHOSEN_STORE,
        NO_SPLIT,
        NOT_ENOUGH_TO_SHIP,
        TOO_MANY_LOCATIONS,
        NO_COORDINATES,
        ONE_SHIPMENT,
        SENDS_LINES,
    ],
    CHOSEN_OVER.values(),
    [STORES_KEEP_LAST_UNITS, MANY_STORES_KEEP_LAST_UNITS, SPLIT],
)
"""Every reason the sourcing rules give, by code."""
