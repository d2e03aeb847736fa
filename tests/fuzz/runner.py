"""The differential runner: one generated program on every tier, compared.

The tiers are those of ``tests/tiers.py`` (a backend that lands there is
fuzzed too), plus ``interp-untyped``: the interpreter running the program
with every function annotation deleted, which must print the same (see
``generate.py``).  The first tier is the reference.

A run fails when a tier's standard output, standard error or exit status
differs from the reference's, or when any tier crashes: a signal, a Python
traceback, an internal compiler error, a diagnostic (a generated program is
well-typed), a failed build, a time-out, or an exit status other than the
program's (0, or 1 after the runtime error its last unit makes on purpose).

``check_batch`` runs a batch; on a failure it finds the unit at fault (the
output of each unit starts with its `-- unit N` line) and shrinks it
(``shrink.py``) to a small program that still fails the same way.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mochic.driver import compile_source
from tests.fuzz import shrink
from tests.fuzz.generate import Batch, Node, render
from tests.tiers import TIERS, Result

FILE = "fuzz.mochi"
RUN_ERROR = re.compile(re.escape(FILE) + r":\d+: runtime error: .+\n\Z")
CRASH_SIGNS = ("Traceback (most recent call last)", "internal compiler error", ": error: ",
               "mochic build failed", "Segmentation fault", "AddressSanitizer",
               "runtime error: load of", "UndefinedBehaviorSanitizer")


@dataclass(frozen=True)
class FuzzTier:
    """A way to run a program: ``run`` as in tests/tiers.py, on the program as
    generated (``typed``) or with its function annotations deleted."""

    name: str
    run: Callable[[Path, str], Result]
    typed: bool = True


def fuzz_tiers() -> list[FuzzTier]:
    tiers = [FuzzTier(name, run) for name, run in TIERS.items()]
    tiers.append(FuzzTier("interp-untyped", TIERS["interp"], typed=False))
    return tiers


@dataclass
class Failure:
    """What went wrong: the tiers whose result differs from the reference's (or
    that crashed), the program (shrunk when it could be) and every tier's result."""

    tiers: tuple[str, ...]
    kind: str  # "difference" or "crash"
    source: str
    results: dict[str, Result] = field(default_factory=dict)
    stdin: str = ""

    def report(self) -> str:
        out = [f"{self.kind} on {', '.join(self.tiers)}", "---- program", self.source.rstrip()]
        if self.stdin:
            out += ["---- stdin", repr(self.stdin)]
        for name, r in self.results.items():
            out += [f"---- {name}: exit {r.status}", r.stdout.rstrip(),
                    *(["  stderr: " + line for line in r.stderr.splitlines()])]
        return "\n".join(out)


def run_tiers(nodes: list[Node], stdin: str, tiers: list[FuzzTier],
              workdir: Path) -> dict[str, Result]:
    """Run the program ``nodes`` on ``tiers`` (each from its own folder, so every
    tier names the file ``FILE``)."""
    results: dict[str, Result] = {}
    for t in tiers:
        folder = workdir / ("typed" if t.typed else "untyped")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / FILE
        path.write_text(render(nodes, t.typed), encoding="utf-8")
        try:
            results[t.name] = t.run(path, stdin)
        except subprocess.TimeoutExpired:
            results[t.name] = Result("", "time-out\n", -1)
    return results


def judge(results: dict[str, Result], expect_error: bool | None) -> tuple[tuple[str, ...], str] | None:
    """The failing tiers and the kind of failure, or None when all is well."""
    names = list(results)
    ref = results[names[0]]
    crashed = tuple(n for n, r in results.items() if _crashed(r, expect_error))
    if crashed:
        return crashed, "crash"
    differ = tuple(n for n in names[1:] if (results[n].stdout, results[n].stderr,
                                            results[n].status) !=
                   (ref.stdout, ref.stderr, ref.status))
    return (differ, "difference") if differ else None


def _crashed(r: Result, expect_error: bool | None) -> bool:
    if r.status not in (0, 1) or any(sign in r.stderr for sign in CRASH_SIGNS):
        return True
    if expect_error is None:
        return False
    if expect_error:
        return r.status != 1 or RUN_ERROR.search(r.stderr) is None
    return r.status != 0 or r.stderr != ""


def unit_at_fault(batch: Batch, results: dict[str, Result], tiers: tuple[str, ...]) -> int:
    """The index of the unit whose output first differs (the last one started when
    only the end differs)."""
    names = list(results)
    ref = results[names[0]].stdout.splitlines()
    worst = len(batch.units) - 1
    for name in tiers:
        got = results[name].stdout.splitlines()
        n = next((i for i, (a, b) in enumerate(zip(ref, got, strict=False)) if a != b),
                 min(len(ref), len(got)))
        started = [line for line in (got if name != names[0] else ref)[:n + 1]
                   if line.startswith("-- unit ")]
        if started and n < max(len(ref), len(got)):
            seed = int(started[-1].split()[-1])
            worst = min(worst, batch.seeds.index(seed))
    return worst


def check_batch(batch: Batch, tiers: list[FuzzTier] | None = None,
                shrink_seconds: float = 600.0) -> Failure | None:
    """Run ``batch`` on every tier; the failure found, shrunk, or None."""
    tiers = tiers if tiers is not None else fuzz_tiers()
    expect_error = batch.fails
    with tempfile.TemporaryDirectory(prefix="mochic-fuzz-") as d:
        work = Path(d)
        results = run_tiers(batch.nodes(), batch.stdin, tiers, work)
        verdict = judge(results, expect_error)
        if verdict is None:
            return None
        failing, kind = verdict
        k = unit_at_fault(batch, results, failing)
        involved = [t for t in tiers if t.name in failing or t is tiers[0]]
        compiles_as = compile_outcome(batch.nodes())

        def still_fails(candidate: list[Node]) -> bool:
            outcome = compile_outcome(candidate)
            if outcome != compiles_as:
                return False
            if outcome:  # the compiler's own failure, the same again
                return True
            v = judge(run_tiers(candidate, batch.stdin, involved, work), None)
            return v is not None and v[1] == kind and set(v[0]) <= set(failing)

        # the unit alone; else with the units before it (they read the input it reads)
        for nodes in (batch.nodes([k]), batch.nodes(list(range(k + 1))), batch.nodes()):
            if still_fails(nodes):
                break
        small = shrink.shrink(nodes, still_fails, shrink_seconds)
        final = run_tiers(small, batch.stdin, tiers, work)
        verdict = judge(final, None) or verdict
        return Failure(verdict[0], verdict[1], render(small), final, batch.stdin)


def compile_outcome(nodes: list[Node]) -> str:
    """How compiling the program in this process ends: "" when it compiles, else
    the exception or the first diagnostic (a compiler bug the shrinker keeps)."""
    try:
        compiled = compile_source(FILE, render(nodes))
    except Exception as e:
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return compiled.diags.items[0].message if compiled.diags else ""
