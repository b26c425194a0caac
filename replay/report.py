"""What `omsd replay` prints: a summary of the folded state, or an order's story."""

from collections import Counter
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from oms_daemon.core import Core
from oms_daemon.core.events import CancelAtVenue, Event, FillBooked, ModifyAtVenue, OrderUpdated, SubmitToVenue
from replay.fold import FoldResult
from replay.story import StoryLine

__all__ = ["describe_event", "print_story", "print_summary", "summarize"]


def summarize(core: Core, result: FoldResult) -> dict[str, Any]:
    """Plain-data summary: events, orders by status, open positions, balances, final state hash."""
    state = core.state
    by_status = Counter(str(o.status) for o in state.orders.values())
    positions = [
        {
            "position_id": p.position_id,
            "account_id": p.account_id,
            "symbol": p.symbol,
            "quantity": str(p.quantity),
            "avg_price": str(p.avg_price),
            "realized_pnl": str(p.realized_pnl),
        }
        for pids in state.open_positions.values()
        for p in (state.positions[i] for i in pids)
    ]
    return {
        "events": result.events,
        "last_seq": result.last_seq,
        "last_ts_ns": result.last_ts_ns,
        "checksums_verified": result.checksums_verified,
        "inputs_by_type": result.by_type,
        "orders_by_status": dict(sorted(by_status.items())),
        "fills": len(state.fills),
        "open_positions": sorted(positions, key=lambda p: (p["account_id"], p["symbol"], p["position_id"])),
        "closed_positions": sum(1 for p in state.positions.values() if not p.is_open),
        "accounts": {
            a: {c: str(v) for c, v in sorted(acct.balances.items())} for a, acct in sorted(state.accounts.items())
        },
        "modes": {a: msgspec.structs.asdict(m) for a, m in sorted(state.modes.items())},
        "dirty": {f"{a}/{s}": r for (a, s), r in sorted(state.dirty.items())},
        "state_hash": state.state_hash(),
    }


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    return table


def print_summary(summary: dict[str, Any], console: Console) -> None:
    """Human tables of a summary."""
    console.print(
        f"events {summary['events']}  last seq {summary['last_seq']}  "
        f"checksums verified {summary['checksums_verified']}  fills {summary['fills']}"
    )
    console.print(_table("inputs by type", ["type", "count"], [list(kv) for kv in summary["inputs_by_type"].items()]))
    console.print(
        _table("orders by status", ["status", "count"], [list(kv) for kv in summary["orders_by_status"].items()])
    )
    console.print(
        _table(
            "open positions",
            ["id", "account", "symbol", "quantity", "avg price", "realized"],
            [
                [p["position_id"], p["account_id"], p["symbol"], p["quantity"], p["avg_price"], p["realized_pnl"]]
                for p in summary["open_positions"]
            ],
        )
    )
    console.print(
        _table(
            "balances",
            ["account", "currency", "balance"],
            [[a, c, v] for a, balances in summary["accounts"].items() for c, v in balances.items()],
        )
    )
    console.print(f"state hash {summary['state_hash']}")


def _fields(struct: msgspec.Struct, skip: tuple[str, ...] = ()) -> str:
    values = msgspec.structs.asdict(struct)
    return " ".join(f"{k}={v}" for k, v in values.items() if k not in skip and v not in (None, (), "", False))


def describe_event(event: Event) -> str:
    """One line saying what an event did."""
    match event:
        case OrderUpdated(order=o, previous_status=previous):
            change = f"{previous} → {o.status}" if previous else f"created {o.status}"
            extra = f" reason={o.reason}" if o.reason else ""
            return (
                f"order {o.order_id} ({o.client_order_id}) {change}: {o.side} {o.order_type} {o.quantity} {o.symbol}"
                f" @ {o.price or 'market'}, filled {o.filled_qty}{f' @ {o.avg_fill_price}' if o.avg_fill_price else ''}"
                f"{extra}"
            )
        case FillBooked(fill=f):
            return f"fill {f.fill_id} trade {f.trade_id}: {f.side} {f.quantity} @ {f.price} → position {f.position_id}"
        case SubmitToVenue(order=o) | CancelAtVenue(order=o):
            return f"{type(event).__name__} {o.client_order_id}"
        case ModifyAtVenue(order=o, replacement=r):
            return f"ModifyAtVenue {o.client_order_id} → {r.client_order_id}"
        case _:
            return f"{type(event).__name__} {_fields(event)}"


def print_story(order_id: int, lines: list[StoryLine], console: Console) -> None:
    """Every input that touched an order, with what it decided."""
    console.print(f"order {order_id}: {len(lines)} input(s)")
    for line in lines:
        inp = line.input
        console.print(f"[bold]seq {line.seq}[/bold] {type(inp).__name__} {_fields(inp, ('ts_recv',))}", highlight=False)
        for event in line.events:
            console.print(f"    → {describe_event(event)}", highlight=False)
