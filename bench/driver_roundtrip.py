"""``create_order`` round trips through the sync ccxt driver against omsd on the paper venue.

    python bench/driver_roundtrip.py [--orders 2000] [--warmup 100]

Starts omsd as a subprocess (the HTTP API test configuration: paper venue, loopback, group-commit
fsync), then one sync ``ccxt_driver.omsd`` places market orders one after the other, each waiting for
its answer (HTTP keep-alive over ``requests``: what a ccxt strategy sees). Prints round trips per
second and the p50 / p99 / max latency of one ``create_order`` call.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ccxt_driver
from tests.http.daemon import KEYS, running


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    with running(Path(tempfile.mkdtemp(prefix="omsd-driver-bench-"))) as daemon:
        exchange = ccxt_driver.omsd(
            {
                "apiKey": KEYS["one"],
                "hostname": f"127.0.0.1:{daemon.http_port}",
                "options": {"account_id": "paper-1", "strategy_id": "bench"},
            }
        )
        exchange.load_markets()
        for n in range(args.warmup):
            exchange.create_order("BTC/USDT", "market", "buy" if n % 2 else "sell", 0.0001)
        samples = []
        started = time.perf_counter()
        for n in range(args.orders):
            before = time.perf_counter()
            exchange.create_order("BTC/USDT", "market", "buy" if n % 2 else "sell", 0.0001)
            samples.append(time.perf_counter() - before)
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(samples, n=100)
    print(f"create_order via sync ccxt driver -> omsd HTTP -> writer -> paper venue ({args.orders} orders)")
    print(f"  round trips/s : {args.orders / elapsed:8.0f}")
    print(f"  p50           : {cuts[49] * 1e3:8.3f} ms")
    print(f"  p99           : {cuts[98] * 1e3:8.3f} ms")
    print(f"  max           : {max(samples) * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
