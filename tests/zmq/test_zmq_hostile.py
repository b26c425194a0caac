"""Garbage never crashes the server: every bad frame gets a refusal with a reason, and serving goes on."""

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_daemon.zmq_api import REQUEST_TYPES, WireCode
from oms_daemon.zmq_api.schema import SubmitRequest
from tests.zmq.harness import Daemon, RawSockets

MAX_FRAME = 2048
WIRE_CODES = {code.value for code in WireCode}
SUBMIT = {
    "type": "submit",
    "id": "h",
    "account": "A",
    "strategy": "hostile",
    "symbol": "BTC/USDT",
    "side": "BUY",
    "quantity": "0.001",
}
WRONG_TYPES: dict[str, Any] = {
    "symbol": 7,
    "side": "SIDEWAYS",
    "quantity": "1.2.3",
    "price": [1],
    "order_type": "ICEBERG",
    "post_only": "yes",
    "position_id": "one",
    "account": None,
    "idempotency_key": {"k": 1},
}
SUBMIT_FIELDS = {"type", *SubmitRequest.__struct_fields__}
_pack = msgspec.msgpack.encode
_unpack = msgspec.msgpack.Decoder()


@pytest.fixture(scope="module")
def small_daemon() -> Iterator[Daemon]:
    with Daemon(max_frame_bytes=MAX_FRAME) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def wire(small_daemon: Daemon) -> Iterator[zmq.Socket]:
    sockets = RawSockets()
    yield sockets.dealer(small_daemon.requests)
    sockets.close()


def exchange(sock: zmq.Socket, frames: list[bytes]) -> dict[str, Any]:
    sock.send_multipart(frames)
    reply = sock.recv_multipart()
    assert reply[0] == b"" if len(frames) >= 2 and frames[0] == b"" else len(reply) == 1
    return _unpack.decode(reply[-1])


def still_serving(sock: zmq.Socket) -> None:
    reply = exchange(sock, [_pack({"type": "status", "id": "alive"})])
    assert reply["ok"] is True and reply["id"] == "alive"


scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def hostile(draw: st.DrawFn) -> tuple[list[bytes], set[str]]:
    """A frame list no valid client would send, with the refusal codes it may get."""
    kind = draw(
        st.sampled_from(["bytes", "not_a_map", "no_type", "bad_type", "float", "wrong", "extra", "big", "frames"])
    )
    if kind == "bytes":
        codes = {WireCode.NOT_MSGPACK, WireCode.MALFORMED_REQUEST, WireCode.UNKNOWN_REQUEST_TYPE}
        return [draw(st.binary(max_size=300))], codes
    if kind == "not_a_map":
        return [_pack(draw(values.filter(lambda v: not isinstance(v, dict))))], {WireCode.MALFORMED_REQUEST}
    if kind == "no_type":
        body = draw(st.dictionaries(st.text(max_size=8).filter(lambda k: k != "type"), values, max_size=5))
        return [_pack(body)], {WireCode.MALFORMED_REQUEST}
    if kind == "bad_type":
        body = {**SUBMIT, "type": draw(st.text(max_size=12).filter(lambda t: t not in REQUEST_TYPES))}
        return [_pack(body)], {WireCode.UNKNOWN_REQUEST_TYPE}
    if kind == "float":
        field = draw(st.sampled_from(["quantity", "price", "stop_price"]))
        return [_pack({**SUBMIT, field: draw(st.floats())})], {WireCode.FLOAT_NOT_ALLOWED}
    if kind == "wrong":
        field = draw(st.sampled_from(sorted(WRONG_TYPES)))
        return [_pack({**SUBMIT, field: WRONG_TYPES[field]})], {WireCode.MALFORMED_REQUEST}
    if kind == "extra":
        key = draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in SUBMIT_FIELDS))
        return [_pack({**SUBMIT, key: draw(values)})], {WireCode.MALFORMED_REQUEST}
    if kind == "big":
        size = draw(st.integers(MAX_FRAME + 1, 16 * MAX_FRAME))
        return [_pack({**SUBMIT, "symbol": "X" * size})], {WireCode.FRAME_TOO_LARGE}
    frames = draw(st.lists(st.binary(max_size=40), min_size=2, max_size=4))
    return frames, WIRE_CODES


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=hostile())
def test_given_any_hostile_frame_when_sent_then_refused_with_a_reason_and_the_server_goes_on(
    wire: zmq.Socket, case: tuple[list[bytes], set[str]]
) -> None:
    frames, codes = case

    reply = exchange(wire, frames)

    assert reply["type"] == "reply" and reply["ok"] is False
    assert reply["reason"] in codes, reply
    assert reply["message"]
    still_serving(wire)


@pytest.mark.parametrize(
    ("frames", "code", "message"),
    [
        ([b""], WireCode.NOT_MSGPACK, "not one MessagePack value"),
        ([b"\xc1"], WireCode.NOT_MSGPACK, "invalid opcode"),
        ([_pack({**SUBMIT, "symbol": 5})], WireCode.MALFORMED_REQUEST, "Expected `str`, got `int` - at `$.symbol`"),
        ([_pack({**SUBMIT, "price": 1.5})], WireCode.FLOAT_NOT_ALLOWED, "at `$.price`"),
        ([_pack({**SUBMIT, "quantity": "1e999"})], WireCode.MALFORMED_REQUEST, "decimal string"),
        ([_pack({**SUBMIT, "qty": "1"})], WireCode.MALFORMED_REQUEST, "unknown field `qty`"),
        ([_pack({"type": "fetch", "id": "h"})], WireCode.UNKNOWN_REQUEST_TYPE, "'fetch'"),
        ([_pack({"type": "orders", "limit": 0})], WireCode.MALFORMED_REQUEST, "at `$.limit`"),
        ([_pack({"type": "cancel", "account": "A", "strategy": "s"})], WireCode.MALFORMED_REQUEST, "`order_id`"),
        ([_pack(SUBMIT), b"extra"], WireCode.MALFORMED_REQUEST, "one payload frame, got 2"),
        ([_pack({**SUBMIT, "symbol": "X" * 4096})], WireCode.FRAME_TOO_LARGE, "limit is 2048"),
    ],
)
def test_given_a_specific_bad_request_when_sent_then_the_reason_and_message_are_precise(
    wire: zmq.Socket, frames: list[bytes], code: str, message: str
) -> None:
    reply = exchange(wire, frames)

    assert (reply["ok"], reply["reason"]) == (False, code)
    assert message in reply["message"]
    still_serving(wire)


def test_given_a_refusable_map_with_an_id_when_refused_then_the_id_is_echoed(wire: zmq.Socket) -> None:
    reply = exchange(wire, [_pack({**SUBMIT, "id": 77, "side": "UP"})])

    assert (reply["id"], reply["reason"]) == (77, WireCode.MALFORMED_REQUEST)


def test_given_a_req_socket_when_it_asks_then_the_reply_comes_back_through_its_delimiter(
    small_daemon: Daemon, raw: RawSockets
) -> None:
    req = raw.socket(zmq.REQ)
    req.setsockopt(zmq.RCVTIMEO, 5000)
    req.connect(small_daemon.requests)

    req.send(_pack({"type": "account", "id": 1, "account": "A"}))
    reply = _unpack.decode(req.recv())

    assert reply["ok"] and reply["data"][0]["account_id"] == "A"


def test_given_the_default_limit_when_a_100_kib_frame_arrives_then_frame_too_large_and_serving_goes_on(
    raw: RawSockets,
) -> None:
    with Daemon() as daemon:
        sock = raw.dealer(daemon.requests)

        reply = exchange(sock, [b"\x00" * (100 * 1024)])

        assert (reply["reason"], reply["message"]) == ("frame_too_large", "payload is 102400 bytes; the limit is 65536")
        still_serving(sock)
