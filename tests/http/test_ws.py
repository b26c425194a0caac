"""GET /oms/ws: a real aiohttp WebSocket client subscribes and receives order, deal and position updates,
scoped by its key like the REST API."""

import asyncio
import json
from typing import Any

import aiohttp

from tests.daemon.process import DaemonProcess
from tests.http.daemon import KEYS


async def receive_until(ws: aiohttp.ClientWebSocketResponse, wanted: set[str]) -> dict[str, Any]:
    """Messages by type until every ``wanted`` type arrived (bounded by a timeout)."""
    seen: dict[str, Any] = {}
    async with asyncio.timeout(10):
        while not wanted <= set(seen):
            message = json.loads((await ws.receive()).data)
            seen.setdefault(message["type"], message)
    return seen


async def test_subscribed_updates_arrive(omsd: DaemonProcess) -> None:
    base = f"http://127.0.0.1:{omsd.http_port}"
    headers = {"x-api-key": KEYS["one"]}
    async with aiohttp.ClientSession() as session, session.ws_connect(base + "/oms/ws", headers=headers) as ws:
        # given subscriptions to the three channels of paper-1, strategy "ws"
        for channel in ("orders", "deals", "positions"):
            await ws.send_json({"op": "subscribe", "channel": channel, "strategy": "ws", "id": channel})
            ack = json.loads((await ws.receive()).data)
            assert ack == {
                "type": "subscribed",
                "id": channel,
                "channel": channel,
                "account": "paper-1",
                "strategy": "ws",
            }
        # when that strategy buys at market over REST
        body = {"command": "send_order", "strategy": "ws", "symbol": "BTC/USDT", "side": "BUY", "quantity": "0.001"}
        async with session.post(base + "/oms/commands", json=body, headers=headers) as response:
            order_id = (await response.json())["order_id"]
        # then the order, its deal and the position arrive, with increasing seq
        seen = await receive_until(ws, {"order", "deal", "position"})
        assert seen["order"]["data"]["order_id"] == order_id
        assert seen["deal"]["data"]["order_id"] == order_id
        assert seen["position"]["data"]["account_id"] == "paper-1"
        assert seen["order"]["seq"] < seen["deal"]["seq"]
        await ws.send_json({"op": "ping", "id": 7})
        assert (await receive_until(ws, {"pong"}))["pong"] == {"type": "pong", "id": 7}


async def test_a_key_cannot_subscribe_to_another_account(omsd: DaemonProcess) -> None:
    base = f"http://127.0.0.1:{omsd.http_port}"
    async with aiohttp.ClientSession() as session:
        # given key two's stream, when it asks for paper-1 or for a strategy not its own, then errors
        async with session.ws_connect(base + "/oms/ws", headers={"x-api-key": KEYS["two"]}) as ws:
            await ws.send_json({"op": "subscribe", "channel": "orders", "account": "paper-1"})
            assert json.loads((await ws.receive()).data)["error"]["code"] == "account_not_found"
            await ws.send_json({"op": "subscribe", "channel": "orders", "strategy": "s9"})
            assert json.loads((await ws.receive()).data)["error"]["code"] == "strategy_not_permitted"
            await ws.send_json({"op": "dance"})
            assert json.loads((await ws.receive()).data)["error"]["code"] == "validation_error"
        # and without a key there is no stream at all
        async with session.get(base + "/oms/ws") as response:
            assert response.status == 401 and (await response.json())["error"]["code"] == "invalid_api_key"


async def test_a_message_nested_thousands_deep_gets_an_error_and_the_stream_goes_on(omsd: DaemonProcess) -> None:
    base = f"http://127.0.0.1:{omsd.http_port}"
    headers = {"x-api-key": KEYS["one"]}
    async with aiohttp.ClientSession() as session, session.ws_connect(base + "/oms/ws", headers=headers) as ws:
        # when a message nests objects 20,000 deep, then a validation error answers it
        await ws.send_str('{"op":' * 20000 + "1" + "}" * 20000)
        assert json.loads((await ws.receive()).data)["error"]["code"] == "validation_error"
        # and the connection still serves
        await ws.send_json({"op": "ping", "id": 8})
        assert (await receive_until(ws, {"pong"}))["pong"] == {"type": "pong", "id": 8}
