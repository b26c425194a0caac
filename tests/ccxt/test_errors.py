"""How the simulated exchange's replies map through ccxt 4.5.90 (only its common exception tables apply at local
URLs) and what the adapter makes of each: a refusal with a reason, not sent (safe to resend), or unknown outcome."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from ccxt.base.errors import (
    BadRequest,
    BadSymbol,
    ExchangeNotAvailable,
    InsufficientFunds,
    InvalidOrder,
    OrderImmediatelyFillable,
    OrderNotFound,
    RateLimitExceeded,
    RequestTimeout,
)

from adapters.ccxt.config import Credentials
from adapters.ccxt.errors import Refusal, classify
from adapters.ccxt.exchange import build_rest
from adapters.resilience import OutcomeUnknown, RateLimited, VenueUnavailable
from simex import SimexProcess
from tests.ccxt.support import API_KEY, SECRET, account_config

ORDER = {"method": "POST", "path": "/api/v3/order"}


@pytest.fixture
async def rest(sim: SimexProcess) -> AsyncIterator[Any]:
    client = build_rest(account_config(sim, timeout_ms=800), Credentials(API_KEY, SECRET))
    await client.load_markets()
    yield client
    await client.close()
    sim.control.clear_faults()


async def failure(call: Any) -> BaseException:
    with pytest.raises(Exception) as raised:
        await call
    return raised.value


@pytest.mark.parametrize(
    ("args", "ccxt_class", "reason"),
    [
        (("BTC/USDT", "limit", "buy", 100, 50000), InsufficientFunds, "insufficient_funds"),
        (("BTC/USDT", "limit", "buy", 0.01, 60010, {"postOnly": True}), OrderImmediatelyFillable, None),
        (("BTC/USDT", "limit", "buy", 0.0001, 100), BadRequest, "bad_request"),  # -1013 NOTIONAL
        (("BTC/USDT", "market", "sell", 0.01, None, {"triggerPrice": 70000}), OrderImmediatelyFillable, None),
    ],
)
async def test_given_a_refused_order_then_a_ccxt_refusal_with_a_reason(
    rest: Any, args: tuple, ccxt_class: type, reason: str | None
) -> None:
    error = await failure(rest.create_order(*args))
    assert isinstance(error, ccxt_class)
    classified = classify(error)
    assert isinstance(classified, Refusal)
    assert classified.reason == (reason or "would_execute_immediately")


async def test_given_a_duplicate_client_id_then_invalid_order_recognised_as_a_duplicate(rest: Any) -> None:
    await rest.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "dup-1"})
    error = await failure(rest.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "dup-1"}))
    assert type(error) is InvalidOrder and "Duplicate order sent." in str(error)


async def test_given_unknown_orders_then_order_not_found_and_unknown_symbols_bad_symbol(rest: Any) -> None:
    assert isinstance(await failure(rest.fetch_order(None, "BTC/USDT", {"clientOrderId": "x"})), OrderNotFound)
    assert isinstance(await failure(rest.cancel_order(None, "BTC/USDT", {"clientOrderId": "x"})), OrderNotFound)
    assert isinstance(await failure(rest.fetch_order("1", "BTCUSDT_X")), BadSymbol)


@pytest.mark.parametrize(
    ("fault", "ccxt_class", "outcome"),
    [
        ({"kind": "http_error", "status": 429, "retry_after": 1}, RateLimitExceeded, RateLimited),
        ({"kind": "http_error", "status": 418, "retry_after": 1}, RateLimitExceeded, RateLimited),
        ({"kind": "http_error", "status": 500}, ExchangeNotAvailable, OutcomeUnknown),
        ({"kind": "http_error", "status": 503}, ExchangeNotAvailable, OutcomeUnknown),
        ({"kind": "accept_then_timeout", "seconds": 2}, RequestTimeout, OutcomeUnknown),
        ({"kind": "reset"}, ExchangeNotAvailable, OutcomeUnknown),
    ],
)
async def test_given_a_transport_fault_then_rate_limited_or_outcome_unknown(
    rest: Any, sim: SimexProcess, fault: dict, ccxt_class: type, outcome: type
) -> None:
    sim.control.clear_faults()
    sim.control.add_faults(fault | ORDER)
    error = await failure(rest.create_order("BTC/USDT", "market", "buy", 0.01))
    assert isinstance(error, ccxt_class)
    classified = classify(error)
    assert type(classified) is outcome
    if outcome is RateLimited:
        assert classified.retry_after == 1.0 and classified.banned == (fault["status"] == 418)


async def test_given_nobody_listening_then_not_sent(sim: SimexProcess) -> None:
    client = build_rest(account_config(sim), Credentials(API_KEY, SECRET))
    sim.control.outage()
    try:
        error = await failure(client.fetch_balance())
    finally:
        sim.control.resume()
        await client.close()
    assert isinstance(error, ExchangeNotAvailable) and type(classify(error)) is VenueUnavailable


async def test_given_a_request_older_than_its_receive_window_then_a_clock_skew_refusal_not_an_unknown_outcome(
    rest: Any, sim: SimexProcess
) -> None:
    # given the exchange holds the order request longer than the request's receive window (Binance -1021)
    sim.control.add_faults({"kind": "stall", "seconds": 0.2, **ORDER})
    error = await failure(rest.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"recvWindow": 50}))
    # then ccxt calls it a network error, but the venue refused it unseen: a refusal, with its reason
    classified = classify(error)
    assert isinstance(classified, Refusal) and classified.reason == "clock_skew"
