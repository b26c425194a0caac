"""Venue faults under load, against the simulated exchange: whatever the exchange does for a while (rate
limits, 5xx on submits or cancels, held, dropped or reset requests, lost stream events), once it is healthy
again omsd agrees with its records order by order, every trade booked once, nothing sent twice.
"""

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from simex import SimexConfig, SimexProcess
from tests.ccxt.daemon import CcxtDaemon
from tests.ccxt.truth import reset_book
from tests.safety.agreement import assert_agrees, load, unload

SUBMIT = {"method": "POST", "path": "/api/v3/order"}
CANCEL = {"method": "DELETE", "path": "/api/v3/order"}
SCENARIOS = {
    "429_storm": [{"kind": "http_error", "status": 429, "retry_after": 1, "times": 0}],
    "5xx_on_submit": [{"kind": "http_error", "status": 503, "times": 0, **SUBMIT}],
    "5xx_on_cancel": [{"kind": "http_error", "status": 502, "times": 0, **CANCEL}],
    "held_submits": [{"kind": "stall", "seconds": 1.0, "times": 0, **SUBMIT}],
    "accepted_unanswered": [{"kind": "accept_then_timeout", "seconds": 2.0, "times": 0, **SUBMIT}],
    "reset_after_acting": [{"kind": "reset", "times": 0, **SUBMIT}, {"kind": "reset", "times": 0, **CANCEL}],
    "dropped_submits": [{"kind": "blackhole", "seconds": 0.5, "times": 0, **SUBMIT}],
    "stream_drops": [{"kind": "drop", "event": "executionReport", "times": 0}],
}
"""The faults armed at the exchange for a while, by scenario."""
FAULT_S = 2.0


@pytest.fixture(scope="module")
def sim() -> Iterator[SimexProcess]:
    with SimexProcess(SimexConfig(unique_client_ids=True)) as process:
        reset_book(process)
        yield process


@pytest.fixture(scope="module")
def start_btc(sim: SimexProcess) -> Decimal:
    return sum(sim.control.balances()["BTC"].values(), Decimal(0))


@pytest.fixture(scope="module")
def daemon(sim: SimexProcess, start_btc: Decimal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CcxtDaemon]:
    with CcxtDaemon(tmp_path_factory.mktemp("omsd"), sim, poll_interval_s=0.5) as process:
        yield process


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_given_a_venue_fault_under_load_when_the_venue_heals_then_omsd_agrees_with_it(
    scenario: str, daemon: CcxtDaemon, sim: SimexProcess, start_btc: Decimal, tmp_path: Path
) -> None:
    stop, threads = load(daemon, 3, seed=len(scenario))
    try:
        sim.control.add_faults(*SCENARIOS[scenario])
        deadline = time.monotonic() + FAULT_S
        while time.monotonic() < deadline and daemon.alive:  # the strategies trade through the fault
            threads[0].join(0.1)
        sim.control.clear_faults()
    finally:
        unload(stop, threads)
    assert daemon.alive
    assert_agrees(daemon, sim, start_btc, timeout=45)
