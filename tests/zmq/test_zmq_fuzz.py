"""Fuzzing the ZeroMQ API of a real omsd process: whatever arrives, the reply is never ``internal_error``
and the daemon's log never holds a traceback (``internal_error`` means a bug in omsd).

Payloads are built as raw MessagePack so they can go where encoders refuse to: maps and arrays nested
thousands deep, strings that are not UTF-8, every MessagePack type in every field of every request type.
"""

import struct
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_daemon.core.reasons import Reason
from oms_daemon.zmq_api import WireCode
from oms_daemon.zmq_api.schema import AnyRequest
from tests.daemon.process import DaemonProcess
from tests.zmq.harness import RawSockets

_pack = msgspec.msgpack.encode
_unpack = msgspec.msgpack.Decoder()
KNOWN_CODES = {c.value for c in WireCode} | {r.value for r in Reason}
REQUESTS = {str(cls.__struct_config__.tag): cls for cls in AnyRequest.__args__}  # type: ignore[attr-defined]
BASE: dict[str, dict[str, object]] = {
    kind: {"type": kind, "account": "paper-1", "strategy": "fuzz", "operator": "fuzz", "id": "f"} for kind in REQUESTS
}
VALID = {"symbol": "BTC/USDT", "side": "BUY", "quantity": "0.001", "order_id": 1, "entry_id": 1}
"""What a required field gets when it is not the one being fuzzed."""


def mp_str(text: str) -> bytes:
    return _pack(text)


def nested(kind: str, depth: int, leaf: bytes = b"\xc0") -> bytes:
    """A map (``{"k": {"k": ...}}``) or array (``[[...]]``) nested ``depth`` deep, as MessagePack bytes."""
    return (b"\x81\xa1k" if kind == "map" else b"\x91") * depth + leaf


def raw_map(items: list[tuple[bytes, bytes]]) -> bytes:
    """A MessagePack map of already-encoded keys and values."""
    head = bytes([0x80 | len(items)]) if len(items) < 16 else b"\xde" + struct.pack(">H", len(items))
    return head + b"".join(k + v for k, v in items)


_SCALARS = st.one_of(
    st.just(b"\xc0"),
    st.just(b"\xc2"),
    st.just(b"\xc3"),
    st.integers(-(2**63), 2**64 - 1).map(_pack),
    st.floats(allow_nan=True, allow_infinity=True).map(_pack),
    st.floats(width=32).map(lambda f: b"\xca" + struct.pack(">f", f)),
    st.text(max_size=40).map(_pack),
    st.binary(max_size=12).map(lambda b: bytes([0xA0 | len(b)]) + b),  # a str that may not be UTF-8
    st.binary(max_size=40).map(lambda b: b"\xc4" + bytes([len(b)]) + b),  # bin
    st.binary(min_size=1, max_size=1).map(lambda b: b"\xd4\x01" + b),  # fixext 1
    st.just(b"\xd6\xff\x00\x00\x00\x01"),  # timestamp ext
    st.sampled_from(["0.001", "1e99", "-0", "NaN", "Infinity", "1" * 60, "0x10", " 1", "1_000", "\u0661"]).map(mp_str),
)
VALUES = st.one_of(
    _SCALARS,
    st.tuples(st.sampled_from(["map", "array"]), st.integers(1, 5000)).map(lambda t: nested(*t)),
    st.lists(_SCALARS, max_size=5).map(lambda xs: bytes([0x90 | len(xs)]) + b"".join(xs)),
    st.lists(st.tuples(_SCALARS, _SCALARS), max_size=4).map(raw_map),  # keys of any type
)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """One request type, valid but for one field (any of its own, or an unknown one) holding any value."""
    kind = draw(st.sampled_from(sorted(REQUESTS)))
    fields = sorted({*REQUESTS[kind].__struct_fields__, "id", "type"})
    target = draw(st.sampled_from([*fields, "zz"]))
    base = {**BASE[kind], **{f: VALID[f] for f in fields if f in VALID}}
    items = [(mp_str(k), _pack(v)) for k, v in base.items() if k != target and k in fields]
    items.append((mp_str(target), draw(VALUES)))
    return raw_map(items)


FRAMES = st.one_of(
    requests(),
    VALUES,  # anything at all as the whole payload
    st.tuples(st.sampled_from(["map", "array"]), st.integers(1, 20000)).map(lambda t: nested(*t)),
    st.binary(max_size=200),
)


@pytest.fixture(scope="module")
def omsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    with DaemonProcess(tmp_path_factory.mktemp("omsd-zmq-fuzz")) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def wire(omsd: DaemonProcess) -> Iterator[zmq.Socket]:
    sockets = RawSockets()
    sock = sockets.dealer(omsd.requests)
    sock.setsockopt(zmq.RCVTIMEO, 10_000)
    yield sock
    sockets.close()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=FRAMES)
def test_given_any_payload_when_sent_then_the_reply_is_never_internal_error(wire: zmq.Socket, payload: bytes) -> None:
    wire.send(payload)
    reply = _unpack.decode(wire.recv())
    assert reply["type"] == "reply"
    assert reply["reason"] != "internal_error", reply
    refused_preview = (
        reply["reason"] is None and isinstance(reply["data"], dict) and bool(reply["data"].get("refusals"))
    )
    assert reply["ok"] or reply["reason"] in KNOWN_CODES or refused_preview, (reply, payload[:200])


def test_after_the_fuzzing_the_daemon_serves_and_its_log_holds_no_traceback(
    omsd: DaemonProcess, wire: zmq.Socket
) -> None:
    wire.send(_pack({"type": "status", "id": "alive"}))
    assert _unpack.decode(wire.recv())["ok"]
    assert omsd.alive
    assert "Traceback" not in Path(omsd.log).read_text()
