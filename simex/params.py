"""Reading Binance request parameters: mandatory ones, decimals, enumerations, the new-order fields."""

import re
from collections.abc import Mapping
from decimal import Decimal

from simex.errors import BAD_VALUE, MANDATORY, NOT_REQUIRED, BinanceError
from simex.orders import STOP_TYPES, NewOrder

__all__ = ["decimal", "integer", "new_order", "required"]

_DECIMAL = re.compile(r"^[0-9]{1,20}(\.[0-9]{1,20})?$")
_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_TYPES = frozenset({"LIMIT", "MARKET", "LIMIT_MAKER"}) | STOP_TYPES
_PRICED = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_WITH_TIF = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})


def required(params: Mapping[str, str], name: str) -> str:
    """The parameter's value; -1102 when missing or empty."""
    value = params.get(name)
    if not value:
        raise BinanceError.of(MANDATORY, name)
    return value


def decimal(params: Mapping[str, str], name: str) -> Decimal | None:
    """A decimal parameter (None when absent); -1100 when it is not a plain positive decimal."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not _DECIMAL.match(value):
        raise BinanceError.of(BAD_VALUE, name)
    return Decimal(value)


def integer(params: Mapping[str, str], name: str) -> int | None:
    """An integer parameter (None when absent); -1100 when it is not one."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not value.lstrip("-").isdigit():
        raise BinanceError.of(BAD_VALUE, name)
    return int(value)


def new_order(params: Mapping[str, str], client_id_key: str = "newClientOrderId") -> NewOrder:
    """The new-order fields of ``POST /api/v3/order`` (or of a cancel-replace), checked like Binance does."""
    symbol = required(params, "symbol")
    side = required(params, "side")
    if side not in ("BUY", "SELL"):
        raise BinanceError(-1117, "Invalid side.")
    order_type = required(params, "type")
    if order_type not in _TYPES:
        raise BinanceError(-1116, "Invalid orderType.")
    quantity = decimal(params, "quantity")
    if quantity is None:
        raise BinanceError.of(MANDATORY, "quantity")
    price = decimal(params, "price")
    if order_type in _PRICED and price is None:
        raise BinanceError.of(MANDATORY, "price")
    if order_type not in _PRICED and price is not None:
        raise BinanceError.of(NOT_REQUIRED, "price")
    stop = decimal(params, "stopPrice")
    if order_type in STOP_TYPES and stop is None:
        raise BinanceError.of(MANDATORY, "stopPrice")
    if order_type not in STOP_TYPES and stop is not None:
        raise BinanceError.of(NOT_REQUIRED, "stopPrice")
    tif = params.get("timeInForce") or None
    if order_type in _WITH_TIF:
        if tif is None:
            raise BinanceError.of(MANDATORY, "timeInForce")
        if tif not in ("GTC", "IOC", "FOK"):
            raise BinanceError(-1115, "Invalid timeInForce.")
    elif tif is not None:
        raise BinanceError.of(NOT_REQUIRED, "timeInForce")
    client_id = params.get(client_id_key) or None
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise BinanceError.of(BAD_VALUE, client_id_key)
    default_response = "FULL" if order_type in ("MARKET", "LIMIT") else "ACK"
    response = params.get("newOrderRespType") or default_response
    if response not in ("ACK", "RESULT", "FULL"):
        raise BinanceError(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
    return NewOrder(
        symbol=symbol,
        side=side,
        type=order_type,
        quantity=quantity,
        price=price,
        stop_price=stop,
        time_in_force=tif,
        client_order_id=client_id,
        response_type=response,
    )
