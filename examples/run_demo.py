"""`make run`: start omsd on the paper venue, run the demo strategy against it, stop both on Ctrl-C.

    python examples/run_demo.py [--config config/paper.toml] [--seconds N]

The daemon's JSON log goes to var/omsd.log; the strategy prints to the terminal.
"""

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

from oms_daemon.client import OmsClient, OmsClientError
from oms_daemon.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def _wait_ready(endpoint: str, daemon: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            sys.exit(f"omsd exited with {daemon.returncode}; see var/omsd.log")
        try:
            with OmsClient(endpoint, timeout=0.5) as client:
                client.status()
                return
        except OmsClientError:
            time.sleep(0.2)
    sys.exit("omsd did not answer in time; see var/omsd.log")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config/paper.toml")
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    config = load_config(args.config)
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var/omsd.log", "ab") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "oms_daemon.cli", "run", "--config", str(args.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        _wait_ready(config.zmq.requests, daemon)
        print(
            f"omsd is up (requests {config.zmq.requests}, events {config.zmq.events}, "
            f"metrics http://{config.http.host}:{config.http.port}/metrics); log: var/omsd.log"
        )
        print("try in another terminal: .venv/bin/omsd status   ·   Ctrl-C stops the demo and the daemon\n")
        strategy = [sys.executable, str(ROOT / "examples/demo_strategy.py"), "--config", str(args.config)]
        if args.seconds is not None:
            strategy += ["--seconds", str(args.seconds)]
        subprocess.run(strategy, check=False)
    except KeyboardInterrupt:
        pass
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
        print(f"\nomsd stopped (exit {code}); replay its journal with: .venv/bin/omsd replay var/journal --verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
