"""Intent → reply latency and sustained intents/s over ZeroMQ against omsd on the paper venue.

    python bench/zmq_roundtrip.py [--latency-samples 5000] [--sustained 50000] [--window 256]

Runs the daemon twice as a subprocess on TCP loopback: with the default group-commit fsync policy and
with fsync-before-ack (``fsync = "always"``: every batch is on disk before any reply leaves). The
client is raw pyzmq + msgpack (a DEALER), so the figures are the daemon's, not a client library's.
"""

import argparse
import sys
import time
from pathlib import Path

import msgspec
import zmq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.daemon import BenchDaemon
from oms_daemon import native

encode, decode = msgspec.msgpack.encode, msgspec.msgpack.decode


def _order(n: int) -> bytes:
    return encode(
        {
            "type": "submit",
            "id": n,
            "account": "paper-1",
            "strategy": "bench",
            "symbol": "BTC/USDT",
            "side": "BUY" if n % 2 else "SELL",
            "quantity": "0.0001",
        }
    )


def _check(reply: bytes) -> None:
    message = decode(reply)
    if not message["ok"]:
        raise SystemExit(f"refused: {message}")


def latency(dealer: zmq.Socket, samples: int, first_id: int) -> list[float]:
    """One request at a time; microseconds from send to reply."""
    out = []
    for n in range(first_id, first_id + samples):
        frame = _order(n)
        start = time.perf_counter_ns()
        dealer.send(frame)
        reply = dealer.recv()
        out.append((time.perf_counter_ns() - start) / 1000)
        _check(reply)
    return out


def sustained(dealer: zmq.Socket, count: int, window: int, first_id: int) -> float:
    """Pipelined with ``window`` requests in flight; intents per second."""
    frames = [_order(n) for n in range(first_id, first_id + count)]
    sent = received = 0
    start = time.perf_counter()
    while received < count:
        while sent < count and sent - received < window:
            dealer.send(frames[sent])
            sent += 1
        _check(dealer.recv())
        received += 1
    return count / (time.perf_counter() - start)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-samples", type=int, default=5000)
    parser.add_argument("--sustained", type=int, default=50000)
    parser.add_argument("--window", type=int, default=256)
    args = parser.parse_args()
    print(native.status())
    for policy in ("group", "always"):
        with BenchDaemon(fsync=policy) as daemon:
            dealer = zmq.Context.instance().socket(zmq.DEALER)
            dealer.setsockopt(zmq.LINGER, 0)
            dealer.connect(daemon.requests)
            latency(dealer, 500, 1)  # warm-up
            micros = latency(dealer, args.latency_samples, 1000)
            rate = sustained(dealer, args.sustained, args.window, 10_000_000)
            dealer.close()
        print(
            f"fsync={policy:<6} intent→reply p50 {pct(micros, 0.5):7.0f} µs  p99 {pct(micros, 0.99):7.0f} µs  "
            f"sustained {rate:9,.0f} intents/s (window {args.window}, {args.sustained} intents)"
        )


if __name__ == "__main__":
    main()
