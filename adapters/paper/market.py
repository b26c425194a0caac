"""Market data for the paper venue: a seeded random walk, or a replay of quotes or candles from CSV.

Every source is a sequence of *steps*; a step is the ticks of one moment (one per symbol for the
walk, the rows sharing a ``ts`` for CSV). The same seed or file always gives the same steps.

- Random walk: ``random.Random(seed)``; the first step is each symbol at its start price, then the
  mid moves by ``volatility_bps`` times a unit-variance draw (a sum of three uniforms: no libm, so
  identical on every platform), rounded to the tick; bid/ask sit ``spread_bps`` apart around it.
- Quotes CSV: header ``ts,symbol,bid,ask,bid_size,ask_size,last``; empty cells are None.
- Candles CSV: header ``ts,symbol,open,high,low,close,volume``; one quote at the close with
  ``spread_bps`` around it, sized by the symbol's ``touch_size`` if configured, else the volume.
- ``ts``: integer epoch seconds, ms, us or ns (told apart by magnitude), or ISO 8601 (naive = UTC).
"""

import csv
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

import msgspec

from adapters.paper.config import PaperSymbol, PaperVenueConfig

__all__ = ["RandomWalk", "Tick", "parse_ts", "quote_steps", "read_candles_csv", "read_quotes_csv"]

_BPS = Decimal("0.0001")
_HALF = Decimal("0.5")


class Tick(msgspec.Struct, frozen=True, kw_only=True):
    """One top-of-book update; ``ts_event`` is 0 when the source has no time of its own."""

    symbol: str
    bid: Decimal | None = None
    ask: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    last: Decimal | None = None
    ts_event: int = 0


def _to_tick(price: Decimal, tick: Decimal, up: bool) -> Decimal:
    return (price / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR) * tick


def _touch(mid: Decimal, spread_bps: Decimal, tick: Decimal | None) -> tuple[Decimal, Decimal]:
    half = mid * spread_bps * _BPS * _HALF
    if tick is None:
        return mid - half, mid + half
    bid, ask = _to_tick(mid - half, tick, up=False), _to_tick(mid + half, tick, up=True)
    if ask <= bid:
        ask = bid + tick
    return bid, ask


class RandomWalk:
    """Endless seeded random-walk quotes, one tick per symbol per step."""

    def __init__(self, symbols: Iterable[PaperSymbol], seed: int) -> None:
        self._symbols = tuple(symbols)
        self._rng = random.Random(seed)
        self._mids = {s.symbol: s.start_price for s in self._symbols}
        self._started = False

    def __iter__(self) -> Iterator[list[Tick]]:
        return self

    def __next__(self) -> list[Tick]:
        ticks = []
        rng = self._rng
        for spec in self._symbols:
            mid = self._mids[spec.symbol]
            if self._started:
                draw = (rng.random() + rng.random() + rng.random() - 1.5) * 2
                move_bps = Decimal(round(draw * 10_000)) / 10_000 * spec.volatility_bps
                moved = _to_tick(mid * (1 + move_bps * _BPS), spec.tick_size, up=draw > 0)
                mid = moved if moved > 0 else spec.tick_size
                self._mids[spec.symbol] = mid
            bid, ask = _touch(mid, spec.spread_bps, spec.tick_size)
            ticks.append(
                Tick(
                    symbol=spec.symbol,
                    bid=bid,
                    ask=ask,
                    bid_size=spec.touch_size,
                    ask_size=spec.touch_size,
                    last=mid,
                )
            )
        self._started = True
        return ticks


def parse_ts(text: str) -> int:
    """Integer ns from epoch s/ms/us/ns (by magnitude) or an ISO 8601 time (naive = UTC)."""
    text = text.strip()
    if not text:
        return 0
    if text.lstrip("-").isdigit():
        value = int(text)
        for limit, scale in ((10**11, 10**9), (10**14, 10**6), (10**17, 10**3)):
            if abs(value) < limit:
                return value * scale
        return value
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1_000


def _dec(text: str | None) -> Decimal | None:
    text = (text or "").strip()
    return Decimal(text) if text else None


def _rows(path: str | Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        return list(reader)


def _group(ticks: Iterable[Tick]) -> list[list[Tick]]:
    steps: list[list[Tick]] = []
    for tick in ticks:
        if steps and steps[-1][0].ts_event == tick.ts_event:
            steps[-1].append(tick)
        else:
            steps.append([tick])
    return steps


def read_quotes_csv(path: str | Path) -> list[list[Tick]]:
    """Quote steps from a ``ts,symbol,bid,ask,bid_size,ask_size,last`` file (rows sharing a ts form a step)."""
    rows = _rows(path, ("ts", "symbol", "bid", "ask", "bid_size", "ask_size", "last"))
    return _group(
        Tick(
            symbol=row["symbol"].strip(),
            bid=_dec(row["bid"]),
            ask=_dec(row["ask"]),
            bid_size=_dec(row["bid_size"]),
            ask_size=_dec(row["ask_size"]),
            last=_dec(row["last"]),
            ts_event=parse_ts(row["ts"]),
        )
        for row in rows
    )


def read_candles_csv(path: str | Path, spread_bps: Decimal, symbols: Iterable[PaperSymbol] = ()) -> list[list[Tick]]:
    """Quote steps at each candle's close from a ``ts,symbol,open,high,low,close,volume`` file.

    A symbol listed in ``symbols`` takes its touch size and tick from there; others are sized by
    the candle's volume and not rounded.
    """
    specs = {s.symbol: s for s in symbols}
    rows = _rows(path, ("ts", "symbol", "open", "high", "low", "close", "volume"))
    ticks = []
    for row in rows:
        symbol = row["symbol"].strip()
        close = Decimal(row["close"].strip())
        spec = specs.get(symbol)
        bid, ask = _touch(close, spread_bps, spec.tick_size if spec else None)
        size = spec.touch_size if spec else _dec(row["volume"])
        ticks.append(
            Tick(
                symbol=symbol,
                bid=bid,
                ask=ask,
                bid_size=size,
                ask_size=size,
                last=close,
                ts_event=parse_ts(row["ts"]),
            )
        )
    return _group(ticks)


def quote_steps(config: PaperVenueConfig) -> Iterator[list[Tick]]:
    """The configured source: quotes CSV, else candles CSV, else the seeded random walk."""
    if config.quotes_csv:
        return iter(read_quotes_csv(config.quotes_csv))
    if config.candles_csv:
        return iter(read_candles_csv(config.candles_csv, config.candle_spread_bps, config.symbols))
    return RandomWalk(config.symbols, config.seed)
