"""The simulated exchange over its real sockets: Binance's signed REST (statuses and error bodies), the WS API
user-data subscription and its events, and runtime faults. Plain aiohttp, signed by hand as Binance documents."""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from simex import SimexProcess

KEY, SECRET = "simex-key", "simex-secret"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimexProcess]:
    with SimexProcess() as process:
        yield process


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def sign(params: dict[str, Any], timestamp: int | None = None) -> str:
    query = urlencode(params | {"timestamp": timestamp or int(time.time() * 1000)})
    return query + "&signature=" + hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()


async def call(
    http: aiohttp.ClientSession, sim: SimexProcess, method: str, path: str, query: str = "", body: str = ""
) -> tuple[int, Any, dict[str, str]]:
    url = f"http://127.0.0.1:{sim.port}/api/v3/{path}" + (f"?{query}" if query else "")
    headers = {"X-MBX-APIKEY": KEY, "Content-Type": "application/x-www-form-urlencoded"}
    async with http.request(method, url, data=body or None, headers=headers) as response:
        return response.status, await response.json(), dict(response.headers)


async def test_given_a_signed_new_order_then_placed_and_signature_checked_like_binance(
    http: aiohttp.ClientSession, sim: SimexProcess
) -> None:
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "newClientOrderId": "w-1"}
    status, body, _ = await call(http, sim, "POST", "order", body=sign(params))
    assert status == 200 and body["clientOrderId"] == "w-1" and body["status"] == "FILLED" and body["fills"]
    # a tampered body fails the signature; a stale timestamp the receive window
    tampered = sign(params | {"newClientOrderId": "w-2"}).replace("0.01", "0.02")
    assert (await call(http, sim, "POST", "order", body=tampered))[:2] == (
        400,
        {"code": -1022, "msg": "Signature for this request is not valid."},
    )
    stale = sign(params | {"newClientOrderId": "w-3"}, timestamp=int(time.time() * 1000) - 60_000)
    assert (await call(http, sim, "POST", "order", body=stale))[1]["code"] == -1021


async def test_given_unknown_orders_then_binance_error_bodies(http: aiohttp.ClientSession, sim: SimexProcess) -> None:
    query = sign({"symbol": "BTCUSDT", "origClientOrderId": "nope"})
    assert (await call(http, sim, "GET", "order", query))[:2] == (400, {"code": -2013, "msg": "Order does not exist."})
    assert (await call(http, sim, "DELETE", "order", query))[:2] == (400, {"code": -2011, "msg": "Unknown order sent."})
    assert (await call(http, sim, "GET", "order", sign({"symbol": "NOPE", "orderId": 1})))[1]["code"] == -1121


async def test_given_a_429_fault_when_not_waited_out_then_the_ip_is_banned(
    http: aiohttp.ClientSession, sim: SimexProcess
) -> None:
    sim.control.add_faults({"kind": "http_error", "status": 429, "retry_after": 2, "ban_s": 1, "path": "/api/v3/time"})
    status, body, headers = await call(http, sim, "GET", "time")
    assert (status, body["code"], headers["Retry-After"]) == (429, -1003, "2")
    await asyncio.sleep(0.15)  # past the in-flight grace, still inside Retry-After
    assert (await call(http, sim, "GET", "time"))[0] == 418
    assert sim.control.stats()["faults"]["escalated_to_418"] == 1
    sim.control.clear_faults()


async def test_given_a_ws_api_subscription_then_user_events_arrive_wrapped(
    http: aiohttp.ClientSession, sim: SimexProcess
) -> None:
    params = {"apiKey": KEY, "timestamp": int(time.time() * 1000)}
    payload = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    params["signature"] = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    async with http.ws_connect(f"ws://127.0.0.1:{sim.port}/ws-api/v3") as ws:
        await ws.send_str(json.dumps({"id": "a1", "method": "userDataStream.subscribe.signature", "params": params}))
        assert json.loads((await ws.receive()).data) == {"id": "a1", "status": 200, "result": {"subscriptionId": 0}}
        # when an order trades
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "newClientOrderId": "w-9"}
        await call(http, sim, "POST", "order", body=sign(order))
        # then its reports and the balance update arrive, in Binance's order
        events = [json.loads((await ws.receive()).data) for _ in range(3)]
    assert all(e["subscriptionId"] == 0 for e in events)
    kinds = [(e["event"]["e"], e["event"].get("x")) for e in events]
    assert kinds == [("executionReport", "NEW"), ("executionReport", "TRADE"), ("outboundAccountPosition", None)]
    assert events[1]["event"]["c"] == "w-9" and events[1]["event"]["t"] > 0
