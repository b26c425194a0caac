"""The native (Cython) build of the core: never shadows newer source, and decides exactly as the source does."""

import importlib
import importlib.machinery
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.workload import mixed_inputs
from oms_daemon import native
from oms_daemon.core import Core

ROOT = Path(__file__).resolve().parents[2]
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package ``nativepkg`` whose ``tick`` module has a source and a (corrupt) compiled file beside it.

    Loading the compiled file fails, so a test that imports ``tick`` passes only if the source was used.
    """
    folder = tmp_path / "nativepkg"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "tick.py").write_text('ORIGIN = "source"\n')
    (folder / f"tick{SUFFIX}").write_bytes(b"not an extension module")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv(native.PURE_PYTHON_ENV, raising=False)
    finders = list(sys.meta_path)
    yield folder
    sys.meta_path[:] = finders
    for name in ("nativepkg.tick", "nativepkg"):
        sys.modules.pop(name, None)


def _age(path: Path, seconds: int) -> None:
    stat = path.stat()
    os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def test_given_a_compiled_module_older_than_its_source_when_guarded_then_the_source_is_imported_with_a_warning(
    package: Path,
) -> None:
    _age(package / f"tick{SUFFIX}", 60)

    with pytest.warns(native.StaleNativeBuild, match="tick"):
        native.guard(package, "nativepkg", ["tick"])
    module = importlib.import_module("nativepkg.tick")

    assert module.ORIGIN == "source"
    assert native.stale_modules(package, ["tick"]) == ["tick"]


def test_given_pure_python_asked_for_when_guarded_then_a_fresh_compiled_module_is_ignored(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _age(package / "tick.py", 60)
    monkeypatch.setenv(native.PURE_PYTHON_ENV, "1")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        native.guard(package, "nativepkg", ["tick"])
    module = importlib.import_module("nativepkg.tick")

    assert module.ORIGIN == "source"
    assert native.compiled_modules(package, ["tick"]) == ["tick"]


def test_given_a_fresh_compiled_module_when_guarded_then_nothing_is_redirected(package: Path) -> None:
    _age(package / "tick.py", 60)
    finders = list(sys.meta_path)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        native.guard(package, "nativepkg", ["tick"])

    assert sys.meta_path == finders
    assert native.stale_modules(package, ["tick"]) == []


HASH_OF_WORKLOAD = """
import sys
from bench.workload import mixed_inputs
from oms_daemon.core import Core
core = Core()
for inp in mixed_inputs(int(sys.argv[1])):
    core.step(inp)
print(sys.modules["oms_daemon.core.decide"].__file__)
print(core.state.state_hash())
"""


@pytest.mark.skipif(not native.compiled_modules(), reason="no native build here (`make native`)")
def test_given_the_native_build_when_a_workload_runs_then_it_ends_in_the_state_the_source_reaches() -> None:
    core = Core()
    for inp in mixed_inputs(20_000):
        core.step(inp)

    pure = subprocess.run(
        [sys.executable, "-c", HASH_OF_WORKLOAD, "20000"],
        env={**os.environ, native.PURE_PYTHON_ENV: "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert sys.modules["oms_daemon.core.decide"].__file__.endswith(SUFFIX)
    assert pure[0].endswith("decide.py")
    assert pure[1] == core.state.state_hash()
