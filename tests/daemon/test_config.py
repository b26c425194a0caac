"""Loading the daemon's TOML configuration: examples, interpolation, key-path errors, cross-checks, secrets."""

import io
import json
import logging
import math
import re
import textwrap
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from oms_daemon.config import (
    CcxtAccount,
    ConfigError,
    DaemonConfig,
    PaperAccount,
    Secret,
    load_config,
)
from oms_daemon.core.config import AccountConfig, CoreConfig
from oms_daemon.core.enums import AccountKind, PositionMode
from oms_daemon.logs import configure_logging

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "config").glob("*.toml"))
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

MINIMAL = textwrap.dedent("""
    [daemon]
    journal_dir = "journal"

    [[instruments]]
    symbol = "BTC/USDT"
    base_currency = "BTC"
    quote_currency = "USDT"
    tick_size = "0.01"

    [[instruments]]
    symbol = "ETH/USDT"
    base_currency = "ETH"
    quote_currency = "USDT"

    [[accounts]]
    account_id = "paper-1"
    venue = "paper"
    settlement_currency = "USDT"
    symbols = ["BTC/USDT"]

    [[accounts]]
    account_id = "paper-2"
    venue = "paper"
    kind = "MARGIN"
    symbols = ["ETH/USDT"]
""")

CCXT_ACCOUNT = textwrap.dedent("""
    [[accounts]]
    account_id = "bn"
    venue = "ccxt"
    exchange = "binance"
    api_key = "${BINANCE_API_KEY}"
""")


def write(tmp_path: Path, text: str, name: str = "omsd.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def env_for(path: Path) -> dict[str, str]:
    """A value for every ${VAR} without default that the file references."""
    return {name: f"dummy-{name.lower()}" for name in _REF.findall(path.read_text())}


def config_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env=env or {})
    return info.value


# --- the example files -----------------------------------------------------------------------------------


def test_there_are_example_configs() -> None:
    assert {p.name for p in EXAMPLES} >= {"paper.toml", "paper-margin.toml", "binance-example.toml"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_config_loads(path: Path) -> None:
    # given an example file and the variables it references
    # when it is loaded
    config = load_config(path, env=env_for(path))

    # then the core config is complete and survives the journal's encoding
    core = config.core_config()
    assert isinstance(core, CoreConfig)
    assert core.accounts, "every example configures at least one account"
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(core), type=CoreConfig) == core
    assert config.daemon.journal_dir.is_absolute()
    known = {i.symbol for i in config.instruments}
    assert all(set(a.symbols) <= known for a in config.accounts)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_opens_with_an_explanation(path: Path) -> None:
    # every file explains itself: it opens with a comment block
    assert path.read_text().lstrip().startswith("#")


def test_paper_toml_is_the_demo_default() -> None:
    config = load_config(REPO / "config" / "paper.toml", env={})

    (account,) = config.accounts
    assert isinstance(account, PaperAccount)
    assert account.venue == "paper"
    assert account.account_id == "paper-1"
    assert account.kind is AccountKind.CASH
    assert account.symbols == ("BTC/USDT", "ETH/USDT")
    assert account.armed_on_start
    assert config.daemon.journal_dir == REPO / "var" / "journal"
    assert set(config.paper.balances) == {"paper-1"}
    assert {s.symbol for s in config.paper.symbols} == {"BTC/USDT", "ETH/USDT"}


def test_paper_margin_toml_shows_netting_and_hedging() -> None:
    config = load_config(REPO / "config" / "paper-margin.toml", env={})

    modes = {a.account_id: (a.kind, a.position_mode) for a in config.accounts}
    assert (AccountKind.MARGIN, PositionMode.NETTING) in modes.values()
    assert (AccountKind.MARGIN, PositionMode.HEDGING) in modes.values()
    assert all("EURUSD" in a.symbols for a in config.accounts)


def test_binance_example_takes_its_keys_from_the_environment() -> None:
    path = REPO / "config" / "binance-example.toml"
    config = load_config(path, env={"BINANCE_API_KEY": "k-123", "BINANCE_API_SECRET": "s-456"})

    (account,) = config.accounts
    assert isinstance(account, CcxtAccount)
    assert (account.venue, account.exchange, account.armed_on_start) == ("ccxt", "binance", False)
    assert account.api_key is not None and account.api_key.reveal() == "k-123"
    assert account.secret is not None and account.secret.reveal() == "s-456"
    assert account.core_config().venue == "ccxt"


def test_defaults_apply_to_an_empty_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), env={})

    assert config.daemon.instance_id == "omsd"
    assert config.daemon.fsync == "group"
    assert (config.daemon.group_commit_ms, config.daemon.group_commit_events) == (2, 1000)
    assert config.daemon.checksum_every == 10000
    assert config.zmq.requests == "tcp://127.0.0.1:5555"
    assert config.zmq.events == "tcp://127.0.0.1:5556"
    assert (config.http.host, config.http.port) == ("127.0.0.1", 8080)
    assert (config.log.level, config.log.format) == ("info", "auto")
    assert config.daemon.journal_dir == tmp_path.resolve() / "journal"
    assert config.core_config() == CoreConfig()


def test_account_settings_mirror_the_core_account_fields() -> None:
    # a field added to the core's AccountConfig must be configurable too
    core = {f.name for f in msgspec.structs.fields(AccountConfig)} - {"venue"}
    for cls in (PaperAccount, CcxtAccount):
        assert core <= {f.name for f in msgspec.structs.fields(cls)}


def test_core_config_carries_instance_accounts_and_instruments(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL.replace('journal_dir = "journal"', 'instance_id = "abc1"')), env={})

    core = config.core_config()
    assert core.instance_id == "abc1"
    assert [a.account_id for a in core.accounts] == ["paper-1", "paper-2"]
    assert core.accounts[1] == AccountConfig(
        account_id="paper-2", venue="paper", kind=AccountKind.MARGIN, symbols=("ETH/USDT",), lookup_grace_ms=0
    )  # nothing can be in flight to the embedded paper venue after a restart
    assert core.instruments == config.instruments
    assert core.instruments[0].tick_size == Decimal("0.01")
    assert config.account("paper-2") is config.accounts[1]
    assert config.account("nope") is None


def test_relative_paths_resolve_against_the_config_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf_dir = tmp_path / "etc"
    conf_dir.mkdir()
    path = write(conf_dir, '[daemon]\njournal_dir = "../var/j"\n[paper]\nquotes_csv = "q.csv"\n')
    monkeypatch.chdir(tmp_path / "etc")

    config = load_config(path, env={})

    assert config.daemon.journal_dir == (tmp_path / "var" / "j").resolve()
    assert config.paper.quotes_csv == str(conf_dir.resolve() / "q.csv")


# --- ${ENV} interpolation -----------------------------------------------------------------------------------


def test_env_variable_is_substituted_anywhere_in_a_string(tmp_path: Path) -> None:
    path = write(tmp_path, '[zmq]\nrequests = "tcp://${OMSD_HOST}:5555"\n')

    assert load_config(path, env={"OMSD_HOST": "10.0.0.1"}).zmq.requests == "tcp://10.0.0.1:5555"


def test_env_default_applies_when_the_variable_is_unset(tmp_path: Path) -> None:
    path = write(tmp_path, '[http]\nhost = "${OMSD_HTTP_HOST:-0.0.0.0}"\nport = "${OMSD_HTTP_PORT:-9100}"\n')

    assert load_config(path, env={}).http.host == "0.0.0.0"
    assert load_config(path, env={}).http.port == 9100
    assert load_config(path, env={"OMSD_HTTP_PORT": "9200"}).http.port == 9200


def test_env_default_may_be_empty(tmp_path: Path) -> None:
    path = write(tmp_path, '[zmq]\nrequests = "x${NOPE:-}y"\n')

    assert load_config(path, env={}).zmq.requests == "xy"


def test_dollar_dollar_writes_a_literal_reference(tmp_path: Path) -> None:
    path = write(tmp_path, '[zmq]\nrequests = "$${NOT_A_VAR}"\n')

    assert load_config(path, env={"NOT_A_VAR": "x"}).zmq.requests == "${NOT_A_VAR}"


def test_missing_env_variable_names_the_key_and_the_variable(tmp_path: Path) -> None:
    error = config_error(tmp_path, MINIMAL + CCXT_ACCOUNT)

    assert error.path == "accounts[2].api_key"
    assert "BINANCE_API_KEY" in error.problem
    assert str(error).startswith("accounts[2].api_key: environment variable BINANCE_API_KEY is not set")


def test_malformed_reference_is_an_error(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[zmq]\nevents = "${1BAD}"\n')

    assert error.path == "zmq.events"
    assert "malformed" in error.problem


def test_os_environ_is_the_default_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMSD_TEST_INSTANCE", "fromenv")

    assert load_config(write(tmp_path, '[daemon]\ninstance_id = "${OMSD_TEST_INSTANCE}"\n')).daemon.instance_id == (
        "fromenv"
    )


# --- validation errors name the key path ---------------------------------------------------------------------

BAD_VALUES = [
    (
        ('kind = "MARGIN"', 'kind = "cash2"'),
        'accounts[1].kind: expected one of CASH, MARGIN, got "cash2"',
    ),
    (
        ('kind = "MARGIN"', 'kind = "MARGIN"\nposition_mode = "hedge"'),
        'accounts[1].position_mode: expected one of NETTING, HEDGING, got "hedge"',
    ),
    (('venue = "paper"\nkind', 'venue = "ib"\nkind'), 'accounts[1].venue: expected one of paper, ccxt, got "ib"'),
    (('tick_size = "0.01"', "tick_size = 0.01"), "instruments[0].tick_size: use a string for exact decimals"),
    (('tick_size = "0.01"', 'tick_size = "abc"'), "instruments[0].tick_size: invalid decimal string"),
    (('tick_size = "0.01"', 'tick_size = "NaN"'), 'instruments[0].tick_size: expected a finite decimal, got "NaN"'),
    (('tick_size = "0.01"', 'tik_size = "0.01"'), 'instruments[0].tik_size: unknown key (did you mean "tick_size"?)'),
    (('account_id = "paper-2"', ""), "accounts[1].account_id: required key missing"),
    (('symbols = ["ETH/USDT"]', "symbols = 3"), "accounts[1].symbols: expected array, got int"),
    (('symbols = ["ETH/USDT"]', 'symbols = ["ETH/USDT", 5]'), "accounts[1].symbols[1]: expected str, got int"),
    (('journal_dir = "journal"', 'instance_id = "omsd-1"'), "daemon.instance_id: expected str matching regex"),
    (('journal_dir = "journal"', 'instance_id = "abcdefghijklm"'), "daemon.instance_id: expected str matching"),
    (
        ('journal_dir = "journal"', 'fsync = "sometimes"'),
        'daemon.fsync: expected one of always, group, none, got "sometimes"',
    ),
    (('journal_dir = "journal"', "group_commit_events = 0"), "daemon.group_commit_events: expected int >= 1"),
    (('journal_dir = "journal"', "journal_dir = 5"), "daemon.journal_dir: expected str, got int"),
    (('journal_dir = "journal"', "checksum_every = true"), "daemon.checksum_every: expected int, got bool"),
    (
        ("[daemon]", "[log]\nlevel = 'loud'\n[daemon]"),
        "log.level: expected one of debug, info, warning, error, critical",
    ),
    (("[daemon]", "[http]\nport = 70000\n[daemon]"), "http.port: expected int <= 65535"),
    (("[daemon]", "[zmq]\nmax_frame_bytes = 'big'\n[daemon]"), "zmq.max_frame_bytes: expected int, got str"),
    (("[daemon]", "[risk]\nmax_open_orders = -1\n[daemon]"), "risk.max_open_orders: expected int >= 1"),
    (
        ("[daemon]", "[resiliency]\nbackoff_multiplier = 0.5\n[daemon]"),
        "resiliency.backoff_multiplier: expected float >= 1",
    ),
    (("[daemon]", "[paper]\nlatency_ms = [1]\n[daemon]"), "paper.latency_ms: expected array of length 2, got 1"),
    (("[daemon]", "[paper]\nslippage_bps = 1.5\n[daemon]"), "paper.slippage_bps: use a string for exact decimals"),
    (("[daemon]", "[paper.balances.paper-1]\nUSDT = 1.5\n[daemon]"), "paper.balances.paper-1.USDT: use a string"),
    (("[daemon]", "[paper.balances.paper-1]\nUSDT = 'lots'\n[daemon]"), "paper.balances.paper-1.USDT: invalid decimal"),
    (
        ("[daemon]", "[paper]\nbalances = { 'a b' = { USD = [] } }\n[daemon]"),
        'paper.balances."a b".USD: expected decimal',
    ),
    (("[daemon]", "[metrics]\nport = 1\n[daemon]"), "metrics: unknown key"),
    (("[daemon]", "zmq = 5\n[daemon]"), "zmq: expected table, got int"),
]


@pytest.mark.parametrize(("edit", "expected"), BAD_VALUES, ids=[e for _, e in BAD_VALUES])
def test_validation_error_names_the_key_path(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    # given a valid config with one value made wrong
    old, new = edit
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)

    # when it is loaded, then one ConfigError names where and what
    error = config_error(tmp_path, text)
    assert str(error).startswith(expected), str(error)
    assert str(error) == f"{error.path}: {error.problem}"


def test_integers_are_exact_decimals(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL.replace('tick_size = "0.01"', "tick_size = 1")), env={})

    assert config.instruments[0].tick_size == Decimal(1)


def test_unreadable_and_invalid_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[daemon\n"))
    bad_utf8 = tmp_path / "latin1.toml"
    bad_utf8.write_bytes(b'[zmq]\nrequests = "\xe9"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad_utf8)


# --- cross-checks ---------------------------------------------------------------------------------------------

CROSS = [
    (('account_id = "paper-2"', 'account_id = "paper-1"'), 'accounts[1].account_id: duplicate account id "paper-1"'),
    (
        ('symbols = ["ETH/USDT"]', 'symbols = ["ETH/USDT", "XRP/USDT"]'),
        'accounts[1].symbols[1]: unknown instrument "XRP/USDT"',
    ),
    (('symbol = "ETH/USDT"', 'symbol = "BTC/USDT"'), 'instruments[1].symbol: duplicate instrument "BTC/USDT"'),
    (
        ("[daemon]", "[paper.balances.paper-9]\nUSDT = '1'\n[daemon]"),
        'paper.balances.paper-9: unknown account "paper-9"',
    ),
    (
        ("[daemon]", "[[paper.symbols]]\nsymbol = 'XRP/USDT'\nstart_price = '1'\n[daemon]"),
        'paper.symbols[0].symbol: unknown instrument "XRP/USDT"',
    ),
]


@pytest.mark.parametrize(("edit", "expected"), CROSS, ids=[e for _, e in CROSS])
def test_cross_checks_name_the_key_path(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    old, new = edit
    text = MINIMAL.replace(old, new, 1)

    assert str(config_error(tmp_path, text)).startswith(expected)


def test_paper_balances_must_belong_to_paper_accounts(tmp_path: Path) -> None:
    text = MINIMAL + CCXT_ACCOUNT + '\n[paper.balances.bn]\nUSDT = "1"\n'
    env = {"BINANCE_API_KEY": "k"}

    assert str(config_error(tmp_path, text, env)) == 'paper.balances.bn: account "bn" trades at venue ccxt, not paper'


def test_paper_defaults_are_not_cross_checked(tmp_path: Path) -> None:
    # the paper venue's demo defaults (symbols, balances) name things this file does not configure
    config = load_config(write(tmp_path, MINIMAL), env={})

    assert config.paper.symbols


# --- property: any wrong value is a ConfigError with a key path -----------------------------------------------

_PATH_SHAPE = re.compile(r'^(?:[A-Za-z0-9_-]+|"[^"]*")(?:\.(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*")|\[\d+\])*$')


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """Every (path, is_leaf) in a decoded TOML document."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        yield prefix, True
        return
    if prefix:
        yield prefix, False
    for key, child in items:
        yield from _paths(child, (*prefix, key))


def _replaced(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {k: _replaced(v, rest, new) if k == head else v for k, v in doc.items()}
    return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(doc)]


def _toml_str(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join([*out, '"'])


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_str(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml_doc(doc: dict[str, Any]) -> str:
    return "\n".join(f"{_toml_str(k)} = {_toml_value(v)}" for k, v in doc.items()) + "\n"


def _key_path(path: tuple[Any, ...]) -> str:
    out = ""
    for seg in path:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
    return out


_DOCS = {p.name: tomllib.loads(p.read_text()) for p in EXAMPLES}
_ENVS = {p.name: env_for(p) for p in EXAMPLES}
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.text(max_size=12),
    st.booleans(),
)
anything = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=6), scalars, max_size=2),
)


def _load_text(folder: Path, text: str, env: dict[str, str]) -> DaemonConfig:
    path = folder / "mutated.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env=env)


@pytest.mark.parametrize("name", sorted(_DOCS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_mutation_loads_or_raises_a_config_error_with_a_key_path(
    tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject
) -> None:
    # given an example config with any value (or table, or array) replaced by anything
    doc = _DOCS[name]
    path, _ = data.draw(st.sampled_from(list(_paths(doc))))
    mutated = _replaced(doc, path, data.draw(anything))

    # when it is loaded, then it loads or fails with a ConfigError naming a key path; nothing else escapes
    try:
        _load_text(tmp_path_factory.mktemp("m"), _toml_doc(mutated), _ENVS[name])
    except ConfigError as error:
        assert not error.path.startswith("$"), str(error)  # never msgspec's raw "$.a.b" form
        assert _PATH_SHAPE.match(error.path), str(error)
        assert str(error) == f"{error.path}: {error.problem}"


@pytest.mark.parametrize("name", sorted(_DOCS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_wrongly_typed_value_is_reported_at_its_own_key_path(
    tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject
) -> None:
    # given an example config with one scalar replaced by a table (wrong for every typed scalar)
    doc = _DOCS[name]
    leaves = [p for p, leaf in _paths(doc) if leaf and "options" not in p]
    path = data.draw(st.sampled_from(leaves))
    mutated = _replaced(doc, path, {"wrong": data.draw(scalars)})

    # when it is loaded, then the error names exactly that key
    with pytest.raises(ConfigError) as info:
        _load_text(tmp_path_factory.mktemp("w"), _toml_doc(mutated), _ENVS[name])
    assert info.value.path == _key_path(path), str(info.value)


# --- secrets -----------------------------------------------------------------------------------------------


def test_secret_shows_as_stars_and_reveals_on_request() -> None:
    secret = Secret("hunter2")

    assert repr(secret) == str(secret) == f"{secret}" == "***"
    assert secret.reveal() == "hunter2"
    assert secret == Secret("hunter2") and secret != Secret("other")
    assert "hunter2" not in repr([secret, {"k": secret}])


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.mark.usefixtures("restore_logging")
def test_secrets_never_reach_reprs_or_logs() -> None:
    # given a config with credentials
    path = REPO / "config" / "binance-example.toml"
    config = load_config(path, env={"BINANCE_API_KEY": "AKIA-very-secret", "BINANCE_API_SECRET": "s3cr3t-value"})
    out = io.StringIO()
    configure_logging("debug", "json", stream=out)

    # when the config and the account are logged every which way
    account = config.accounts[0]
    structlog.get_logger("test").info("config loaded", config=config, account=account, key=account.api_key)
    logging.getLogger("test.stdlib").info("account %r / %s", account, config)

    # then neither secret appears anywhere
    text = repr(config) + str(config) + out.getvalue()
    assert "AKIA-very-secret" not in text
    assert "s3cr3t-value" not in text
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["key"] == "***"
    assert lines[0]["account"]["api_key"] == "***"
