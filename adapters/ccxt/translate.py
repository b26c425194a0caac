"""Between OMS values and ccxt's unified structures: order arguments, statuses, reports, fills, instruments.

ccxt hands amounts over as floats; they are turned back into decimals through their shortest repr, which
is the exchange's decimal string for any value with up to 15 significant digits.
"""

from decimal import Decimal
from typing import Any

from ccxt.base.decimal_to_precision import TICK_SIZE

from adapters.ccxt.errors import Refusal
from oms_daemon.core.config import Instrument
from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.core.inputs import VenueOrderReport
from oms_daemon.core.model import Order

__all__ = [
    "client_order_id_of",
    "instrument_from_market",
    "order_args",
    "order_report",
    "order_status",
    "to_decimal",
    "trade_client_order_id",
]

ZERO = Decimal(0)
_CCXT_STATUS = {"closed": OrderStatus.FILLED, "canceled": OrderStatus.CANCELED, "expired": OrderStatus.EXPIRED}


def to_decimal(value: Any) -> Decimal | None:
    """A ccxt number (float, int or str) as a Decimal; None stays None."""
    if value is None:
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def order_args(
    order: Order, remaining: Decimal | None = None
) -> tuple[str, str, str, float, float | None, dict[str, Any]]:
    """(symbol, type, side, amount, price, params) of ``create_order`` / ``edit_order`` for an OMS order."""
    params: dict[str, Any] = {"clientOrderId": order.client_order_id}
    kind = "limit" if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) else "market"
    if order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
        assert order.stop_price is not None
        params["triggerPrice"] = float(order.stop_price)
    if kind == "limit":
        if order.time_in_force == TimeInForce.DAY:
            raise Refusal("unsupported_time_in_force", "DAY orders are not supported through ccxt")
        if order.post_only:
            params["postOnly"] = True  # a maker-only order has no time in force (Binance LIMIT_MAKER)
        else:
            params["timeInForce"] = str(order.time_in_force)
    price = float(order.price) if kind == "limit" and order.price is not None else None
    amount = remaining if remaining is not None else order.quantity
    return order.symbol, kind, order.side.lower(), float(amount), price, params


def client_order_id_of(order: dict[str, Any]) -> str | None:
    """The client order id of a ccxt order (``clientOrderId``, else the raw ``c`` / ``clOrdId``)."""
    info = order.get("info") or {}
    return order.get("clientOrderId") or info.get("clientOrderId") or info.get("c") or info.get("clOrdId") or None


def trade_client_order_id(trade: dict[str, Any]) -> str | None:
    """The client order id a ccxt trade carries, if the venue sends it (Binance: ``c`` in executionReport)."""
    info = trade.get("info") or {}
    return trade.get("clientOrderId") or info.get("c") or info.get("clOrdId") or info.get("clientOrderId") or None


def order_status(order: dict[str, Any]) -> OrderStatus | None:
    """The OMS status of a ccxt order (open orders with fills are PARTIALLY_FILLED)."""
    status = order.get("status")
    if status == "open":
        filled = to_decimal(order.get("filled")) or ZERO
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.NEW
    if status == "rejected":
        return OrderStatus.REJECTED
    return _CCXT_STATUS.get(str(status))


def _order_type(order: dict[str, Any]) -> OrderType:
    stop = order.get("triggerPrice") or order.get("stopPrice")
    limit = order.get("type") in ("limit", "limit_maker", "stop_loss_limit", "take_profit_limit", "stop_limit")
    if stop:
        return OrderType.STOP_LIMIT if limit else OrderType.STOP
    return OrderType.LIMIT if limit else OrderType.MARKET


def order_report(order: dict[str, Any]) -> VenueOrderReport:
    """One open order of a snapshot."""
    kind = _order_type(order)
    return VenueOrderReport(
        client_order_id=client_order_id_of(order),
        venue_order_id=str(order["id"]),
        symbol=str(order["symbol"]),
        side=OrderSide(str(order["side"]).upper()),
        order_type=kind,
        quantity=to_decimal(order.get("amount")) or ZERO,
        filled_qty=to_decimal(order.get("filled")) or ZERO,
        price=to_decimal(order.get("price")) if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
        stop_price=to_decimal(order.get("triggerPrice") or order.get("stopPrice")),
        status=order_status(order) or OrderStatus.NEW,
    )


def _step(value: Any, mode: int) -> Decimal | None:
    """A ccxt precision as a step: TICK_SIZE mode gives the step itself, DECIMAL_PLACES the digits."""
    number = to_decimal(value)
    if number is None:
        return None
    if mode == TICK_SIZE:
        return number.normalize()
    return Decimal(1).scaleb(-int(number))


def instrument_from_market(market: dict[str, Any], precision_mode: int, fee_bps: Decimal = ZERO) -> Instrument:
    """The OMS instrument for a ccxt market: tick size, step, min quantity and min notional from its rules."""
    limits = market.get("limits") or {}
    precision = market.get("precision") or {}
    min_notional = to_decimal((limits.get("cost") or {}).get("min"))
    min_qty = to_decimal((limits.get("amount") or {}).get("min"))
    return Instrument(
        symbol=str(market["symbol"]),
        base_currency=str(market["base"]),
        quote_currency=str(market["quote"]),
        tick_size=_step(precision.get("price"), precision_mode),
        step_size=_step(precision.get("amount"), precision_mode),
        min_qty=min_qty.normalize() if min_qty is not None else None,
        min_notional=min_notional.normalize() if min_notional is not None else None,
        fee_bps=fee_bps,
    )
