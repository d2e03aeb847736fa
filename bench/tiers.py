"""The mochic tiers the runner measures, one entry each.

A tier either runs a program directly (``run_tier``: ``mochic run --tier
NAME``; its compile to IR happens inside each timed run) or builds a binary
first (``build_tier``: ``mochic build --backend NAME -o OUT``, then the
binary runs, through ``runner`` when it needs one, as wasm does).  Today
only ``interp`` exists; the others are listed so that each turns on by
itself the day mochic's command line offers it, and so the report can say
which tiers were not there yet.  If the landed command line differs from
the one assumed here, fix that one entry.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

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


def run_tier(name: str) -> Participant:
    """A tier that ``mochic run --tier NAME prog.mochi`` executes."""

    def unavailable() -> str | None:
        if name in _choices(_help("run"), "--tier"):
            return None
        return f"`mochic run` has no --tier {name} yet"

    def prepare(source: Path, build_dir: Path) -> Prepared:
        return Prepared([*MOCHIC, "run", "--tier", name, str(source)])

    return Participant(f"mochic-{name}", "tier", f"mochic {name}", ".mochi", "let N = ",
                       unavailable, prepare, mochic_version)


def build_tier(name: str, runner: Sequence[str] = ()) -> Participant:
    """A tier that ``mochic build --backend NAME -o OUT prog.mochi`` turns into a
    binary, then run as ``*runner OUT``."""

    def unavailable() -> str | None:
        text = _help("build")
        if text is None:
            return "mochic has no `build` command yet"
        if name not in _choices(text, "--backend"):
            return f"`mochic build` has no --backend {name} yet"
        if runner and shutil.which(runner[0]) is None:
            return f"{runner[0]} is not installed"
        return None

    def prepare(source: Path, build_dir: Path) -> Prepared:
        out = build_dir / (source.stem + (".wasm" if name == "wasm" else ""))
        took = timed_build([*MOCHIC, "build", "--backend", name, "-o", str(out), str(source)],
                           build_dir)
        return Prepared([*runner, str(out)], took, out)

    return Participant(f"mochic-{name}", "tier", f"mochic {name}", ".mochi", "let N = ",
                       unavailable, prepare, mochic_version)


# In the order of docs/ARCHITECTURE.md's pipeline; the key is the --tiers name.
TIERS: dict[str, Participant] = {
    "interp": run_tier("interp"),
    "jit": run_tier("jit"),
    "c": build_tier("c"),
    "native": build_tier("native"),
    "wasm": build_tier("wasm", runner=["wasmtime"]),
}
