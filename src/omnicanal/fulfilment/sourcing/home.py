"""Home deliveries: the fewest shipments, then the configured preferences; split if needed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from math import comb

from omnicanal.fulfilment.sourcing.context import Context, km, names, units
from omnicanal.fulfilment.sourcing.types import Criterion, LineRequest, Shortfall


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
        named = passed_over[:3]
        if len(passed_over) > 3:
            named.append(f"{len(passed_over) - 3} more stores")
        context.explanation.append(
            f"{names(named)} {'keeps' if len(passed_over) == 1 else 'keep'} the last "
            f"{units(protected)} of {line.sku} for the shop floor, so "
            f"{'it does' if len(passed_over) == 1 else 'they do'} not ship line {line.line}."
        )


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


def _describe_site(context: Context, code: str) -> str:
    site = context.sites[code]
    parts = ["warehouse" if context.is_warehouse(site) else site.kind]
    distance = context.distance(code)
    if distance is not None:
        parts.append(km(distance))
    return f"{code} ({', '.join(parts)})"


def _why_better(context: Context, chosen: Sequence[str], other: Sequence[str]) -> str:
    mine, theirs = _plan_cost(context, chosen)[0], _plan_cost(context, other)[0]
    for criterion, a, b in zip(context.rules.criteria, mine, theirs, strict=True):
        if a == b:
            continue
        if criterion is Criterion.fewest_shipments:
            return "it needs fewer shipments"
        if criterion is Criterion.prefer_warehouses:
            return "warehouses are preferred to stores"
        if criterion is Criterion.nearest:
            return f"it is nearer the delivery address ({km(a)} against {km(b)})"
        return "the channel lists it first"
    return "the location codes break the tie"


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
        context.explanation.append(
            f"{code} chosen over {_describe_site(context, rival)}: "
            f"{_why_better(context, [code], [rival])}."
        )


def source_home(context: Context, lines: Sequence[LineRequest]) -> None:
    if not lines:
        return
    if context.destination is None and Criterion.nearest in context.rules.criteria:
        context.explanation.append(
            "No coordinates for the delivery address: distance does not count."
        )
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
            context.explanation.append(
                f"One shipment: {_describe_site(context, shipments[0])} can send "
                f"{'the line' if len(lines) == 1 else f'all {len(lines)} lines'} whole."
            )
        else:
            for code in shipments:
                sent = [line.line for line in whole if assignment[line.line] == code]
                label = "line" if len(sent) == 1 else "lines"
                context.explanation.append(
                    f"{_describe_site(context, code)} sends {label} {names(sent)}."
                )
        _explain_choices(context, whole, assignment)
    for line in lines:
        if line.line not in assignment:
            _split(context, line, plan)
    _explain_protection(context, lines)


def _split(context: Context, line: LineRequest, plan: Sequence[str]) -> None:
    what = f"Line {line.line} ({line.quantity} x {line.sku})"
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
                f"{what}: no single location can ship it whole and splitting is off.",
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
        reason = (
            f"only {units(total)} can be shipped from the locations serving this order"
            if total < line.quantity
            else f"it would take more than {context.rules.max_sources_per_line} locations"
        )
        context.shortfalls.append(
            Shortfall(
                line.line,
                line.sku,
                line.quantity,
                line.quantity - needed,
                "insufficient_stock",
                f"{what}: {reason}.",
            )
        )
        return
    for code, take in parts:
        context.take(line, code, take)
    shares = [f"{take} from {_describe_site(context, code)}" for code, take in parts]
    context.explanation.append(
        f"{what} is split: {names(shares)}, as no location can ship {line.quantity} alone."
    )
