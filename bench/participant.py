"""What the runner measures: a mochic tier or a peer language, as one record.

A participant names the kernel source it runs (by extension) and how that
source spells its size line; says whether this machine can run it
(``unavailable`` gives the reason it cannot, or None); and turns a source
into a command line (``prepare``, which builds a binary first when the
participant has a build step, and times that build).  ``prepare`` gets the
environment the runner gives every build and run (``run_env``, plus a
private mochic cache: see ``tiers.cache_env``).  Tiers (``tiers.py``)
and peers (``peers.py``) are both lists of these, so a new tier or peer is
one more entry.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BuildError(Exception):
    pass


@dataclass(frozen=True)
class Prepared:
    argv: list[str]
    build_s: float | None = None  # the build step's wall time, when there is one
    binary: Path | None = None  # the file the build produced


@dataclass(frozen=True)
class Participant:
    key: str  # unique: "mochic-interp", "c", "python"
    kind: str  # "tier" (a way mochic runs a program) or "peer" (another language)
    label: str  # how tables and the chart name it
    ext: str  # the kernel source it runs: ".mochi", ".c"
    size_prefix: str  # the size line up to the number: "let N = "
    how: str  # how it builds and runs a program, for the report
    unavailable: Callable[[], str | None]
    prepare: Callable[[Path, Path, dict[str, str]], Prepared]  # (source, build folder, env)
    version: Callable[[], str]
    builds: bool = False  # whether prepare builds a binary


def run_env() -> dict[str, str]:
    """The environment every run gets: mochic importable from this checkout, with
    Python's bytecode cache on, as in any installed package (without it every run
    would also time Python compiling mochic's own sources)."""
    path = os.environ.get("PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def timed_build(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    """Run a build command; its wall time, or BuildError with its output."""
    start = time.perf_counter()
    p = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if p.returncode != 0:
        raise BuildError(f"build failed ({' '.join(map(str, argv))}):\n{p.stdout}{p.stderr}")
    return took


def first_line(argv: Sequence[str]) -> str:
    """The first line a version command prints (on stdout or stderr), or ''."""
    try:
        p = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = (p.stdout or p.stderr).strip()
    return text.splitlines()[0] if text else ""
