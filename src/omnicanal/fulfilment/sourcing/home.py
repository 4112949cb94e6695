"""Home deliveries: the fewest shipments, then the configured preferences; split if needed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from math import comb

from omnicanal.fulfilment.sourcing.context import Context
from omnicanal.fulfilment.sourcing.reasons import (
    CHOSEN_OVER,
    MANY_STORES_KEEP_LAST_UNITS,
    NO_COORDINATES,
    NO_SPLIT,
    NOT_ENOUGH_TO_SHIP,
    ONE_SHIPMENT,
    SENDS_LINES,
    SPLIT,
    STORES_KEEP_LAST_UNITS,
    TOO_MANY_LOCATIONS,
    rounded_km,
)
from omnicanal.fulfilment.sourcing.types import Criterion, LineRequest, Shortfall
from omnicanal.platform.reasons import Param, Reason


def _explain_protection(context: Context, lines: Sequence[LineRequest]) -> None:
    """Name the stores that would have been preferred, had they not kept their last units."""
    protected = context.rules.protected_store_units
    if protected <= 0:
        return
    for line in lines:
        chosen = [a.location for a in context.allocations if a.line == line.line]
        bar = min((context.cost(code) for code in chosen), default=None)
        passed_over = sorted(
            (
                code
                for code in context.allowed(line)
                if not context.is_warehouse(context.sites[code])
                and line.quantity <= context.stock.get((line.sku, code), 0)
                and line.quantity > context.stock.get((line.sku, code), 0) - protected
                and (bar is None or context.cost(code) < bar)
            ),
            key=lambda code: (context.cost(code), code),
        )
        if not passed_over:
            continue
        what: dict[str, Param] = {"protected": protected, "sku": line.sku, "line": line.line}
        if len(passed_over) > 3:
            context.reasons.append(
                MANY_STORES_KEEP_LAST_UNITS(
                    stores=passed_over[:3], more=len(passed_over) - 3, **what
                )
            )
        else:
            context.reasons.append(STORES_KEEP_LAST_UNITS(stores=passed_over, **what))


def _assign(
    context: Context, lines: Sequence[LineRequest], plan: Sequence[str]
) -> dict[str, str] | None:
    """Each line to the cheapest site of ``plan`` that can send it whole, or None."""
    spare = {(line.sku, code): context.shippable(line.sku, code) for line in lines for code in plan}
    ordered = sorted(plan, key=lambda code: (context.cost(code), code))
    chosen: dict[str, str] = {}
    for line in lines:
        allowed = context.allowed(line)
        for code in ordered:
            if code in allowed and spare[(line.sku, code)] >= line.quantity:
                spare[(line.sku, code)] -= line.quantity
                chosen[line.line] = code
                break
        else:
            return None
    return chosen


def _plan_cost(context: Context, plan: Sequence[str]) -> tuple[tuple[float, ...], tuple[str, ...]]:
    width = len(context.rules.criteria)
    total = [0.0] * width
    for code in plan:
        for index, value in enumerate(context.cost(code)):
            total[index] += value
    return tuple(total), tuple(sorted(plan))


def _masks(context: Context, lines: Sequence[LineRequest]) -> dict[int, str]:
    """For each set of lines (a bit mask) some site can send whole, its cheapest site."""
    best: dict[int, str] = {}
    everywhere = sorted({code for line in lines for code in context.allowed(line)})
    allowed = [context.allowed(line) for line in lines]
    for code in everywhere:
        mask = 0
        for bit, line in enumerate(lines):
            if code in allowed[bit] and context.shippable(line.sku, code) >= line.quantity:
                mask |= 1 << bit
        if mask and (
            mask not in best
            or (context.cost(code), code)
            < (
                context.cost(best[mask]),
                best[mask],
            )
        ):
            best[mask] = code
    # A site is pointless when another covers a superset of its lines at no greater cost.
    kept: dict[int, str] = {}
    for mask, code in best.items():
        cost = (context.cost(code), code)
        dominated = any(
            other != mask
            and other & mask == mask
            and (context.cost(other_code), other_code) <= cost
            for other, other_code in best.items()
        )
        if not dominated:
            kept[mask] = code
    return kept


def _exhaustive(
    context: Context, lines: Sequence[LineRequest]
) -> tuple[list[str], dict[str, str]] | None:
    """The cheapest plan of the fewest sites, searched exhaustively up to the limit."""
    full = (1 << len(lines)) - 1
    masks = _masks(context, lines)
    limit = min(context.rules.exhaustive_up_to, len(lines))
    for size in range(1, limit + 1):
        if comb(len(masks), size) > context.rules.exhaustive_budget:
            return None
        ranked: list[tuple[tuple[tuple[float, ...], tuple[str, ...]], list[str], dict[str, str]]]
        ranked = []
        for chosen in combinations(masks.items(), size):
            union = 0
            for mask, _ in chosen:
                union |= mask
            if union != full:
                continue
            plan = [code for _, code in chosen]
            assignment = _assign(context, lines, plan)
            if assignment is None:
                continue
            used = sorted(set(assignment.values()))
            if len(used) < size:
                continue
            ranked.append((_plan_cost(context, used), used, assignment))
        if ranked:
            _, plan, assignment = min(ranked, key=lambda entry: entry[0])
            return plan, assignment
    return None


def _greedy_cover(
    context: Context, lines: Sequence[LineRequest]
) -> tuple[list[str], dict[str, str]]:
    """Repeatedly take the site that sends the most remaining lines whole (cheapest first)."""
    plan: list[str] = []
    assignment: dict[str, str] = {}
    spare: dict[tuple[str, str], int] = {}
    candidates = sorted({code for line in lines for code in context.allowed(line)})
    allowed = {line.line: context.allowed(line) for line in lines}

    def free(sku: str, code: str) -> int:
        return spare.get((sku, code), context.shippable(sku, code))

    while True:
        open_lines = [line for line in lines if line.line not in assignment]
        best: tuple[int, tuple[float, ...], str] | None = None
        for code in candidates:
            if code in plan:
                continue
            budget: dict[str, int] = {}
            covered = 0
            for line in open_lines:
                if code not in allowed[line.line]:
                    continue
                left = budget.get(line.sku, free(line.sku, code))
                if left >= line.quantity:
                    budget[line.sku] = left - line.quantity
                    covered += 1
            if covered == 0:
                continue
            key = (-covered, context.cost(code), code)
            if best is None or key < best:
                best = key
        if best is None:
            return plan, assignment
        code = best[2]
        plan.append(code)
        for line in open_lines:
            if code in allowed[line.line] and free(line.sku, code) >= line.quantity:
                spare[(line.sku, code)] = free(line.sku, code) - line.quantity
                assignment[line.line] = code


def _by_line(context: Context, lines: Sequence[LineRequest]) -> tuple[list[str], dict[str, str]]:
    """Each line from its own cheapest site (when fewest shipments is not the first rule)."""
    assignment: dict[str, str] = {}
    spare: dict[tuple[str, str], int] = {}
    for line in lines:
        options = sorted(context.allowed(line), key=lambda code: (context.cost(code), code))
        for code in options:
            free = spare.get((line.sku, code), context.shippable(line.sku, code))
            if free >= line.quantity:
                spare[(line.sku, code)] = free - line.quantity
                assignment[line.line] = code
                break
    plan = list(dict.fromkeys(assignment.values()))
    return plan, assignment


def _why_better(
    context: Context, chosen: Sequence[str], other: Sequence[str]
) -> tuple[str, dict[str, Param]]:
    """The first criterion that tells the plans apart (a key of ``CHOSEN_OVER``), and its
    values."""
    mine, theirs = _plan_cost(context, chosen)[0], _plan_cost(context, other)[0]
    for criterion, a, b in zip(context.rules.criteria, mine, theirs, strict=True):
        if a == b:
            continue
        if criterion is Criterion.fewest_shipments:
            return "fewer_shipments", {}
        if criterion is Criterion.prefer_warehouses:
            return "prefer_warehouses", {}
        if criterion is Criterion.nearest:
            # The rival's distance (b) is its ``rival_km`` already.
            return "nearer", {"location_km": rounded_km(a)}
        return "channel_priority", {}
    return "location_codes", {}


def _explain_choices(
    context: Context, lines: Sequence[LineRequest], assignment: Mapping[str, str]
) -> None:
    """For each chosen site, why it beat the best site that could have sent the same lines."""
    chosen = set(assignment.values())
    for code in sorted(chosen, key=lambda c: (context.cost(c), c)):
        sent = [line for line in lines if assignment[line.line] == code]
        wanted: dict[str, int] = {}
        for line in sent:
            wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
        allowed = frozenset.intersection(*(context.allowed(line) for line in sent))
        rivals = [
            rival
            for rival in allowed - chosen
            if all(
                context.shippable(sku, rival) >= wanted_units
                for sku, wanted_units in wanted.items()
            )
        ]
        if not rivals:
            continue
        rival = min(rivals, key=lambda c: (context.cost(c), c))
        why, params = _why_better(context, [code], [rival])
        params = {"location": code, **context.site_params(rival, "rival"), **params}
        context.reasons.append(CHOSEN_OVER[why](**params))


def source_home(context: Context, lines: Sequence[LineRequest]) -> None:
    if not lines:
        return
    if context.destination is None and Criterion.nearest in context.rules.criteria:
        context.reasons.append(NO_COORDINATES())
    sendable = [
        line
        for line in lines
        if any(context.shippable(line.sku, code) >= line.quantity for code in context.allowed(line))
    ]
    plan: list[str] = []
    assignment: dict[str, str] = {}
    if sendable and context.rules.criteria[:1] == (Criterion.fewest_shipments,):
        found = _exhaustive(context, sendable)
        if found is not None:
            plan, assignment = found
        else:
            plan, assignment = _greedy_cover(context, sendable)
    elif sendable:
        plan, assignment = _by_line(context, sendable)

    whole = [line for line in lines if line.line in assignment]
    for line in whole:
        context.take(line, assignment[line.line], line.quantity)
    if whole:
        shipments = sorted(set(assignment.values()), key=lambda code: (context.cost(code), code))
        if len(shipments) == 1 and len(whole) == len(lines):
            context.reasons.append(
                ONE_SHIPMENT(**context.site_params(shipments[0], "site"), lines=len(lines))
            )
        else:
            for code in shipments:
                sent = [line.line for line in whole if assignment[line.line] == code]
                context.reasons.append(SENDS_LINES(**context.site_params(code, "site"), lines=sent))
        _explain_choices(context, whole, assignment)
    for line in lines:
        if line.line not in assignment:
            _split(context, line, plan)
    _explain_protection(context, lines)


def _split(context: Context, line: LineRequest, plan: Sequence[str]) -> None:
    what: dict[str, Param] = {"line": line.line, "quantity": line.quantity, "sku": line.sku}
    allowed = context.allowed(line)
    in_plan = set(plan)
    options = sorted(allowed, key=lambda code: (code not in in_plan, context.cost(code), code))
    available = [(code, context.shippable(line.sku, code)) for code in options]
    available = [(code, spare) for code, spare in available if spare > 0]
    total = sum(spare for _, spare in available)
    if not context.rules.allow_split:
        context.shortfalls.append(
            Shortfall(
                line.line,
                line.sku,
                line.quantity,
                0,
                "insufficient_stock",
                NO_SPLIT(**what),
            )
        )
        return
    parts: list[tuple[str, int]] = []
    needed = line.quantity
    for code, spare in available:
        if needed == 0 or len(parts) == context.rules.max_sources_per_line:
            break
        take = min(spare, needed)
        parts.append((code, take))
        needed -= take
    if needed:
        reason: Reason = (
            NOT_ENOUGH_TO_SHIP(**what, available=total)
            if total < line.quantity
            else TOO_MANY_LOCATIONS(**what, most=context.rules.max_sources_per_line)
        )
        context.shortfalls.append(
            Shortfall(
                line.line,
                line.sku,
                line.quantity,
                line.quantity - needed,
                "insufficient_stock",
                reason,
            )
        )
        return
    for code, take in parts:
        context.take(line, code, take)
    sites = [context.site_params(code, "part") for code, _ in parts]
    shares: dict[str, Param] = {
        "parts": [code for code, _ in parts],
        "parts_units": [take for _, take in parts],
        "parts_kind": [str(site["part_kind"]) for site in sites],
    }
    distances = [site.get("part_km") for site in sites]
    kilometres = [value for value in distances if isinstance(value, int | float)]
    if len(kilometres) == len(sites):
        shares["parts_km"] = kilometres
    context.reasons.append(SPLIT(**what, **shares))
