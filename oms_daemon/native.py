"""The optional native build of the pure core: its own Python source, compiled by Cython.

``omsd native build`` (run by ``make run`` and ``make test``) compiles the core's
logic modules in place, as ``oms_daemon/core/<module>.cpython-*.so`` next to each source file;
CPython imports a compiled module in preference to its source. The source is not annotated or
changed for Cython: the same code, the same Decimal arithmetic, so replays agree to the state hash.
Compiling takes away interpreter overhead only (see README, "Native core").

Importing ``oms_daemon`` calls ``guard()``: a compiled module older than its source is ignored, so
an edit is never shadowed by a stale build, and ``OMSD_PURE_PYTHON=1`` ignores the build entirely.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

__all__ = [
    "CORE_MODULES",
    "PURE_PYTHON_ENV",
    "SourceFinder",
    "StaleNativeBuild",
    "build",
    "clean",
    "compiled_modules",
    "guard",
    "stale_modules",
    "status",
]

CORE = Path(__file__).resolve().parent / "core"
CORE_MODULES = (
    "balances",
    "book",
    "checks",
    "decide",
    "dlq",
    "engine",
    "evolve",
    "ids",
    "positions",
    "reconcile",
    "risk",
    "session",
    "state",
    "streams",
    "transitions",
)
"""The modules that do the core's work per input; the ones that only declare structs stay source."""

PURE_PYTHON_ENV = "OMSD_PURE_PYTHON"
"""Set to 1 to run the core from source even when a native build is present."""


class StaleNativeBuild(UserWarning):
    """A compiled core module is older than its source: the source is used until the next build."""


def _extension(package: Path, module: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = package / f"{module}{suffix}"
        if candidate.exists():
            return candidate
    return None


def stale_modules(package: Path, modules: Sequence[str]) -> list[str]:
    """Modules of ``package`` whose compiled extension is older than their ``.py`` source."""
    stale = []
    for module in modules:
        extension = _extension(package, module)
        source = package / f"{module}.py"
        if extension is not None and source.exists() and extension.stat().st_mtime < source.stat().st_mtime:
            stale.append(module)
    return stale


def compiled_modules(package: Path = CORE, modules: Sequence[str] = CORE_MODULES) -> list[str]:
    """Modules of ``package`` that have a compiled extension next to their source."""
    return [module for module in modules if _extension(package, module) is not None]


class SourceFinder(importlib.abc.MetaPathFinder):
    """Imports the given modules from their ``.py`` source, whatever extension sits beside it."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """The source spec of a listed module; None (ask the next finder) for any other."""
        source = self.sources.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source is not None else None


def guard(package: Path = CORE, name: str = "oms_daemon.core", modules: Sequence[str] = CORE_MODULES) -> None:
    """Import stale (or, with ``OMSD_PURE_PYTHON=1``, all) compiled modules of ``package`` from source."""
    if _pure_python():
        skipped = compiled_modules(package, modules)
    else:
        skipped = stale_modules(package, modules)
        if skipped:
            warnings.warn(
                f"native build of {', '.join(skipped)} is older than the source: running the source "
                "(rebuild with `omsd native build` or `make native`)",
                StaleNativeBuild,
                stacklevel=2,
            )
    if skipped:
        sys.meta_path.insert(0, SourceFinder({f"{name}.{m}": package / f"{m}.py" for m in skipped}))


def build(jobs: int | None = None) -> None:
    """Compile ``CORE_MODULES`` in place (needs Cython and a C compiler); C files go to ``build/native``."""
    from Cython.Build import cythonize
    from setuptools import Distribution

    root = CORE.parent.parent
    os.chdir(root)
    jobs = jobs or os.cpu_count() or 1
    extensions = cythonize(
        [str((CORE / f"{module}.py").relative_to(root)) for module in CORE_MODULES],
        compiler_directives={"language_level": 3, "annotation_typing": False, "binding": True},
        build_dir="build/native",
        nthreads=jobs,
        quiet=True,
    )
    for extension in extensions:  # Cython's generated tuple-compare helpers trip gcc's -Warray-bounds: noise
        extension.extra_compile_args.append("-Wno-array-bounds")
    distribution = Distribution(
        {"ext_modules": extensions, "script_args": ["-q", "build_ext", "--inplace", "--parallel", str(jobs)]}
    )
    distribution.parse_command_line()
    distribution.run_commands()


def clean() -> list[Path]:
    """Remove the compiled core modules; returns what was removed."""
    removed = []
    for module in CORE_MODULES:
        extension = _extension(CORE, module)
        if extension is not None:
            extension.unlink()
            removed.append(extension)
    return removed


def status() -> str:
    """One line: how many core modules run compiled, and which are stale or ignored."""
    if _pure_python():
        return f"native core: ignored ({PURE_PYTHON_ENV}=1): the core runs from source"
    stale = stale_modules(CORE, CORE_MODULES)
    line = f"native core: {len(compiled_modules())} of {len(CORE_MODULES)} modules compiled"
    return line + (f"; stale (source used): {', '.join(stale)}" if stale else "")


def _pure_python() -> bool:
    return os.environ.get(PURE_PYTHON_ENV, "") not in ("", "0")
