"""What the counter's return forms ask for (``web/returns.py``), as the returns module's
inputs: the units taken back, the inspection, the refund, the cancellation, the exchange.

Shape only: a quantity typed is refused before it becomes a huge number, a field that the
inputs' schemas refuse reads as a French refusal; the rules stay in ``returns``.
"""

from __future__ import annotations

from pydantic import ValidationError

from omnicanal.fulfilment.states import Method
from omnicanal.orders.schemas import Address, FulfilmentChoice, PaymentIn
from omnicanal.platform.bounds import MAX_QUANTITY
from omnicanal.platform.errors import InvalidInput
from omnicanal.returns.schemas import (
    CancelIn,
    ExchangeIn,
    ExchangeLineIn,
    InspectIn,
    InspectLineIn,
    RefundIn,
    ReturnIn,
    ReturnLineIn,
)
from omnicanal.web import counter, return_pages

__all__ = [
    "TERMINAL",
    "CancelNotConfirmed",
    "InvalidReturnForm",
    "InvalidReturnQuantity",
    "MissingRefundReference",
    "cancel_in",
    "exchange_in",
    "inspection",
    "refund_in",
    "return_in",
    "units",
]

TERMINAL = counter.PAYMENT_PROVIDER
"""The store's card terminal: the provider of a refund or a difference paid at the counter."""
MAX_DIGITS = 6


class InvalidReturnQuantity(InvalidInput):
    code = "invalid_quantity"


class InvalidReturnForm(InvalidInput):
    code = "invalid_return_form"


class MissingRefundReference(InvalidInput):
    code = "missing_refund_reference"


class CancelNotConfirmed(InvalidInput):
    code = "confirm_cancel"


def units(raw: str, *, field: str) -> int:
    """A number of units typed (0 when empty), refused before it becomes a huge int."""
    value = raw.strip() or "0"
    if not value.isascii() or not value.isdecimal() or len(value) > MAX_DIGITS:
        raise InvalidReturnQuantity("Type a number of units.", field=field)
    if int(value) > MAX_QUANTITY:
        raise InvalidReturnQuantity("Type a number of units.", field=field)
    return int(value)


def return_in(order_id: str, form: dict[str, str]) -> ReturnIn:
    """The return the form asks for: ``qty-<line id>`` units of each line with its
    ``reason-`` and ``condition-``, the customer's satisfaction and a note."""
    lines = []
    for name, value in form.items():
        if not name.startswith("qty-"):
            continue
        line_id = name[4:]
        quantity = units(value, field=name)
        if quantity == 0:
            continue
        try:
            lines.append(
                ReturnLineIn.model_validate(
                    {
                        "order_line_id": line_id,
                        "quantity": quantity,
                        "reason": form.get(f"reason-{line_id}", ""),
                        "condition": form.get(f"condition-{line_id}", "unworn"),
                    }
                )
            )
        except ValidationError:
            raise InvalidReturnForm("Choose a reason and a state for each item.") from None
    if not lines:
        raise return_pages.NothingChosen("Choose at least one unit to take back.", field="lines")
    satisfaction = form.get("satisfaction", "").strip()
    try:
        return ReturnIn(
            order_id=order_id,
            lines=lines,
            method="counter",
            satisfaction=units(satisfaction, field="satisfaction") if satisfaction else None,
            note=form.get("note", "").strip(),
        )
    except ValidationError:
        raise InvalidReturnForm("Correct the satisfaction (1 to 5) or the note.") from None


def inspection(form: dict[str, str]) -> InspectIn:
    """Resellable and damaged units of each line (``resellable-<line id>``, ``damaged-…``)."""
    lines = []
    for name, value in form.items():
        if not name.startswith("resellable-"):
            continue
        line_id = name[len("resellable-") :]
        try:
            lines.append(
                InspectLineIn(
                    line_id=line_id,
                    resellable=units(value, field=name),
                    damaged=units(form.get(f"damaged-{line_id}", ""), field=f"damaged-{line_id}"),
                )
            )
        except ValidationError:
            raise InvalidReturnForm("Correct the inspection.", field=name) from None
    try:
        return InspectIn(lines=lines, note=form.get("note", "").strip())
    except ValidationError:
        raise InvalidReturnForm("Correct the note.", field="note") from None


def refund_in(method: str, reference: str) -> RefundIn:
    """A refund to the card (with the terminal's refund receipt number) or as store credit."""
    if method == "store_credit":
        return RefundIn(method="store_credit")
    if method != "original_payment":
        raise InvalidReturnForm("Choose how the customer is refunded.", field="refund_method")
    reference = reference.strip()
    try:
        # The terminal's receipt number, never a card number: the payment's own check.
        PaymentIn(provider=TERMINAL, reference=reference, status="captured")
        return RefundIn(method="original_payment", provider=TERMINAL, reference=reference)
    except ValidationError:
        raise MissingRefundReference(
            "Type the card terminal's refund receipt number.", field="refund_reference"
        ) from None


def _fulfilment(form: dict[str, str]) -> tuple[FulfilmentChoice | None, Address | None]:
    """Taken here (the default), reserved in another store, or sent home."""
    method = form.get("method", Method.carry_out.value)
    if method == Method.carry_out.value:
        return None, None
    if method == Method.pickup.value:
        store = form.get("pickup_store", "").strip()[:50]
        if not store:
            raise counter.MissingPickupStore("Choose the store of the pickup.", field="pickup")
        return FulfilmentChoice(method=Method.pickup, location=store), None
    if method == Method.endless_aisle.value:
        values = {name: form.get(name, "").strip() for name in counter.ADDRESS_FIELDS}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise counter.MissingAddress("The delivery address is incomplete.", field="address")
        try:
            address = Address(**values)
        except ValidationError:
            raise counter.MissingAddress("The delivery address is too long.") from None
        return FulfilmentChoice(method=Method.endless_aisle), address
    raise counter.UnknownMethod("Choose how the customer gets the goods.", field="method")


def exchange_in(ret_lines: list[return_pages.ExchangePick], form: dict[str, str]) -> ExchangeIn:
    fulfilment, address = _fulfilment(form)
    payment = None
    typed = form.get("payment_reference", "").strip()
    if typed:
        try:
            payment = PaymentIn(provider=TERMINAL, reference=typed, status="captured")
        except ValidationError:
            raise counter.MissingPayment(
                "Type the card terminal's receipt number, never the card number.",
                field="payment_reference",
            ) from None
    given_back = None
    if form.get("refund_method"):
        given_back = refund_in(form["refund_method"], form.get("refund_reference", ""))
    try:
        return ExchangeIn(
            lines=[
                ExchangeLineIn(sku=sku, quantity=quantity)
                for sku, quantity in return_pages.wanted(ret_lines)
            ],
            fulfilment=fulfilment,
            delivery_address=address,
            payment=payment,
            refund=given_back,
        )
    except ValidationError:
        raise InvalidReturnForm("Correct the exchange.", field="lines") from None


class MissingParcelToken(InvalidInput):
    code = "invalid_return_token"


def parcel_in(token: str) -> ReturnIn:
    """A postal return's label scanned where the parcel arrives."""
    if not token:
        raise MissingParcelToken("Scan the label's QR code.", field="token")
    try:
        return ReturnIn(token=token)
    except ValidationError:
        raise MissingParcelToken("This label is not one of ours.", field="token") from None


def cancel_in(form: dict[str, str]) -> CancelIn:
    """A cancellation, once its box is ticked."""
    if form.get("confirm") != "yes":
        raise CancelNotConfirmed("Tick the box to confirm.", field="confirm")
    try:
        return CancelIn(note=form.get("note", "").strip())
    except ValidationError:
        raise InvalidReturnForm("Correct the note.", field="note") from None
