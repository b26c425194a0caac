"""omsd as a real subprocess trading a ccxt (binance) account at a simulated exchange process.

``CcxtDaemon`` is ``tests.daemon.process.DaemonProcess`` (its paper accounts included) with one more
account, ``bn-1``, at the simulated exchange, and a fast ``[resiliency]`` policy. ``ccxt_account_toml``
renders such an account for any omsd config (the latency bench uses it too). ``alerts`` reads the daemon's
``/metrics``, so tests see which alerts were raised without joining the event stream.
"""

import re
import urllib.request
from pathlib import Path
from typing import Any

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.daemon.process import DaemonProcess, eventually

__all__ = ["ACCOUNT", "CcxtDaemon", "ccxt_account_toml", "eventually", "order_of", "subscriptions"]

ACCOUNT = "bn-1"

RESILIENCY = """
[resiliency]
max_retries = {max_retries}
initial_backoff_s = 0.05
max_backoff_s = 0.2
circuit_breaker_threshold = 3
breaker_cooldown_s = 0.3
reconnect_initial_s = 0.05
reconnect_max_s = 0.5
rate_limit_pause_s = 0.5
"""

ACCOUNT_TOML = """
[[accounts]]
account_id = "{account_id}"
venue = "ccxt"
exchange = "binance"
api_key = "{api_key}"
secret = "{secret}"
settlement_currency = "USDT"
symbols = ["BTC/USDT"]
armed_on_start = true
lookup_grace_ms = {lookup_grace_ms}
timeout_ms = {timeout_ms}
enable_rate_limit = false
poll_interval_s = {poll_interval_s}
stream_quotes = {stream_quotes}
stream_process = {stream_process}

[accounts.options]
defaultType = "spot"
fetchCurrencies = false
fetchMargins = false
recvWindow = {recv_window_ms}
fetchMarkets = {{ types = ["spot"] }}

[accounts.urls.api]
public = "http://127.0.0.1:{port}/api/v3"
private = "http://127.0.0.1:{port}/api/v3"

[accounts.urls.api.ws]
spot = "ws://127.0.0.1:{port}/ws"

[accounts.urls.api.ws.ws-api]
spot = "ws://127.0.0.1:{port}/ws-api/v3"
"""


def ccxt_account_toml(
    port: int,
    *,
    account_id: str = ACCOUNT,
    api_key: str = "simex-key",
    secret: str = "simex-secret",
    timeout_ms: int = 1500,
    poll_interval_s: float = 0.5,
    stream_quotes: bool = True,
    recv_window_ms: int = 2000,
    stream_process: bool = True,
) -> str:
    """An ``[[accounts]]`` table for a binance account at the simulated exchange on ``port`` (BTC/USDT)."""
    return ACCOUNT_TOML.format(
        port=port,
        account_id=account_id,
        api_key=api_key,
        secret=secret,
        timeout_ms=timeout_ms,
        poll_interval_s=poll_interval_s,
        stream_quotes="true" if stream_quotes else "false",
        stream_process="true" if stream_process else "false",
        recv_window_ms=recv_window_ms,
        lookup_grace_ms=recv_window_ms + 1000,  # the venue's receive window, and a margin
    )


class CcxtDaemon(DaemonProcess):
    """``omsd run`` with ``bn-1`` at ``sim`` (fast retries, a 3-failure breaker, REST sweeps every
    ``poll_interval_s``; 0 leaves only the streams, the replies and the queries; ``stream_process``: the streams
    in a child process; ``extra``: more TOML tables)."""

    def __init__(
        self,
        folder: Path,
        sim: SimexProcess,
        *,
        max_retries: int = 2,
        timeout_ms: int = 1500,
        poll_interval_s: float = 0.5,
        stream_process: bool = True,
        extra: str = "",
        wait_for_streams: bool = True,
    ) -> None:
        account = ccxt_account_toml(
            sim.port, timeout_ms=timeout_ms, poll_interval_s=poll_interval_s, stream_process=stream_process
        )
        super().__init__(folder, extra=RESILIENCY.format(max_retries=max_retries) + extra + account)
        self.sim = sim
        self.wait_for_streams = wait_for_streams

    def start(self) -> "CcxtDaemon":
        """Start, then wait for the start-up reconciliation to bring the account's balances (until then a
        buy would be refused for funds) and, unless told not to, for the account's user stream to be
        subscribed (a stream process takes a moment to start)."""
        subscribed = subscriptions(self.sim)
        super().start()
        with self.client() as client:
            eventually(lambda: client.account().balances, timeout=15)
        if self.wait_for_streams:
            eventually(lambda: subscriptions(self.sim) > subscribed, timeout=15)
        return self

    def client(self, account: str = ACCOUNT, strategy: str = "s1", **kw: Any) -> OmsClient:
        """A strategy client of the ccxt account."""
        return OmsClient(self.requests, None, account, strategy, **kw)

    def metrics(self) -> str:
        """The daemon's /metrics text."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as response:
            return response.read().decode()

    def alerts(self, code: str) -> int:
        """How many alerts with ``code`` the daemon raised so far."""
        found = re.findall(rf'omsd_alerts_total\{{code="{re.escape(code)}",[^}}]*\}} ([0-9.e+]+)', self.metrics())
        return int(sum(float(v) for v in found))


def subscriptions(sim: SimexProcess) -> int:
    """How many times a user stream was subscribed at the exchange."""
    return int(sim.control.stats()["user_streams"].get("method userDataStream.subscribe.signature", 0))


def order_of(client: OmsClient, order_id: int | None) -> Any:
    """The order with this id as the daemon shows it now (any status)."""
    return next(o for o in client.orders(scope="all", limit=1000).items if o.order_id == order_id)
