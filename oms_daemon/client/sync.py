"""``OmsClient``: the blocking client (scripts, notebooks, the CLI); one request at a time."""

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Concatenate, ParamSpec, TypeVar

import msgspec

from oms_daemon.client import protocol as p
from oms_daemon.client import requests as r
from oms_daemon.client.protocol import OmsTimeout, WireReply
from oms_daemon.client.requests import ClientBase, ClientCall
from oms_daemon.views import AccountView
from oms_daemon.zmq_api.schema import Request, StreamMessage

__all__ = ["OmsClient"]

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger(__name__)
_encode = msgspec.msgpack.Encoder().encode


def _blocking(call: ClientCall[P, R]) -> "Callable[Concatenate[OmsClient, P], R]":
    """``call`` as a blocking method."""
    build, answer = call.build, call.answer

    def method(self: "OmsClient", *args: P.args, **kwargs: P.kwargs) -> R:
        return answer(self._roundtrip(build(self, *args, **kwargs)), self.raise_on_reject)

    return call.dress(method)


class OmsClient(ClientBase):
    """Blocking twin of ``AsyncOmsClient``: same methods, same arguments, same results."""

    def __init__(
        self,
        request_endpoint: str,
        events_endpoint: str | None = None,
        account: str = "",
        strategy: str = "",
        *,
        raise_on_reject: bool = False,
        timeout: float | None = 10.0,
        topics: Sequence[str] | None = None,
        operator: str | None = None,
    ) -> None:
        super().__init__(account, strategy, operator)
        self.raise_on_reject = raise_on_reject
        self.timeout = timeout
        self._context, self._dealer, self._sub = p.connect(
            request_endpoint, events_endpoint, p.default_topics(account, strategy) if topics is None else topics
        )
        self._closed = False

    def __enter__(self) -> "OmsClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the sockets."""
        if self._closed:
            return
        self._closed = True
        self._dealer.close(0)
        if self._sub is not None:
            self._sub.close(0)
        self._context.term()

    # --- intents, queries (raise OmsRejected on refusal) and operator commands: see ``requests`` -------

    submit = _blocking(r.submit)
    preview = _blocking(r.preview)
    cancel = _blocking(r.cancel)
    replace = _blocking(r.replace)
    close_position = _blocking(r.close_position)
    close_all = _blocking(r.close_all)
    orders = _blocking(r.orders)
    fills = _blocking(r.fills)
    positions = _blocking(r.positions)
    accounts = _blocking(r.accounts)
    status = _blocking(r.status)
    safe_mode = _blocking(r.safe_mode)
    arm = _blocking(r.arm)
    disarm = _blocking(r.disarm)
    reconcile = _blocking(r.reconcile)
    kill = _blocking(r.kill)

    def account(self) -> AccountView:
        """This client's account: balances, equity, margin, mode."""
        views = self.accounts(self.account_id)
        return views[0]

    # --- event stream ------------------------------------------------------------------------------------------

    def next_event(self, timeout: float | None = None) -> StreamMessage | None:
        """The next stream message on the subscribed topics, or None after ``timeout`` seconds."""
        sub = self._sub
        if sub is None:
            raise p.OmsClientError("no events endpoint was given")
        wait_ms = None if timeout is None else int(timeout * 1000)
        while sub.poll(wait_ms):
            message = p.decode_event(sub.recv_multipart()[-1])
            if message is not None:
                return message
        return None

    def events(self) -> Iterator[StreamMessage]:
        """Stream messages forever, in publish order (``seq`` gaps mean drops: re-query)."""
        while True:
            message = self.next_event()
            if message is not None:
                yield message

    # --- plumbing -------------------------------------------------------------------------------------------

    def _roundtrip(self, request: Request) -> WireReply:
        if self._closed:
            raise p.OmsClientError("client closed")
        self._dealer.send(_encode(request))
        wait_ms = None if self.timeout is None else int(self.timeout * 1000)
        while self._dealer.poll(wait_ms):
            wire = p.decode_reply(self._dealer.recv_multipart()[-1])
            if wire is not None and wire.id == request.id:
                return wire
            log.debug("ignoring a stale or foreign reply")
        raise OmsTimeout(f"no reply to request {request.id} within {self.timeout} s")
