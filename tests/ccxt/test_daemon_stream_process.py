"""``stream_process = true``: the account's streams run in a child of the daemon, which only gets parsed results.

No REST sweeps here (``poll_interval_s = 0``): a fill the daemon books without an order reply came from the
stream (through the child) or from the backfill after a reconnect.
"""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.daemon import CcxtDaemon, eventually, order_of, subscriptions
from tests.ccxt.journal_census import census
from tests.ccxt.test_daemon_stream_faults import resting_buy, sell_down_to
from tests.ccxt.truth import assert_matches_exchange, reset_book, wait_status

POLL_INTERVAL_S = 0
CHILD = "adapters.ccxt.stream_process"
ORDER = "/api/v3/order"


@pytest.fixture(scope="module")
def stream_process() -> bool:
    """Every daemon here runs its streams in a child process."""
    return True


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from ``/proc``)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def stream_child(daemon: CcxtDaemon, other_than: int | None = None) -> int:
    """The pid of the daemon's stream process, once there is one (not ``other_than``)."""
    assert daemon.process is not None
    pid = daemon.process.pid

    def found() -> int | None:
        for child in children(pid):
            if child != other_than and CHILD in cmdline(child):
                return child
        return None

    return int(eventually(found, timeout=15))


def streaming(daemon: CcxtDaemon, sim: SimexProcess, other_than: int | None = None) -> int:
    """The pid of the daemon's stream process once it has subscribed to the account's user stream."""
    before = subscriptions(sim)
    child = stream_child(daemon, other_than)
    eventually(lambda: subscriptions(sim) > before or (other_than is None and before > 0), timeout=15)
    return child


def backfilled(daemon: CcxtDaemon) -> int:
    """How many backfills after a reconnect found something (from the daemon's log)."""
    return daemon.log.read_text().count("backfill (reconnect)")


def cmdline(pid: int) -> str:
    """The command line of ``pid`` ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (reaped, or a zombie nobody reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def test_given_stream_process_then_the_streams_run_in_a_child_and_the_daemon_gets_its_results(
    daemon: CcxtDaemon, client: OmsClient, sim: SimexProcess
) -> None:
    # given the daemon's stream process, and a resting buy
    child = streaming(daemon, sim)
    order_id = resting_buy(client)
    # when the child is paused and the market trades through the order
    os.kill(child, signal.SIGSTOP)
    try:
        sell_down_to(sim)
        # then the daemon does not learn of the fill: only the child reads the stream
        time.sleep(1.0)
        assert order_of(client, order_id).status == "NEW"
    finally:
        os.kill(child, signal.SIGCONT)
    # and once the child runs again, the fill it parsed reaches the daemon
    wait_status(client, order_id, "FILLED")
    assert_matches_exchange(client, sim, order_id)


def test_given_the_child_killed_when_an_order_fills_meanwhile_then_restarted_backfilled_nothing_lost(
    daemon: CcxtDaemon, client: OmsClient, sim: SimexProcess
) -> None:
    # given a resting buy
    child = streaming(daemon, sim)
    order_id = resting_buy(client)
    backfills = backfilled(daemon)
    # when the stream process is killed and the order fills while it is gone
    os.kill(child, signal.SIGKILL)
    sell_down_to(sim)
    # then the daemon starts a new one, backfills after it is up, and books the fill once
    streaming(daemon, sim, other_than=child)
    wait_status(client, order_id, "FILLED")
    eventually(lambda: backfilled(daemon) > backfills)  # logged once the balances are re-read, after the fill
    assert_matches_exchange(client, sim, order_id)
    # and the new child streams: the next resting order's fill arrives without any sweep
    reset_book(sim)
    next_order = resting_buy(client)
    sell_down_to(sim)
    wait_status(client, next_order, "FILLED")


def test_given_a_429_while_the_child_restarts_then_it_connects_only_after_retry_after_without_a_ban(
    daemon: CcxtDaemon, client: OmsClient, sim: SimexProcess
) -> None:
    # given the next submit answered 429 (Retry-After 1 s), and the stream process killed just before it
    child = streaming(daemon, sim)
    subscribed = subscriptions(sim)
    sim.control.add_faults({"kind": "http_error", "status": 429, "retry_after": 1, "method": "POST", "path": ORDER})
    os.kill(child, signal.SIGKILL)
    started = time.monotonic()
    reply = client.submit("BTC/USDT", "BUY", "0.01")
    # then the new child waits the pause out like the submit does: subscribed again, the order placed, no ban
    streaming(daemon, sim, other_than=child)
    assert subscriptions(sim) > subscribed
    wait_status(client, reply.order_id, "FILLED")
    assert time.monotonic() - started >= 1.0
    assert not sim.control.stats()["faults"].get("escalated_to_418")
    assert_matches_exchange(client, sim, reply.order_id)


def test_given_the_credentials_then_they_are_not_in_the_childs_argv_or_environment(daemon: CcxtDaemon) -> None:
    child = stream_child(daemon)
    exposed = Path(f"/proc/{child}/cmdline").read_bytes() + Path(f"/proc/{child}/environ").read_bytes()
    assert b"simex-key" not in exposed
    assert b"simex-secret" not in exposed


@pytest.fixture
def watched_daemon(sim: SimexProcess, tmp_path: Path) -> Iterator[CcxtDaemon]:
    """A daemon of its own that calls a user stream silent for 3 s stale (heartbeats come every second)."""
    feeds = "\n[feeds]\nuser_stream_max_silence_ms = 3000\n"
    with CcxtDaemon(tmp_path, sim, poll_interval_s=0, stream_process=True, extra=feeds) as process:
        yield process


def test_given_the_child_hangs_then_the_account_stream_goes_stale_until_it_runs_again(
    watched_daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    # given a quiet but healthy stream: the child's heartbeats keep it fresh
    child = streaming(watched_daemon, sim)
    beats = census(watched_daemon.journal)["StreamHeartbeat"]
    eventually(lambda: census(watched_daemon.journal)["StreamHeartbeat"] >= beats + 4, timeout=15)
    assert watched_daemon.alerts("feed_stale") == 0
    # when the child hangs (stopped), its socket still open
    os.kill(child, signal.SIGSTOP)
    try:
        # then the daemon stops vouching for the stream: it goes stale
        eventually(lambda: watched_daemon.alerts("feed_stale") == 1, timeout=10)
    finally:
        os.kill(child, signal.SIGCONT)
    # and it recovers once the child runs again
    eventually(lambda: watched_daemon.alerts("feed_recovered") >= 1, timeout=10)


@pytest.mark.parametrize("in_child", [False, True], ids=["streams-in-daemon", "stream-process"])
def test_given_streams_slow_to_connect_when_an_order_fills_before_then_the_first_connect_backfills_it(
    tmp_path: Path, in_child: bool
) -> None:
    # given an exchange that holds WebSocket handshakes for 2 s, and a fresh daemon without REST sweeps
    with SimexProcess() as sim:
        sim.control.add_faults({"kind": "stall", "method": "GET", "path": "/ws", "seconds": 2, "times": 0})
        daemon = CcxtDaemon(tmp_path, sim, poll_interval_s=0, stream_process=in_child, wait_for_streams=False)
        with daemon, daemon.client() as client:
            # when a resting order fills before the streams are up
            order_id = resting_buy(client)
            sell_down_to(sim)
            sim.control.clear_faults()
            # then the streams' first connect backfills the fill (nothing else would: no sweep, no reconnect)
            wait_status(client, order_id, "FILLED")
            assert_matches_exchange(client, sim, order_id)


@pytest.fixture
def lone_daemon(sim: SimexProcess, tmp_path: Path) -> Iterator[CcxtDaemon]:
    """A daemon of its own (the test kills it)."""
    with CcxtDaemon(tmp_path, sim, poll_interval_s=0, stream_process=True) as process:
        yield process


def test_given_the_daemon_killed_then_its_stream_process_ends_too(lone_daemon: CcxtDaemon) -> None:
    # given the daemon and its stream process
    child = stream_child(lone_daemon)
    # when the daemon is killed outright (no shutdown)
    lone_daemon.kill()
    # then the child ends by itself: no orphan keeps the account's stream
    eventually(lambda: gone(child), timeout=10)
