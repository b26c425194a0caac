"""The dead-letter queue over real ZeroMQ sockets: list, re-drive and drop, as plain MessagePack requests."""

from typing import Any

import msgspec

from oms_daemon.core.events import QueryAtVenue, SubmitToVenue
from oms_daemon.core.inputs import CommandDeadLettered
from tests.zmq.harness import Daemon, RawSockets

pack, unpack = msgspec.msgpack.encode, msgspec.msgpack.decode


def ask(raw: RawSockets, daemon: Daemon, request: dict[str, Any]) -> dict[str, Any]:
    dealer = raw.dealer(daemon.requests)
    dealer.send(pack(request))
    return unpack(dealer.recv())


def dead_letter(daemon: Daemon, command: object) -> None:
    gateway = daemon.gateway
    daemon.call(
        gateway.feed,
        CommandDeadLettered(
            ts_recv=gateway.now_ns(), account_id="A", command=command, error="VenueUnavailable: refused", attempts=4
        ),
    )


def test_given_a_dead_lettered_submit_when_listed_then_the_entry_describes_it(raw: RawSockets) -> None:
    with Daemon() as daemon:
        # given an order whose submit exhausted its retries
        submit = {"type": "submit", "id": 1, "account": "A", "strategy": "s1", "symbol": "BTC/USDT"}
        placed = ask(raw, daemon, submit | {"side": "BUY", "quantity": "1"})
        order = daemon.call(lambda: daemon.gateway.state.orders[placed["order_id"]])
        dead_letter(daemon, SubmitToVenue(account_id="A", order=order))
        # when the queue is listed
        listed = ask(raw, daemon, {"type": "dlq_list", "id": 2})
    # then one entry names the command, the order and the failure
    assert listed["ok"]
    (entry,) = listed["data"]
    assert entry["entry_id"] == 1 and entry["command"] == "submit" and entry["order_id"] == order.order_id
    assert (entry["client_order_id"], entry["symbol"], entry["attempts"]) == (order.client_order_id, "BTC/USDT", 4)
    assert "refused" in entry["error"]


def test_given_a_dead_letter_when_redriven_then_it_leaves_the_queue(raw: RawSockets) -> None:
    with Daemon() as daemon:
        dead_letter(daemon, QueryAtVenue(account_id="A", client_order_id="t-9", symbol="BTC/USDT"))
        # when an operator re-drives it
        reply = ask(raw, daemon, {"type": "dlq_redrive", "id": 3, "operator": "ops", "entry_id": 1})
        listed = ask(raw, daemon, {"type": "dlq_list", "id": 4, "account": "A"})
    # then it is gone and the reply says what was sent
    assert reply["ok"] and "QueryAtVenue" in reply["message"]
    assert listed["data"] == []


def test_given_no_such_entry_when_dropped_then_refused(raw: RawSockets) -> None:
    with Daemon() as daemon:
        reply = ask(raw, daemon, {"type": "dlq_drop", "id": 5, "operator": "ops", "entry_id": 42})
    assert not reply["ok"] and reply["reason"] == "dead_letter_not_found"
