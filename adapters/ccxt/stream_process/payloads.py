"""What of a watch result the child ships to the daemon: the fields the daemon's handlers read, nothing else.

A ccxt unified order has 27 fields and a trade 14, plus the venue's raw message in ``info``; the tracker
reads about ten, and of ``info`` only the client order id (and the whole of it for a rejection, as its
message). Shipped, a Binance order update is 180 bytes of msgpack instead of 712, a trade 137 instead of
497: that much less for the child to encode and the daemon to decode. A handler that starts reading another
field must have it added here: ``tests/ccxt/test_stream_payloads.py`` feeds the tracker both ways and
compares.
"""

from collections.abc import Mapping
from typing import Any

__all__ = ["BALANCE_FIELDS", "ORDER_FIELDS", "QUOTE_FIELDS", "TRADE_FIELDS", "shipped"]

ORDER_FIELDS = (
    "id",
    "clientOrderId",
    "symbol",
    "status",
    "side",
    "type",
    "amount",
    "filled",
    "price",
    "triggerPrice",
    "stopPrice",
    "timestamp",
)
TRADE_FIELDS = ("id", "order", "clientOrderId", "symbol", "side", "price", "amount", "fee", "timestamp")
BALANCE_FIELDS = ("total", "free")
QUOTE_FIELDS = ("symbol", "bid", "ask", "bidVolume", "askVolume", "timestamp")
_INFO_IDS = ("clientOrderId", "c", "clOrdId")
"""Where venues put the client order id in their raw messages (see ``translate.client_order_id_of``)."""


def shipped(name: str, result: Any) -> Any:
    """The part of watch ``name``'s ``result`` the daemon reads, as plain lists and dicts."""
    if name == "orders":
        return [_order(order) for order in result]
    if name == "my_trades":
        return [_fields(trade, TRADE_FIELDS) | {"info": _ids(trade.get("info"))} for trade in result]
    if name == "balance":
        return _fields(result, BALANCE_FIELDS)
    if name == "quotes":
        return {symbol: _fields(ticker, QUOTE_FIELDS) for symbol, ticker in result.items()}
    return list(result) if isinstance(result, list) else result


def _order(order: Mapping[str, Any]) -> dict[str, Any]:
    info = order.get("info")
    return _fields(order, ORDER_FIELDS) | {"info": info if order.get("status") == "rejected" else _ids(info)}


def _fields(item: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: item[name] for name in names if name in item}


def _ids(info: Any) -> Any:
    return {key: info[key] for key in _INFO_IDS if key in info} if isinstance(info, Mapping) else None
