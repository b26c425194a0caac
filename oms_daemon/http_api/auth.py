"""``x-api-key`` authentication and scoping: which accounts and strategies a request may act for and see.

A key is mapped in ``[[api_keys]]`` to its accounts (and, optionally, strategies). A key never reaches
another account's data: an account outside the key answers ``account_not_found`` exactly like an
account that does not exist, and ids of other accounts' orders, deals and positions answer
``*_not_found``. Keys restricted to strategies see only those strategies' orders and deals.
"""

import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from oms_daemon.config import ApiKeySettings
from oms_daemon.http_api.errors import ApiError, ErrorCode

__all__ = ["DEFAULT_STRATEGY", "HEADER", "KeyRing", "Principal", "auth_middleware", "principal_of"]

DEFAULT_STRATEGY = "default"
"""Strategy id used when a request names none and its key is not restricted to strategies."""

HEADER = "x-api-key"
"""The request header carrying the API key."""


class _Bucket:
    """Token bucket: ``rate`` requests per second, up to ``burst`` at once."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 when a request may go now, else the seconds to wait."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Principal:
    """Who is asking: the accounts and strategies one API key may act for."""

    def __init__(self, settings: ApiKeySettings) -> None:
        self.name = settings.name
        self.accounts = tuple(settings.accounts)
        self.strategies = tuple(settings.strategies)
        self._bucket = _Bucket(settings.rate_limit, settings.burst) if settings.rate_limit else None

    def account(self, requested: str | None) -> str:
        """The account a request acts on: the one named (if this key may), else the key's only account."""
        if requested is None:
            if len(self.accounts) == 1:
                return self.accounts[0]
            raise ApiError(
                400, ErrorCode.VALIDATION_ERROR, "account is required: this API key acts for several accounts"
            )
        if requested not in self.accounts:
            raise ApiError(404, ErrorCode.ACCOUNT_NOT_FOUND, f"no account {requested!r} for this API key")
        return requested

    def strategy(self, requested: str | None) -> str:
        """The strategy a write acts for: the one named (if this key may), else the key's first or the default."""
        if requested is None:
            return self.strategies[0] if self.strategies else DEFAULT_STRATEGY
        self._check_strategy(requested)
        return requested

    def strategy_filter(self, requested: str | None) -> str | None:
        """The strategy a read is limited to (None: any); restricted keys must name one of theirs."""
        if requested is not None:
            self._check_strategy(requested)
            return requested
        if not self.strategies:
            return None
        if len(self.strategies) == 1:
            return self.strategies[0]
        raise ApiError(
            400, ErrorCode.VALIDATION_ERROR, "strategy is required: this API key acts for several strategies"
        )

    def sees(self, account_id: str, strategy_id: str | None) -> bool:
        """True when an item of ``account_id`` (and ``strategy_id``, None for account-level items) is visible."""
        if account_id not in self.accounts:
            return False
        return not self.strategies or strategy_id is None or strategy_id in self.strategies

    def _check_strategy(self, strategy: str) -> None:
        if self.strategies and strategy not in self.strategies:
            raise ApiError(403, ErrorCode.STRATEGY_NOT_PERMITTED, f"this API key may not act for strategy {strategy!r}")

    def throttle(self) -> None:
        """Raise ``rate_limited`` (with Retry-After) when the key is over its rate limit."""
        if self._bucket is None:
            return
        wait = self._bucket.take()
        if wait:
            raise ApiError(
                429,
                ErrorCode.RATE_LIMITED,
                "rate limit exceeded for this API key",
                details={"retry_after_s": round(wait, 3)},
                headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            )


def _digest(key: str) -> bytes:
    # header bytes that are not UTF-8 arrive as surrogates (aiohttp decodes with surrogateescape): hash them as
    # the bytes they were, so they simply match no key
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


class KeyRing:
    """API keys by digest (the key itself is never kept in a lookup table or logged)."""

    def __init__(self, keys: Iterable[ApiKeySettings]) -> None:
        self._by_digest = {_digest(k.key.reveal()): Principal(k) for k in keys}

    def principal(self, key: str | None) -> Principal:
        """The principal of ``key``; raises ``invalid_api_key`` for a missing or unknown key."""
        if not key:
            raise ApiError(401, ErrorCode.INVALID_API_KEY, f"missing {HEADER} header")
        principal = self._by_digest.get(_digest(key))
        if principal is None:
            raise ApiError(401, ErrorCode.INVALID_API_KEY, "unknown API key")
        return principal


def principal_of(request: web.Request) -> Principal:
    """The principal the auth middleware attached to ``request``."""
    return request["principal"]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def auth_middleware(
    ring: KeyRing, protected: tuple[str, ...]
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Middleware: requests under a ``protected`` prefix need a valid key (and are rate limited by it)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(protected):
            principal = ring.principal(request.headers.get(HEADER))
            principal.throttle()
            request["principal"] = principal
        return await handler(request)

    return middleware
