"""omsd as a real subprocess on a throw-away config: ipc ZeroMQ sockets, a free HTTP port, a temp journal."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oms_daemon.client import OmsClient, OmsClientError

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[daemon]
instance_id = "t"
journal_dir = "{journal}"
fsync = "{fsync}"
checksum_every = {checksum_every}
shutdown_grace_s = 3
timer_interval_ms = 200
{daemon_extra}

[zmq]
requests = "ipc://{folder}/requests.sock"
events = "ipc://{folder}/events.sock"

[http]
port = {http_port}

[log]
format = "json"
level = "info"

[[instruments]]
symbol = "BTC/USDT"
base_currency = "BTC"
quote_currency = "USDT"
tick_size = "0.01"
step_size = "0.0001"

[[accounts]]
account_id = "paper-1"
venue = "paper"
settlement_currency = "USDT"
symbols = ["BTC/USDT"]
armed_on_start = true

[[accounts]]
account_id = "paper-2"
venue = "paper"
settlement_currency = "USDT"
symbols = ["BTC/USDT"]
armed_on_start = true

[paper]
seed = 11
latency_ms = [0, 1]
quote_interval_ms = 20
commission_bps = "10"
slippage_bps = "1"

[[paper.symbols]]
symbol = "BTC/USDT"
start_price = "60000"
touch_size = "2"

[paper.balances.paper-1]
USDT = "10000000"
BTC = "100"

[paper.balances.paper-2]
USDT = "10000000"
BTC = "100"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns a truthy value (returned) or ``timeout`` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout}s: last value {last!r}")


class DaemonProcess:
    """Start, stop (SIGTERM) or kill (SIGKILL) ``omsd run`` on a config written into ``folder``."""

    def __init__(
        self,
        folder: Path,
        *,
        fsync: str = "group",
        checksum_every: int = 10000,
        extra: str = "",
        journal: Path | None = None,
        daemon_extra: str = "",
    ) -> None:
        """``extra`` is TOML appended to the config (e.g. ``[[api_keys]]`` tables), ``daemon_extra`` goes into
        its ``[daemon]`` table; the journal is ``folder/journal`` unless ``journal`` says otherwise."""
        self.folder = folder
        self.http_port = free_port()
        self.config = folder / "omsd.toml"
        self.journal = journal or folder / "journal"
        settings = {"fsync": fsync, "checksum_every": checksum_every, "daemon_extra": daemon_extra}
        self.config.write_text(
            CONFIG.format(folder=folder, http_port=self.http_port, journal=self.journal, **settings) + extra
        )
        self.requests = f"ipc://{folder}/requests.sock"
        self.events = f"ipc://{folder}/events.sock"
        self.log = folder / "omsd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str] | None = None) -> "DaemonProcess":
        """Start ``omsd run`` (with ``env`` added to its environment) and wait until it answers."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "oms_daemon.cli", "run", "--config", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            )
        eventually(self._ready, timeout=30)
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"omsd exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            with OmsClient(self.requests, timeout=0.5) as client:
                client.status()
            return True
        except OmsClientError:
            return False

    def client(self, account: str = "paper-1", strategy: str = "s1", **kw: Any) -> OmsClient:
        return OmsClient(self.requests, self.events, account, strategy, **kw)

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.process = None
        return code

    def exited(self, timeout: float = 30) -> int:
        """Wait for the process to end by itself; returns the exit code."""
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: no shutdown at all."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> "DaemonProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
