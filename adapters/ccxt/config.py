"""Settings of one ccxt account: which exchange, how to reach it, what to trade and how streams behave."""

from typing import Any

import msgspec

__all__ = ["CcxtVenueConfig", "Credentials"]


class Credentials:
    """API credentials of one account; ``repr`` never shows them."""

    __slots__ = ("api_key", "password", "secret", "uid")

    def __init__(
        self, api_key: str | None = None, secret: str | None = None, password: str | None = None, uid: str | None = None
    ) -> None:
        self.api_key = api_key
        self.secret = secret
        self.password = password
        self.uid = uid

    def ccxt(self) -> dict[str, str]:
        """The credential keys of a ccxt exchange constructor (only those set)."""
        fields = {"apiKey": self.api_key, "secret": self.secret, "password": self.password, "uid": self.uid}
        return {k: v for k, v in fields.items() if v}

    def __repr__(self) -> str:
        return "Credentials(***)"


class CcxtVenueConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One account at one ccxt exchange.

    ``exchange`` is the ccxt id (``binance``, ``coinbase``, ``okx``, ``kraken``...); ``urls`` and
    ``options`` are deep-merged into ccxt's own (``urls`` points ccxt at a simulator or a proxy);
    ``symbols`` are the unified symbols traded, backfilled and reconciled. ``timeout_ms`` bounds every
    REST call (a submit without an answer by then has an unknown outcome). ``poll_interval_s`` is how
    often orders and trades are swept over REST while orders are open, for events a stream dropped
    (0: only after reconnects). ``stream_quotes`` feeds best bid/ask into the OMS as ``MarketQuote``.
    ``stream_process`` (the default) runs the streams (connecting, parsing, reconnecting) in a child process,
    so parsing them does not delay the daemon's own work; REST stays in the daemon. False keeps them in it.
    """

    account_id: str
    exchange: str
    sandbox: bool = False
    urls: dict[str, Any] = {}
    options: dict[str, Any] = {}
    symbols: tuple[str, ...] = ()
    timeout_ms: int = 10_000
    enable_rate_limit: bool = True
    stream_private: bool = True
    stream_balances: bool = True
    stream_quotes: bool = False
    stream_process: bool = True
    poll_interval_s: float = 5.0
    backfill_margin_s: float = 5.0
