"""``[[api_keys]]`` in the config file: checked at load time, keys never shown."""

from pathlib import Path

import pytest

from oms_daemon.config import ConfigError, Secret, load_config

BASE = """
[[instruments]]
symbol = "BTC/USDT"
base_currency = "BTC"
quote_currency = "USDT"

[[accounts]]
account_id = "paper-1"
venue = "paper"
"""


def load(tmp_path: Path, keys: str) -> object:
    path = tmp_path / "omsd.toml"
    path.write_text(BASE + keys)
    return load_config(path, env={"OMSD_KEY": "from-env"})


def test_keys_load_with_their_accounts_and_strategies(tmp_path: Path) -> None:
    # given a key from the environment, limited to one strategy and rate limited
    config = load(
        tmp_path,
        '[[api_keys]]\nkey = "${OMSD_KEY}"\naccounts = ["paper-1"]\nstrategies = ["s1"]\nrate_limit = 5\n',
    )
    # then it loads as a Secret that never prints
    (api_key,) = config.api_keys  # type: ignore[attr-defined]
    assert api_key.key == Secret("from-env") and repr(api_key.key) == "***"
    assert api_key.accounts == ("paper-1",) and api_key.strategies == ("s1",) and api_key.rate_limit == 5


@pytest.mark.parametrize(
    ("keys", "where"),
    [
        ('[[api_keys]]\nkey = "k"\naccounts = ["paper-9"]\n', "api_keys[0].accounts[0]"),
        ('[[api_keys]]\nkey = "k"\naccounts = []\n', "api_keys[0].accounts"),
        ('[[api_keys]]\nkey = ""\naccounts = ["paper-1"]\n', "api_keys[0].key"),
        (
            '[[api_keys]]\nkey = "k"\naccounts = ["paper-1"]\n[[api_keys]]\nkey = "k"\naccounts = ["paper-1"]\n',
            "api_keys[1].key",
        ),
        ('[[api_keys]]\nkey = "k"\naccounts = ["paper-1"]\nscope = "all"\n', "api_keys[0].scope"),
    ],
)
def test_bad_keys_are_refused_naming_the_key_path(tmp_path: Path, keys: str, where: str) -> None:
    # when the file has a bad [[api_keys]] entry, then loading fails naming where
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, keys)
    assert refused.value.path == where
