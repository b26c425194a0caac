"""``/ccxt``: what the ccxt driver reads outside the OMS-first paths (seed 004): balance and ticker.

Both answer from the core's state, whatever venue the account trades at: balances as the OMS books
them (``core``: venue snapshots reconciled with our own fills) and the last quote the venue sent.
"""

from aiohttp import web

from oms_daemon import views
from oms_daemon.http_api.auth import principal_of
from oms_daemon.http_api.commands import decode_body
from oms_daemon.http_api.errors import ApiError, ErrorCode
from oms_daemon.http_api.routing import Route, json_response, services
from oms_daemon.http_api.schema import BalanceRequest, TickerRequest
from oms_daemon.views import AccountView, QuoteView

__all__ = ["ROUTES"]

ACCOUNT = r"[^/]+"


async def fetch_balance(request: web.Request) -> web.Response:
    """Balances of the account: total, locked (orders, margin) and available per currency."""
    account = principal_of(request).account(request.match_info["account_id"])
    decode_body(await request.read(), BalanceRequest)
    view = views.account_view(services(request).state(), account)
    if view is None:  # pragma: no cover - keys only name configured accounts
        raise ApiError(404, ErrorCode.ACCOUNT_NOT_FOUND, f"no account {account!r}")
    return json_response(view)


async def fetch_ticker(request: web.Request) -> web.Response:
    """The last quote of a symbol the account trades."""
    account = principal_of(request).account(request.match_info["account_id"])
    body = decode_body(await request.read(), TickerRequest)
    state = services(request).state()
    if body.symbol not in {m.symbol for m in views.markets(state, account)}:
        raise ApiError(400, ErrorCode.UNKNOWN_SYMBOL, f"{account} does not trade {body.symbol!r}")
    quote = state.quotes.get(body.symbol)
    if quote is None:
        raise ApiError(503, ErrorCode.NO_QUOTE, f"no quote for {body.symbol} yet", headers={"Retry-After": "1"})
    return json_response(views.quote_view(quote))


_ERR = (400, 401, 404, 429)
ROUTES = (
    Route(
        "POST",
        "/ccxt/core/{account_id}/fetch_balance",
        fetch_balance,
        "Balances of the account as the OMS books them",
        AccountView,
        body=BalanceRequest,
        errors=_ERR,
        tag="ccxt",
        path_params={"account_id": ACCOUNT},
    ),
    Route(
        "POST",
        "/ccxt/{account_id}/fetch_ticker",
        fetch_ticker,
        "Last quote of a symbol",
        QuoteView,
        body=TickerRequest,
        errors=(*_ERR, 503),
        tag="ccxt",
        path_params={"account_id": ACCOUNT},
    ),
)
"""The /ccxt routes."""
