"""omsd error codes (``{"error": {"code", "reason", ...}}``) to ccxt exception classes.

``EXACT`` maps the API's stable codes; ``REASONS`` refines ``risk_rejected`` by the core's reason code
where ccxt has a closer class. Network-level failures (``RateLimitExceeded``, ``ExchangeNotAvailable``,
``RequestTimeout``) are ccxt ``NetworkError`` subclasses: the driver retries them for reads only.
"""

from ccxt.base.errors import (
    AccountNotEnabled,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    CancelPending,
    ExchangeError,
    ExchangeNotAvailable,
    InsufficientFunds,
    InvalidOrder,
    NoChange,
    NotSupported,
    OperationRejected,
    OrderNotFound,
    PermissionDenied,
    RateLimitExceeded,
    RequestTimeout,
)

__all__ = ["EXACT", "REASONS", "exception_for"]

EXACT: dict[str, type[BaseError]] = {
    "invalid_api_key": AuthenticationError,
    "account_not_found": AccountNotEnabled,
    "strategy_not_permitted": PermissionDenied,
    "validation_error": BadRequest,
    "unknown_symbol": BadSymbol,
    "order_not_found": OrderNotFound,
    "order_not_open": OrderNotFound,
    "cancel_pending": CancelPending,
    "nothing_to_change": NoChange,
    "deal_not_found": BadRequest,
    "position_not_found": BadRequest,
    "insufficient_funds": InsufficientFunds,
    "risk_rejected": InvalidOrder,
    "safe_mode": OperationRejected,
    "no_quote": ExchangeNotAvailable,
    "rate_limited": RateLimitExceeded,
    "not_found": NotSupported,
    "method_not_allowed": NotSupported,
    "shutting_down": ExchangeNotAvailable,
    "journal_unavailable": ExchangeNotAvailable,
    "timeout": RequestTimeout,
    "internal_error": ExchangeError,
}
"""API error code -> ccxt exception."""

REASONS: dict[str, type[BaseError]] = {
    "symbol_not_allowed": BadSymbol,
    "not_armed": OperationRejected,
    "kill_switch_active": OperationRejected,
    "position_dirty": OperationRejected,
    "journal_space_low": OperationRejected,
    "insufficient_funds": InsufficientFunds,
}
"""Core reason codes (under ``risk_rejected``, or a venue rejection) with a closer ccxt class."""


def exception_for(code: str | None, reason: str | None) -> type[BaseError]:
    """The ccxt exception class for an omsd error (``ExchangeError`` for codes this driver does not know)."""
    if code == "risk_rejected" and reason in REASONS:
        return REASONS[reason]
    return EXACT.get(code or "", ExchangeError)
