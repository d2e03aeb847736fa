"""The mochic tiers the runner measures, one entry each.

A tier either runs a program directly (``run_tier``: ``mochic run --tier
NAME``; its compile to IR happens inside each timed run) or builds a binary
first (``build_tier``: ``mochic build ARGS -o OUT``, then the binary runs;
a Wasm module is precompiled to a ``.cwasm`` as part of its build and run by
``bench/wasmrun.c``, see ``bench/wasmrun.py``).  A tier is measured
when mochic's command line offers it; the entries for tiers that have not
landed yet say what they wait for, and the report lists them as not
measured.  If a tier lands with another command line than the one assumed
here, fix its one entry.

Builds use a private mochic cache (``cache_env``), so a build is never a copy
of one an earlier benchmark left in the user's cache.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import wasmrun
from bench.participant import ROOT, Participant, Prepared, run_env, timed_build

MOCHIC = [sys.executable, "-m", "mochic"]


@functools.cache
def mochic_version() -> str:
    p = subprocess.run([*MOCHIC, "--version"], capture_output=True, text=True, env=run_env(),
                       cwd=ROOT)
    return p.stdout.strip() or "mochic (version unknown)"


@functools.cache
def _help(command: str) -> str | None:
    """``mochic COMMAND --help``, or None when mochic has no such command."""
    p = subprocess.run([*MOCHIC, command, "--help"], capture_output=True, text=True,
                       env=run_env(), cwd=ROOT)
    return p.stdout if p.returncode == 0 else None


def _choices(help_text: str | None, option: str) -> list[str]:
    """The choices argparse lists for ``option`` (``--tier {interp,jit}``)."""
    m = re.search(re.escape(option) + r" \{([^}]*)\}", help_text or "")
    return m.group(1).split(",") if m else []


def cache_env(folder: Path) -> dict[str, str]:
    """Environment for builds: mochic's cache in ``folder`` (fresh for a benchmark),
    zig's compiled C libraries shared with the user's cache, since compiling those
    is a one-time cost of the machine (minutes per target), not of a mochic build."""
    env = {"MOCHIC_CACHE": str(folder)}
    try:
        from mochic.toolchain.compilers import zig_cache_dir
        env["MOCHIC_ZIG_CACHE"] = str(zig_cache_dir())
    except (ImportError, AttributeError):
        pass
    return env


def run_tier(name: str) -> Participant:
    """A tier that ``mochic run --tier NAME prog.mochi`` executes; with ``--no-cache``,
    so that every timed run compiles (the compile-side figures time a cache hit)."""

    def unavailable() -> str | None:
        if name in _choices(_help("run"), "--tier"):
            return None
        return f"`mochic run` has no --tier {name} yet"

    def prepare(source: Path, build_dir: Path, env: dict[str, str]) -> Prepared:
        return Prepared([*MOCHIC, "run", "--no-cache", "--tier", name, str(source)])

    return Participant(f"mochic-{name}", "tier", f"mochic {name}", ".mochi", "let N = ",
                       f"mochic run --no-cache --tier {name} prog.mochi", unavailable, prepare,
                       mochic_version)


def build_tier(name: str, args: Sequence[str], unavailable: Callable[[], str | None],
               how: str, wasm: bool = False) -> Participant:
    """A tier that ``mochic build ARGS -o OUT prog.mochi`` turns into a binary, then
    runs; ``wasm``: the binary is a module, precompiled as part of the build and run
    by the .cwasm runner (see bench/wasmrun.py)."""

    def check() -> str | None:
        if _help("build") is None:
            return "mochic has no `build` command yet"
        return unavailable() or (wasmrun.unavailable() if wasm else None)

    def prepare(source: Path, build_dir: Path, env: dict[str, str]) -> Prepared:
        out = build_dir / (source.stem + (".wasm" if wasm else ""))
        took = timed_build([*MOCHIC, "build", *args, "-o", str(out), str(source)], build_dir,
                           env)
        if not wasm:
            return Prepared([str(out)], took, out)
        cwasm, precompile_s = wasmrun.precompile(out, env)
        return Prepared([str(wasmrun.runner()), str(cwasm)], took + precompile_s, out)

    return Participant(f"mochic-{name}", "tier", f"mochic {name}", ".mochi", "let N = ",
                       f"mochic build {' '.join(args)} prog.mochi ({how}), then the binary",
                       check, prepare, mochic_version, builds=True)


def _backend_option(name: str) -> Callable[[], str | None]:
    def unavailable() -> str | None:
        from mochic import backends
        if name in _choices(_help("build"), "--backend") or name in backends.names("build"):
            return None
        return f"`mochic build` has no --backend {name} yet"
    return unavailable


def _wasmtime() -> str | None:
    import importlib.util
    if importlib.util.find_spec("wasmtime") is None:
        return "the wasmtime package is not installed (pip install wasmtime)"
    return None


# In the order of docs/ARCHITECTURE.md's pipeline; the key is the --tiers name.
TIERS: dict[str, Participant] = {
    "interp": run_tier("interp"),
    "jit": run_tier("jit"),
    "c": build_tier("c", ["--mode", "release"], lambda: None,
                    "the C backend; its default compiler, zig cc, at -O2"),
    "native": build_tier("native", ["--backend", "native", "--mode", "release"],
                         _backend_option("native"), "stencils stitched ahead of time"),
    "wasm": build_tier("wasm", ["--backend", "wasm", "--mode", "release"],
                       lambda: _backend_option("wasm")() or _wasmtime(),
                       "mochic's Wasm encoder and linker; precompiled by wasmtime "
                       "(Cranelift), run by bench/wasmrun.c", wasm=True),
    "c-wasm": build_tier("c-wasm", ["--target", "wasm32-wasi", "--mode", "release"],
                         _wasmtime, "the C backend for wasm32-wasi; precompiled by "
                         "wasmtime (Cranelift), run by bench/wasmrun.c", wasm=True),
}
