"""Paper market data: the seeded random walk and CSV replay of quotes and candles."""

from decimal import Decimal as D
from itertools import islice
from pathlib import Path

import pytest

from adapters.paper import PaperSymbol, PaperVenueConfig
from adapters.paper.market import RandomWalk, Tick, parse_ts, quote_steps, read_candles_csv, read_quotes_csv

BTC = PaperSymbol(
    symbol="BTC/USD", start_price=D("60000"), volatility_bps=D("5"), spread_bps=D("2"), touch_size=D("0.5")
)
EUR = PaperSymbol(
    symbol="EURUSD",
    start_price=D("1.08500"),
    volatility_bps=D("1"),
    spread_bps=D("1"),
    touch_size=D("1e6"),
    tick_size=D("0.00001"),
)


def test_given_a_seed_when_walking_twice_then_the_same_quotes() -> None:
    first = list(islice(RandomWalk([BTC, EUR], seed=7), 200))
    again = list(islice(RandomWalk([BTC, EUR], seed=7), 200))
    other = list(islice(RandomWalk([BTC, EUR], seed=8), 200))
    assert first == again
    assert first != other


def test_given_a_walk_then_it_starts_at_the_start_price_and_quotes_are_sane() -> None:
    steps = list(islice(RandomWalk([BTC, EUR], seed=1), 500))
    assert [t.last for t in steps[0]] == [D("60000"), D("1.08500")]
    assert steps[0][0].bid == D("59994.00") and steps[0][0].ask == D("60006.00")  # 1 bp either side
    for step in steps:
        for tick, spec in zip(step, (BTC, EUR), strict=True):
            assert tick.symbol == spec.symbol
            assert tick.bid is not None and tick.ask is not None and tick.last is not None
            assert 0 < tick.bid < tick.ask
            assert tick.bid <= tick.last <= tick.ask
            assert tick.bid % spec.tick_size == 0 and tick.ask % spec.tick_size == 0
            assert tick.bid_size == tick.ask_size == spec.touch_size
    mids = {step[0].last for step in steps}
    assert len(mids) > 50  # it moves


def test_given_quotes_csv_when_read_then_rows_sharing_a_ts_form_one_step(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(
        "ts,symbol,bid,ask,bid_size,ask_size,last\n"
        "1700000000,BTC/USD,100.0,100.5,2,3,100.2\n"
        "1700000000,ETH/USD,10.0,10.1,5,5,\n"
        "1700000001000,BTC/USD,100.1,100.6,,,\n"
    )
    steps = read_quotes_csv(path)
    assert [len(s) for s in steps] == [2, 1]
    assert steps[0][0] == Tick(
        symbol="BTC/USD",
        bid=D("100.0"),
        ask=D("100.5"),
        bid_size=D(2),
        ask_size=D(3),
        last=D("100.2"),
        ts_event=1_700_000_000 * 10**9,
    )
    assert steps[0][1].last is None
    assert steps[1][0].bid_size is None and steps[1][0].ts_event == 1_700_000_001 * 10**9


def test_given_candles_csv_when_read_then_one_quote_at_each_close(tmp_path: Path) -> None:
    path = tmp_path / "candles.csv"
    path.write_text(
        "ts,symbol,open,high,low,close,volume\n"
        "2024-01-02T00:00:00Z,BTC/USD,100,110,90,100.00,12\n"
        "2024-01-02T00:01:00,RAW,5,5,5,50,7\n"
    )
    steps = read_candles_csv(path, D("2"), [BTC])
    (btc,), (raw,) = steps
    assert (btc.bid, btc.ask, btc.last, btc.bid_size) == (D("99.99"), D("100.01"), D("100.00"), D("0.5"))
    assert (raw.bid, raw.ask, raw.bid_size) == (D("49.995"), D("50.005"), D(7))  # no spec: volume, unrounded
    assert btc.ts_event == parse_ts("2024-01-02T00:00:00")
    assert raw.ts_event - btc.ts_event == 60 * 10**9


def test_given_a_config_then_the_source_is_csv_first_then_candles_then_the_walk(tmp_path: Path) -> None:
    quotes = tmp_path / "q.csv"
    quotes.write_text("ts,symbol,bid,ask,bid_size,ask_size,last\n1,BTC/USD,1,2,1,1,1\n")
    candles = tmp_path / "c.csv"
    candles.write_text("ts,symbol,open,high,low,close,volume\n1,BTC/USD,1,1,1,7,1\n")
    assert next(quote_steps(PaperVenueConfig(quotes_csv=str(quotes), candles_csv=str(candles))))[0].ask == D(2)
    assert next(quote_steps(PaperVenueConfig(candles_csv=str(candles))))[0].last == D(7)
    walk = quote_steps(PaperVenueConfig(symbols=(BTC,)))
    assert next(walk)[0].last == D("60000")


def test_given_csv_without_a_column_when_read_then_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ts,symbol,bid\n1,X,1\n")
    with pytest.raises(ValueError, match="missing column"):
        read_quotes_csv(path)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1700000000", 1_700_000_000 * 10**9),
        ("1700000000123", 1_700_000_000_123 * 10**6),
        ("1700000000123456", 1_700_000_000_123_456 * 10**3),
        ("1700000000123456789", 1_700_000_000_123_456_789),
        ("2023-11-14T22:13:20Z", 1_700_000_000 * 10**9),
        ("2023-11-14T22:13:20.5", 1_700_000_000_500_000_000),
        ("", 0),
    ],
)
def test_given_a_timestamp_in_any_usual_form_when_parsed_then_ns(text: str, ns: int) -> None:
    assert parse_ts(text) == ns
