"""``SimexServer``: the exchange port (REST + WS) and the control port, and ``main`` for ``python -m simex``."""

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from simex.config import SimexConfig, load_config
from simex.control import ControlApi
from simex.engine import Exchange
from simex.faults import FaultBoard
from simex.rest import RestApi
from simex.ws import MarketStreams, UserStreams

__all__ = ["SimexServer", "main"]


class SimexServer:
    """One simulated exchange: Binance spot REST and WS on ``port``, the control API on ``control_port``."""

    def __init__(self, config: SimexConfig, host: str = "127.0.0.1", port: int = 0, control_port: int = 0) -> None:
        self.host = host
        self.port = port
        self.control_port = control_port
        self.exchange = Exchange(config)
        self.faults = FaultBoard()
        self.rest = RestApi(self.exchange, self.faults)
        self.users = UserStreams(self.exchange, self.faults)
        self.market = MarketStreams(self.exchange)
        self.control = ControlApi(self.exchange, self.faults, self)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._control: web.AppRunner | None = None
        self.down = False

    def _exchange_app(self) -> web.Application:
        app = web.Application(middlewares=[self.rest.middleware])
        app.add_routes(self.rest.routes())
        app.add_routes(
            [
                web.get("/ws-api/v3", self.users.handler),
                web.get("/ws", self.market.handler),
                web.get("/ws/{stream}", self.market.handler),
            ]
        )
        return app

    async def start(self) -> None:
        """Listen on both ports (port 0: pick a free one, then ``port`` / ``control_port`` say which)."""
        self._runner = web.AppRunner(self._exchange_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()
        control = web.Application()
        control.add_routes(self.control.routes())
        self._control = web.AppRunner(control, access_log=None, handle_signals=False)
        await self._control.setup()
        site = web.TCPSite(self._control, self.host, self.control_port)
        await site.start()
        self.control_port = _bound_port(site)

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, shutdown_timeout=0.1)
        await self._site.start()
        self.port = _bound_port(self._site)

    async def outage(self) -> None:
        """Stop listening and drop every open connection; orders, trades and balances are kept."""
        if self.down or self._site is None or self._runner is None:
            return
        self.down = True
        await self._site.stop()
        await self.users.close_all()
        await self.market.close_all()
        server = self._runner.server
        for handler in list(server.connections) if server is not None else []:
            transport = handler.transport
            if transport is not None:
                transport.abort()

    async def resume(self) -> None:
        """Listen again on the same port."""
        if self.down:
            await self._listen()
            self.down = False

    async def close_user_streams(self) -> int:
        """Drop every WS API connection (abnormal close)."""
        return await self.users.close_all()

    def stats(self) -> dict[str, Any]:
        """Counters of every part, for the control API."""
        return {
            "rest": dict(self.rest.stats),
            "faults": dict(self.faults.stats),
            "engine": dict(self.exchange.stats),
            "user_streams": dict(self.users.stats),
            "down": self.down,
        }

    async def stop(self) -> None:
        """Close both ports."""
        await self.users.close_all(abort=False)
        await self.market.close_all()
        for runner in (self._runner, self._control):
            if runner is not None:
                await runner.cleanup()


def _bound_port(site: web.TCPSite) -> int:
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else 0


async def _serve(server: SimexServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"simex listening port={server.port} control_port={server.control_port}", flush=True)
    await stop.wait()
    await server.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m simex [--host H] [--port N] [--control-port M] [--config FILE.json]``."""
    parser = argparse.ArgumentParser(prog="simex", description="a Binance-spot-protocol simulated exchange")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="REST and WebSocket port (0: any free port)")
    parser.add_argument("--control-port", type=int, default=0, help="control API port (0: any free port)")
    parser.add_argument("--config", type=Path, help="SimexConfig as JSON (default: the demo markets)")
    args = parser.parse_args(argv)
    config = load_config(args.config) if args.config else SimexConfig()
    asyncio.run(_serve(SimexServer(config, args.host, args.port, args.control_port)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
