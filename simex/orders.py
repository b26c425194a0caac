"""Orders and trades of the simulated exchange, and how Binance renders them (REST bodies, user-stream events).

Amounts are ``Decimal``; on the wire they are strings with eight decimals, as Binance sends them.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "OPEN_STATUSES",
    "STOP_TYPES",
    "NewOrder",
    "SimOrder",
    "SimTrade",
    "execution_report",
    "fmt",
    "order_json",
    "trade_json",
]

ZERO = Decimal(0)
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
"""Order types that wait for their stop price before they work."""
OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})
"""Statuses of orders that can still fill or be canceled."""


def fmt(value: Decimal | None) -> str:
    """Binance's decimal format: eight fraction digits (``"0.00000000"`` for none)."""
    return f"{value if value is not None else ZERO:.8f}"


@dataclass(slots=True, frozen=True, kw_only=True)
class NewOrder:
    """A parsed and typed new-order request (``POST /api/v3/order`` or the new half of a cancel-replace)."""

    symbol: str
    side: str
    type: str
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str | None = None
    client_order_id: str | None = None
    response_type: str = "FULL"


@dataclass(slots=True, kw_only=True)
class SimOrder:
    """One order as the exchange keeps it (mutable: the engine moves it along)."""

    order_id: int
    client_order_id: str
    api_key: str
    symbol: str
    side: str
    type: str
    time_in_force: str | None
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    status: str = "NEW"
    executed: Decimal = ZERO
    quote_executed: Decimal = ZERO
    created_ms: int = 0
    updated_ms: int = 0
    working_ms: int = 0
    locked: Decimal = ZERO
    lock_asset: str | None = None
    cancel_client_order_id: str = ""
    fills: list["SimTrade"] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        """Quantity not filled yet."""
        return self.quantity - self.executed

    @property
    def is_open(self) -> bool:
        """NEW or PARTIALLY_FILLED (untriggered stops included)."""
        return self.status in OPEN_STATUSES

    @property
    def triggered(self) -> bool:
        """True once the order works on the book (always for non-stop orders)."""
        return self.working_ms > 0


@dataclass(slots=True, frozen=True, kw_only=True)
class SimTrade:
    """One execution of one order."""

    trade_id: int
    order_id: int
    client_order_id: str
    api_key: str
    symbol: str
    side: str
    price: Decimal
    quantity: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    maker: bool


def order_json(order: SimOrder, response_type: str = "QUERY", now_ms: int = 0) -> dict[str, Any]:
    """An order as ``GET /api/v3/order`` shows it (``QUERY``) or a new-order reply (``ACK``, ``RESULT``, ``FULL``)."""
    base: dict[str, Any] = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
    }
    if response_type == "ACK":
        return base | {"transactTime": now_ms}
    body = base | {
        "price": fmt(order.price),
        "origQty": fmt(order.quantity),
        "executedQty": fmt(order.executed),
        "cummulativeQuoteQty": fmt(order.quote_executed),
        "status": order.status,
        "timeInForce": order.time_in_force or "GTC",
        "type": order.type,
        "side": order.side,
        "stopPrice": fmt(order.stop_price),
        "origQuoteOrderQty": fmt(ZERO),
        "workingTime": order.working_ms or -1,
        "selfTradePreventionMode": "NONE",
    }
    if response_type == "QUERY":
        return body | {
            "icebergQty": fmt(ZERO),
            "time": order.created_ms,
            "updateTime": order.updated_ms,
            "isWorking": order.triggered,
        }
    body["transactTime"] = now_ms
    if response_type == "FULL":
        body["fills"] = [
            {
                "price": fmt(t.price),
                "qty": fmt(t.quantity),
                "commission": fmt(t.commission),
                "commissionAsset": t.commission_asset,
                "tradeId": t.trade_id,
            }
            for t in order.fills
        ]
    return body


def trade_json(trade: SimTrade) -> dict[str, Any]:
    """A trade as ``GET /api/v3/myTrades`` lists it."""
    return {
        "symbol": trade.symbol,
        "id": trade.trade_id,
        "orderId": trade.order_id,
        "orderListId": -1,
        "price": fmt(trade.price),
        "qty": fmt(trade.quantity),
        "quoteQty": fmt(trade.price * trade.quantity),
        "commission": fmt(trade.commission),
        "commissionAsset": trade.commission_asset,
        "time": trade.time_ms,
        "isBuyer": trade.side == "BUY",
        "isMaker": trade.maker,
        "isBestMatch": True,
    }


def execution_report(
    order: SimOrder, execution: str, now_ms: int, trade: SimTrade | None = None, reject: str = "NONE"
) -> dict[str, Any]:
    """The user-stream ``executionReport`` for one change of ``order`` (``x`` = ``execution``)."""
    canceled = execution == "CANCELED"
    return {
        "e": "executionReport",
        "E": now_ms,
        "s": order.symbol,
        "c": order.cancel_client_order_id if canceled and order.cancel_client_order_id else order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force or "GTC",
        "q": fmt(order.quantity),
        "p": fmt(order.price),
        "P": fmt(order.stop_price),
        "F": fmt(ZERO),
        "g": -1,
        "C": order.client_order_id if canceled else "",
        "x": execution,
        "X": order.status,
        "r": reject,
        "i": order.order_id,
        "l": fmt(trade.quantity if trade else ZERO),
        "z": fmt(order.executed),
        "L": fmt(trade.price if trade else ZERO),
        "n": fmt(trade.commission if trade else ZERO),
        "N": trade.commission_asset if trade else None,
        "T": now_ms,
        "t": trade.trade_id if trade else -1,
        "I": 0,
        "w": order.is_open and order.triggered,
        "m": trade.maker if trade else False,
        "M": False,
        "O": order.created_ms,
        "Z": fmt(order.quote_executed),
        "Y": fmt(trade.price * trade.quantity if trade else ZERO),
        "Q": fmt(ZERO),
        "W": order.working_ms or order.created_ms,
        "V": "NONE",
    }
