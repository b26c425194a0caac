"""Pre-trade checks: every refusal an order request can meet, in the order they are applied."""

from decimal import Context, Decimal, DecimalException, InvalidOperation, Rounded

from oms_daemon.core.balances import free_balance, reference_price
from oms_daemon.core.config import AccountConfig, Instrument
from oms_daemon.core.enums import AccountKind, OrderSide, OrderType
from oms_daemon.core.inputs import OrderRequest
from oms_daemon.core.model import ZERO
from oms_daemon.core.reasons import Reason
from oms_daemon.core.refusal import Refusal
from oms_daemon.core.risk import risk_refusals
from oms_daemon.core.session import recovering_orders
from oms_daemon.core.state import OmsState
from oms_daemon.core.streams import feed_refusal_reason

__all__ = ["Refusal", "is_reducing", "refusals"]

_PRICED = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_STOPPED = (OrderType.STOP, OrderType.STOP_LIMIT)
_BUY, _LIMIT, _MARGIN = OrderSide.BUY, OrderType.LIMIT, AccountKind.MARGIN
"""Bound once: reading a member off an Enum class goes through ``EnumType.__getattr__`` (slow)."""


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
    if not held or (held > ZERO) == (req.side == _BUY):
        return False
    room = abs(held) - req.quantity
    if room < ZERO:
        return False
    exposure = state.exposure.get(key)
    if exposure is not None:
        room -= exposure.reduce_buy if req.side == _BUY else exposure.reduce_sell
    return room >= ZERO


MAX_DIGITS = 18
"""Quantities and prices beyond 10**18, or finer than 10**-18, are refused (they are no real order)."""


_FINEST = Decimal(1).scaleb(-MAX_DIGITS)
_in_range = Context(prec=2 * MAX_DIGITS + 1, Emin=-999999, Emax=999999, traps=[InvalidOperation, Rounded]).quantize
"""Quantizing a nonzero finite value to 10**-18 traps Rounded if it is finer, InvalidOperation if above 10**18."""


def out_of_range(*values: Decimal | None) -> Decimal | None:
    """The first value too large or too finely divided for exact arithmetic, or None."""
    for value in values:
        if value is None:
            continue
        if not value.is_finite():
            return value
        if not value:  # zero: quantize cannot see its exponent
            if value.adjusted() > MAX_DIGITS or value.as_tuple().exponent < -MAX_DIGITS:
                return value
            continue
        try:
            _in_range(value, _FINEST)  # a third of the cost of value.as_tuple()
        except DecimalException:
            return value
    return None


def _shape(req: OrderRequest, instrument: Instrument, found: list[Refusal]) -> None:
    quantity, price, stop = req.quantity, req.price, req.stop_price
    wild = out_of_range(quantity, price, stop)
    if wild is not None:
        found.append(
            Refusal(Reason.OUT_OF_RANGE, f"{wild} is out of range (at most 18 digits either side of the point)")
        )
        return
    if quantity <= ZERO:
        found.append(Refusal(Reason.INVALID_QUANTITY, f"quantity must be positive, got {quantity}"))
    order_type = req.order_type
    if order_type in _PRICED:
        if price is None:
            found.append(Refusal(Reason.MISSING_PRICE, f"{order_type} order needs a price"))
        elif price <= ZERO:
            found.append(Refusal(Reason.INVALID_PRICE, f"price must be positive, got {price}"))
    if order_type in _STOPPED:
        if stop is None:
            found.append(Refusal(Reason.MISSING_STOP_PRICE, f"{order_type} order needs a stop_price"))
        elif stop <= ZERO:
            found.append(Refusal(Reason.INVALID_PRICE, f"stop_price must be positive, got {stop}"))
    if req.post_only and order_type != _LIMIT:
        found.append(Refusal(Reason.POST_ONLY_NOT_LIMIT, "post_only is only valid on LIMIT orders"))
    step, tick = instrument.step_size, instrument.tick_size
    if step and quantity > ZERO and quantity % step:
        found.append(Refusal(Reason.QUANTITY_STEP, f"quantity {quantity} is not a multiple of step {step}"))
    if tick:
        if price is not None and price > ZERO and price % tick:
            found.append(Refusal(Reason.PRICE_TICK, f"price {price} is not a multiple of tick {tick}"))
        if stop is not None and stop > ZERO and stop % tick:
            found.append(Refusal(Reason.PRICE_TICK, f"stop_price {stop} is not a multiple of tick {tick}"))
    minimum = instrument.min_qty
    if minimum is not None and ZERO < quantity < minimum:
        found.append(Refusal(Reason.MIN_QUANTITY, f"quantity {quantity} is below the minimum {minimum}"))


def _funds(
    state: OmsState, config: AccountConfig, instrument: Instrument, req: OrderRequest, price: Decimal
) -> Refusal | None:
    notional = req.quantity * price * instrument.multiplier
    fee = notional * instrument.fee_bps / 10000 if instrument.fee_bps else ZERO
    if config.kind == _MARGIN:
        needed, currency = notional * instrument.margin_rate + fee, instrument.quote_currency
    elif req.side == _BUY:
        needed, currency = notional + fee, instrument.quote_currency
    else:
        needed, currency = req.quantity, instrument.base_currency
    free = free_balance(state, req.account_id, currency)
    if needed > free:
        return Refusal(Reason.INSUFFICIENT_FUNDS, f"needs {needed} {currency}, {free} free")
    return None


def refusals(
    state: OmsState, config: AccountConfig, instrument: Instrument, req: OrderRequest, *, first: bool = False
) -> list[Refusal]:
    """Every check the request fails, in order (only the first when ``first``); empty means it may go."""
    found: list[Refusal] = []
    if config.symbols and req.symbol not in config.symbols:
        found.append(Refusal(Reason.SYMBOL_NOT_ALLOWED, f"{req.symbol} is not enabled on {req.account_id}"))
    _shape(req, instrument, found)
    mode = state.modes.get(req.account_id)
    if mode is None or mode.killed or not mode.armed:
        if mode is not None and mode.killed:
            found.append(Refusal(Reason.KILL_SWITCH, f"kill switch is active on {req.account_id}"))
        found.append(Refusal(Reason.NOT_ARMED, f"{req.account_id} is not armed"))
    if state.recovering and recovering_orders(state, req.account_id):
        found.append(
            Refusal(Reason.RECOVERING, "orders left open by the last run are still being resolved at the venue")
        )
    if first and found:
        return found
    reducing = is_reducing(state, req)
    if req.reduce_only and not reducing:
        found.append(Refusal(Reason.REDUCE_ONLY, "reduce-only order would open or increase a position"))
    price = reference_price(state, req.symbol, req.side, req.price if req.order_type in _PRICED else None)
    risk_refusals(state, req, price, reducing, found)
    if reducing:
        return found
    if mode is not None and mode.safe:
        found.append(Refusal(Reason.SAFE_MODE, f"{req.account_id} is in SAFE mode: only reducing orders"))
    dirty = state.dirty.get((req.account_id, req.symbol)) if state.dirty else None
    if dirty is not None:
        found.append(Refusal(Reason.POSITION_DIRTY, f"{req.symbol} position is dirty ({dirty}): only reducing orders"))
    if state.journal_low:
        found.append(Refusal(Reason.JOURNAL_SPACE_LOW, f"journal disk low ({state.journal_low}): only reducing orders"))
    down = state.venue_down.get(req.account_id) if state.venue_down else None
    if down is not None:
        found.append(Refusal(Reason.VENUE_UNAVAILABLE, f"venue unavailable ({down}): only reducing orders"))
    stale = feed_refusal_reason(state, req.account_id, req.symbol) if state.stale_feeds else None
    if stale is not None:
        found.append(Refusal(Reason.FEED_STALE, f"{stale}: only reducing orders"))
    if first and found:
        return found
    if price is None or req.quantity <= ZERO:
        return found
    minimum = instrument.min_notional
    if minimum is not None and req.quantity * price < minimum:
        found.append(Refusal(Reason.MIN_NOTIONAL, f"notional {req.quantity * price} is below the minimum {minimum}"))
    short = _funds(state, config, instrument, req, price)
    if short is not None:
        found.append(short)
    return found
