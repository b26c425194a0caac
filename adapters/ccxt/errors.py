"""ccxt's exceptions sorted into what the OMS does with them.

- A **refusal** (the venue answered no: ``InvalidOrder``, ``InsufficientFunds``, ``BadSymbol``,
  ``BadRequest``, ``AuthenticationError``...) becomes a rejection event with a machine-readable reason.
- **Not sent** (``VenueUnavailable``): the request never reached the venue (the connection could not be
  opened) or the venue refused it before acting (429 / 418, raised as ``RateLimited``). Safe to resend.
- A request whose **timestamp the venue refused** (``InvalidNonce``: Binance -1021, the clock is off) is a
  refusal, ``clock_skew``, although ccxt files it under network errors: the venue did not act on it.
- **Outcome unknown** (``OutcomeUnknown``): the request went out and no usable answer came back
  (``RequestTimeout``, a connection dropped mid-request, HTTP 5xx, any other ``NetworkError``).
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
from ccxt.base.errors import (
    AccountSuspended,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    DDoSProtection,
    DuplicateOrderId,
    ExchangeError,
    ExchangeNotAvailable,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    NetworkError,
    NotSupported,
    OperationRejected,
    OrderImmediatelyFillable,
    OrderNotFillable,
    OrderNotFound,
    PermissionDenied,
    RateLimitExceeded,
)

from adapters.ccxt.exchange import HttpRateLimited, HttpServerError
from adapters.contract import VenueError
from adapters.resilience import OutcomeUnknown, RateLimited, VenueUnavailable

__all__ = ["Refusal", "classify", "is_duplicate_client_id", "rest_call"]

T = TypeVar("T")

_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (InsufficientFunds, "insufficient_funds"),
    (OrderNotFound, "order_not_found"),
    (DuplicateOrderId, "duplicate_client_order_id"),
    (OrderImmediatelyFillable, "would_execute_immediately"),
    (OrderNotFillable, "not_fillable"),
    (BadSymbol, "bad_symbol"),
    (MarketClosed, "market_closed"),
    (AccountSuspended, "account_suspended"),
    (PermissionDenied, "permission_denied"),
    (AuthenticationError, "authentication_failed"),
    (InvalidOrder, "invalid_order"),
    (BadRequest, "bad_request"),
    (NotSupported, "not_supported"),
    (OperationRejected, "operation_rejected"),
    (ExchangeError, "venue_rejected"),
)
"""Most specific first: the reason a refusal is journaled with."""


class Refusal(VenueError):
    """The venue answered no; ``reason`` is machine-readable, ``message`` the venue's text."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


def _not_sent(error: BaseException) -> bool:
    """True when the connection could not even be opened (nothing reached the venue)."""
    cause = error.__cause__
    return isinstance(cause, aiohttp.ClientConnectorError)


def classify(error: BaseException) -> Refusal | VenueUnavailable | OutcomeUnknown:
    """What ``error`` (raised by a ccxt call) means for the OMS."""
    if isinstance(error, HttpRateLimited):
        return RateLimited(str(error), retry_after=error.retry_after, banned=error.banned)
    if isinstance(error, RateLimitExceeded | DDoSProtection):
        return RateLimited(str(error))
    if isinstance(error, HttpServerError):
        return OutcomeUnknown(str(error))
    if isinstance(error, InvalidNonce):  # a NetworkError to ccxt, yet the venue refused it unseen (Binance -1021)
        return Refusal("clock_skew", f"the request's timestamp is outside the venue's window: {error}")
    if isinstance(error, ExchangeNotAvailable) and _not_sent(error):
        return VenueUnavailable(str(error))
    if isinstance(error, NetworkError):
        return OutcomeUnknown(str(error))
    if isinstance(error, aiohttp.ClientConnectorError):
        return VenueUnavailable(str(error))
    if isinstance(error, aiohttp.ClientError | TimeoutError | ConnectionError):
        return OutcomeUnknown(str(error))
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return Refusal(reason, str(error))
    return OutcomeUnknown(f"{type(error).__name__}: {error}")


def is_duplicate_client_id(error: BaseException) -> bool:
    """True when the venue refused a new order because one with its client order id is open already."""
    return isinstance(error, DuplicateOrderId) or "Duplicate order sent" in str(error)


async def rest_call(call: Callable[[], Awaitable[T]]) -> T:
    """Run one ccxt call; its failure is raised classified (a ``Refusal`` or a resiliency error)."""
    try:
        return await call()
    except (BaseError, OSError, TimeoutError, aiohttp.ClientError) as error:
        raise classify(error) from error
