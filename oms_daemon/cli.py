"""``omsd``: run the daemon, inspect it, operate it, and replay or export its journal."""

import argparse
import getpass
import sys
from datetime import datetime
from pathlib import Path

import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from journal import JournalError, JournalReader, export_jsonl
from oms_daemon.client import OmsClient
from oms_daemon.client.protocol import OmsTimeout, WireReply, decode_reply, typed_data
from oms_daemon.config import ConfigError, DaemonConfig, load_config
from oms_daemon.dead_letters import DeadLetterView
from oms_daemon.views import StatusView
from oms_daemon.zmq_api.schema import DeadLettersQuery, DropDeadLetterRequest, RedriveDeadLetterRequest, Request

__all__ = ["main"]

DEFAULT_CONFIG = Path("config/paper.toml")


def _config(path: Path) -> DaemonConfig:
    try:
        return load_config(path)
    except ConfigError as error:
        sys.exit(f"omsd: {path}: {error}")
    except OSError as error:
        sys.exit(f"omsd: cannot read {path}: {error.strerror}")


# --- run ---------------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    import uvloop

    from oms_daemon.app import Daemon
    from oms_daemon.logs import configure_logging
    from oms_daemon.runtime import tune_gc

    config = _config(args.config)
    configure_logging(config.log.level, config.log.format)
    tune_gc()
    daemon = Daemon(config)
    uvloop.run(daemon.run())
    return daemon.exit_code


# --- talking to a running daemon -----------------------------------------------------------------------------


def _client(args: argparse.Namespace, account: str | None = None) -> "OmsClient":
    config = _config(args.config)
    return OmsClient(
        config.zmq.requests, account=account or "", operator=f"{getpass.getuser()}@cli", timeout=args.timeout
    )


def _status(args: argparse.Namespace) -> int:
    with _client(args) as client:
        status: StatusView = client.status(args.account)
    console = Console()
    accounts = Table(title="accounts", title_justify="left")
    for column in ("account", "venue", "safe", "armed", "killed", "currency", "balance", "available", "equity"):
        accounts.add_column(column)
    for account in status.accounts:
        for balance in account.balances or [None]:
            accounts.add_row(
                account.account_id,
                account.venue,
                str(account.safe),
                str(account.armed),
                str(account.killed),
                *(
                    (balance.currency, str(balance.balance), str(balance.available), str(balance.equity))
                    if balance
                    else ("", "", "", "")
                ),
            )
    positions = Table(title="open positions", title_justify="left")
    for column in (
        "id",
        "account",
        "symbol",
        "side",
        "quantity",
        "avg price",
        "mark",
        "unrealized",
        "realized",
        "dirty",
    ):
        positions.add_column(column)
    for p in status.positions:
        positions.add_row(
            str(p.position_id),
            p.account_id,
            p.symbol,
            str(p.side),
            str(p.quantity),
            str(p.avg_price),
            str(p.mark_price),
            str(p.unrealized_pnl),
            str(p.realized_pnl),
            str(p.dirty),
        )
    orders = Table(title=f"open orders ({status.open_order_count})", title_justify="left")
    for column in ("id", "account", "strategy", "symbol", "side", "type", "qty", "price", "filled", "status"):
        orders.add_column(column)
    for o in status.open_orders:
        orders.add_row(
            str(o.order_id),
            o.account_id,
            o.strategy_id,
            o.symbol,
            str(o.side),
            str(o.order_type),
            str(o.quantity),
            str(o.price or ""),
            str(o.filled_qty),
            str(o.status),
        )
    console.print(accounts, positions, orders)
    console.print(f"{status.order_count} orders, {status.fill_count} fills in total")
    return 0


def _confirm(args: argparse.Namespace, what: str) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print(f"omsd: refusing to {what} without --yes (no terminal to confirm on)", file=sys.stderr)
        return False
    return input(f"{what}? type 'yes' to confirm: ").strip() == "yes"


def _operator(args: argparse.Namespace) -> int:
    every = args.account is None
    with _client(args, args.account) as client:
        match args.command:
            case "safe":
                reply = client.safe_mode(args.state == "on", reason=args.reason, all_accounts=every)
            case "arm":
                if not _confirm(args, f"arm {args.account} (orders will be sent to the venue)"):
                    return 2
                reply = client.arm(confirm=True, reason=args.reason)
            case "disarm":
                reply = client.disarm(reason=args.reason)
            case "reconcile":
                reply = client.reconcile(reason=args.reason, all_accounts=every)
            case _:
                target = args.account or "ALL accounts"
                if not _confirm(args, f"kill {target}{' and flatten' if args.flatten else ''}"):
                    return 2
                reply = client.kill(flatten=args.flatten, reason=args.reason, all_accounts=every)
    print(("ok" if reply.ok else f"refused: {reply.reason}") + (f" ({reply.message})" if reply.message else ""))
    return 0 if reply.ok else 1


# --- dead-letter queue --------------------------------------------------------------------------------------------


def _ask(args: argparse.Namespace, request: Request) -> WireReply:
    """One request to the running daemon on a plain DEALER; the reply as it came."""
    import zmq

    config = _config(args.config)
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(config.zmq.requests)
        dealer.send(msgspec.msgpack.encode(request))
        while dealer.poll(int(args.timeout * 1000)):
            reply = decode_reply(dealer.recv_multipart()[-1])
            if reply is not None and reply.id == request.id:
                return reply
        raise OmsTimeout(f"no reply within {args.timeout} s")
    finally:
        dealer.close(0)
        context.term()


def _dlq(args: argparse.Namespace) -> int:
    operator = f"{getpass.getuser()}@cli"
    if args.dlq_command == "list":
        reply = _ask(args, DeadLettersQuery(id=1, account=args.account))
        if not reply.ok:
            print(f"refused: {reply.reason} ({reply.message})", file=sys.stderr)
            return 1
        entries = typed_data(reply, list[DeadLetterView]) or []
        if args.json:
            sys.stdout.write(msgspec.json.encode(entries).decode() + "\n")
            return 0
        table = Table(title=f"dead letters ({len(entries)})", title_justify="left")
        for column in ("id", "account", "command", "order", "client order id", "symbol", "tries", "error"):
            table.add_column(column)
        for e in entries:
            order = str(e.order_id) if e.order_id is not None else ""
            row = (str(e.entry_id), e.account_id, e.command, order, e.client_order_id or "", e.symbol or "")
            table.add_row(*row, str(e.attempts), e.error)
        Console().print(table)
        return 0
    action = "re-drive" if args.dlq_command == "redrive" else "drop"
    if not _confirm(args, f"{action} dead letter {args.entry_id}"):
        return 2
    kind = RedriveDeadLetterRequest if args.dlq_command == "redrive" else DropDeadLetterRequest
    reply = _ask(args, kind(id=1, operator=operator, reason=args.reason, entry_id=args.entry_id))
    print(("ok" if reply.ok else f"refused: {reply.reason}") + (f" ({reply.message})" if reply.message else ""))
    return 0 if reply.ok else 1


# --- journal ----------------------------------------------------------------------------------------------------


def _until(value: str | None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    if value.isdigit():
        return int(value), None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        sys.exit("omsd: --until TIME needs a timezone, e.g. 2026-11-21T12:00:00Z")
    return None, int(moment.timestamp() * 1_000_000_000)


def _replay(args: argparse.Namespace) -> int:
    from oms_daemon.runtime import tune_gc
    from replay import ReplayDivergence, fold, order_story, print_story, print_summary, summarize

    tune_gc()
    console = Console()
    reader = JournalReader(args.paths)
    until_seq, until_ns = _until(args.until)
    try:
        if args.order is not None:
            _, lines = order_story(reader.records(), args.order)
            print_story(args.order, lines, console)
            return 0 if lines else 1
        with Progress(
            TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), console=console, disable=not console.is_terminal
        ) as bar:
            task = bar.add_task("replay", total=None)
            core, result = fold(
                reader.records(),
                verify=args.verify,
                until_seq=until_seq,
                until_ns=until_ns,
                progress=lambda seq: bar.update(task, completed=seq),
            )
    except ReplayDivergence as error:
        print(f"omsd replay: {error}", file=sys.stderr)
        return 3
    except JournalError as error:
        print(f"omsd replay: {error}", file=sys.stderr)
        return 4
    if reader.torn_tail is not None:
        print(f"omsd replay: stopped at a torn tail: {reader.torn_tail}", file=sys.stderr)
    summary = summarize(core, result)
    if args.json:
        sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
    else:
        print_summary(summary, console)
    return 0


def _export(args: argparse.Namespace) -> int:
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    try:
        count = export_jsonl(JournalReader(args.paths).records(), out)
    except JournalError as error:
        print(f"omsd journal export: {error}", file=sys.stderr)
        return 4
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"exported {count} records", file=sys.stderr)
    return 0


# --- parser ----------------------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omsd", description="omsd: an event-sourced order management daemon")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="daemon config (default: %(default)s)")

    def with_client(p: argparse.ArgumentParser) -> None:
        with_config(p)
        p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the daemon")
        p.add_argument("--reason", default="", help="why (journaled with the command)")

    run = sub.add_parser("run", help="run the daemon")
    with_config(run)
    run.set_defaults(handler=_run)

    status = sub.add_parser("status", help="orders, positions and accounts of the running daemon")
    with_client(status)
    status.add_argument("--account", default=None)
    status.set_defaults(handler=_status)

    safe = sub.add_parser("safe", help="enter or leave SAFE mode (no new risk)")
    with_client(safe)
    safe.add_argument("state", choices=["on", "off"])
    safe.add_argument("account", nargs="?", default=None, help="account id (default: all)")
    safe.set_defaults(handler=_operator)

    arm = sub.add_parser("arm", help="arm an account so orders reach its venue")
    with_client(arm)
    arm.add_argument("account")
    arm.add_argument("--yes", action="store_true", help="confirm without asking")
    arm.set_defaults(handler=_operator)

    disarm = sub.add_parser("disarm", help="disarm an account (new orders refused)")
    with_client(disarm)
    disarm.add_argument("account")
    disarm.set_defaults(handler=_operator)

    reconcile = sub.add_parser("reconcile", help="compare venue snapshots with omsd's state now")
    with_client(reconcile)
    reconcile.add_argument("account", nargs="?", default=None, help="account id (default: all)")
    reconcile.set_defaults(handler=_operator)

    kill = sub.add_parser("kill", help="kill switch: cancel all working orders, optionally flatten, disarm")
    with_client(kill)
    kill.add_argument("account", nargs="?", default=None, help="account id (default: all)")
    kill.add_argument("--flatten", action="store_true", help="also close every position")
    kill.add_argument("--yes", action="store_true", help="confirm without asking")
    kill.set_defaults(handler=_operator)

    dlq = sub.add_parser("dlq", help="the dead-letter queue: venue commands that exhausted their retries")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    dlq_list = dlq_sub.add_parser("list", help="list the dead letters")
    with_client(dlq_list)
    dlq_list.add_argument("--account", default=None, help="only this account")
    dlq_list.add_argument("--json", action="store_true", help="print the entries as JSON")
    dlq_list.set_defaults(handler=_dlq)
    for name, what in (("redrive", "send the command again (if its order still needs it)"), ("drop", "discard it")):
        action = dlq_sub.add_parser(name, help=f"take an entry off the queue and {what}")
        with_client(action)
        action.add_argument("entry_id", type=int)
        action.add_argument("--yes", action="store_true", help="confirm without asking")
        action.set_defaults(handler=_dlq)

    replay = sub.add_parser("replay", help="fold journal(s) through the core and summarize")
    replay.add_argument("paths", nargs="+", type=Path, help="journal directories, .omsj files or .jsonl exports")
    replay.add_argument("--until", help="stop after this sequence number or ISO time (UTC)")
    replay.add_argument("--order", type=int, help="print this order's whole story instead")
    replay.add_argument("--verify", action="store_true", help="check every recorded state checksum")
    replay.add_argument("--json", action="store_true", help="print the summary as JSON")
    replay.set_defaults(handler=_replay)

    native = sub.add_parser("native", help="the core's native (Cython) build: build, clean or status")
    native.add_argument("action", choices=["build", "clean", "status"], nargs="?", default="status")
    native.set_defaults(handler=_native)

    journal = sub.add_parser("journal", help="journal tools")
    journal_sub = journal.add_subparsers(dest="journal_command", required=True)
    export = journal_sub.add_parser("export", help="write journal records as JSON lines")
    export.add_argument("--jsonl", action="store_true", required=True, help="JSON lines (the only format)")
    export.add_argument("paths", nargs="+", type=Path)
    export.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    export.set_defaults(handler=_export)
    return parser


def _native(args: argparse.Namespace) -> int:
    from oms_daemon import native

    if args.action == "build":
        native.build()
    elif args.action == "clean":
        for path in native.clean():
            print(f"removed {path}")
    print(native.status())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``omsd`` command."""
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except TimeoutError as error:
        print(f"omsd: no answer from the daemon: {error}", file=sys.stderr)
        return 5


if __name__ == "__main__":
    sys.exit(main())
