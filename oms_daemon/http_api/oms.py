"""``/oms``: commands through the writer, and orders, deals, positions and markets read from the views.

Ids in paths are one id or a CSV list (``7`` or ``7,8,9``, at most 100); every id must name an item the
API key may see, else the answer is ``*_not_found`` listing the ``missing`` ids. Listings page by id:
pass ``next_cursor`` back as ``cursor``.
"""

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

import msgspec
from aiohttp import web

from oms_daemon import views
from oms_daemon.core.enums import OrderStatus
from oms_daemon.core.model import Fill, Order
from oms_daemon.core.state import OmsState
from oms_daemon.http_api.auth import Principal, principal_of
from oms_daemon.http_api.brackets import LEG_PREFIX
from oms_daemon.http_api.commands import decode_body, decode_query
from oms_daemon.http_api.errors import ApiError, ErrorCode, from_reason
from oms_daemon.http_api.routing import Route, json_response, services
from oms_daemon.http_api.schema import (
    Command,
    CommandResult,
    DealsQuery,
    OrdersQuery,
    PositionsQuery,
    SendOrder,
)
from oms_daemon.views import FillView, MarketView, OrderView, Page, PositionView, Scope

__all__ = ["IDS", "PENDING", "ROUTES", "Items", "order_views", "parse_ids", "parse_statuses"]

PENDING = frozenset({OrderStatus.PENDING_NEW, OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_REPLACE})
"""Statuses waiting for the venue's answer (``wait`` commands answer once an order left them)."""

IDS = r"[0-9]{1,18}(,[0-9]{1,18}){0,99}"
"""Path pattern of ``{ids}``: one id or up to 100 comma-separated ids."""

T = TypeVar("T")
V = TypeVar("V")


class Items(msgspec.Struct, Generic[T], kw_only=True):
    """Items looked up by id, in the order asked."""

    items: list[T]


def parse_ids(request: web.Request) -> list[int]:
    """The ids of the ``{ids}`` path parameter, without repeats."""
    return list(dict.fromkeys(int(i) for i in request.match_info["ids"].split(",")))


def parse_statuses(text: str | None) -> list[OrderStatus] | None:
    """Statuses of a ``status`` filter (one or CSV); None for no filter."""
    if not text:
        return None
    try:
        return [OrderStatus(s) for s in text.split(",")]
    except ValueError:
        raise ApiError(
            400,
            ErrorCode.VALIDATION_ERROR,
            f"unknown status in {text!r}; expected any of {', '.join(OrderStatus)} - at `$.status`",
        ) from None


def _by_ids(
    request: web.Request,
    table: Callable[[OmsState], Mapping[int, T]],
    visible: Callable[[Principal, T], bool],
    view: Callable[[OmsState, T], V],
    code: ErrorCode,
    noun: str,
) -> web.Response:
    """The items of the ``{ids}`` path the API key may see, in the order asked; else ``code`` naming the missing."""
    principal = principal_of(request)
    state = services(request).state()
    items = table(state)
    ids = parse_ids(request)
    found = {i: items[i] for i in ids if i in items and visible(principal, items[i])}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApiError(
            404, code, f"no {noun} {', '.join(map(str, missing))} for this API key", details={"missing": missing}
        )
    return json_response(Items(items=[view(state, found[i]) for i in ids]))


def _strategy_sees(principal: Principal, item: Order | Fill) -> bool:
    return principal.sees(item.account_id, item.strategy_id)


def order_views(state: OmsState, ids: list[int]) -> list[OrderView]:
    """Views of the orders with these ids (ids not in state are skipped)."""
    return [views.order_view(state.orders[i]) for i in ids if i in state.orders]


# --- commands -------------------------------------------------------------------------------------------


async def post_command(request: web.Request) -> web.Response:
    """Run one command through the writer and answer with the orders it made or touched."""
    principal = principal_of(request)
    command = decode_body(await request.read(), Command)  # type: ignore[arg-type]
    if isinstance(command, SendOrder) and (command.idempotency_key or "").startswith(LEG_PREFIX):
        raise ApiError(400, ErrorCode.VALIDATION_ERROR, f"idempotency keys starting {LEG_PREFIX!r} are reserved")
    account = principal.account(command.account)
    strategy = principal.strategy(command.strategy)
    svc = services(request)
    reply = await svc.writer.command(command, account, strategy)
    state = svc.state()
    if not reply.ok:
        order = state.orders.get(reply.order_id or 0)
        details = {"order_id": reply.order_id} if reply.order_id is not None else None
        if order is not None and order.account_id == account:
            details = {"order_id": order.order_id, "status": str(order.status)}
        raise from_reason(reply.reason, reply.message, details)
    ids = list(reply.order_ids) or ([reply.order_id] if reply.order_id is not None else [])
    if command.wait:
        for order_id in ids:
            settled = await svc.feed.wait_order(order_id, lambda o: o.status not in PENDING, svc.reply_timeout)
            if settled is not None and settled.status == OrderStatus.REJECTED:
                raise from_reason(settled.reason, settled.message, {"order_id": order_id, "status": "REJECTED"})
        state = svc.state()
    placed = order_views(state, ids)
    return json_response(
        CommandResult(
            order_id=reply.order_id,
            order_ids=ids,
            message=reply.message,
            order=placed[0] if placed and reply.order_id is not None else None,
            orders=placed,
        )
    )


# --- orders ---------------------------------------------------------------------------------------------


async def get_orders_by_id(request: web.Request) -> web.Response:
    """Orders by id, open or finished."""
    return _by_ids(
        request,
        lambda s: s.orders,
        _strategy_sees,
        lambda _, o: views.order_view(o),
        ErrorCode.ORDER_NOT_FOUND,
        "order",
    )


def _orders(request: web.Request, scope: Scope) -> web.Response:
    principal = principal_of(request)
    query = decode_query(request, OrdersQuery)
    filters = views.filters(query, principal.account(query.account), principal.strategy_filter(query.strategy))
    page = views.orders(services(request).state(), statuses=parse_statuses(query.status), scope=scope, **filters)
    return json_response(page)


async def get_open_orders(request: web.Request) -> web.Response:
    """Working orders."""
    return _orders(request, "open")


async def get_order_history(request: web.Request) -> web.Response:
    """Finished orders (filled, canceled, replaced, rejected, expired)."""
    return _orders(request, "history")


# --- deals ----------------------------------------------------------------------------------------------


async def get_deals_by_id(request: web.Request) -> web.Response:
    """Deals (fills) by id."""
    return _by_ids(
        request, lambda s: s.fills, _strategy_sees, lambda _, f: views.fill_view(f), ErrorCode.DEAL_NOT_FOUND, "deal"
    )


async def get_deals(request: web.Request) -> web.Response:
    """Deals (fills) matching the filters."""
    principal = principal_of(request)
    query = decode_query(request, DealsQuery)
    filters = views.filters(query, principal.account(query.account), principal.strategy_filter(query.strategy))
    return json_response(views.fills(services(request).state(), order_id=query.order_id, **filters))


# --- positions ------------------------------------------------------------------------------------------


async def get_positions_by_id(request: web.Request) -> web.Response:
    """Positions by id, open or closed (positions belong to the account: any strategy of it may see them)."""
    return _by_ids(
        request,
        lambda s: s.positions,
        lambda principal, p: principal.sees(p.account_id, None),
        views.position_view,
        ErrorCode.POSITION_NOT_FOUND,
        "position",
    )


def _positions(request: web.Request, scope: Scope) -> web.Response:
    principal = principal_of(request)
    query = decode_query(request, PositionsQuery)
    strategy = query.strategy
    if strategy is not None:
        principal.strategy(strategy)
    filters = views.filters(query, principal.account(query.account), strategy)
    return json_response(views.positions(services(request).state(), scope=scope, **filters))


async def get_open_positions(request: web.Request) -> web.Response:
    """Open positions."""
    return _positions(request, "open")


async def get_position_history(request: web.Request) -> web.Response:
    """Closed positions."""
    return _positions(request, "history")


# --- markets --------------------------------------------------------------------------------------------


class MarketsQuery(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The account whose markets to list."""

    account: str | None = None


async def get_markets(request: web.Request) -> web.Response:
    """The instruments an account may trade, with their trading rules."""
    principal: Principal = principal_of(request)
    query = decode_query(request, MarketsQuery)
    return json_response(views.markets(services(request).state(), principal.account(query.account)))


_ERR = (400, 401, 429)
ROUTES = (
    Route(
        "POST",
        "/oms/commands",
        post_command,
        "Run a command: send_order, change_order, cancel_order, close_position, close_all",
        response=CommandResult,
        body=Command,
        errors=(*_ERR, 403, 404, 409, 422, 503, 504),
    ),
    Route(
        "GET", "/oms/orders/open", get_open_orders, "Working orders", Page[OrderView], OrdersQuery, errors=(*_ERR, 404)
    ),
    Route(
        "GET",
        "/oms/orders/history",
        get_order_history,
        "Finished orders",
        Page[OrderView],
        OrdersQuery,
        errors=(*_ERR, 403, 404),
    ),
    Route(
        "GET",
        "/oms/orders/{ids}",
        get_orders_by_id,
        "Orders by id (CSV)",
        Items[OrderView],
        errors=(*_ERR, 404),
        path_params={"ids": IDS},
    ),
    Route("GET", "/oms/deals", get_deals, "Deals (fills)", Page[FillView], DealsQuery, errors=(*_ERR, 403, 404)),
    Route(
        "GET",
        "/oms/deals/{ids}",
        get_deals_by_id,
        "Deals by id (CSV)",
        Items[FillView],
        errors=(*_ERR, 404),
        path_params={"ids": IDS},
    ),
    Route(
        "GET",
        "/oms/positions/open",
        get_open_positions,
        "Open positions",
        Page[PositionView],
        PositionsQuery,
        errors=(*_ERR, 403, 404),
    ),
    Route(
        "GET",
        "/oms/positions/history",
        get_position_history,
        "Closed positions",
        Page[PositionView],
        PositionsQuery,
        errors=(*_ERR, 403, 404),
    ),
    Route(
        "GET",
        "/oms/positions/{ids}",
        get_positions_by_id,
        "Positions by id (CSV)",
        Items[PositionView],
        errors=(*_ERR, 404),
        path_params={"ids": IDS},
    ),
    Route(
        "GET", "/oms/markets", get_markets, "Markets of an account", list[MarketView], MarketsQuery, errors=(*_ERR, 404)
    ),
)
"""The /oms routes (fixed paths before ``{ids}``)."""
