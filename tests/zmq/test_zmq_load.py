"""Many clients with many requests in flight: every request answered once, by id, in any order."""

import asyncio

from oms_daemon.client import AsyncOmsClient, Reply
from tests.zmq.harness import Daemon

CLIENTS = 4
REQUESTS = 250


async def test_given_four_clients_when_each_pipelines_250_submits_then_all_1000_are_answered(daemon: Daemon) -> None:
    clients = [AsyncOmsClient(daemon.requests, account="A", strategy=f"load{n}") for n in range(CLIENTS)]
    try:

        async def burst(client: AsyncOmsClient) -> list[Reply]:
            return await asyncio.gather(*(client.submit("BTC/USDT", "BUY", "0.001") for _ in range(REQUESTS)))

        replies = await asyncio.gather(*(burst(c) for c in clients))
    finally:
        for client in clients:
            await client.close()

    for per_client in replies:
        assert [r.id for r in per_client] == list(range(1, REQUESTS + 1))
        assert all(r.ok for r in per_client)
    order_ids = [r.order_id for per_client in replies for r in per_client]
    assert sorted(order_ids) == list(range(1, CLIENTS * REQUESTS + 1))
    assert daemon.call(lambda: len(daemon.gateway.state.orders)) == CLIENTS * REQUESTS


async def test_given_queries_and_intents_interleaved_when_pipelined_then_each_reply_matches_its_request(
    client: AsyncOmsClient,
) -> None:
    calls = [client.submit("ETH/USDT", "BUY", "1") if n % 2 else client.status() for n in range(200)]

    results = await asyncio.gather(*calls)

    assert all(r.ok for r in results[1::2])
    assert all(s.instance_id == "t" for s in results[0::2])
