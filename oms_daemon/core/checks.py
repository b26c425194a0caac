"""Pre-trade checks: every refusal an order request can meet, in the order they are applied."""

from collections.abc import Iterator
from decimal import Decimal

import msgspec

from oms_daemon.core.balances import free_balance, reference_price
from oms_daemon.core.config import AccountConfig, Instrument
from oms_daemon.core.enums import AccountKind, OrderSide, OrderType
from oms_daemon.core.inputs import OrderRequest
from oms_daemon.core.model import ZERO
from oms_daemon.core.reasons import Reason
from oms_daemon.core.state import OmsState

__all__ = ["Refusal", "is_reducing", "refusals"]

_PRICED = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_STOPPED = (OrderType.STOP, OrderType.STOP_LIMIT)


class Refusal(msgspec.Struct, frozen=True):
    """One reason an order would be refused, with a human message."""

    reason: Reason
    message: str


def is_reducing(state: OmsState, req: OrderRequest) -> bool:
    """True when the order can only bring its position (or target ticket) closer to flat."""
    key = (req.account_id, req.symbol)
    if req.position_id is not None:
        ticket = state.positions.get(req.position_id)
        if ticket is None or not ticket.is_open or ticket.symbol != req.symbol:
            return False
        held = ticket.quantity
    else:
        held = state.net_quantity(key)
    if held == 0 or (held > 0) == (req.side == OrderSide.BUY):
        return False
    same_side = sum((o.leaves_qty for o in state.working_orders(key) if o.side == req.side and o.reduce_only), ZERO)
    return req.quantity + same_side <= abs(held)


def _shape(req: OrderRequest, instrument: Instrument) -> Iterator[Refusal]:
    if req.quantity <= 0:
        yield Refusal(Reason.INVALID_QUANTITY, f"quantity must be positive, got {req.quantity}")
    if req.order_type in _PRICED:
        if req.price is None:
            yield Refusal(Reason.MISSING_PRICE, f"{req.order_type} order needs a price")
        elif req.price <= 0:
            yield Refusal(Reason.INVALID_PRICE, f"price must be positive, got {req.price}")
    if req.order_type in _STOPPED:
        if req.stop_price is None:
            yield Refusal(Reason.MISSING_STOP_PRICE, f"{req.order_type} order needs a stop_price")
        elif req.stop_price <= 0:
            yield Refusal(Reason.INVALID_PRICE, f"stop_price must be positive, got {req.stop_price}")
    if req.post_only and req.order_type != OrderType.LIMIT:
        yield Refusal(Reason.POST_ONLY_NOT_LIMIT, "post_only is only valid on LIMIT orders")
    step, tick = instrument.step_size, instrument.tick_size
    if step and req.quantity > 0 and req.quantity % step:
        yield Refusal(Reason.QUANTITY_STEP, f"quantity {req.quantity} is not a multiple of step {step}")
    if tick:
        for name, value in (("price", req.price), ("stop_price", req.stop_price)):
            if value is not None and value > 0 and value % tick:
                yield Refusal(Reason.PRICE_TICK, f"{name} {value} is not a multiple of tick {tick}")
    if instrument.min_qty is not None and 0 < req.quantity < instrument.min_qty:
        yield Refusal(Reason.MIN_QUANTITY, f"quantity {req.quantity} is below the minimum {instrument.min_qty}")


def _funds(
    state: OmsState, config: AccountConfig, instrument: Instrument, req: OrderRequest, price: Decimal
) -> Iterator[Refusal]:
    notional = req.quantity * price * instrument.multiplier
    fee = notional * instrument.fee_bps / 10000
    if config.kind == AccountKind.MARGIN:
        needed, currency = notional * instrument.margin_rate + fee, instrument.quote_currency
    elif req.side == OrderSide.BUY:
        needed, currency = notional + fee, instrument.quote_currency
    else:
        needed, currency = req.quantity, instrument.base_currency
    free = free_balance(state, req.account_id, currency)
    if needed > free:
        yield Refusal(Reason.INSUFFICIENT_FUNDS, f"needs {needed} {currency}, {free} free")


def refusals(state: OmsState, config: AccountConfig, instrument: Instrument, req: OrderRequest) -> Iterator[Refusal]:
    """Every check the request fails, in order; an empty iteration means it may be placed."""
    if config.symbols and req.symbol not in config.symbols:
        yield Refusal(Reason.SYMBOL_NOT_ALLOWED, f"{req.symbol} is not enabled on {req.account_id}")
    yield from _shape(req, instrument)
    mode = state.mode(req.account_id)
    if mode.killed:
        yield Refusal(Reason.KILL_SWITCH, f"kill switch is active on {req.account_id}")
    if not mode.armed:
        yield Refusal(Reason.NOT_ARMED, f"{req.account_id} is not armed")
    reducing = is_reducing(state, req)
    if req.reduce_only and not reducing:
        yield Refusal(Reason.REDUCE_ONLY, "reduce-only order would open or increase a position")
    if reducing:
        return
    if mode.safe:
        yield Refusal(Reason.SAFE_MODE, f"{req.account_id} is in SAFE mode: only reducing orders")
    dirty = state.dirty.get((req.account_id, req.symbol))
    if dirty is not None:
        yield Refusal(Reason.POSITION_DIRTY, f"{req.symbol} position is dirty ({dirty}): only reducing orders")
    price = reference_price(state, req.symbol, req.side, req.price if req.order_type in _PRICED else None)
    if price is None or req.quantity <= 0:
        return
    if instrument.min_notional is not None and req.quantity * price < instrument.min_notional:
        yield Refusal(
            Reason.MIN_NOTIONAL, f"notional {req.quantity * price} is below the minimum {instrument.min_notional}"
        )
    yield from _funds(state, config, instrument, req, price)
