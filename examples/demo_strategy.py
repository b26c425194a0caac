"""A small strategy that trades through omsd over ZeroMQ and prints what happens.

    python examples/demo_strategy.py [--config config/paper.toml] [--seconds N]

Every couple of seconds it does one thing: buy at market, rest a limit order and move it, cancel
it, or close the position; meanwhile it prints every order, fill and position event it receives.
"""

import argparse
import asyncio
import contextlib
from decimal import Decimal
from pathlib import Path

from oms_daemon.client import AsyncOmsClient
from oms_daemon.config import load_config
from oms_daemon.zmq_api import StreamMessage

ACCOUNT, STRATEGY, SYMBOL = "paper-1", "demo", "BTC/USDT"
SIZE = Decimal("0.01")


def _show(message: StreamMessage) -> None:
    data = message.data
    match type(message).__name__:
        case "OrderEvent":
            print(
                f"  order {data.order_id:>4} {data.side:<4} {data.order_type:<6} {data.quantity} {data.symbol} "
                f"@ {data.price or 'market'} → {data.status} (filled {data.filled_qty})"
            )
        case "FillEvent":
            print(
                f"  fill  {data.quantity} {data.symbol} @ {data.price} (order {data.order_id}, trade {data.trade_id})"
            )
        case "PositionEvent":
            print(f"  position {data.symbol}: {data.quantity} @ {data.avg_price}, realized {data.realized_pnl}")
        case "AccountEvent":
            print(f"  account {data.account_id}: " + ", ".join(f"{b.currency} {b.balance:f}" for b in data.balances))
        case kind:
            print(f"  {kind.removesuffix('Event').lower()}: {data}")


async def _listen(client: AsyncOmsClient) -> None:
    async for message in client.events():
        _show(message)


async def _act(client: AsyncOmsClient, step: int) -> None:
    match step % 4:
        case 0:
            print(f"→ buy {SIZE} {SYMBOL} at market")
            await client.submit(SYMBOL, "BUY", SIZE, idempotency_key=f"demo-buy-{step}")
        case 1:
            preview = (await client.preview(SYMBOL, "SELL", SIZE)).data
            price = (preview.reference_price * Decimal("1.002")).quantize(Decimal("0.01"))
            print(f"→ rest a limit sell at {price}, then move it down")
            reply = await client.submit(SYMBOL, "SELL", SIZE, order_type="LIMIT", price=price)
            await asyncio.sleep(0.5)
            if reply.ok:
                await client.replace(reply.order_id, price=price - Decimal("10"))
        case 2:
            for order in (await client.orders(scope="open")).items:
                print(f"→ cancel order {order.order_id}")
                await client.cancel(order.order_id)
        case 3:
            print(f"→ close the {SYMBOL} position")
            reply = await client.close_position(SYMBOL)
            if not reply.ok:
                print(f"  ({reply.reason}: {reply.message})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=Path("config/paper.toml"))
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: run until Ctrl-C)")
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    config = load_config(args.config)
    async with AsyncOmsClient(config.zmq.requests, config.zmq.events, ACCOUNT, STRATEGY) as client:
        listener = asyncio.ensure_future(_listen(client))
        loop = asyncio.get_running_loop()
        deadline = None if args.seconds is None else loop.time() + args.seconds
        step = 0
        while deadline is None or loop.time() < deadline:
            await _act(client, step)
            step += 1
            await asyncio.sleep(args.interval)
        status = await client.status(ACCOUNT)
        print(f"done: {status.order_count} orders, {status.fill_count} fills")
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
