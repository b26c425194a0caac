"""``SimexControl``: a blocking client of the control API (tests, benches, crash drills).

It runs in the test process while the exchange runs in its own, so blocking calls are fine even
inside an asyncio test: the exchange never waits on the caller's loop.
"""

import json
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any

__all__ = ["SimexControl", "SimexControlError"]

Level = tuple[Decimal | str, Decimal | str]


class SimexControlError(Exception):
    """The control API refused a request or could not be reached."""


class SimexControl:
    """Read the exchange's truth and drive it: books, faults, stream drops, outages."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None, **query: str | None) -> Any:
        params = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
        url = f"{self.base_url}{path}" + (f"?{params}" if params else "")
        data = json.dumps(body, default=str).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except (urllib.error.URLError, OSError) as error:
            raise SimexControlError(f"{method} {url}: {error}") from error

    # --- truth ----------------------------------------------------------------------------------------

    def health(self) -> bool:
        """True when the control API answers."""
        try:
            return bool(self._call("GET", "/health").get("ok"))
        except SimexControlError:
            return False

    def orders(self, client_order_id: str | None = None, api_key: str | None = None) -> list[dict[str, Any]]:
        """Every order the exchange accepted (optionally with one client order id), Binance's fields plus trade ids."""
        return self._call("GET", "/orders", client_order_id=client_order_id, api_key=api_key)

    def trades(self, client_order_id: str | None = None, api_key: str | None = None) -> list[dict[str, Any]]:
        """Every execution (optionally of one client order id)."""
        return self._call("GET", "/trades", client_order_id=client_order_id, api_key=api_key)

    def balances(self, api_key: str | None = None) -> dict[str, dict[str, Decimal]]:
        """asset -> {"free", "locked"} as decimals."""
        raw = self._call("GET", "/balances", api_key=api_key)
        return {a: {k: Decimal(v) for k, v in row.items()} for a, row in raw.items()}

    def stats(self) -> dict[str, Any]:
        """Request counts, replies per status, faults served (``faults.escalated_to_418``...), stream counters."""
        return self._call("GET", "/stats")

    # --- driving -----------------------------------------------------------------------------------------

    def set_book(self, symbol: str, bids: list[Level], asks: list[Level], last: Decimal | str | None = None) -> None:
        """Replace a symbol's book; resting and stop orders it crosses trade at once."""
        body = {
            "symbol": symbol,
            "bids": [[str(p), str(q)] for p, q in bids],
            "asks": [[str(p), str(q)] for p, q in asks],
        }
        if last is not None:
            body["last"] = str(last)
        self._call("POST", "/book", body)

    def add_faults(self, *rules: dict[str, Any]) -> list[dict[str, Any]]:
        """Arm fault rules (see ``simex.faults``), e.g. ``{"kind": "http_error", "status": 429}``."""
        return self._call("POST", "/faults", {"rules": list(rules)})

    def faults(self) -> list[dict[str, Any]]:
        """The rules still armed, with their uses left."""
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        """Disarm every rule and lift rate limits and bans."""
        self._call("DELETE", "/faults")

    def close_streams(self) -> int:
        """Drop every user-stream WebSocket; returns how many were open."""
        return int(self._call("POST", "/streams/close", {})["closed"])

    def outage(self) -> None:
        """Take the exchange off the network (state kept)."""
        self._call("POST", "/outage", {})

    def resume(self) -> None:
        """Bring it back on the same port."""
        self._call("POST", "/resume", {})
