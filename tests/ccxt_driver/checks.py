"""ccxt's own structure validators (shipped in the ccxt package), applied to what the driver returns."""

from typing import Any

from ccxt.test.exchange.base.test_balance import test_balance
from ccxt.test.exchange.base.test_order import test_order
from ccxt.test.exchange.base.test_position import test_position
from ccxt.test.exchange.base.test_ticker import test_ticker
from ccxt.test.exchange.base.test_trade import test_trade

__all__ = ["valid_balance", "valid_order", "valid_position", "valid_ticker", "valid_trade"]

SYMBOL = "BTC/USDT"


def valid_order(exchange: Any, order: dict, method: str = "fetchOrder") -> dict:
    test_order(exchange, {}, method, order, SYMBOL, exchange.milliseconds())
    return order


def valid_trade(exchange: Any, trade: dict, method: str = "fetchMyTrades") -> dict:
    test_trade(exchange, {}, method, trade, SYMBOL, exchange.milliseconds(), False)
    return trade


def valid_position(exchange: Any, position: dict, method: str = "fetchPositions") -> dict:
    test_position(exchange, {}, method, position, SYMBOL, exchange.milliseconds())
    return position


def valid_balance(exchange: Any, balance: dict) -> dict:
    test_balance(exchange, {}, "fetchBalance", balance)
    return balance


def valid_ticker(exchange: Any, ticker: dict) -> dict:
    test_ticker(exchange, {}, "fetchTicker", ticker, SYMBOL)
    return ticker
