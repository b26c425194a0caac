"""Fuzzing the HTTP API of a real omsd process with raw bytes: headers, paths, query strings and bodies that
no HTTP library would send. The answer is never a 500 / ``internal_error`` (a bug in omsd), and the
daemon's log never holds a traceback.
"""

import json
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.daemon.process import DaemonProcess
from tests.http.daemon import KEYS, Http

ROUTES: list[tuple[str, str]] = []
"""(method, path template) of every documented operation, filled from the live OpenAPI document."""
FIELDS = ["symbol", "side", "type", "amount", "price", "quantity", "order_type", "account", "strategy", "id", "limit"]


def exchange(port: int, request: bytes) -> tuple[int, bytes]:
    """Send raw request bytes, return (status, body) of the answer (0 when the server closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data.startswith(b"HTTP/1."):
        return 0, data
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def error_code(body: bytes) -> str | None:
    """The ``error.code`` of a JSON error body, else None."""
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    error = decoded.get("error") if isinstance(decoded, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def nested_json(kind: str, depth: int) -> bytes:
    return (b'{"k":' * depth + b"1" + b"}" * depth) if kind == "map" else (b"[" * depth + b"]" * depth)


_header_bytes = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
_json_values = st.one_of(
    st.sampled_from([b"null", b"true", b"0", b"-1", b"1e999", b"1.5", b"18446744073709551616", b'"1e-99999"']),
    st.text(max_size=20).map(lambda t: json.dumps(t).encode()),
    st.binary(max_size=20).map(lambda b: b'"' + b.replace(b'"', b"").replace(b"\\", b"") + b'"'),  # any bytes
    st.tuples(st.sampled_from(["map", "array"]), st.integers(1, 20000)).map(lambda t: nested_json(*t)),
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["object", "raw", "nested"]))
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "nested":
        return nested_json(draw(st.sampled_from(["map", "array"])), draw(st.integers(1, 20000)))
    items = draw(st.dictionaries(st.sampled_from(FIELDS), _json_values, max_size=5))
    return b"{" + b",".join(json.dumps(k).encode() + b":" + v for k, v in items.items()) + b"}"


_segment = st.one_of(
    st.sampled_from(["1", "0", "-1", "99999999999999999999999", "paper-1", "%ff%fe", "%00", "..", "%2F", "x" * 300]),
    st.text(alphabet="abcXYZ019-_.~%", max_size=12),
)


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    method, template = draw(st.sampled_from(ROUTES))
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + draw(_segment) + path[end + 1 :]
    query = draw(st.lists(st.tuples(_segment, _segment), max_size=3))
    target = path.encode() + (b"?" + b"&".join(f"{k}={v}".encode() for k, v in query) if query else b"")
    key = draw(st.one_of(st.just(KEYS["fuzz"].encode()), st.just(b"\xff\xfe"), _header_bytes))
    body = draw(bodies()) if method in ("POST", "PUT", "PATCH", "DELETE") else b""
    headers = [b"Host: 127.0.0.1", b"x-api-key: " + key, b"Connection: close", b"Content-Length: %d" % len(body)]
    if draw(st.booleans()):
        headers.append(b"Content-Type: application/json")
    return method.encode() + b" " + target + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + body


@pytest.fixture(scope="module")
def routes(omsd: DaemonProcess) -> list[tuple[str, str]]:
    status, document, _ = Http(omsd.http_port).get("/openapi.json")
    assert status == 200
    found = [(m.upper(), p) for p, ops in document["paths"].items() for m in ops if p != "/oms/ws"]
    ROUTES[:] = sorted(found)
    return ROUTES


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_given_any_request_bytes_when_sent_then_never_a_server_error(
    omsd: DaemonProcess, routes: list[tuple[str, str]], data: st.DataObject
) -> None:
    request = data.draw(raw_requests())
    status, body = exchange(omsd.http_port, request)
    shown = (status, body[:300], request[:300])
    assert status < 500, shown
    assert error_code(body) != "internal_error", shown


@pytest.mark.parametrize("key", [b"\xff\xfe", b"\x80", b"caf\xc3\xa9", b"\xc3("])
def test_given_an_api_key_that_is_not_ascii_then_401_invalid_api_key(omsd: DaemonProcess, key: bytes) -> None:
    request = b"GET /oms/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-api-key: " + key + b"\r\n\r\n"
    status, body = exchange(omsd.http_port, request)
    assert (status, json.loads(body)["error"]["code"]) == (401, "invalid_api_key")


def test_after_the_fuzzing_the_log_holds_no_traceback(omsd: DaemonProcess, http: Http) -> None:
    assert http.get("/oms/orders/open")[0] == 200
    assert "Traceback" not in Path(omsd.log).read_text()
