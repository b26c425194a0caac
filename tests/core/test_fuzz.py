"""Garbage in never crashes the core: arbitrary inputs of every type, any field values."""

import enum
import types
import typing
from decimal import Decimal

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_daemon.core import Core
from oms_daemon.core.inputs import AnyInput, SessionStarted
from tests.core.scenario import CONFIG

SCALARS: dict[object, st.SearchStrategy] = {
    Decimal: st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9),
        st.sampled_from([Decimal(0), Decimal("-0"), Decimal("1E+30"), Decimal("1E-30")]),
    ),
    str: st.one_of(
        st.sampled_from(["spot", "fx", "mt5", "live", "BTC/USDT", "EURUSD", "t-1", "t-2"]), st.text(max_size=6)
    ),
    int: st.integers(min_value=-(2**40), max_value=2**62),
    bool: st.booleans(),
    type(None): st.none(),
    typing.Any: st.none(),
}


def strategy_for(tp: object) -> st.SearchStrategy:
    """Values of any type an input field can have (unions, enums, tuples, nested structs)."""
    if tp in SCALARS:
        return SCALARS[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return st.one_of(*(strategy_for(a) for a in args))
    if origin is tuple:
        return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return st.builds(tp, **{f.name: strategy_for(f.type) for f in msgspec.structs.fields(tp)})
    raise TypeError(f"no strategy for {tp!r}")


inputs = st.one_of(*(strategy_for(t) for t in typing.get_args(AnyInput) if t is not SessionStarted))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(inputs, max_size=25))
def test_arbitrary_inputs_never_raise_and_replay_to_the_same_state(sequence: list) -> None:
    live = Core()
    live.step(SessionStarted(ts_recv=1, config=CONFIG))
    for inp in sequence:
        live.step(inp)
    replayed = Core()
    replayed.step(SessionStarted(ts_recv=1, config=CONFIG))
    decode = msgspec.msgpack.Decoder(AnyInput).decode
    for inp in sequence:
        replayed.step(decode(msgspec.msgpack.encode(inp)))
    assert replayed.state.state_hash() == live.state.state_hash()
