"""What omsd adds to an order's round trip: the same flow straight through ccxt, and through omsd, in one run.

    python bench/ccxt_latency.py [--orders 400] [--rounds 10] [--runs 5] [--fsync group] [--no-stream-process]

One simulated exchange (``python -m simex``, its own process) with two funded API keys.

- Direct: plain ccxt, ``create_order`` (market, 0.001 BTC, a client order id) until its reply, with the
  private streams omsd also keeps open (``watch_orders``, ``watch_my_trades``, ``watch_balance``) running, as a
  strategy trading directly would, so the exchange does the same work for both paths.
- Through omsd: a strategy on the shipped client (``oms_daemon.client.AsyncOmsClient``, as strategies use it),
  ``submit`` until the order's first venue-confirmed state (``NEW``/``FILLED``) arrives on its event stream. In
  between omsd journals the intent, decides, sends the same ccxt ``create_order`` through the resiliency layer,
  journals the acknowledgement and publishes it.
  The account's private streams run in a child process (``stream_process = true``) unless
  ``--no-stream-process``.

Both paths alternate over ``--rounds`` rounds so drift hits both alike. The OMS-added latency is the
difference of the two distributions' percentiles; the ratio is omsd's p50 over the direct p50. The CPU time
omsd's main thread spends per order (``/proc``, Linux) is summed over the omsd rounds. A busy 2-core machine
moves one run's figures by ±5%, so ``--runs`` independent runs (a fresh exchange and daemon each) are made
and the verdict is on their median.
"""

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from contextlib import aclosing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

import ccxt.pro as ccxt_pro
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.daemon import ROOT
from oms_daemon import native
from oms_daemon.client import AsyncOmsClient, OmsClientError
from simex import SimAccount, SimexConfig, SimexProcess, SimSymbol, free_port
from tests.ccxt.daemon import ccxt_account_toml

DIRECT, OMSD = ("bench-direct", "s-direct"), ("bench-omsd", "s-omsd")
FUNDS = {"USDT": Decimal("1000000000"), "BTC": Decimal("100000")}
ACCOUNT = {"poll_interval_s": 0, "stream_quotes": False, "timeout_ms": 10_000, "recv_window_ms": 10_000}
"""The omsd account: no REST sweeps or quote stream (the direct path has neither), ccxt's default timeouts."""
OPTIONS = {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False, "defaultType": "spot"}

CONFIG = """
[daemon]
instance_id = "bench"
journal_dir = "{folder}/journal"
fsync = "{fsync}"

[zmq]
requests = "tcp://127.0.0.1:{requests}"
events = "tcp://127.0.0.1:{events}"

[http]
port = {http}

[log]
level = "warning"
format = "json"

[risk]
max_open_orders = 100000

[[instruments]]
symbol = "BTC/USDT"
base_currency = "BTC"
quote_currency = "USDT"
tick_size = "0.01"
step_size = "0.00001"
min_qty = "0.00001"
min_notional = "5"

"""


def _exchange() -> SimexConfig:
    levels = tuple((Decimal(60001 + i), Decimal(1000)) for i in range(5))
    bids = tuple((Decimal(59999 - i), Decimal(1000)) for i in range(5))
    btc = SimSymbol(symbol="BTCUSDT", base="BTC", quote="USDT", bids=bids, asks=levels, replenish=True)
    accounts = tuple(SimAccount(api_key=key, secret=secret, balances=FUNDS) for key, secret in (DIRECT, OMSD))
    return SimexConfig(symbols=(btc,), accounts=accounts)


class Omsd:
    """``omsd run`` on one ccxt account at the simulated exchange, and a strategy on the shipped async client."""

    def __init__(self, sim: SimexProcess, fsync: str, stream_process: bool = True) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="omsd-ccxt-bench-"))
        self.requests, self.events = free_port(), free_port()
        config = CONFIG.format(
            folder=self.folder,
            fsync=fsync,
            requests=self.requests,
            events=self.events,
            http=free_port(),
        ) + ccxt_account_toml(
            sim.port, account_id="bn", api_key=OMSD[0], secret=OMSD[1], stream_process=stream_process, **ACCOUNT
        )
        self.config = self.folder / "omsd.toml"
        self.config.write_text(config)
        self.process: asyncio.subprocess.Process | None = None
        self.client = AsyncOmsClient(
            f"tcp://127.0.0.1:{self.requests}",
            f"tcp://127.0.0.1:{self.events}",
            "bn",
            "bench",
            topics=["bn/bench/order"],
            timeout=5.0,
        )

    async def start(self) -> None:
        log = (self.folder / "omsd.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "oms_daemon.cli",
            "run",
            "--config",
            str(self.config),
            stdout=log,
            stderr=log,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # ready: the account has its balances and the stream reaches us
            try:
                if (await self.client.account()).balances:
                    break
            except OmsClientError:  # not up yet (a timeout), or the account is not ready
                pass
            await asyncio.sleep(0.2)
        while time.monotonic() < deadline:
            try:
                await asyncio.wait_for(self.round_trip(), 0.5)
                return
            except (TimeoutError, OmsClientError):
                continue
        raise RuntimeError(f"omsd did not come up; see {self.folder / 'omsd.log'}")

    async def round_trip(self) -> int:
        """Nanoseconds from sending a market buy to its first venue-confirmed state on the stream."""
        started = time.perf_counter_ns()
        reply = await self.client.submit("BTC/USDT", "BUY", "0.001")
        if not reply.ok:
            raise RuntimeError(f"refused: {reply}")
        async with aclosing(self.client.events()) as stream:  # closed even when a timeout cancels this wait
            async for message in stream:
                if message.data.order_id == reply.order_id and message.data.status in ("NEW", "FILLED"):
                    return time.perf_counter_ns() - started
        raise RuntimeError("the event stream ended")

    async def stop(self) -> None:
        await self.client.close()
        if self.process is not None:
            self.process.terminate()
            await self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def main_thread_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the main thread of process ``pid`` has used; 0 where ``/proc`` has none."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


WATCHES = ("watch_orders", "watch_my_trades", "watch_balance")


async def _watch(watch: Any) -> None:
    while True:
        await watch()


async def direct_round_trip(exchange: Any, n: int) -> int:
    """Nanoseconds of one ``create_order`` straight through ccxt."""
    started = time.perf_counter_ns()
    await exchange.create_order("BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": f"direct-{n}"})
    return time.perf_counter_ns() - started


def pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


@dataclass(frozen=True)
class Comparison:
    """One run's figures, in µs: both paths' p50 and p99, and omsd's main-thread CPU per order."""

    direct50: float
    direct99: float
    through50: float
    through99: float
    cpu_per_order: float

    @property
    def added50(self) -> float:
        """What omsd adds at p50."""
        return self.through50 - self.direct50

    @property
    def added99(self) -> float:
        """What omsd adds at p99."""
        return self.through99 - self.direct99


_FIGURES = ("direct50", "direct99", "through50", "through99", "added50", "added99")


async def run(orders: int, rounds: int, fsync: str, stream_process: bool) -> Comparison:
    """One simulated exchange and one daemon; both paths alternate over ``rounds``."""
    with SimexProcess(_exchange()) as sim:
        exchange = ccxt_pro.binance(
            {"apiKey": DIRECT[0], "secret": DIRECT[1], "urls": sim.urls, "enableRateLimit": False, "options": OPTIONS}
        )
        omsd = Omsd(sim, fsync, stream_process)
        watchers: list[asyncio.Task[None]] = []
        try:
            await exchange.load_markets()
            watchers = [asyncio.create_task(_watch(getattr(exchange, name))) for name in WATCHES]
            await omsd.start()
            for n in range(50):  # warm both paths up
                await direct_round_trip(exchange, -n - 1)
                await omsd.round_trip()
            direct: list[int] = []
            through: list[int] = []
            per_round = max(1, orders // rounds)
            assert omsd.process is not None
            cpu_s = 0.0
            for r in range(rounds):
                for i in range(per_round):
                    direct.append(await direct_round_trip(exchange, r * per_round + i))
                before = main_thread_cpu_s(omsd.process.pid)
                for _ in range(per_round):
                    through.append(await asyncio.wait_for(omsd.round_trip(), 5.0))
                cpu_s += main_thread_cpu_s(omsd.process.pid) - before
        finally:
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
            await exchange.close()
            await omsd.stop()
    return Comparison(
        pct(direct, 0.5), pct(direct, 0.99), pct(through, 0.5), pct(through, 0.99), cpu_s / len(through) * 1e6
    )


async def runs(count: int, orders: int, rounds: int, fsync: str, stream_process: bool) -> None:
    """``count`` independent runs (a fresh exchange and daemon each); the verdict is on their median."""
    where = "a child process" if stream_process else "the daemon"
    print(f"simulated exchange round trip, market order, {orders} orders per path per run, fsync={fsync}")
    print(f"  omsd's private streams run in {where}")
    results = []
    for index in range(count):
        result = await run(orders, rounds, fsync, stream_process)
        results.append(result)
        print(
            f"  run {index + 1}: direct p50 {result.direct50:5.0f}  through omsd p50 {result.through50:5.0f}  "
            f"adds p50 {result.added50:5.0f} p99 {result.added99:5.0f} µs  main-thread CPU/order "
            f"{result.cpu_per_order:5.0f} µs"
        )
    m = {name: median(getattr(r, name) for r in results) for name in _FIGURES}
    print(f"median of {count} run{'s' if count > 1 else ''}:")
    print(f"  direct ccxt     create_order→reply   p50 {m['direct50']:7.0f} µs  p99 {m['direct99']:7.0f} µs")
    print(f"  through omsd    submit→ack on stream p50 {m['through50']:7.0f} µs  p99 {m['through99']:7.0f} µs")
    ratio = m["through50"] / m["direct50"]
    print(f"  omsd adds       p50 {m['added50']:7.0f} µs  p99 {m['added99']:7.0f} µs   ratio p50 {ratio:.2f}x")
    print(f"  target: omsd adds < 1 ms at p50 -> {'met' if m['added50'] < 1000 else 'MISSED'}")
    print(f"  omsd main thread CPU per order {median(r.cpu_per_order for r in results):7.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=400, help="orders per path")
    parser.add_argument("--rounds", type=int, default=10, help="alternations between the two paths")
    parser.add_argument("--runs", type=int, default=5, help="independent runs; figures are their median")
    parser.add_argument("--fsync", choices=["group", "always", "none"], default="group")
    parser.add_argument(
        "--stream-process",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="omsd's private streams in a child process (the account's stream_process)",
    )
    args = parser.parse_args()
    print(native.status())
    uvloop.run(runs(args.runs, args.orders, args.rounds, args.fsync, args.stream_process))


if __name__ == "__main__":
    main()
