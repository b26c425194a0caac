"""Write each unified method once, run it sync or async.

A flow is a generator: it yields calls ``(method name, args)`` on the exchange (an implicit endpoint,
``load_markets``, ``fetch2``, ``sleep``) and receives each result, or has the call's exception raised
at the ``yield``; its return value is the method's result. ``sync_method`` / ``async_method`` turn a flow into
the blocking or the awaitable method (same name, signature and docstring), so the sync and
``async_support`` drivers share every line of request building and parsing.
"""

import functools
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Concatenate, ParamSpec, TypeVar

__all__ = ["LOAD_MARKETS", "Call", "Flow", "async_method", "sync_method"]

P = ParamSpec("P")
R = TypeVar("R")

Call = tuple[str, tuple[Any, ...]]
"""A method of the exchange and its positional arguments."""

LOAD_MARKETS: Call = ("load_markets", ())
"""Yield this to have the markets loaded (the flow receives them)."""

Flow = Generator[Call, Any, R]


def sync_method(flow: Callable[Concatenate[Any, P], Flow[R]]) -> Callable[Concatenate[Any, P], R]:
    """The blocking method running ``flow``."""

    @functools.wraps(flow)
    def method(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        steps = flow(self, *args, **kwargs)
        try:
            step = next(steps)
            while True:
                try:
                    result = getattr(self, step[0])(*step[1])
                except Exception as error:
                    step = steps.throw(error)
                else:
                    step = steps.send(result)
        except StopIteration as done:
            return done.value

    return _named(method, flow)


def async_method(flow: Callable[Concatenate[Any, P], Flow[R]]) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]:
    """The awaitable method running ``flow``."""

    @functools.wraps(flow)
    async def method(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        steps = flow(self, *args, **kwargs)
        try:
            step = next(steps)
            while True:
                try:
                    result = await getattr(self, step[0])(*step[1])
                except Exception as error:
                    step = steps.throw(error)
                else:
                    step = steps.send(result)
        except StopIteration as done:
            return done.value

    return _named(method, flow)


def _named(method: Any, flow: Callable[..., Any]) -> Any:
    """Name the method after its flow (``create_order_flow`` -> ``create_order``)."""
    method.__name__ = flow.__name__.removesuffix("_flow")
    method.__qualname__ = flow.__qualname__.removesuffix("_flow")
    return method
