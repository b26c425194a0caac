"""The daemon end to end: a real `omsd run` subprocess, real ZeroMQ sockets, the paper venue, real files."""

import asyncio
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_daemon.client import AsyncOmsClient, OmsClient
from tests.daemon.process import ROOT, DaemonProcess, eventually

FINAL = {"FILLED", "CANCELED", "REJECTED", "EXPIRED", "REPLACED"}


def replay_summary(journal: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "oms_daemon.cli", "replay", str(journal), "--verify", "--json"],
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)


@pytest.fixture
def daemon(tmp_path: Path):
    with DaemonProcess(tmp_path) as process:
        yield process


def drain(client: OmsClient) -> list:
    """Every stream message waiting on the client's subscription."""
    return list(iter(lambda: client.next_event(0.02), None))


def test_given_running_daemon_when_market_order_then_ack_fill_and_position(daemon: DaemonProcess) -> None:
    with daemon.client() as client:
        # given a live subscription (PUB/SUB joins late: probe until our own order events flow)
        eventually(lambda: client.submit("BTC/USDT", "BUY", "0.0001").ok and drain(client))
        drain(client)
        before = client.positions().items[0].quantity
        # when
        reply = client.submit("BTC/USDT", "BUY", "0.5")
        # then
        assert reply.ok
        order = eventually(
            lambda: next(
                (o for o in client.orders(scope="all").items if o.order_id == reply.order_id and o.status == "FILLED"),
                None,
            )
        )
        assert order.filled_qty == Decimal("0.5") and order.venue_order_id
        assert sum(f.quantity for f in client.fills(order_id=reply.order_id).items) == Decimal("0.5")
        assert client.positions().items[0].quantity == before + Decimal("0.5")
        seen: list = []
        eventually(
            lambda: (
                seen.extend(drain(client))
                or any(type(m).__name__ == "FillEvent" and m.data.order_id == reply.order_id for m in seen)
            )
        )
        statuses = [
            m.data.status for m in seen if type(m).__name__ == "OrderEvent" and m.data.order_id == reply.order_id
        ]
        assert statuses[0] == "PENDING_NEW" and statuses[-1] == "FILLED"
    assert daemon.stop() == 0


def test_given_bad_requests_then_each_is_refused_with_a_reason(daemon: DaemonProcess) -> None:
    with daemon.client(account="nope") as stranger, daemon.client() as client:
        assert stranger.submit("BTC/USDT", "BUY", "1").reason == "unknown_account"
        assert client.submit("DOGE/USDT", "BUY", "1").reason == "unknown_symbol"
        assert client.submit("BTC/USDT", "BUY", "-1").reason == "invalid_quantity"
        assert client.cancel(999).reason == "order_not_found"


def test_four_strategies_with_a_thousand_intents_each_are_all_accounted_for(daemon: DaemonProcess) -> None:
    async def strategy(name: str) -> dict[str, int]:
        async with AsyncOmsClient(daemon.requests, None, "paper-1", name) as client:
            sides = ("BUY", "SELL")
            replies = await asyncio.gather(
                *(client.submit("BTC/USDT", sides[i % 2], "0.001", idempotency_key=f"{name}-{i}") for i in range(1000))
            )
            again = await asyncio.gather(
                *(client.submit("BTC/USDT", "BUY", "0.001", idempotency_key=f"{name}-{i}") for i in range(0, 1000, 10))
            )
            assert all(r.ok for r in replies), [r for r in replies if not r.ok][:3]
            ids = {f"{name}-{i}": r.order_id for i, r in enumerate(replies)}
            assert [r.order_id for r in again] == [ids[f"{name}-{i}"] for i in range(0, 1000, 10)]
            return ids

    async def run_all() -> list[dict[str, int]]:
        return await asyncio.gather(*(strategy(f"s{n}") for n in range(4)))

    results = asyncio.run(run_all())
    all_ids = [oid for ids in results for oid in ids.values()]
    assert len(all_ids) == len(set(all_ids)) == 4000

    with daemon.client() as client:

        def settled() -> bool:
            status = client.status()
            return status.order_count == 4000 and status.open_order_count == 0

        eventually(settled, timeout=60)
        orders = []
        cursor = None
        while True:
            page = client.orders(scope="all", all_strategies=True, cursor=cursor, limit=1000)
            orders += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert len(orders) == 4000
    assert {o.status for o in orders} <= FINAL
    assert daemon.stop() == 0
    summary = replay_summary(daemon.journal)
    assert sum(summary["orders_by_status"].values()) == 4000


def test_given_clean_restart_then_state_resumes_identically(tmp_path: Path) -> None:
    daemon = DaemonProcess(tmp_path, checksum_every=50)
    with daemon:
        with daemon.client() as client:
            for i in range(30):
                client.submit("BTC/USDT", "BUY" if i % 3 else "SELL", "0.01")
            client.submit("BTC/USDT", "SELL", "0.01", order_type="LIMIT", price="99999")  # rests
            eventually(lambda: [o.status for o in client.status().open_orders] == ["NEW"])
            before = msgspec.to_builtins(client.status())
        assert daemon.stop() == 0
        first = replay_summary(daemon.journal)
        assert first["checksums_verified"] >= 1
        daemon.start()
        with daemon.client() as client:
            after = msgspec.to_builtins(client.status())
            for key in ("order_count", "fill_count", "open_order_count", "open_orders"):
                assert after[key] == before[key], key
            marked = ("mark_price", "unrealized_pnl")  # the market moves on; the book does not
            assert [{k: v for k, v in p.items() if k not in marked} for p in after["positions"]] == [
                {k: v for k, v in p.items() if k not in marked} for p in before["positions"]
            ]
            assert [a["balances"] for a in after["accounts"]] == [a["balances"] for a in before["accounts"]]
            assert client.submit("BTC/USDT", "BUY", "0.01").ok  # and it trades on
        assert daemon.stop() == 0
    second = replay_summary(daemon.journal)
    assert second["events"] > first["events"]


def test_given_kill_9_then_restart_replays_to_the_journaled_state(tmp_path: Path) -> None:
    daemon = DaemonProcess(tmp_path)
    with daemon:
        with daemon.client() as client:
            for _ in range(20):
                client.submit("BTC/USDT", "BUY", "0.01")
            eventually(lambda: client.status().fill_count >= 20)
        daemon.kill()
        journaled = replay_summary(daemon.journal)
        daemon.start()
        with daemon.client() as client:
            status = client.status()
            assert status.order_count == sum(journaled["orders_by_status"].values())
            assert status.fill_count == journaled["fills"]
            assert client.submit("BTC/USDT", "SELL", "0.01").ok
        assert daemon.stop() == 0


ints = st.integers(min_value=-(2**63), max_value=2**64 - 1)
hostile = st.one_of(
    st.binary(max_size=300),
    st.builds(
        msgspec.msgpack.encode,
        st.recursive(
            st.none() | ints | st.floats() | st.text(),
            lambda c: st.lists(c) | st.dictionaries(st.text(max_size=8), c),
            max_leaves=10,
        ),
    ),
    st.builds(
        lambda t, extra: msgspec.msgpack.encode({"type": t, "id": 7, **extra}),
        st.sampled_from(["submit", "cancel", "replace", "close_position", "orders", "kill", "nope"]),
        st.dictionaries(
            st.sampled_from(["account", "strategy", "symbol", "side", "quantity", "price", "order_id"]),
            st.none() | ints | st.floats() | st.text(max_size=5) | st.binary(max_size=5),
        ),
    ),
)


def test_hostile_frames_never_crash_the_daemon_and_each_is_refused(daemon: DaemonProcess) -> None:
    context = zmq.Context.instance()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.connect(daemon.requests)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hostile)
    def probe(frame: bytes) -> None:
        dealer.send(frame)
        reply = msgspec.msgpack.decode(dealer.recv())
        assert reply["type"] == "reply"
        if not reply["ok"]:
            assert reply["reason"] and reply["message"]

    try:
        probe()
        dealer.send(b"x" * 200_000)  # oversize
        assert msgspec.msgpack.decode(dealer.recv())["reason"] == "frame_too_large"
    finally:
        dealer.close()
    assert daemon.alive
    with daemon.client() as client:
        assert client.submit("BTC/USDT", "BUY", "0.01").ok


def test_given_numbers_beyond_what_the_journal_or_decimals_hold_then_refused_and_the_daemon_keeps_serving(
    daemon: DaemonProcess,
) -> None:
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.connect(daemon.requests)
    try:
        base = {"account": "paper-1", "strategy": "s1"}
        dealer.send(msgspec.msgpack.encode({"type": "cancel", "id": 1, **base, "order_id": 2**64 - 1}))
        assert msgspec.msgpack.decode(dealer.recv())["reason"] == "order_not_found"
        order = {"type": "submit", "id": 2, **base, "symbol": "BTC/USDT", "side": "BUY", "quantity": "1e30"}
        dealer.send(msgspec.msgpack.encode(order))
        assert msgspec.msgpack.decode(dealer.recv())["reason"] == "out_of_range"
    finally:
        dealer.close()
    with daemon.client() as client:
        assert client.submit("BTC/USDT", "BUY", "0.01").ok
