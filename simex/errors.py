"""Binance's error replies: ``{"code": -XXXX, "msg": ...}`` with the HTTP status Binance uses for each.

The messages are Binance's own, so ccxt's exception tables (exact by message first, then by code)
classify them exactly as they would a real reply from the exchange.
"""

__all__ = ["BAD_VALUE", "FILTER_FAILURE", "MANDATORY", "NOT_REQUIRED", "REJECTED", "BinanceError"]

MANDATORY = (-1102, "Mandatory parameter '{}' was not sent, was empty/null, or malformed.")
"""A required parameter is missing or empty."""
BAD_VALUE = (-1100, "Illegal characters found in parameter '{}'.")
"""A parameter's value cannot be read."""
NOT_REQUIRED = (-1106, "Parameter '{}' sent when not required.")
"""A parameter the order type does not take."""
FILTER_FAILURE = (-1013, "Filter failure: {}")
"""A symbol filter (PRICE_FILTER, LOT_SIZE, NOTIONAL) refused the order."""
REJECTED = (-2010, "{}")
"""The matching engine refused the new order (funds, duplicate id, would trigger...)."""


class BinanceError(Exception):
    """A refused request: HTTP ``status``, Binance ``code`` and ``msg``."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    @classmethod
    def of(cls, kind: tuple[int, str], detail: str) -> "BinanceError":
        """One of the errors above (``MANDATORY``...) about ``detail`` (a parameter, a filter, a message)."""
        code, template = kind
        return cls(code, template.format(detail))

    def body(self) -> dict[str, object]:
        """The JSON body Binance sends."""
        return {"code": self.code, "msg": self.msg}
