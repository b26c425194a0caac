"""omsd with the HTTP API keys the HTTP and ccxt driver tests use, as a real subprocess (see tests/daemon)."""

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.daemon.process import DaemonProcess, eventually

__all__ = ["KEYS", "Http", "eventually_async", "running", "wait_http"]

KEYS = {"one": "key-one", "two": "key-two", "both": "key-both", "slow": "key-slow", "fuzz": "key-fuzz"}
"""Key name -> key: one = paper-1 (any strategy), two = paper-2 (strategy s2 only), both = paper-1 and
paper-2, slow = paper-1 at 1 request/s (burst 2), fuzz = paper-3 (for schemathesis, away from the rest)."""

API_KEYS = """
[[accounts]]
account_id = "paper-3"
venue = "paper"
settlement_currency = "USDT"
symbols = ["BTC/USDT"]
armed_on_start = true

[paper.balances.paper-3]
USDT = "1000"

[[api_keys]]
key = "key-one"
name = "one"
accounts = ["paper-1"]

[[api_keys]]
key = "key-two"
name = "two"
accounts = ["paper-2"]
strategies = ["s2"]

[[api_keys]]
key = "key-both"
name = "both"
accounts = ["paper-1", "paper-2"]

[[api_keys]]
key = "key-fuzz"
name = "fuzz"
accounts = ["paper-3"]

[[api_keys]]
key = "key-slow"
name = "slow"
accounts = ["paper-1"]
rate_limit = 1
burst = 2
"""


@contextmanager
def running(folder: Path) -> Iterator[DaemonProcess]:
    """omsd on the paper venue with ``KEYS``; stopped (SIGTERM) afterwards."""
    daemon = DaemonProcess(folder, extra=API_KEYS).start()
    wait_http(daemon)
    try:
        yield daemon
    finally:
        if daemon.alive:
            daemon.stop()


def wait_http(daemon: DaemonProcess) -> None:
    """Wait until the daemon's HTTP port accepts connections (it opens just after ZeroMQ, which start() waits for)."""
    eventually(lambda: _listening(daemon.http_port))


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Http:
    """A tiny JSON client over a real socket (urllib): ``call`` returns (status, body, headers)."""

    def __init__(self, port: int, key: str | None = KEYS["one"]) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.key = key

    def call(self, method: str, path: str, body: Any = None, key: str | None = "") -> tuple[int, Any, dict[str, str]]:
        headers = {"Content-Type": "application/json"}
        use = self.key if key == "" else key
        if use is not None:
            headers["x-api-key"] = use
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, _body(response.read(), response.headers), dict(response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, _body(error.read(), error.headers), dict(error.headers)

    def get(self, path: str, **kw: Any) -> tuple[int, Any, dict[str, str]]:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any, dict[str, str]]:
        return self.call("POST", path, {} if body is None else body, **kw)


def _body(raw: bytes, headers: Any) -> Any:
    """JSON bodies decoded, anything else as text."""
    if headers.get("Content-Type", "").startswith("application/json"):
        return json.loads(raw)
    return raw.decode()


async def eventually_async(check: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Await ``check()`` (sync or async) until it is truthy (returned) or ``timeout`` passes (AssertionError)."""
    import asyncio
    import inspect

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not true within {timeout}s: last value {last!r}")
