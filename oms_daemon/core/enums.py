"""Enumerations of the trading domain: sides, order types, statuses, modes."""

from enum import StrEnum

__all__ = [
    "AccountKind",
    "AlertSeverity",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "PositionMode",
    "TimeInForce",
]


class OrderSide(StrEnum):
    """Direction of an order or fill."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """How an order executes."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"


class TimeInForce(StrEnum):
    """How long an order stays working."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    DAY = "DAY"


class OrderStatus(StrEnum):
    """Lifecycle status of an order; moves only through `transitions.TRANSITIONS`."""

    PENDING_NEW = "PENDING_NEW"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"
    PENDING_REPLACE = "PENDING_REPLACE"
    REPLACED = "REPLACED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"


class PositionMode(StrEnum):
    """NETTING keeps one position per symbol; HEDGING keeps tickets (MT5 style)."""

    NETTING = "NETTING"
    HEDGING = "HEDGING"


class AccountKind(StrEnum):
    """CASH settles both currencies of a pair (spot); MARGIN books PnL into one currency."""

    CASH = "CASH"
    MARGIN = "MARGIN"


class AlertSeverity(StrEnum):
    """How loud an alert is."""

    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
