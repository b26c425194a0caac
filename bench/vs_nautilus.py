"""omsd vs nautilus_trader: N market orders (alternating buy/sell, one instrument), quote → order → fill → position.

    pip install -e '.[bench]'        # nautilus_trader
    python bench/vs_nautilus.py [--orders 20000]

omsd: the pure core and the paper venue's matching engine, in process, no sockets and no journal. Per
order: a ``MarketQuote`` through ``PaperExchange.on_quote`` and the core, a ``SubmitOrder`` intent
through the core (risk checks: account, symbol, shape, funds, mode), the ``SubmitToVenue`` order into
``PaperExchange.submit``, and every venue event it returns (ack, fill) back through the core.

nautilus_trader: a ``BacktestEngine`` with a simulated BINANCE venue (BTCUSDT spot from the test kit,
NETTING OMS, CASH account), risk engine on, logging bypassed; a strategy submits one market order
per quote tick. Only ``engine.run()`` is timed. Nautilus runs twice: as the issue set it up (its
defaults otherwise, so the post-run analysis — portfolio statistics, roughly half of ``engine.run()``
here — is on; this reproduces the issue's ~1,250 orders/s), and with that analysis off (the order
lifecycle alone, the stricter comparison). The target is judged on the first; both ratios print.
``--nautilus-analysis on|off`` runs one of them only.

Both sides see the same N quotes and the same order size. Prints orders/s for each, the ratio and
the post-run checks (every order FILLED, position equals the signed fill sum).
"""

import argparse
import faulthandler
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.paper import PaperExchange
from bench.workload import BENCH_CONFIG
from oms_daemon import native
from oms_daemon.core import Core
from oms_daemon.core.enums import OrderSide, OrderStatus
from oms_daemon.core.events import SubmitToVenue
from oms_daemon.core.inputs import MarketQuote, SessionStarted, SubmitOrder
from oms_daemon.runtime import tune_gc

START_NS = 1_767_225_600_000_000_000
SYMBOL = "BTC/USDT"
ACCOUNT = "acct"
QUANTITY = Decimal("0.01")
BOOK_SIZE = Decimal(5)
NAUTILUS_REFERENCE = 1_250
"""Orders/s nautilus_trader 1.221 did on this machine when the target was set; the target is 20x that."""
TARGET_RATIO = 20


def quote_series(count: int) -> list[tuple[Decimal, Decimal]]:
    """``count`` (bid, ask) pairs around 60,000, one cent wide, drifting in half-dollar steps."""
    cent = Decimal("0.01")
    quotes = []
    for i in range(count):
        mid = Decimal(60_000) + Decimal(i % 20) / 2
        quotes.append((mid - cent, mid + cent))
    return quotes


def run_omsd(quotes: list[tuple[Decimal, Decimal]]) -> tuple[float, Core, PaperExchange]:
    """Drive the core and the paper venue through one quote and one market order per quote; returns the time."""
    instrument = next(i for i in BENCH_CONFIG.instruments if i.symbol == SYMBOL)
    exchange = PaperExchange(
        [instrument],
        balances={ACCOUNT: {"USDT": Decimal(1_000_000_000), "BTC": Decimal(1_000)}},
        accounts=BENCH_CONFIG.accounts,
        commission_bps=Decimal(10),  # nautilus' BTCUSDT test instrument charges a 0.1% taker fee
    )
    core = Core()
    core.step(SessionStarted(ts_recv=START_NS, config=BENCH_CONFIG))
    core.step(exchange.balances(ACCOUNT, START_NS))
    # Market data is prepared before the clock starts, as nautilus' quote ticks are (engine.add_data).
    slots = [START_NS + 10 * (i + 1) for i in range(len(quotes))]
    market = [
        MarketQuote(ts_recv=ts, symbol=SYMBOL, bid=bid, ask=ask, bid_size=BOOK_SIZE, ask_size=BOOK_SIZE)
        for ts, (bid, ask) in zip(slots, quotes, strict=True)
    ]
    sides = (OrderSide.BUY, OrderSide.SELL)
    step, submit, on_quote = core.step, exchange.submit, exchange.on_quote
    tune_gc()

    start = time.perf_counter()
    for i, quote in enumerate(market):
        ts = quote.ts_recv
        for event in on_quote(SYMBOL, quote.bid, quote.ask, BOOK_SIZE, BOOK_SIZE, None, ts):
            step(event)
        step(quote)
        intent = SubmitOrder(
            ts_recv=ts + 1,
            request_id=f"r{i}",
            account_id=ACCOUNT,
            strategy_id="bench",
            symbol=SYMBOL,
            side=sides[i & 1],
            quantity=QUANTITY,
        )
        for event in step(intent):
            if type(event) is SubmitToVenue:
                for answer in submit(event.order, ts + 2):
                    step(answer)
    elapsed = time.perf_counter() - start
    return elapsed, core, exchange


def check_omsd(core: Core, exchange: PaperExchange, count: int) -> bool:
    """Every order FILLED; core position == signed fill sum == the paper venue's own position."""
    state = core.state
    orders = list(state.orders.values())
    filled = sum(1 for o in orders if o.status is OrderStatus.FILLED)
    fill_sum = sum((f.quantity if f.side is OrderSide.BUY else -f.quantity for f in state.fills.values()), Decimal(0))
    net = state.net_quantity((ACCOUNT, SYMBOL))
    snapshot = exchange.positions(ACCOUNT, state.last_ts + 1)
    venue = sum((p.quantity for p in snapshot.positions if p.symbol == SYMBOL), Decimal(0))
    ok = len(orders) == count and filled == count and net == fill_sum == venue
    print(
        f"  omsd check:     {len(orders)} orders, {filled} FILLED, {len(state.fills)} fills; "
        f"position {net} = signed fill sum {fill_sum} = paper venue {venue}: {'OK' if ok else 'FAILED'}"
    )
    return ok


def main() -> None:
    faulthandler.dump_traceback_later(600, exit=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument(
        "--nautilus-analysis",
        choices=["both", "on", "off"],
        default="both",
        help="nautilus' post-run analysis inside engine.run(): on (its default, the issue's setup), off, or both runs",
    )
    args = parser.parse_args()
    print(native.status())
    count = args.orders
    quotes = quote_series(count)
    print(f"workload: {count} market orders of {QUANTITY} BTC, alternating buy/sell, one quote before each")

    elapsed, core, exchange = run_omsd(quotes)
    omsd_rate = count / elapsed
    print(f"omsd      (core + paper venue, in process): {omsd_rate:>10,.0f} orders/s  ({elapsed:.3f} s)")

    try:
        from bench.nautilus_flow import NAUTILUS_VERSION, run_nautilus
    except ImportError as exc:
        print(f"nautilus_trader: not importable ({exc!r}); install it with pip install -e '.[bench]'")
        check_omsd(core, exchange, count)
        sys.exit(1)
    results = {}
    for analysis in ("on", "off") if args.nautilus_analysis == "both" else (args.nautilus_analysis,):
        print(
            f"nautilus setup: BINANCE BTCUSDT spot (test kit), NETTING, CASH, risk engine on, logging bypassed, "
            f"post-run analysis {analysis}"
        )
        result = results[analysis] = run_nautilus(quotes, BOOK_SIZE, QUANTITY, START_NS, run_analysis=analysis == "on")
        rate = result.orders / result.elapsed
        print(f"nautilus  (BacktestEngine, engine.run only): {rate:>9,.0f} orders/s  ({result.elapsed:.3f} s)")
        print(f"ratio omsd / nautilus (analysis {analysis}): {omsd_rate / rate:.1f}x")
    print(f"nautilus_trader version: {NAUTILUS_VERSION}")
    print(
        f"  vs the issue's reference ({NAUTILUS_REFERENCE:,} orders/s for nautilus 1.221): "
        f"omsd is {omsd_rate / NAUTILUS_REFERENCE:.1f}x"
    )

    print("checks (after the timed runs):")
    omsd_ok = check_omsd(core, exchange, count)
    nautilus_ok = True
    for analysis, result in results.items():
        ok = result.submitted == result.orders == result.filled == count and result.net == result.fill_sum
        nautilus_ok &= ok
        print(
            f"  nautilus check (analysis {analysis}): {result.submitted} submitted, {result.orders} orders, "
            f"{result.filled} FILLED; net position {result.net} = signed fill sum {result.fill_sum}: "
            f"{'OK' if ok else 'FAILED'}"
        )
    judged = "on" if "on" in results else "off"
    ratio = omsd_rate * results[judged].elapsed / results[judged].orders
    setup = "as the issue set it up" if judged == "on" else "with its analysis off"
    verdict = "MET" if ratio >= TARGET_RATIO else "NOT MET"
    print(f"  target {TARGET_RATIO}x (nautilus {setup}): {verdict} ({ratio:.1f}x)")
    if not (omsd_ok and nautilus_ok):
        sys.exit(1)


if __name__ == "__main__":
    main()
