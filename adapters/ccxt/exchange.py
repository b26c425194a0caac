"""Building the ccxt clients of one account: ``ccxt.async_support`` for REST, ``ccxt.pro`` for streams.

Both come from the same exchange class with one addition: HTTP 429 / 418 and 5xx replies are raised
before the exchange's own error tables see them, as ``HttpRateLimited`` (with the venue's Retry-After)
and ``HttpServerError``. ccxt would otherwise map a 5xx with a JSON body through its code tables
(e.g. Binance -1001 becomes ``OperationFailed``), losing that the order's fate is unknown.
"""

from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
from ccxt.base.errors import ExchangeNotAvailable, RateLimitExceeded

from adapters.ccxt.config import CcxtVenueConfig, Credentials

__all__ = ["HttpRateLimited", "HttpServerError", "build_rest", "build_stream", "has_streams"]


class HttpRateLimited(RateLimitExceeded):
    """HTTP 429 (rate limit) or 418 (IP ban); ``retry_after`` in seconds when the venue said."""

    def __init__(self, message: str, retry_after: float | None, banned: bool) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.banned = banned


class HttpServerError(ExchangeNotAvailable):
    """HTTP 5xx: the venue failed while handling the request, which may or may not have acted."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _retry_after(headers: Any) -> float | None:
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def _hooked(cls: type, streaming: bool = False) -> type:
    """``cls`` with HTTP status checks ahead of its ``handle_errors`` (and, streaming, quiet unawaited futures)."""

    def handle_errors(
        self: Any,
        code: int,
        reason: str,
        url: str,
        method: str,
        headers: Any,
        body: str,
        response: Any,
        request_headers: Any,
        request_body: Any,
    ) -> Any:
        if code in (418, 429):
            raise HttpRateLimited(f"{self.id} {method} {url} {code} {body}", _retry_after(headers), code == 418)
        if isinstance(code, int) and code >= 500:
            raise HttpServerError(f"{self.id} {method} {url} {code} {body}", code)
        return super(hooked, self).handle_errors(  # type: ignore[misc]
            code, reason, url, method, headers, body, response, request_headers, request_body
        )

    members: dict[str, Any] = {"handle_errors": handle_errors}
    if streaming:

        def client(self: Any, url: str) -> Any:
            ws = super(hooked, self).client(url)  # type: ignore[misc]
            if not getattr(ws, "_oms_consumes", False):
                ws.future = _consuming(ws.future)
                ws._oms_consumes = True
            return ws

        members["client"] = client
    hooked = type(f"Oms{cls.__name__}", (cls,), members)
    return hooked


def _consume(future: Any) -> None:
    if not future.cancelled():
        future.exception()


def _consuming(make: Any) -> Any:
    """``Client.future`` whose futures mark their exception as seen.

    ccxt.pro rejects futures nobody awaits (e.g. Binance's ``authenticate:signature:spot`` when a dial fails),
    which asyncio then reports as "Future exception was never retrieved" on every failed reconnect. Whoever
    does await a future still gets its exception.
    """

    def future(message_hash: str) -> Any:
        made = make(message_hash)
        made.add_done_callback(_consume)
        return made

    return future


def _settings(config: CcxtVenueConfig, credentials: Credentials) -> dict[str, Any]:
    return {
        **credentials.ccxt(),
        "enableRateLimit": config.enable_rate_limit,
        "timeout": config.timeout_ms,
        "urls": config.urls,
        "options": dict(config.options),
        **({"timeout_on_exit": 20} if _plain(config.urls) else {}),
    }


def _plain(urls: Any) -> bool:
    """True when the ``urls`` override points only at plain http/ws (no TLS to wind down on close)."""
    text = repr(urls)
    return "http://" in text and "https://" not in text and "wss://" not in text


def build_rest(config: CcxtVenueConfig, credentials: Credentials) -> Any:
    """The account's REST client (``ccxt.async_support``); the caller closes it."""
    rest_cls = getattr(ccxt_async, config.exchange, None)
    if rest_cls is None:
        raise ValueError(f"ccxt has no exchange {config.exchange!r}")
    return _configured(_hooked(rest_cls)(_settings(config, credentials)), config)


def has_streams(config: CcxtVenueConfig) -> bool:
    """True when ccxt.pro has a streaming client for the account's exchange."""
    return getattr(ccxt_pro, config.exchange, None) is not None


def build_stream(config: CcxtVenueConfig, credentials: Credentials) -> Any:
    """The account's streaming client (``ccxt.pro``), None when the exchange has none; the caller closes it."""
    pro_cls = getattr(ccxt_pro, config.exchange, None)
    if pro_cls is None:
        return None
    return _configured(_hooked(pro_cls, streaming=True)(_settings(config, credentials)), config)


def _configured(client: Any, config: CcxtVenueConfig) -> Any:
    if config.sandbox:
        client.set_sandbox_mode(True)
    return client
