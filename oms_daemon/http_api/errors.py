"""JSON errors with stable codes: ``{"error": {"code", "message", "reason", "details"}}``.

Every refusal the HTTP API makes, and every refusal the core replies with, becomes one ``ApiError``
with an HTTP status. ``code`` values never change meaning once published; ``reason`` carries the
core's own reason code (``oms_daemon.core.reasons.Reason``) where one exists.
"""

from enum import StrEnum
from typing import Any

import msgspec

from oms_daemon.core.reasons import Reason

__all__ = ["ApiError", "ErrorBody", "ErrorCode", "ErrorDetail", "from_reason"]


class ErrorCode(StrEnum):
    """Stable error codes of the HTTP API."""

    INVALID_API_KEY = "invalid_api_key"
    ACCOUNT_NOT_FOUND = "account_not_found"
    STRATEGY_NOT_PERMITTED = "strategy_not_permitted"
    VALIDATION_ERROR = "validation_error"
    ORDER_NOT_FOUND = "order_not_found"
    DEAL_NOT_FOUND = "deal_not_found"
    POSITION_NOT_FOUND = "position_not_found"
    ORDER_NOT_OPEN = "order_not_open"
    CANCEL_PENDING = "cancel_pending"
    NOTHING_TO_CHANGE = "nothing_to_change"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    RISK_REJECTED = "risk_rejected"
    SAFE_MODE = "safe_mode"
    UNKNOWN_SYMBOL = "unknown_symbol"
    NO_QUOTE = "no_quote"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    SHUTTING_DOWN = "shutting_down"
    JOURNAL_UNAVAILABLE = "journal_unavailable"
    TIMEOUT = "timeout"
    INTERNAL_ERROR = "internal_error"


class ErrorDetail(msgspec.Struct, frozen=True, kw_only=True):
    """What went wrong: a stable ``code``, a human ``message``, the core ``reason`` and extra ``details``."""

    code: ErrorCode
    message: str
    reason: str | None = None
    details: dict[str, Any] | None = None


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """A refusal answered as ``status`` with an ``ErrorBody`` (control flow inside the HTTP layer)."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(error=ErrorDetail(code=code, message=message, reason=reason, details=details))
        self.headers = headers


_BY_REASON: dict[str, tuple[int, ErrorCode]] = {
    Reason.UNKNOWN_ACCOUNT: (404, ErrorCode.ACCOUNT_NOT_FOUND),
    Reason.STRATEGY_NOT_PERMITTED: (403, ErrorCode.STRATEGY_NOT_PERMITTED),
    Reason.UNKNOWN_SYMBOL: (400, ErrorCode.UNKNOWN_SYMBOL),
    Reason.ORDER_NOT_FOUND: (404, ErrorCode.ORDER_NOT_FOUND),
    Reason.ORDER_NOT_OPEN: (409, ErrorCode.ORDER_NOT_OPEN),
    Reason.CANCEL_PENDING: (409, ErrorCode.CANCEL_PENDING),
    Reason.REPLACE_PENDING: (409, ErrorCode.ORDER_NOT_OPEN),
    Reason.NOTHING_TO_CHANGE: (409, ErrorCode.NOTHING_TO_CHANGE),
    Reason.POSITION_NOT_FOUND: (404, ErrorCode.POSITION_NOT_FOUND),
    Reason.NO_POSITION: (404, ErrorCode.POSITION_NOT_FOUND),
    Reason.INSUFFICIENT_FUNDS: (422, ErrorCode.INSUFFICIENT_FUNDS),
    Reason.SAFE_MODE: (409, ErrorCode.SAFE_MODE),
    Reason.NOT_ACKNOWLEDGED: (409, ErrorCode.ORDER_NOT_OPEN),
    Reason.JOURNAL_UNAVAILABLE: (503, ErrorCode.JOURNAL_UNAVAILABLE),
}


def from_reason(reason: str | None, message: str | None, details: dict[str, Any] | None = None) -> ApiError:
    """The API error for a core refusal (or a venue rejection): named codes, else ``risk_rejected``."""
    status, code = _BY_REASON.get(reason or "", (422, ErrorCode.RISK_REJECTED))
    return ApiError(status, code, message or reason or "refused", reason=reason, details=details)
