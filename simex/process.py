"""``SimexProcess``: the simulated exchange as a real subprocess on free ports (tests, benches, crash drills)."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from simex.config import SimexConfig
from simex.control_client import SimexControl

__all__ = ["SimexProcess", "binance_urls", "free_port"]

_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def binance_urls(host: str, port: int) -> dict[str, Any]:
    """The ccxt ``urls`` override that points ccxt's binance (REST and ccxt.pro) at a Binance-protocol server."""
    http, ws = f"http://{host}:{port}", f"ws://{host}:{port}"
    return {
        "api": {
            "public": f"{http}/api/v3",
            "private": f"{http}/api/v3",
            "ws": {"spot": f"{ws}/ws", "ws-api": {"spot": f"{ws}/ws-api/v3"}},
        }
    }


class SimexProcess:
    """Start (``with`` or ``start()``) and stop ``python -m simex`` with a given config on free ports."""

    def __init__(self, config: SimexConfig | None = None, *, host: str = "127.0.0.1", log: Path | None = None) -> None:
        self.config = config or SimexConfig()
        self.host = host
        self.port = free_port()
        self.control_port = free_port()
        self.control = SimexControl(f"http://{host}:{self.control_port}")
        self._folder = tempfile.TemporaryDirectory(prefix="simex-")
        self.log = log or Path(self._folder.name) / "simex.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def urls(self) -> dict[str, Any]:
        """ccxt ``urls`` for this exchange (see ``binance_urls``)."""
        return binance_urls(self.host, self.port)

    def start(self, timeout: float = 15.0) -> "SimexProcess":
        """Spawn the process and wait until its control API answers."""
        config_file = Path(self._folder.name) / "simex.json"
        config_file.write_bytes(msgspec.json.encode(self.config))
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "simex",
                    f"--host={self.host}",
                    f"--port={self.port}",
                    f"--control-port={self.control_port}",
                    f"--config={config_file}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=_ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + timeout
        while not self.control.health():
            if self._process.poll() is not None:
                raise RuntimeError(f"simex exited with {self._process.returncode}: {self.log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"simex did not answer within {timeout}s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 5 s; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def close(self) -> None:
        """Stop and remove the temporary folder."""
        self.stop()
        self._folder.cleanup()

    def __enter__(self) -> "SimexProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
