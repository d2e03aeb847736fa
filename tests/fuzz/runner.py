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

``check_batch`` runs a batch (as `mochic` commands, ``Subprocesses``, or for
throughput in this process, ``InProcess``); on a failure it finds the unit
at fault (the output of each unit starts with its `-- unit N` line) and
shrinks it (``shrink.py``) to a small program that still fails the same way.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mochic import backends, targets
from mochic.driver import compile_source
from mochic.ir.ir import Module
from mochic.stack import run_in_big_stack
from tests.fuzz import shrink
from tests.fuzz.generate import Batch, Node, render
from tests.runners import decode
from tests.tiers import TIERS, TIMEOUT, Result

FILE = "fuzz.mochi"
RUN_ERROR = re.compile(re.escape(FILE) + r":\d+: runtime error: .+\n\Z", re.S)  # a message may quote a \n
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


class Subprocesses:
    """Runs a program as a user does: each tier a `mochic` command (tests/tiers.py)."""

    def __init__(self, tiers: list[FuzzTier] | None = None) -> None:
        self.tiers = tiers if tiers is not None else fuzz_tiers()
        self.names = [t.name for t in self.tiers]

    def only(self, names: set[str]) -> Subprocesses:
        return Subprocesses([t for i, t in enumerate(self.tiers) if i == 0 or t.name in names])

    def run(self, nodes: list[Node], stdin: str, workdir: Path) -> dict[str, Result]:
        results: dict[str, Result] = {}
        for t in self.tiers:
            folder = workdir / ("typed" if t.typed else "untyped")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / FILE
            path.write_text(render(nodes, t.typed), encoding="utf-8")
            try:
                results[t.name] = t.run(path, stdin)
            except subprocess.TimeoutExpired:
                results[t.name] = Result("", "time-out\n", -1)
        return results


class InProcess:
    """Runs a program for throughput (the long run): it is compiled once here, then
    every backend of `mochic.backends.BACKENDS` runs it in a child process forked
    from this one (a backend that runs programs: the interpreter, the JIT, Wasm
    under wasmtime), or builds it for this machine and the executable runs (a
    backend that builds them for this machine); ``interp-untyped`` is the
    interpreter on the program without its function annotations.  A backend added
    to that table is fuzzed with no change here.  A backend that says it cannot
    run programs here (`Unavailable`: no JIT for this machine, no wasmtime) is left
    out of the comparison and named in ``unavailable``."""

    def __init__(self, build_mode: str = "release", names: set[str] | None = None) -> None:
        self.build_mode = build_mode
        host = targets.host()
        every = [*backends.names("run"),
                 *(n for n in backends.names("build")
                   if host.name in backends.BACKENDS[n].targets and n not in
                   backends.names("run")), "interp-untyped"]
        first = "interp"
        self.unavailable = _unavailable_here()  # backend: why it cannot run here
        self.names = [first, *(n for n in every if n != first and n not in self.unavailable
                               and (names is None or n in names))]

    def only(self, names: set[str]) -> InProcess:
        return InProcess(self.build_mode, names)

    def run(self, nodes: list[Node], stdin: str, workdir: Path) -> dict[str, Result]:
        workdir.mkdir(parents=True, exist_ok=True)
        typed = _compiled(render(nodes, True))
        results: dict[str, Result] = {}
        for name in self.names:
            untyped = name == "interp-untyped"
            compiled = _compiled(render(nodes, False)) if untyped else typed
            if isinstance(compiled, Result):
                results[name] = compiled
            elif untyped or name in backends.names("run"):
                results[name] = _run_forked("interp" if untyped else name, compiled, stdin,
                                            workdir)
            else:
                results[name] = self.build_and_run(name, compiled, stdin, workdir)
        return results

    def build_and_run(self, name: str, module: Module, stdin: str, workdir: Path) -> Result:
        exe = workdir / f"{name}-program{targets.host().suffix}"
        request = backends.BuildRequest(targets.host(), self.build_mode, False, "zig", "exe",
                                        exe, _log)
        try:
            run_in_big_stack(lambda: backends.get(name, "build").entry("build")(module, request))
        except backends.BuildError as e:
            return Result("", f"mochic build failed:\n{e}\n", 1)
        try:
            p = subprocess.run([str(exe)], cwd=workdir, input=stdin.encode(), capture_output=True,
                               timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return Result("", "time-out\n", -1)
        return Result(decode(p.stdout), decode(p.stderr), p.returncode)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _compiled(source: str) -> Module | Result:
    """The module, or the result every tier gives for a program that does not compile."""
    try:
        c = run_in_big_stack(lambda: compile_source(FILE, source))
    except Exception as e:
        return Result("", f"internal compiler error: {type(e).__name__}: {e}\n", 1)
    if c.diags or c.module is None:
        return Result("", c.diags.render(), 1)
    return c.module


UNAVAILABLE = 75  # a forked backend's status when it cannot run a program (EX_TEMPFAIL)


def _run_forked(name: str, module: Module, stdin: str, workdir: Path) -> Result:
    """The backend ``name`` running ``module`` in a child process; UNAVAILABLE, the
    reason on standard error, if it says it cannot (for a program that runs
    elsewhere, a crash)."""
    backend = backends.get(name, "run")

    def run() -> int:
        try:
            return backend.entry("run")(module, backends.RunRequest(False, _log))
        except backends.Unavailable as e:
            print(e, file=sys.stderr)
            return UNAVAILABLE
    return _forked(run, stdin, workdir)


def _unavailable_here() -> dict[str, str]:
    """The backends that cannot run even the empty program on this machine (no JIT
    for its ISA, no wasmtime), each with the reason: they are not fuzzed here."""
    module = _compiled("")
    assert not isinstance(module, Result), module
    out = {}
    with tempfile.TemporaryDirectory(prefix="mochic-fuzz-") as d:
        for name in backends.names("run"):
            r = _run_forked(name, module, "", Path(d))
            if r.status == UNAVAILABLE:
                out[name] = r.stderr.strip()
    return out


def _forked(run: Callable[[], int], stdin: str, workdir: Path) -> Result:
    """``run()`` in a child process whose standard streams are files; its result."""
    paths = {n: workdir / f"std{n}" for n in ("in", "out", "err")}
    paths["in"].write_bytes(stdin.encode())
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 70
        try:
            for fd, (name, flags) in enumerate((("in", os.O_RDONLY),
                                                ("out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                                ("err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC))):
                os.dup2(os.open(paths[name], flags, 0o644), fd)
            sys.stderr.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
            # a pool worker's sys.stdin is a file of its own on /dev/null, not fd 0;
            # read fd 0 as Python's standard input does (lines end at \n only)
            sys.stdin = open(0, encoding="utf-8", newline="\n", closefd=False)
            status = run()
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    deadline = time.monotonic() + TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Result("", "time-out\n", -1)
        time.sleep(0.005)
    out, err = (decode(paths[n].read_bytes()) for n in ("out", "err"))
    return Result(out, err, os.waitstatus_to_exitcode(status))


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


def judge(results: dict[str, Result],
          expect_error: bool | None) -> tuple[tuple[str, ...], str] | None:
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


def check_batch(batch: Batch, executor: Subprocesses | InProcess | None = None,
                shrink_seconds: float = 600.0) -> Failure | None:
    """Run ``batch`` on every tier; the failure found, shrunk, or None."""
    executor = executor if executor is not None else Subprocesses()
    with tempfile.TemporaryDirectory(prefix="mochic-fuzz-") as d:
        work = Path(d)
        results = executor.run(batch.nodes(), batch.stdin, work)
        verdict = judge(results, batch.fails)
        if verdict is None:
            return None
        failing, kind = verdict
        k = unit_at_fault(batch, results, failing)
        involved = executor.only(set(failing))
        compiles_as = compile_outcome(batch.nodes())

        def still_fails(candidate: list[Node]) -> bool:
            outcome = compile_outcome(candidate)
            if outcome != compiles_as:
                return False
            if outcome:  # the compiler's own failure, the same again
                return True
            v = judge(involved.run(candidate, batch.stdin, work), None)
            return v is not None and v[1] == kind and set(v[0]) <= set(failing)

        # the unit alone; else with the units before it (they read the input it reads)
        for nodes in (batch.nodes([k]), batch.nodes(list(range(k + 1))), batch.nodes()):
            if still_fails(nodes):
                break
        else:  # it does not happen again: report the batch as it failed
            return Failure(failing, kind + " (not reproduced)", batch.source(), results,
                           batch.stdin)
        small = shrink.shrink(nodes, still_fails, shrink_seconds)
        final = executor.run(small, batch.stdin, work)
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
