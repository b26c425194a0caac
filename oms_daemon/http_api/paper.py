"""``/paper``: seed 001's paper-trading routes, served by the same writer, views and auth as ``/oms``.

- ``POST /paper/order`` places a market or limit order and answers once the order settled (a market
  order filled, or a limit order resting): 201 with the order and its fills; 422 with the error code
  and ``details.order`` (status REJECTED, its reason, no fill) when it was refused by the OMS or the
  venue; 200 with the existing order when ``idempotency_key`` was used before (no second fill).
  ``stop_loss`` / ``take_profit`` (market entries only) are placed as protective orders once the
  entry filled, see ``brackets``.
- ``GET /paper/orders`` lists orders newest first (``symbol``, ``status``, ``limit``).
- ``POST /paper/orders/{id}/cancel`` cancels a NEW order and answers once it is canceled.
"""

from decimal import Decimal

from aiohttp import web

from oms_daemon import views
from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType
from oms_daemon.core.inputs import SubmitOrder
from oms_daemon.core.model import Order
from oms_daemon.core.state import OmsState
from oms_daemon.core.transitions import TERMINAL
from oms_daemon.http_api.auth import principal_of
from oms_daemon.http_api.brackets import LEG_PREFIX, Brackets
from oms_daemon.http_api.commands import decode_body, decode_query
from oms_daemon.http_api.errors import ApiError, ErrorCode, from_reason
from oms_daemon.http_api.oms import parse_statuses
from oms_daemon.http_api.routing import Route, Services, json_response, services
from oms_daemon.http_api.schema import PaperOrder, PaperOrderRequest, PaperOrdersQuery
from oms_daemon.views import Page

__all__ = ["ROUTES", "paper_order"]

_SETTLED_LIMIT = TERMINAL | {OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED}


def paper_order(state: OmsState, order: Order, brackets: Brackets) -> PaperOrder:
    """Seed 001's view of an order: status, fills and the protective orders of a bracketed entry."""
    bracket = brackets.of(order.order_id)
    fills = views.fills(state, account=order.account_id, order_id=order.order_id, limit=1000).items
    return PaperOrder(
        id=order.order_id,
        account=order.account_id,
        strategy=order.strategy_id,
        symbol=order.symbol,
        side=order.side,
        type=order.order_type.lower(),
        qty=order.quantity,
        price=order.price,
        status=order.status,
        filled_qty=order.filled_qty,
        avg_fill_price=order.avg_fill_price,
        commission=order.commission,
        reason=order.reason,
        message=order.message,
        idempotency_key=order.idempotency_key,
        stop_loss=bracket.stop_loss if bracket else None,
        take_profit=bracket.take_profit if bracket else None,
        stop_loss_order_id=bracket.stop_loss_order_id if bracket else None,
        take_profit_order_id=bracket.take_profit_order_id if bracket else None,
        fills=fills,
        created_at=order.ts_created,
        updated_at=order.ts_recv,
    )


def _check_levels(state: OmsState, body: PaperOrderRequest) -> None:
    """A long's stop loss sits below the entry and its take profit above (mirrored for a short)."""
    if body.stop_loss is None and body.take_profit is None:
        return
    if body.type != "market":
        raise ApiError(
            400, ErrorCode.VALIDATION_ERROR, "stop_loss / take_profit need a market entry (placed once it fills)"
        )
    for name, level in (("stop_loss", body.stop_loss), ("take_profit", body.take_profit)):
        if level is not None and level <= 0:
            raise ApiError(400, ErrorCode.VALIDATION_ERROR, f"{name} must be positive - at `$.{name}`")
    quote = state.quotes.get(body.symbol)
    reference = views.mark_price(quote)
    if reference is None:
        return
    long = body.side == OrderSide.BUY
    below, above = (body.stop_loss, body.take_profit) if long else (body.take_profit, body.stop_loss)
    if (below is not None and below >= reference) or (above is not None and above <= reference):
        raise ApiError(
            400,
            ErrorCode.VALIDATION_ERROR,
            f"for a {'long' if long else 'short'} entry near {reference}, stop_loss must be "
            f"{'below' if long else 'above'} and take_profit {'above' if long else 'below'} it",
        )


def _refused(state: OmsState, order: Order | None, svc: Services, reason: str | None, message: str | None) -> ApiError:
    details = {"order": paper_order(state, order, svc.brackets)} if order is not None else None
    return from_reason(reason, message, details)


async def place_order(request: web.Request) -> web.Response:
    """Place an order and answer once it settled."""
    principal = principal_of(request)
    body = decode_body(await request.read(), PaperOrderRequest)
    if (body.idempotency_key or "").startswith(LEG_PREFIX):
        raise ApiError(400, ErrorCode.VALIDATION_ERROR, f"idempotency keys starting {LEG_PREFIX!r} are reserved")
    account, strategy = principal.account(body.account), principal.strategy(body.strategy)
    svc = services(request)
    state = svc.state()
    if body.idempotency_key is not None:
        existing = state.idempotency.get((account, strategy, body.idempotency_key))
        if existing is not None:
            return json_response(paper_order(state, state.orders[existing], svc.brackets))
    _check_levels(state, body)
    market = body.type == "market"
    intent = svc.writer.stamp(
        SubmitOrder,
        account_id=account,
        strategy_id=strategy,
        symbol=body.symbol,
        side=body.side,
        quantity=body.qty,
        order_type=OrderType.MARKET if market else OrderType.LIMIT,
        price=None if market else body.price,
        idempotency_key=body.idempotency_key,
    )
    reply = await svc.writer.submit(intent)
    state = svc.state()
    if not reply.ok:
        raise _refused(state, state.orders.get(reply.order_id or 0), svc, reply.reason, reply.message)
    assert reply.order_id is not None
    settled = TERMINAL if market else _SETTLED_LIMIT
    order = await svc.feed.wait_order(reply.order_id, lambda o: o.status in settled, svc.reply_timeout)
    assert order is not None
    if order.status == OrderStatus.REJECTED:
        raise _refused(svc.state(), order, svc, order.reason, order.message)
    if market and order.filled_qty > Decimal(0) and (body.stop_loss or body.take_profit):
        await svc.brackets.protect(order, body.stop_loss, body.take_profit)
    return json_response(paper_order(svc.state(), svc.state().orders[order.order_id], svc.brackets), status=201)


async def list_orders(request: web.Request) -> web.Response:
    """Orders, newest first."""
    principal = principal_of(request)
    query = decode_query(request, PaperOrdersQuery)
    svc = services(request)
    state = svc.state()
    page = views.orders(
        state,
        account=principal.account(query.account),
        strategy=principal.strategy_filter(query.strategy),
        symbol=query.symbol,
        statuses=parse_statuses(query.status),
        scope="all",
        cursor=query.cursor,
        limit=query.limit,
        newest_first=True,
    )
    items = [paper_order(state, state.orders[o.order_id], svc.brackets) for o in page.items]
    return json_response(Page(items=items, next_cursor=page.next_cursor))


def _visible_order(request: web.Request) -> Order:
    order_id = int(request.match_info["order_id"])
    order = services(request).state().orders.get(order_id)
    if order is None or not principal_of(request).sees(order.account_id, order.strategy_id):
        raise ApiError(404, ErrorCode.ORDER_NOT_FOUND, f"no order {order_id} for this API key")
    return order


async def get_order(request: web.Request) -> web.Response:
    """One order with its fills."""
    svc = services(request)
    return json_response(paper_order(svc.state(), _visible_order(request), svc.brackets))


async def cancel_order(request: web.Request) -> web.Response:
    """Cancel a NEW order; answers once the venue canceled it."""
    order = _visible_order(request)
    principal_of(request).strategy(order.strategy_id)
    if order.status != OrderStatus.NEW:
        raise ApiError(
            409, ErrorCode.ORDER_NOT_OPEN, f"only NEW orders can be canceled; order {order.order_id} is {order.status}"
        )
    svc = services(request)
    reply = await svc.writer.cancel(order)
    if not reply.ok:
        raise from_reason(reply.reason, reply.message, {"order_id": order.order_id})
    done = await svc.feed.wait_order(order.order_id, lambda o: o.status in TERMINAL, svc.reply_timeout)
    assert done is not None
    return json_response(paper_order(svc.state(), done, svc.brackets))


ORDER_ID = r"[0-9]{1,18}"
ROUTES = (
    Route(
        "POST",
        "/paper/order",
        place_order,
        "Place a paper order (market or limit) and wait until it settled",
        PaperOrder,
        body=PaperOrderRequest,
        errors=(400, 401, 403, 404, 409, 422, 429, 503, 504),
        tag="paper",
        status=201,
    ),
    Route(
        "GET",
        "/paper/orders",
        list_orders,
        "Paper orders, newest first",
        Page[PaperOrder],
        PaperOrdersQuery,
        errors=(400, 401, 403, 404, 429),
        tag="paper",
    ),
    Route(
        "GET",
        "/paper/orders/{order_id}",
        get_order,
        "One paper order with its fills",
        PaperOrder,
        errors=(400, 401, 404, 429),
        tag="paper",
        path_params={"order_id": ORDER_ID},
    ),
    Route(
        "POST",
        "/paper/orders/{order_id}/cancel",
        cancel_order,
        "Cancel a NEW paper order",
        PaperOrder,
        errors=(400, 401, 403, 404, 409, 422, 429, 503, 504),
        tag="paper",
        path_params={"order_id": ORDER_ID},
    ),
)
"""The /paper routes."""
