"""Request and response bodies of the HTTP API (JSON), as msgspec Structs; the OpenAPI document is built from them.

Money, prices and quantities are decimal strings (``"101.25"``) or JSON numbers, decoded exactly into
``Decimal`` from their text (never through a binary float); responses always carry decimal strings.
``account`` and ``strategy`` may be left out when the API key acts for exactly one account (and one
strategy, or any: then ``"default"``).
"""

from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.views import FillView, OrderView

__all__ = [
    "MONEY_LIMIT",
    "MONEY_SCHEMA",
    "BalanceRequest",
    "CancelCommand",
    "ChangeOrder",
    "CloseAllCommand",
    "ClosePositionCommand",
    "Command",
    "CommandResult",
    "DealsQuery",
    "Limit",
    "Listing",
    "Money",
    "OrdersQuery",
    "PaperOrder",
    "PaperOrderRequest",
    "PaperOrdersQuery",
    "PositionsQuery",
    "SendOrder",
    "TickerRequest",
]

MONEY_LIMIT = Decimal("1e15")
"""Money values must be smaller than this in magnitude (the core's decimal context cannot check larger ones)."""

MONEY_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^[+-]?([0-9]{1,15}(\.[0-9]{0,30})?|\.[0-9]{1,30})$"},
        {"type": "number", "exclusiveMinimum": -1e15, "exclusiveMaximum": 1e15},
    ]
}
"""JSON schema of a money field in a request: a decimal string or a JSON number, below 1e15 in magnitude."""

Money = Annotated[Decimal, Meta(extra_json_schema={"x-money": True})]
"""A decimal string or JSON number, decoded exactly; finite and below ``MONEY_LIMIT`` (``commands.decode_body``)."""

Limit = Annotated[int, Meta(ge=1, le=1000)]
_STATUS = "(" + "|".join(OrderStatus) + ")"
Statuses = Annotated[str, Meta(pattern=f"^{_STATUS}(,{_STATUS})*$")]
"""One order status or a CSV list of them."""
NonNegative = Annotated[int, Meta(ge=0, le=2**63 - 1)]
Id = Annotated[int, Meta(ge=1, le=2**63 - 1)]


class _Scoped(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    account: str | None = None
    strategy: str | None = None


# --- POST /oms/commands ---------------------------------------------------------------------------------


class _Command(_Scoped, frozen=True, kw_only=True, tag_field="command"):
    wait: bool = False
    """Answer once the venue answered (acknowledged, filled, rejected, canceled), not when the OMS accepted."""


class SendOrder(_Command, frozen=True, kw_only=True, tag="send_order"):
    """Place a new order; a repeated ``idempotency_key`` returns the existing order instead."""

    symbol: str
    side: OrderSide
    quantity: Money
    order_type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.GTC
    price: Money | None = None
    stop_price: Money | None = None
    post_only: bool = False
    reduce_only: bool = False
    idempotency_key: Annotated[str, Meta(min_length=1, max_length=128)] | None = None
    position_id: Id | None = None


class ChangeOrder(_Command, frozen=True, kw_only=True, tag="change_order"):
    """Change quantity and/or prices of a working order; the replacement gets a new order id."""

    order_id: Id
    quantity: Money | None = None
    price: Money | None = None
    stop_price: Money | None = None


class CancelCommand(_Command, frozen=True, kw_only=True, tag="cancel_order"):
    """Cancel a working order."""

    order_id: Id


class ClosePositionCommand(_Command, frozen=True, kw_only=True, tag="close_position"):
    """Flatten (or reduce by ``quantity``) a symbol's position, or one ticket in hedging mode."""

    symbol: str
    quantity: Money | None = None
    position_id: Id | None = None


class CloseAllCommand(_Command, frozen=True, kw_only=True, tag="close_all"):
    """Flatten every open position of the account (optionally one symbol)."""

    symbol: str | None = None


Command = SendOrder | ChangeOrder | CancelCommand | ClosePositionCommand | CloseAllCommand
"""Every command, picked by its ``"command"`` field."""


class CommandResult(msgspec.Struct, frozen=True, kw_only=True):
    """A command the core accepted: the order it made or touched (``order``) and every order it placed."""

    order_id: int | None
    order_ids: list[int]
    message: str | None
    order: OrderView | None
    orders: list[OrderView]


# --- listings -------------------------------------------------------------------------------------------


class Listing(_Scoped, frozen=True, kw_only=True):
    """Filters every listing takes (``since`` is UTC ns; ``cursor`` the ``next_cursor`` of the last page)."""

    symbol: str | None = None
    since: NonNegative | None = None
    cursor: NonNegative | None = None
    limit: Limit = 100
    newest_first: bool = False


class OrdersQuery(Listing, frozen=True, kw_only=True):
    """Filters of the order listings; ``status`` is one status or a CSV list, ``since`` is UTC ns."""

    status: Statuses | None = None


class DealsQuery(Listing, frozen=True, kw_only=True):
    """Filters of the deal listing; ``since`` is UTC ns."""

    order_id: Id | None = None


class PositionsQuery(Listing, frozen=True, kw_only=True):
    """Filters of the position listings; ``since`` is UTC ns."""


# --- /ccxt -------------------------------------------------------------------------------------------------


class BalanceRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``fetch_balance`` takes no fields (the account is in the path)."""


class TickerRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``fetch_ticker``: the symbol to quote."""

    symbol: str


# --- /paper ------------------------------------------------------------------------------------------------


class PaperOrderRequest(_Scoped, frozen=True, kw_only=True):
    """A paper order (seed 001): market or limit; ``stop_loss`` / ``take_profit`` protect a filled market entry."""

    symbol: str
    side: OrderSide
    qty: Money
    type: Literal["market", "limit"] = "market"
    price: Money | None = None
    stop_loss: Money | None = None
    take_profit: Money | None = None
    idempotency_key: Annotated[str, Meta(min_length=1, max_length=128)] | None = None


class PaperOrdersQuery(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Filters of ``GET /paper/orders`` (newest first); ``status`` is one status or a CSV list."""

    account: str | None = None
    strategy: str | None = None
    symbol: str | None = None
    status: Statuses | None = None
    cursor: NonNegative | None = None
    limit: Limit = 100


class PaperOrder(msgspec.Struct, frozen=True, kw_only=True):
    """A paper order as seed 001 shows it, with its fills and the orders protecting it."""

    id: int
    account: str
    strategy: str
    symbol: str
    side: OrderSide
    type: str
    qty: Decimal
    price: Decimal | None
    status: OrderStatus
    filled_qty: Decimal
    avg_fill_price: Decimal | None
    commission: Decimal
    reason: str | None
    message: str | None
    idempotency_key: str | None
    stop_loss: Decimal | None
    take_profit: Decimal | None
    stop_loss_order_id: int | None
    take_profit_order_id: int | None
    fills: list[FillView]
    created_at: int
    updated_at: int
