"""The English sentences of orders placed before reasons were kept, read back into reasons.

An order placed before its explanations were kept as codes (``pricing_reasons`` and
``sourcing_reasons`` are NULL) has only the engines' English sentences. Each shape the
engines made is read back here into its reason code and parameters, so that the page says it
with the same phrase as a new order's. A sentence of a shape not known here gives None.
Nothing new is read this way: new orders carry their codes.
"""

from __future__ import annotations

import re

from omnicanal.platform.reasons import Param

__all__ = ["pricing", "sourcing"]

Found = tuple[str, dict[str, Param]]

_MONEY = r"-?\d+(?:,\d+)? [A-Z]{3}"
_SITE = re.compile(r"(\S+) \(([a-z_]+)(?:, ([\d.,]+) km)?\)")
_LINE = r"Line (?P<line>\S+) \((?P<quantity>\d+) x (?P<sku>\S+)\)"


def _money(text: str) -> tuple[int, str]:
    """``10,00 EUR`` → ``(1000, "EUR")``."""
    amount, currency = text.split(" ")
    return int(amount.replace(",", "")), currency


def _km(text: str) -> int | float:
    """``4.2`` → 4.2 (one decimal: a float); ``1,234`` → 1234 (whole kilometres: an int)."""
    if "." in text:
        return float(text)
    return int(text.replace(",", ""))


def _site(text: str, name: str) -> dict[str, Param] | None:
    """``LYON (store, 4.2 km)`` → ``{name: "LYON", name_kind: "store", name_km: 4.2}``."""
    found = _SITE.fullmatch(text)
    if found is None:
        return None
    code, kind, distance = found.groups()
    params: dict[str, Param] = {name: code, f"{name}_kind": kind}
    if distance:
        params[f"{name}_km"] = _km(distance)
    return params


def _names(text: str) -> list[str]:
    return re.split(r", | and ", text)


def _scope(text: str) -> dict[str, Param]:
    if text.startswith("SKU "):
        return {"scope": "skus", "scope_items": text.removeprefix("SKU ").split(", ")}
    if text.startswith("category "):
        return {"scope": "categories", "scope_items": text.removeprefix("category ").split(", ")}
    return {"scope": "cart"}


# --- pricing ---------------------------------------------------------------------------------

_COUPON_CAUSES: list[tuple[str, str]] = [
    (r"only for carts in (?P<for_currency>[A-Z]{3})", "currency"),
    (r"not offered on the (?P<channel>\S+) channel", "channel"),
    (r"not started yet", "not_started"),
    (r"ended", "ended"),
    (r"needs its coupon code", "coupon_required"),
    (r"for customers whose (?P<attribute>\S+) is (?P<allowed>.+)", "customer"),
    (rf"needs a cart of at least (?P<minimum>{_MONEY})", "minimum"),
    (r"the exclusive promotion (?P<exclusive>\S+) applied first", "exclusive_first"),
    (r"there is no shipping to take off", "no_shipping"),
    (r"nothing in the cart qualifies", "nothing_qualifies"),
]


def _coupon(code: str, cause: str) -> Found | None:
    for pattern, why in _COUPON_CAUSES:
        found = re.fullmatch(pattern, cause)
        if found is None:
            continue
        params: dict[str, Param] = {"coupon": code, **found.groupdict()}
        if why == "customer":
            params["allowed"] = found["allowed"].split(" or ")
        if why == "minimum":
            params["minimum"], params["currency"] = _money(found["minimum"])
        return f"pricing.coupon_not_applied.{why}", params
    return None


def _description(text: str) -> Found | None:
    if text == "free shipping":
        return "pricing.free_shipping", {}
    found = re.fullmatch(r"([\d.]+)% off (.+)", text)
    if found is not None:
        return "pricing.percent_off", {"percent": found[1], **_scope(found[2])}
    found = re.fullmatch(rf"({_MONEY}) off the cart", text)
    if found is not None:
        return "pricing.amount_off_cart", {"amount_off": _money(found[1])[0]}
    found = re.fullmatch(rf"({_MONEY}) off each unit of (.+)", text)
    if found is not None:
        return "pricing.amount_off_each_unit", {
            "amount_off": _money(found[1])[0],
            **_scope(found[2]),
        }
    found = re.fullmatch(
        r"buy (\d+) get (\d+) (?:free|at ([\d.]+)% off) on (.+) \((\d+) units?\)", text
    )
    if found is not None:
        buy, get, percent, scope, free = found.groups()
        params: dict[str, Param] = {
            "buy": int(buy),
            "get": int(get),
            **_scope(scope),
            "free": int(free),
        }
        if percent is None:
            return "pricing.buy_x_get_y_free", params
        return "pricing.buy_x_get_y_percent_off", {**params, "get_percent": percent}
    found = re.fullmatch(rf"(.+) for ({_MONEY}) \((\d+) sets?\)", text)
    if found is not None:
        return "pricing.bundle_price", {
            "bundle": found[1].split(" + "),
            "bundle_price": _money(found[2])[0],
            "sets": int(found[3]),
        }
    return None


def pricing(sentence: str) -> Found | None:
    """A promotion applied (``label: description: -amount``) or a coupon's note."""
    coupon = re.fullmatch(r"Coupon (\S+) did not apply: (.+)\.", sentence)
    if coupon is not None:
        return _coupon(coupon[1], coupon[2])
    applied = re.fullmatch(rf"(.+): (.+): -({_MONEY})", sentence)
    if applied is None:
        return None
    label, description, amount = applied.groups()
    said = _description(description)
    if said is None:
        return None
    named = re.fullmatch(r"(.+) \((\S+)\)", label)
    promotion, name = (named[2], named[1]) if named is not None else (label, "")
    minor, currency = _money(amount)
    code, params = said
    return code, {
        "promotion": promotion,
        "promotion_name": name,
        **params,
        "amount": minor,
        "currency": currency,
    }


# --- sourcing --------------------------------------------------------------------------------

_AT_STORE = {
    "is picked up at": "sourcing.picked_up_at_chosen_store",
    "is held to try on at": "sourcing.held_to_try_at_chosen_store",
    "leaves with the customer from": "sourcing.carried_out_from_chosen_store",
}
_WHY = {
    "it needs fewer shipments": "fewer_shipments",
    "warehouses are preferred to stores": "prefer_warehouses",
    "the channel lists it first": "channel_priority",
    "the location codes break the tie": "location_codes",
}
_LINE_SHAPES: list[tuple[str, str]] = [
    (
        r" (?P<verb>is picked up at|is held to try on at|leaves with the customer from) "
        r"(?P<location>\S+), the store the customer chose \((?P<available>\d+) units? "
        r"available\)\.",
        "",
    ),
    (
        r": (?P<location>\S+) has (?P<available>\d+) units? available, (?P<wanted>\d+) wanted\.",
        "sourcing.not_enough_at_chosen_store",
    ),
    (r": (?P<location>\S+) does not offer click & collect\.", "sourcing.pickup_not_available"),
    (
        r": (?P<location>\S+) does not fulfil this channel's orders\.",
        "sourcing.location_not_available",
    ),
    (
        r": (?P<location>\S+) does not sell in store, so it cannot (?P<method>\S+)\.",
        "sourcing.store_service_not_available",
    ),
    (r": a (?P<method>\S+) needs the store the customer chose\.", "sourcing.location_required"),
    (r": no single location can ship it whole and splitting is off\.", "sourcing.no_split"),
    (
        r": only (?P<available>\d+) units? can be shipped from the locations serving this "
        r"order\.",
        "sourcing.not_enough_to_ship",
    ),
    (r": it would take more than (?P<most>\d+) locations\.", "sourcing.too_many_locations"),
    (r" is split: (?P<parts>.+), as no location can ship \d+ alone\.", "sourcing.split"),
]


def _line(sentence: str) -> Found | None:
    """A sentence about one line (``Line 2 (3 x JEAN-40)...``)."""
    for shape, code in _LINE_SHAPES:
        found = re.fullmatch(_LINE + shape, sentence)
        if found is None:
            continue
        params: dict[str, Param] = {
            name: value for name, value in found.groupdict().items() if value is not None
        }
        params["quantity"] = int(found["quantity"])
        for count in ("available", "wanted"):
            if count in params:
                params[count] = int(found[count])
        if "verb" in params:
            code = _AT_STORE[found["verb"]]
            del params["verb"]
        if code == "sourcing.split":
            parts = _parts(found["parts"])
            if parts is None:
                return None
            params.update(parts)
        return code, params
    return None


def _parts(text: str) -> dict[str, Param] | None:
    """``3 from WH (warehouse, 1.2 km) and 2 from LYON (store, 3.0 km)``, as lists."""
    found = re.findall(r"(\d+) from (\S+) \(([a-z_]+)(?:, ([\d.,]+) km)?\)", text)
    if not found:
        return None
    parts: dict[str, Param] = {
        "parts": [code for _, code, _, _ in found],
        "parts_units": [int(count) for count, _, _, _ in found],
        "parts_kind": [kind for _, _, kind, _ in found],
    }
    if all(distance for *_, distance in found):
        parts["parts_km"] = [_km(distance) for *_, distance in found]
    return parts


def _protection(sentence: str) -> Found | None:
    found = re.fullmatch(
        r"(?P<stores>.+?) keeps? the last (?P<protected>\d+) units? of (?P<sku>\S+) for the shop "
        r"floor, so (?:it does|they do) not ship line (?P<line>\S+)\.",
        sentence,
    )
    if found is None:
        return None
    stores = _names(found["stores"])
    params: dict[str, Param] = {
        "protected": int(found["protected"]),
        "sku": found["sku"],
        "line": found["line"],
    }
    more = re.fullmatch(r"(\d+) more stores", stores[-1])
    if more is None:
        return "sourcing.stores_keep_last_units", {"stores": stores, **params}
    return "sourcing.many_stores_keep_last_units", {
        "stores": stores[:-1],
        "more": int(more[1]),
        **params,
    }


def sourcing(sentence: str) -> Found | None:
    """A sourcing decision or shortfall."""
    if sentence == "No coordinates for the delivery address: distance does not count.":
        return "sourcing.no_coordinates", {}
    if sentence.startswith("Line "):
        return _line(sentence)
    found = re.fullmatch(
        r"One shipment: (.+) can send (?:the line|all (\d+) lines) whole\.", sentence
    )
    if found is not None:
        site = _site(found[1], "site")
        return (
            None
            if site is None
            else ("sourcing.one_shipment", {**site, "lines": int(found[2] or 1)})
        )
    found = re.fullmatch(r"(.+\)) sends lines? (.+)\.", sentence)
    if found is not None:
        site = _site(found[1], "site")
        return (
            None if site is None else ("sourcing.sends_lines", {**site, "lines": _names(found[2])})
        )
    found = re.fullmatch(r"(\S+) chosen over (.+\)): (.+)\.", sentence)
    if found is not None:
        rival = _site(found[2], "rival")
        if rival is None:
            return None
        params: dict[str, Param] = {"location": found[1], **rival}
        nearer = re.fullmatch(
            r"it is nearer the delivery address \(([\d.,]+) km against ([\d.,]+) km\)", found[3]
        )
        if nearer is not None:
            params["location_km"] = _km(nearer[1])
            params["rival_km"] = _km(nearer[2])
            return "sourcing.chosen_over.nearer", params
        why = _WHY.get(found[3])
        return None if why is None else (f"sourcing.chosen_over.{why}", params)
    return _protection(sentence)
