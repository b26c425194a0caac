"""The exchange goes away and comes back; commands exhaust their retries. omsd opens the venue's circuit breaker
(new risk refused, alert), keeps cancels going, gets its streams back within 5 s of the exchange's return,
and dead-letters what could not be done, for an operator to re-drive or drop with ``omsd dlq``.
"""

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simex import SimexProcess
from tests.ccxt.daemon import CcxtDaemon, eventually, subscriptions
from tests.ccxt.truth import assert_matches_exchange, wait_status
from tests.daemon.process import ROOT

ORDER = "/api/v3/order"


@pytest.fixture
def sim() -> Iterator[SimexProcess]:
    with SimexProcess() as process:
        yield process


@pytest.fixture
def daemon(sim: SimexProcess, tmp_path: Path) -> Iterator[CcxtDaemon]:
    with CcxtDaemon(tmp_path, sim) as process:
        yield process


def omsd(daemon: CcxtDaemon, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``omsd`` CLI against the daemon's config."""
    command = [sys.executable, "-m", "oms_daemon.cli", *args, "--config", str(daemon.config)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=30, check=False)


def dead_letters(daemon: CcxtDaemon) -> list[dict]:
    listed = omsd(daemon, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_given_the_exchange_down_then_new_risk_refused_until_it_is_back_and_streams_return_within_5s(
    daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    with daemon.client() as client:
        # when the exchange goes off the network
        sim.control.outage()
        # then the breaker opens: a critical alert, and new risk is refused by omsd itself
        eventually(lambda: daemon.alerts("venue_unavailable") == 1, timeout=10)
        refused = client.submit("BTC/USDT", "BUY", "0.01")
        assert not refused.ok and refused.reason == "venue_unavailable"
        # when it comes back
        before = subscriptions(sim)
        sim.control.resume()
        back = time.monotonic()
        # then the private stream is resubscribed within 5 s and the venue declared available again
        eventually(lambda: subscriptions(sim) > before, timeout=5)
        assert time.monotonic() - back < 5
        eventually(lambda: daemon.alerts("venue_available") == 1, timeout=5)
        reply = client.submit("BTC/USDT", "BUY", "0.01")
        assert reply.ok
        wait_status(client, reply.order_id, "FILLED")
        assert_matches_exchange(client, sim, reply.order_id)
    assert daemon.stop() == 0


def test_given_a_cancel_that_exhausts_its_retries_when_redriven_after_recovery_then_the_order_is_canceled(
    daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    with daemon.client() as client:
        # given a resting order, then the exchange goes down
        reply = client.submit("BTC/USDT", "BUY", "0.01", order_type="LIMIT", price="50000")
        wait_status(client, reply.order_id, "NEW")
        sim.control.outage()
        eventually(lambda: daemon.alerts("venue_unavailable") == 1, timeout=10)
        # when the strategy cancels: cancels still go, but this one cannot get through
        assert client.cancel(reply.order_id).ok
        eventually(lambda: daemon.alerts("dead_letter") == 1, timeout=10)
        # then it waits in the dead-letter queue, the order PENDING_CANCEL
        (entry,) = dead_letters(daemon)
        assert (entry["command"], entry["order_id"], entry["attempts"]) == ("cancel", reply.order_id, 3)
        wait_status(client, reply.order_id, "PENDING_CANCEL")
        # when the exchange is back and an operator re-drives it
        sim.control.resume()
        eventually(lambda: daemon.alerts("venue_available") == 1, timeout=5)
        redriven = omsd(daemon, "dlq", "redrive", str(entry["entry_id"]), "--yes")
        assert redriven.returncode == 0, redriven.stdout + redriven.stderr
        # then the cancel is done at the exchange, and the queue is empty
        wait_status(client, reply.order_id, "CANCELED")
        assert assert_matches_exchange(client, sim, reply.order_id)["status"] == "CANCELED"
        assert dead_letters(daemon) == []


def test_given_a_submit_rate_limited_past_its_retries_when_dropped_then_rejected_and_never_placed(
    daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    with daemon.client() as client:
        # given every submit attempt answered 429 (and waited out: no ban)
        sim.control.add_faults(
            {"kind": "http_error", "status": 429, "retry_after": 1, "method": "POST", "path": ORDER, "times": 3}
        )
        reply = client.submit("BTC/USDT", "BUY", "0.01")
        # then after its retries the submit is dead-lettered, the order still PENDING_NEW
        eventually(lambda: daemon.alerts("dead_letter") == 1, timeout=15)
        (entry,) = dead_letters(daemon)
        assert (entry["command"], entry["order_id"]) == ("submit", reply.order_id)
        assert not sim.control.stats()["faults"].get("escalated_to_418")
        # when an operator drops it
        dropped = omsd(daemon, "dlq", "drop", str(entry["entry_id"]), "--yes")
        assert dropped.returncode == 0, dropped.stdout + dropped.stderr
        # then the order is rejected as never sent, and the exchange indeed has nothing
        order = wait_status(client, reply.order_id, "REJECTED")
        assert order.reason == "dead_letter_dropped"
        assert sim.control.orders(client_order_id=order.client_order_id) == []
