"""The README's wire format is enough to write a client: raw pyzmq and plain MessagePack maps, nothing of ours.

These tests use only what the document says (sockets, frames, keys, topics) and generic MessagePack,
as a strategy written in another language would; the worked example's bytes are read from the document.
"""

import re
from pathlib import Path
from typing import Any

import msgspec
import zmq

from oms_daemon import views
from oms_daemon.core.enums import AlertSeverity
from oms_daemon.core.events import AlertRaised
from oms_daemon.dead_letters import DeadLetterView
from oms_daemon.zmq_api import REQUEST_TYPES, WireCode, schema
from tests.zmq.harness import Daemon, RawSockets, eventually_sync

DOC = (Path(__file__).resolve().parents[2] / "README.md").read_text().split("## Wire format (ZeroMQ)", 1)[1]
pack = msgspec.msgpack.encode
unpack = msgspec.msgpack.decode
SIDE = {"side": "BUY", "quantity": "2.5", "order_type": "LIMIT", "price": "10.25", "time_in_force": "GTC"}


def example_bytes(marker: str) -> bytes:
    block = re.search(rf"<!-- {marker} -->\n```text\n(.*?)```", DOC, re.S)
    assert block is not None, marker
    return bytes.fromhex(block.group(1))


def subscriber(raw: RawSockets, daemon: Daemon, *prefixes: bytes) -> zmq.Socket:
    """A SUB on the given prefixes, returned once the daemon's stream reaches it (alerts on `A/_/alert`)."""
    sub = raw.socket(zmq.SUB)
    for prefix in prefixes:
        sub.setsockopt(zmq.SUBSCRIBE, prefix)
    sub.connect(daemon.events)
    alert = AlertRaised(code="doc-probe", severity=AlertSeverity.INFO, message="probe", account_id="A")

    def reached() -> bool:
        daemon.call(daemon.api.publish, [alert])
        return bool(sub.poll(10))

    eventually_sync(reached)
    while sub.poll(50):  # drain the probes
        sub.recv_multipart()
    return sub


def test_given_the_documented_request_bytes_when_sent_then_the_documented_reply_bytes_come_back(
    raw: RawSockets,
) -> None:
    with Daemon() as daemon:
        dealer = raw.dealer(daemon.requests)

        dealer.send(example_bytes("example-request-hex"))
        reply = dealer.recv_multipart()

    assert reply == [example_bytes("example-reply-hex")]
    assert unpack(reply[0]) == {
        "type": "reply",
        "id": 1,
        "ok": True,
        "order_id": 1,
        "order_ids": [],
        "reason": None,
        "message": None,
        "data": None,
    }


def test_given_a_client_built_from_the_document_when_it_trades_then_replies_and_stream_match_the_document(
    raw: RawSockets,
) -> None:
    with Daemon() as daemon:
        dealer = raw.dealer(daemon.requests)
        sub = subscriber(raw, daemon, b"A/s1/", b"A/_/")

        dealer.send(
            pack({"type": "submit", "id": "buy-1", "account": "A", "strategy": "s1", "symbol": "ETH/USDT"} | SIDE)
        )
        submitted = unpack(dealer.recv())
        dealer.send(pack({"type": "orders", "id": 2, "account": "A", "strategy": "s1"}))
        listed = unpack(dealer.recv())
        topic, payload = sub.recv_multipart()

    assert (submitted["id"], submitted["ok"], submitted["order_id"]) == ("buy-1", True, 1)
    (order,) = listed["data"]["items"]
    assert (order["quantity"], order["price"], order["status"], listed["data"]["next_cursor"]) == (
        "2.5",
        "10.25",
        "PENDING_NEW",
        None,
    )
    event = unpack(payload)
    assert topic == b"A/s1/order"
    assert (event["type"], event["data"]["order_id"]) == ("order", 1) and isinstance(event["seq"], int)


def test_given_a_delimiter_frame_when_a_dealer_sends_it_then_the_reply_keeps_the_delimiter(
    raw: RawSockets,
) -> None:
    with Daemon() as daemon:
        dealer = raw.dealer(daemon.requests)

        dealer.send_multipart([b"", pack({"type": "status", "id": 9})])
        reply = dealer.recv_multipart()

    assert reply[0] == b"" and len(reply) == 2
    assert unpack(reply[1])["id"] == 9


def test_given_the_document_then_it_names_every_request_type_code_and_field() -> None:
    named = set(re.findall(r"`([a-z_]+)`", DOC))
    structs: list[Any] = [
        schema.SubmitRequest,
        schema.CancelRequest,
        schema.ReplaceRequest,
        schema.ClosePositionRequest,
        schema.CloseAllRequest,
        schema.OrdersQuery,
        schema.PositionsQuery,
        schema.FillsQuery,
        schema.StatusQuery,
        schema.SafeModeRequest,
        schema.ArmRequest,
        schema.KillRequest,
        schema.DeadLettersQuery,
        schema.RedriveDeadLetterRequest,
        schema.DropDeadLetterRequest,
        schema.Reply,
        views.OrderView,
        views.FillView,
        views.PositionView,
        views.AccountView,
        views.BalanceView,
        views.ModeChangeView,
        views.DirtyView,
        views.AlertView,
        views.QuoteView,
        views.PreviewView,
        views.Page,
        views.StatusView,
        DeadLetterView,
    ]
    fields = {f for struct in structs for f in struct.__struct_fields__}

    assert set(REQUEST_TYPES) - named == set()
    assert {c.value for c in WireCode} - named == set()
    assert fields - named == set()
