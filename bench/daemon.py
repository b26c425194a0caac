"""Run omsd as a subprocess on a throw-away copy of config/paper.toml (for benches)."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from types import TracebackType

import msgspec
import zmq

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["BenchDaemon"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _toml(value: object) -> str:
    if isinstance(value, dict):
        raise TypeError("tables are written by _dump")
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _dump(doc: dict, prefix: str = "") -> str:
    lines, tables = [], []
    for key, value in doc.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                tables.append((f"[{key}]", item))
        else:
            lines.append(f'"{key}" = {_toml(value)}' if "-" in key else f"{key} = {_toml(value)}")
    out = "\n".join(lines) + "\n"
    for key, table in tables:
        name = f"{prefix}.{key.strip('[]')}" if prefix else key.strip("[]")
        header = f"[[{name}]]" if key.startswith("[") else f"[{name}]"
        out += f"\n{header}\n" + _dump(table, name)
    return out


class BenchDaemon:
    """omsd on TCP loopback with the given fsync policy and a temp journal; SIGTERM on exit."""

    def __init__(self, fsync: str = "group") -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="omsd-bench-"))
        doc = tomllib.loads((ROOT / "config/paper.toml").read_text())
        ports = _free_port(), _free_port(), _free_port()
        self.requests = f"tcp://127.0.0.1:{ports[0]}"
        doc["daemon"].update(journal_dir=str(self.folder / "journal"), fsync=fsync)
        doc["zmq"].update(requests=self.requests, events=f"tcp://127.0.0.1:{ports[1]}")
        doc["http"]["port"] = ports[2]
        doc["log"].update(level="warning", format="json")
        doc["paper"]["latency_ms"] = [0, 1]
        doc["risk"] = {"max_open_orders": 100_000}  # measure the pipeline, not the throttles
        doc["feeds"] = {}
        doc["paper"]["balances"] = {"paper-1": {"USDT": "1000000000", "BTC": "100000", "ETH": "1000000"}}
        self.config = self.folder / "omsd.toml"
        self.config.write_text(_dump(doc))
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "BenchDaemon":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oms_daemon.cli", "run", "--config", str(self.config)],
            stdout=open(self.folder / "omsd.log", "wb"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        context = zmq.Context.instance()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            dealer = context.socket(zmq.DEALER)
            dealer.setsockopt(zmq.LINGER, 0)
            dealer.connect(self.requests)
            dealer.send(msgspec.msgpack.encode({"type": "account", "id": 0, "account": "paper-1"}))
            ready = dealer.poll(500)
            reply = msgspec.msgpack.decode(dealer.recv()) if ready else None
            dealer.close()
            if reply and reply["ok"] and all(account["balances"] for account in reply["data"]):
                return  # the start-up reconciliation is in: the account has its balances
            time.sleep(0.1)
        raise RuntimeError(f"omsd did not start; see {self.folder / 'omsd.log'}")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
