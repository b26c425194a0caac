"""The daemon's configuration: one TOML file decoded into frozen msgspec Structs.

``load_config`` reads the file, expands ``${VAR}`` / ``${VAR:-default}`` in every string value (``$${``
writes a literal ``${``), checks the keys and types against the Structs below, resolves relative paths
against the file's directory and cross-checks accounts, instruments and the paper venue. Every problem
raises one ``ConfigError`` naming the key path, e.g. ``accounts[1].kind: expected one of CASH, MARGIN,
got "cash2"``. ``DaemonConfig.core_config()`` is the part the pure core sees (and the daemon journals).
"""

import difflib
import hmac
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from adapters.paper import PaperVenueConfig
from adapters.resilience import ResiliencePolicy
from oms_daemon.core.config import AccountConfig, CoreConfig, Instrument
from oms_daemon.core.enums import AccountKind, PositionMode
from oms_daemon.core.limits import FeedLimits, RiskLimits, RiskRule

__all__ = [
    "AccountSettings",
    "ApiKeySettings",
    "CcxtAccount",
    "ConfigError",
    "DaemonConfig",
    "DaemonSettings",
    "HttpSettings",
    "LogSettings",
    "PaperAccount",
    "ResiliencySettings",
    "RiskSettings",
    "Secret",
    "ZmqSettings",
    "load_config",
]


class ConfigError(Exception):
    """The configuration is unusable; ``path`` is the key path (``accounts[1].kind``), ``problem`` the reason."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class Secret:
    """A credential; its repr and str are ``***`` so it never reaches a log. ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value itself, for the one place that must send it (the venue client)."""
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)


# --- sections ------------------------------------------------------------------------------------------

PosInt = Annotated[int, Meta(gt=0)]
NonNegInt = Annotated[int, Meta(ge=0)]
NonNegFloat = Annotated[float, Meta(ge=0)]
PosFloat = Annotated[float, Meta(gt=0)]
Port = Annotated[int, Meta(ge=0, le=65535)]


class DaemonSettings(msgspec.Struct, frozen=True, kw_only=True):
    """``[daemon]``: identity, journal and writer-loop settings."""

    instance_id: Annotated[str, Meta(pattern="^[A-Za-z0-9]{1,12}$")] = "omsd"
    journal_dir: Path = Path("journal")
    fsync: Literal["always", "group", "none"] = "group"
    group_commit_ms: PosFloat = 2
    group_commit_events: PosInt = 1000
    checksum_every: PosInt = 10000
    shutdown_grace_s: NonNegFloat = 5
    timer_interval_ms: PosInt = 1000
    disk_low_water_mb: NonNegFloat = 256
    """Below this much free space on the journal's filesystem new risk is refused (an alert says so)."""
    disk_reserve_mb: NonNegFloat = 64
    """Space held in reserve beside the journal, given back when the disk fills so in-flight work is journaled."""


class ZmqSettings(msgspec.Struct, frozen=True, kw_only=True):
    """``[zmq]``: where strategies send intents (ROUTER) and receive events (PUB)."""

    requests: str = "tcp://127.0.0.1:5555"
    events: str = "tcp://127.0.0.1:5556"
    max_frame_bytes: PosInt = 65536


class HttpSettings(msgspec.Struct, frozen=True, kw_only=True):
    """``[http]``: listen address of ``/metrics`` and the HTTP API."""

    host: str = "127.0.0.1"
    port: Port = 8080


class LogSettings(msgspec.Struct, frozen=True, kw_only=True):
    """``[log]``: level and format (``auto`` = pretty on a TTY, JSON lines otherwise)."""

    level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class RiskRuleSettings(RiskLimits, frozen=True, kw_only=True):
    """``[[risk.rules]]``: limits for one account and/or symbol (overriding the broader ones)."""

    account_id: str | None = None
    symbol: str | None = None


class RiskSettings(RiskLimits, frozen=True, kw_only=True):
    """``[risk]``: limits for every account and symbol; ``[[risk.rules]]`` narrow them down."""

    rules: tuple[RiskRuleSettings, ...] = ()

    def core_rules(self) -> tuple[RiskRule, ...]:
        """The core's rules: the global limits first, then each narrower rule."""
        fields = RiskLimits.__struct_fields__
        everywhere = RiskLimits(**{f: getattr(self, f) for f in fields})
        rules = [RiskRule(limits=everywhere)] if everywhere != RiskLimits() else []
        rules += [
            RiskRule(account_id=r.account_id, symbol=r.symbol, limits=RiskLimits(**{f: getattr(r, f) for f in fields}))
            for r in self.rules
        ]
        return tuple(rules)


class ReconciliationSettings(msgspec.Struct, frozen=True, kw_only=True):
    """``[reconciliation]``: how often venue snapshots are compared with omsd's state, and how often at most."""

    interval_s: PosFloat = 60.0
    min_interval_s: NonNegFloat = 2.0
    """The least time between the starts of two passes of one account, however many are asked for."""


ResiliencySettings = ResiliencePolicy
"""``[resiliency]``: retries, back-off, rate-limit pauses, circuit breakers, reconnects (``ResiliencePolicy``)."""


class _AccountBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="venue"):
    """The core's ``AccountConfig`` fields; ``venue`` is the tag that picks the venue-specific subclass."""

    account_id: str
    kind: AccountKind = AccountKind.CASH
    position_mode: PositionMode = PositionMode.NETTING
    settlement_currency: str = "USD"
    symbols: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()
    armed_on_start: bool = False
    lookup_grace_ms: NonNegInt = 10_000
    """How long after a submit a venue's "no such order" stays inconclusive: its receive window plus a margin."""

    @property
    def venue(self) -> str:
        """The venue adapter this account trades through (``paper``, ``ccxt``, ...)."""
        return str(self.__struct_config__.tag)

    def core_config(self) -> AccountConfig:
        """What the core knows about this account."""
        return AccountConfig(
            account_id=self.account_id,
            venue=self.venue,
            kind=self.kind,
            position_mode=self.position_mode,
            settlement_currency=self.settlement_currency,
            symbols=self.symbols,
            strategies=self.strategies,
            armed_on_start=self.armed_on_start,
            lookup_grace_ms=self.lookup_grace_ms,
        )


class PaperAccount(_AccountBase, frozen=True, kw_only=True, tag="paper"):
    """An account at the simulated venue; its balances live in ``[paper].balances``.

    The embedded venue lives and dies with the daemon: nothing can be in flight to it after a restart.
    """

    lookup_grace_ms: NonNegInt = 0


class CcxtAccount(_AccountBase, frozen=True, kw_only=True, tag="ccxt"):
    """An account at a crypto exchange through ccxt (``exchange`` is the ccxt id, e.g. ``binance``)."""

    exchange: Annotated[str, Meta(pattern="^[a-z][a-z0-9_]*$")]
    sandbox: bool = False
    api_key: Secret | None = None
    secret: Secret | None = None
    password: Secret | None = None
    uid: Secret | None = None
    options: dict[str, Any] = {}
    urls: dict[str, Any] = {}
    """Deep-merged into ccxt's ``urls`` (a simulated exchange, a proxy); empty: the exchange's own."""
    timeout_ms: PosInt = 10_000
    """Bound of every REST call: a submit unanswered by then has an unknown outcome and is queried."""
    enable_rate_limit: bool = True
    poll_interval_s: NonNegFloat = 5.0
    """How often orders and trades are swept over REST while orders are open (0: after reconnects only)."""
    stream_balances: bool = True
    stream_quotes: bool = False
    stream_process: bool = True
    """Run the account's streams (connect, parse, reconnect) in a child process, off the daemon's thread."""


AccountSettings = PaperAccount | CcxtAccount
"""One ``[[accounts]]`` entry; the ``venue`` key picks the type."""


class ApiKeySettings(msgspec.Struct, frozen=True, kw_only=True):
    """``[[api_keys]]``: an HTTP API key (sent as ``x-api-key``), the accounts and strategies it may act for.

    ``strategies`` empty means any strategy; ``rate_limit`` is requests per second (``burst`` at once),
    unlimited when absent.
    """

    key: Secret
    name: str = ""
    accounts: Annotated[tuple[str, ...], Meta(min_length=1)]
    strategies: tuple[str, ...] = ()
    rate_limit: PosFloat | None = None
    burst: PosInt = 20


class DaemonConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The whole configuration file."""

    daemon: DaemonSettings = DaemonSettings()
    zmq: ZmqSettings = ZmqSettings()
    http: HttpSettings = HttpSettings()
    log: LogSettings = LogSettings()
    instruments: tuple[Instrument, ...] = ()
    accounts: tuple[AccountSettings, ...] = ()
    paper: PaperVenueConfig = msgspec.field(default_factory=PaperVenueConfig)
    risk: RiskSettings = RiskSettings()
    feeds: FeedLimits = FeedLimits()
    reconciliation: ReconciliationSettings = ReconciliationSettings()
    resiliency: ResiliencySettings = ResiliencySettings()
    api_keys: tuple[ApiKeySettings, ...] = ()

    def core_config(self) -> CoreConfig:
        """What the pure core sees: instance id, accounts, instruments, risk rules and feed limits."""
        return CoreConfig(
            instance_id=self.daemon.instance_id,
            accounts=tuple(a.core_config() for a in self.accounts),
            instruments=self.instruments,
            risk=self.risk.core_rules(),
            feeds=self.feeds,
        )

    def account(self, account_id: str) -> AccountSettings | None:
        """The account with this id, if configured."""
        return next((a for a in self.accounts if a.account_id == account_id), None)


# --- loading -------------------------------------------------------------------------------------------


def load_config(path: Path, env: Mapping[str, str] | None = None) -> DaemonConfig:
    """Read, interpolate, validate and cross-check the TOML file at ``path``; ``env`` defaults to os.environ."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except OSError as e:
        raise ConfigError("", f"cannot read {path}: {e.strerror or e}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError("", f"{path} is not valid TOML: {e}") from None
    raw = _interpolate(raw, os.environ if env is None else env, [])
    _precheck(raw, DaemonConfig, [])
    try:
        config = _convert(raw, DaemonConfig)
    except msgspec.ValidationError as e:
        raise _explain(e, raw, DaemonConfig, []) from None
    config = _resolve_paths(config, path.parent)
    _cross_check(config, raw)
    _check_api_keys(config)
    return config


_Seg = str | int
_REF = re.compile(r"(\$?)\$\{([^}]*)\}")
_VAR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.S)


def _interpolate(value: Any, env: Mapping[str, str], path: list[_Seg]) -> Any:
    if isinstance(value, str):
        return _expand(value, env, path) if "${" in value else value
    if isinstance(value, dict):
        return {k: _interpolate(v, env, [*path, k]) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env, [*path, i]) for i, v in enumerate(value)]
    return value


def _expand(text: str, env: Mapping[str, str], path: list[_Seg]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1):  # "$${...}" is a literal "${...}"
            return m.group(0)[1:]
        ref = _VAR.match(m.group(2))
        if ref is None:
            raise ConfigError(
                _fmt(path), f"malformed reference ${{{m.group(2)}}}: expected ${{NAME}} or ${{NAME:-default}}"
            )
        name, default = ref.group(1), ref.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigError(
            _fmt(path), f"environment variable {name} is not set (use ${{{name}:-default}} for a default)"
        )

    return _REF.sub(sub, text)


def _dec_hook(tp: type, obj: Any) -> Any:
    if tp is Secret or tp is Path:
        if not isinstance(obj, str):
            raise TypeError(f"Expected `str`, got `{_toml_type(obj)}`")
        return tp(obj)
    raise NotImplementedError


def _convert(raw: Any, tp: Any) -> Any:
    # strict=False lets "${PORT:-8080}" fill an int field; floats for Decimal fields are refused in _precheck.
    return msgspec.convert(raw, tp, strict=False, dec_hook=_dec_hook)


# --- walking the types alongside the raw TOML ------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(_unwrap(a) for a in typing.get_args(tp) if a is not type(None))
    return None


def _tagged(members: tuple[Any, ...]) -> dict[str, Any] | None:
    """Map tag value → Struct for a tagged union, else None."""
    if members and all(_is_struct(m) and m.__struct_config__.tag_field for m in members):
        return {str(m.__struct_config__.tag): m for m in members}
    return None


def _pick(tp: Any, raw: Any) -> Any:
    """The concrete type ``raw`` is decoded as: unwraps Annotated, Optional and tagged unions."""
    tp = _unwrap(tp)
    members = _union_args(tp)
    if members is None:
        return tp
    tags = _tagged(members)
    if tags is not None:
        tag_field = members[0].__struct_config__.tag_field
        tag = raw.get(tag_field) if isinstance(raw, dict) else None
        return tags.get(tag) if isinstance(tag, str) else None
    return members[0] if len(members) == 1 else tp


def _struct_fields(cls: Any) -> dict[str, Any]:
    return {f.encode_name: f.type for f in msgspec.structs.fields(cls)}


def _child(tp: Any, seg: _Seg) -> Any:
    """The declared type at ``seg`` inside a (picked) container type, or None."""
    if _is_struct(tp):
        return _struct_fields(tp).get(seg) if isinstance(seg, str) else None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (tuple, list) and args:
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            return args[0]
        return args[seg] if isinstance(seg, int) and seg < len(args) else None
    if origin is dict and args:
        return args[1]
    return None


def _precheck(raw: Any, tp: Any, path: list[_Seg]) -> None:
    """Refuse what msgspec would accept silently: unknown keys, floats for Decimals, unknown tags."""
    tp = _unwrap(tp)
    members = _union_args(tp)
    if members is not None:
        tags = _tagged(members)
        if tags is not None and isinstance(raw, dict):
            tag_field = members[0].__struct_config__.tag_field
            if tag_field not in raw:
                raise ConfigError(_fmt([*path, tag_field]), f"required key missing (one of {', '.join(tags)})")
            if not isinstance(raw[tag_field], str) or raw[tag_field] not in tags:
                raise ConfigError(_fmt([*path, tag_field]), _choices(list(tags), raw[tag_field]))
            _precheck(raw, tags[raw[tag_field]], path)
            return
        if Decimal in members and float not in members:
            _check_decimal(raw, path)
        if len(members) == 1:
            _precheck(raw, members[0], path)
        return
    if tp is Decimal:
        _check_decimal(raw, path)
        return
    if _is_struct(tp) and isinstance(raw, dict):
        fields = _struct_fields(tp)
        tag_field = tp.__struct_config__.tag_field
        for key, value in raw.items():
            if key == tag_field:
                continue
            if key not in fields:
                close = difflib.get_close_matches(key, list(fields), n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                raise ConfigError(_fmt([*path, key]), f"unknown key{hint}")
            _precheck(value, fields[key], [*path, key])
        return
    origin = typing.get_origin(tp)
    if origin in (tuple, list) and isinstance(raw, list):
        for i, item in enumerate(raw):
            child = _child(tp, i)
            if child is not None:
                _precheck(item, child, [*path, i])
    elif origin is dict and isinstance(raw, dict):
        for key, value in raw.items():
            _precheck(value, typing.get_args(tp)[1], [*path, key])


def _check_decimal(raw: Any, path: list[_Seg]) -> None:
    if isinstance(raw, float):
        raise ConfigError(_fmt(path), f'use a string for exact decimals (write "{raw}", not a TOML float)')
    if isinstance(raw, str):
        try:
            value = Decimal(raw)
        except ArithmeticError:
            return  # msgspec reports the invalid decimal string
        if not value.is_finite():
            raise ConfigError(_fmt(path), f"expected a finite decimal, got {_show(raw)}")


_AT = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[(\.\.\.)\]")


def _explain(err: msgspec.ValidationError, raw: Any, tp: Any, base: list[_Seg]) -> ConfigError:
    """Turn msgspec's ``... - at `$.accounts[1].kind``` into a ConfigError with a TOML key path."""
    message, sep, where = str(err).rpartition(" - at `")
    if not sep:
        message, where = str(err), "$"
    segs: list[_Seg | None] = []
    for m in _AT.finditer(where.rstrip("`")[1:]):
        segs.append(m.group(1) if m.group(1) is not None else int(m.group(2)) if m.group(2) else None)
    path, cur_raw, cur_tp = list(base), raw, tp
    for seg in segs:
        picked = _pick(cur_tp, cur_raw)
        if seg is None:  # msgspec hides dict keys as "[...]": find the entry that fails and explain that
            value_tp = _child(picked, "")
            if isinstance(cur_raw, dict) and value_tp is not None:
                for key, value in cur_raw.items():
                    try:
                        _convert(value, value_tp)
                    except msgspec.ValidationError as sub:
                        return _explain(sub, value, value_tp, [*path, key])
            break
        path.append(seg)
        cur_tp = _child(picked, seg)
        if isinstance(seg, int):
            cur_raw = cur_raw[seg] if isinstance(cur_raw, list) and seg < len(cur_raw) else None
        else:
            cur_raw = cur_raw.get(seg) if isinstance(cur_raw, dict) else None
    missing = re.match(r"Object missing required field `(.+)`$", message)
    if missing:
        return ConfigError(_fmt([*path, missing.group(1)]), "required key missing")
    final = _pick(cur_tp, cur_raw) if cur_tp is not None else None
    if message.startswith("Invalid enum value") or message.startswith("Invalid value"):
        if isinstance(final, type) and issubclass(final, Enum):
            return ConfigError(_fmt(path), _choices([str(m.value) for m in final], cur_raw))
        if typing.get_origin(final) is Literal:
            return ConfigError(_fmt(path), _choices([str(v) for v in typing.get_args(final)], cur_raw))
    problem = message.replace("`object`", "`table`").replace("`", "")
    problem = problem[:1].lower() + problem[1:]
    if cur_raw is not None and not isinstance(cur_raw, dict | list):
        problem += f" ({_show(cur_raw)})"
    return ConfigError(_fmt(path), problem)


def _choices(options: list[str], got: Any) -> str:
    return f"expected one of {', '.join(options)}, got {_show(got)}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, int | float) else _toml_type(value)


def _toml_type(value: Any) -> str:
    if isinstance(value, dict):
        return "table"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _fmt(path: list[_Seg]) -> str:
    """Render a key path the way TOML spells it: ``paper.balances.paper-1.USDT``, ``accounts[1].kind``."""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        else:
            key = seg if _BARE.match(seg) else _show(seg)
            out += f".{key}" if out else key
    return out


# --- after decoding ------------------------------------------------------------------------------------


def _resolve(p: str | Path, base: Path, where: str) -> Path:
    try:
        p = Path(p).expanduser()
        return p if p.is_absolute() else (base / p).resolve()
    except (RuntimeError, OSError, ValueError) as e:
        raise ConfigError(where, f"cannot resolve path {_show(str(p))}: {e}") from None


def _resolve_paths(config: DaemonConfig, base: Path) -> DaemonConfig:
    journal_dir = _resolve(config.daemon.journal_dir, base, "daemon.journal_dir")
    daemon = msgspec.structs.replace(config.daemon, journal_dir=journal_dir)
    paper = config.paper
    for name in ("quotes_csv", "candles_csv"):
        value = getattr(paper, name, None)
        if value:
            paper = msgspec.structs.replace(paper, **{name: str(_resolve(value, base, f"paper.{name}"))})
    return msgspec.structs.replace(config, daemon=daemon, paper=paper)


def _cross_check(config: DaemonConfig, raw: dict[str, Any]) -> None:
    symbols: set[str] = set()
    for i, instrument in enumerate(config.instruments):
        if instrument.symbol in symbols:
            raise ConfigError(f"instruments[{i}].symbol", f"duplicate instrument {_show(instrument.symbol)}")
        symbols.add(instrument.symbol)
    accounts: dict[str, AccountSettings] = {}
    for i, account in enumerate(config.accounts):
        if account.account_id in accounts:
            raise ConfigError(f"accounts[{i}].account_id", f"duplicate account id {_show(account.account_id)}")
        accounts[account.account_id] = account
        for j, symbol in enumerate(account.symbols):
            if symbol not in symbols:
                raise ConfigError(
                    f"accounts[{i}].symbols[{j}]", f"unknown instrument {_show(symbol)} (add an [[instruments]] entry)"
                )
    # The paper venue's own defaults are demo values; only what the file says about it is cross-checked.
    raw_paper = raw.get("paper", {})
    if "balances" in raw_paper:
        for account_id in config.paper.balances:
            where = _fmt(["paper", "balances", account_id])
            if account_id not in accounts:
                raise ConfigError(where, f"unknown account {_show(account_id)}")
            if accounts[account_id].venue != "paper":
                raise ConfigError(
                    where, f"account {_show(account_id)} trades at venue {accounts[account_id].venue}, not paper"
                )
    if "symbols" in raw_paper:
        for i, paper_symbol in enumerate(config.paper.symbols):
            if paper_symbol.symbol not in symbols:
                raise ConfigError(f"paper.symbols[{i}].symbol", f"unknown instrument {_show(paper_symbol.symbol)}")


def _check_api_keys(config: DaemonConfig) -> None:
    accounts = {a.account_id for a in config.accounts}
    seen: set[Secret] = set()
    for i, api_key in enumerate(config.api_keys):
        if not api_key.key:
            raise ConfigError(f"api_keys[{i}].key", "must not be empty")
        if api_key.key in seen:
            raise ConfigError(f"api_keys[{i}].key", "duplicate API key")
        seen.add(api_key.key)
        for j, account_id in enumerate(api_key.accounts):
            if account_id not in accounts:
                raise ConfigError(f"api_keys[{i}].accounts[{j}]", f"unknown account {_show(account_id)}")
