"""Limits and throttles on top of the basic order checks: size, notional, position, open orders,
price band ("fat finger", failing closed on a stale reference), order rate per instrument and per
strategy (token buckets in event time, so replay agrees), identical-intent suppression, and a cap on
cancel/replace churn per order.

Throttle and spam bookkeeping is derived from the orders the core sends: ``evolve`` calls
``note_sent`` for every new order that goes to a venue, with the order's own ``ts_created``.
"""

from decimal import Decimal

from oms_daemon.core.enums import OrderSide, OrderType
from oms_daemon.core.inputs import OrderRequest
from oms_daemon.core.limits import RiskLimits, merged_limits
from oms_daemon.core.model import Order
from oms_daemon.core.reasons import Reason
from oms_daemon.core.refusal import Refusal
from oms_daemon.core.state import OmsState

__all__ = ["limits_for", "note_sent", "replace_refusal", "risk_refusals"]

_NS = Decimal(1_000_000_000)
_BPS = Decimal(10_000)
_PRICED = (OrderType.LIMIT, OrderType.STOP_LIMIT)


def limits_for(state: OmsState, account_id: str, symbol: str) -> RiskLimits:
    """Merged limits of (account, symbol), cached for the session."""
    key = (account_id, symbol)
    limits = state.limits_cache.get(key)
    if limits is None:
        rules = state.config.risk if state.config is not None else ()
        limits = merged_limits(rules, account_id, symbol)
        if limits == _NO_LIMITS:  # one shared instance, so the hot paths test it with `is`
            limits = _NO_LIMITS
        state.limits_cache[key] = limits
    return limits


def _available(bucket: tuple[Decimal, int] | None, rate: Decimal, burst: int, now: int) -> Decimal:
    if bucket is None:
        return Decimal(burst)
    tokens, since = bucket
    return min(Decimal(burst), tokens + rate * (now - since) / _NS)


def _burst(rate: Decimal, burst: int | None) -> int:
    return burst if burst is not None else max(1, int(rate.to_integral_value(rounding="ROUND_CEILING")))


def _signature(account_id: str, strategy_id: str, symbol: str, side: str, qty: Decimal, *prices: object) -> tuple:
    return (account_id, strategy_id, symbol, side, qty, *prices)


def _quote_refusals(state: OmsState, req: OrderRequest, limits: RiskLimits, found: list[Refusal]) -> None:
    band, max_age = limits.price_band_bps, limits.max_quote_age_ms
    quote = state.quotes.get(req.symbol)
    if max_age is not None and (quote is None or req.ts_recv - quote.ts_recv > max_age * 1_000_000):
        age = "no quote" if quote is None else f"last quote {(req.ts_recv - quote.ts_recv) // 1_000_000} ms old"
        found.append(Refusal(Reason.REFERENCE_STALE, f"reference price for {req.symbol} is stale ({age})"))
        return
    if band is None or req.order_type not in _PRICED or req.price is None:
        return
    if quote is None:
        found.append(Refusal(Reason.REFERENCE_STALE, f"no reference price for {req.symbol}: price band fails closed"))
        return
    if req.side == OrderSide.BUY:
        touch = quote.ask if quote.ask is not None else quote.last
        if touch is not None and req.price > touch * (1 + band / _BPS):
            found.append(
                Refusal(Reason.PRICE_BAND, f"buy limit {req.price} is more than {band} bps through the ask {touch}")
            )
    else:
        touch = quote.bid if quote.bid is not None else quote.last
        if touch is not None and req.price < touch * (1 - band / _BPS):
            found.append(
                Refusal(Reason.PRICE_BAND, f"sell limit {req.price} is more than {band} bps through the bid {touch}")
            )


def _rate_refusals(state: OmsState, req: OrderRequest, limits: RiskLimits, found: list[Refusal]) -> None:
    now = req.ts_recv
    rate = limits.orders_per_second
    if rate is not None:
        bucket = state.buckets.get(("symbol", req.account_id, req.symbol))
        if _available(bucket, rate, _burst(rate, limits.orders_burst), now) < 1:
            found.append(Refusal(Reason.THROTTLED, f"more than {rate} orders/s on {req.symbol}"))
    rate = limits.strategy_orders_per_second
    if rate is not None:
        bucket = state.buckets.get(("strategy", req.account_id, req.strategy_id))
        if _available(bucket, rate, _burst(rate, limits.strategy_orders_burst), now) < 1:
            found.append(Refusal(Reason.THROTTLED, f"more than {rate} orders/s from strategy {req.strategy_id}"))
    window = limits.duplicate_window_ms
    if window is not None:
        signature = _signature(
            req.account_id,
            req.strategy_id,
            req.symbol,
            req.side,
            req.quantity,
            req.order_type,
            req.price,
            req.stop_price,
        )
        last = state.recent_intents.get(signature)
        if last is not None and now - last < window * 1_000_000:
            found.append(
                Refusal(
                    Reason.DUPLICATE_INTENT, f"identical order sent {(now - last) // 1_000_000} ms ago (spam guard)"
                )
            )


def risk_refusals(
    state: OmsState, req: OrderRequest, price: Decimal | None, reducing: bool, found: list[Refusal]
) -> None:
    """Append every configured limit ``req`` breaks; ``price`` is its reference price (None if unknown)."""
    limits = limits_for(state, req.account_id, req.symbol)
    if limits is _NO_LIMITS:
        return
    if limits.max_order_qty is not None and req.quantity > limits.max_order_qty:
        found.append(Refusal(Reason.MAX_ORDER_QTY, f"quantity {req.quantity} exceeds {limits.max_order_qty}"))
    if limits.max_order_notional is not None:
        if price is None:
            found.append(Refusal(Reason.REFERENCE_STALE, "no reference price to check the order's notional"))
        elif req.quantity * price > limits.max_order_notional:
            found.append(
                Refusal(Reason.MAX_NOTIONAL, f"notional {req.quantity * price} exceeds {limits.max_order_notional}")
            )
    if limits.max_open_orders is not None:
        working = sum(len(ids) for (acct, _), ids in state.open_orders.items() if acct == req.account_id)
        if working >= limits.max_open_orders:
            found.append(Refusal(Reason.MAX_OPEN_ORDERS, f"{working} orders already working on {req.account_id}"))
    if limits.max_position is not None and not reducing:
        key = (req.account_id, req.symbol)
        buys, sells = state.working_leaves(key)
        net = state.net_quantity(key)
        projected = net + buys + req.quantity if req.side == OrderSide.BUY else net - sells - req.quantity
        if abs(projected) > limits.max_position:
            found.append(
                Refusal(
                    Reason.MAX_POSITION,
                    f"position with working orders would reach {projected}, limit {limits.max_position}",
                )
            )
    _quote_refusals(state, req, limits, found)
    _rate_refusals(state, req, limits, found)


_NO_LIMITS = RiskLimits()


def replace_refusal(state: OmsState, order: Order) -> Refusal | None:
    """A replace beyond the configured churn per order is refused."""
    cap = limits_for(state, order.account_id, order.symbol).max_replaces_per_order
    if cap is None:
        return None
    replaces = 0
    link = order.replaces_id
    while link is not None:
        replaces += 1
        link = state.orders[link].replaces_id if link in state.orders else None
    if replaces >= cap:
        return Refusal(Reason.CHURN_LIMIT, f"order already replaced {replaces} times (limit {cap})")
    return None


def note_sent(state: OmsState, order: Order) -> None:
    """Book a new order sent to a venue into the throttles and the spam guard (called by evolve)."""
    limits = limits_for(state, order.account_id, order.symbol)
    if limits is _NO_LIMITS:
        return
    now = order.ts_created
    for kind, owner, rate, burst in (
        ("symbol", order.symbol, limits.orders_per_second, limits.orders_burst),
        ("strategy", order.strategy_id, limits.strategy_orders_per_second, limits.strategy_orders_burst),
    ):
        if rate is not None:
            key = (kind, order.account_id, owner)
            state.buckets[key] = (_available(state.buckets.get(key), rate, _burst(rate, burst), now) - 1, now)
    if limits.duplicate_window_ms is not None:
        signature = _signature(
            order.account_id,
            order.strategy_id,
            order.symbol,
            order.side,
            order.quantity,
            order.order_type,
            order.price,
            order.stop_price,
        )
        recent = state.recent_intents
        recent[signature] = now
        if len(recent) > 4096:  # forget signatures older than the window
            horizon = now - limits.duplicate_window_ms * 1_000_000
            for stale in [sig for sig, ts in recent.items() if ts < horizon]:
                del recent[stale]
