"""The benchmark loop: for each kernel, choose its size, build every
participant, warm up, time the runs, and compare every checksum.

Every run's output is checked as soon as it is printed: against the other
participants' output at the same size, against the participant's own
earlier runs, and against sizes.json when the size is the quick or the
default one.  A difference stops the benchmark (``ChecksumMismatch``).

The timed runs of a kernel go round-robin over the participants (run 1 of
each, then run 2 of each...), so a change in machine load while a kernel is
measured spreads over all of them instead of biasing one.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import compiletime, machine
from bench.kernels import Kernel, predict_n, resize, size_up
from bench.measure import Sample, build_peak, run_once, summarize
from bench.participant import Participant, Prepared, run_env
from bench.peers import BASELINE
from bench.tiers import cache_env

Log = Callable[[str], None]

# A size is good once the slowest participant's run takes between these
# fractions of the budget; sizing stops after MAX_SIZING_STEPS tries anyway
# and keeps the largest size whose run stayed under OVER_BUDGET.
FITS = (0.7, 1.15)
OVER_BUDGET = 1.3
MAX_SIZING_STEPS = 4

# Short runs are repeated until they add up to this many seconds (see runs_for).
MIN_RUNS_TOTAL_S = 1.0
MAX_RUNS = 31


class ChecksumMismatch(Exception):
    pass


class RunFailed(Exception):
    pass


@dataclass
class Options:
    quick: bool = False
    runs: int = 5
    budget_s: float = 5.0
    min_baseline_s: float = 0.0  # grow a kernel until the baseline (C) runs this long
    timeout_s: float = 1800.0
    peak: Path | None = None  # the peak.c launcher, built by run()


class KernelRun:
    """Everything measured for one kernel, with its sources, builds and outputs per size."""

    def __init__(self, kernel: Kernel, participants: list[Participant], opts: Options,
                 work: Path, env: dict[str, str], log: Log, position: str) -> None:
        self.kernel = kernel
        self.env = env
        self.participants = participants
        self.opts = opts
        self.work = work / kernel.name
        self.log = log
        self.position = position
        self.prepared: dict[tuple[str, int], Prepared] = {}
        self.outputs: dict[int, dict[str, str]] = {}
        self.warm: set[tuple[str, int]] = set()
        self.last_wall: dict[tuple[str, int], float] = {}
        self.sizing: list[dict] = []

    # -- sources, builds, runs -------------------------------------------

    def folder(self, n: int) -> Path:
        return self.work / f"N{n}"

    def source(self, p: Participant, n: int) -> Path:
        path = self.folder(n) / f"{self.kernel.name}{p.ext}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            text = self.kernel.source(p.ext).read_text()
            try:
                path.write_text(resize(text, p.size_prefix, n))
            except ValueError as e:
                raise RunFailed(f"{self.kernel.source(p.ext)}: {e}") from None
        return path

    def prepare(self, p: Participant, n: int) -> Prepared:
        if (p.key, n) not in self.prepared:
            build_dir = self.folder(n) / p.key
            build_dir.mkdir(parents=True, exist_ok=True)
            prepared = p.prepare(self.source(p, n), build_dir, self.env)
            if prepared.build_s is not None:
                self.say(n, p, "build", f"{prepared.build_s:8.3f} s")
            self.prepared[p.key, n] = prepared
        return self.prepared[p.key, n]

    def run(self, p: Participant, n: int, what: str) -> Sample:
        prepared = self.prepare(p, n)
        s = run_once(prepared.argv, self.folder(n), self.env, self.opts.timeout_s,
                     self.opts.peak)
        if s.timed_out:
            raise RunFailed(f"{p.label} on {self.kernel.name} N={n} took more than "
                            f"{self.opts.timeout_s:.0f} s")
        if s.status != 0:
            raise RunFailed(f"{p.label} on {self.kernel.name} N={n} exited with status "
                            f"{s.status}:\n{s.stdout[-2000:]}{s.stderr[-2000:]}")
        self.say(n, p, what, f"{s.wall_s:8.3f} s {s.maxrss_kb / 1024:7.1f} MB")
        self.check(p, n, s.stdout)
        self.warm.add((p.key, n))
        self.last_wall[p.key, n] = s.wall_s
        return s

    def say(self, n: int, p: Participant, what: str, figures: str) -> None:
        self.log(f"{self.position} {self.kernel.name:15} N={n:<10} {p.label:14} "
                 f"{what:9} {figures}")

    def check(self, p: Participant, n: int, stdout: str) -> None:
        got = stdout.strip()
        seen = self.outputs.setdefault(n, {})
        earlier = seen.get(p.key)
        seen.setdefault(p.key, got)
        expected = self.kernel.expected(n)
        if (earlier is not None and earlier != got) or \
                len(set(seen.values()) | ({expected} if expected else set())) > 1:
            lines = [f"  {key:16} {value!r}" for key, value in seen.items()]
            if earlier is not None and earlier != got:
                lines.append(f"  {p.key:16} {got!r} (a later run)")
            if expected:
                lines.append(f"  {'sizes.json':16} {expected!r}")
            raise ChecksumMismatch(f"checksums differ for {self.kernel.name} at N={n}:\n"
                                   + "\n".join(lines))

    # -- choosing the size ---------------------------------------------

    def choose_n(self) -> tuple[int, str]:
        """The one size every participant runs at, and why it is that size."""
        k, budget = self.kernel, self.opts.budget_s
        if self.opts.quick:
            return k.quick, "quick"
        lo, hi = k.quick, k.default
        history: dict[str, list[tuple[int, float]]] = {
            p.key: [(lo, self.run(p, lo, "sizing").wall_s)] for p in self.participants}
        pacer = max(history, key=lambda key: history[key][-1][1])
        n = predict_n(k.name, history[pacer], budget, lo, hi)
        if n != lo:  # everyone once more, at a size nearer the budget, to find the slowest
            for p in self.participants:
                history[p.key].append((n, self.run(p, n, "sizing").wall_s))
            pacer = max(history, key=lambda key: history[key][-1][1])
        by_key = {p.key: p for p in self.participants}
        # Who is slowest can change with the size (a tier that starts slowly but
        # runs fast paces the small sizes): size for the pacer, then check everyone
        # at that size and size again for whoever is slower there.
        for _ in range(len(self.participants)):
            points = history[pacer]
            self._size_for(by_key[pacer], points, lo, hi)
            n = self._fitting(points, lo)
            times = {key: next((s for pn, s in reversed(h) if pn == n), None)
                     for key, h in history.items()}
            for key, s in times.items():
                if s is None:
                    times[key] = self.run(by_key[key], n, "sizing").wall_s
                    history[key].append((n, times[key]))
            slowest = max(times, key=lambda key: times[key] or 0.0)
            if slowest == pacer or (times[slowest] or 0.0) <= OVER_BUDGET * budget:
                break
            pacer = slowest
        points = history[pacer]
        self.sizing = [{"participant": pacer, "n": pn, "seconds": t} for pn, t in points]
        n = self._fitting(points, lo)
        floor = self._baseline_floor(history, n, hi)
        if floor > n:
            return floor, "default" if floor == hi else "baseline"
        return n, ("default" if n == hi else "budget")

    def _baseline_floor(self, history: dict[str, list[tuple[int, float]]], n: int,
                        hi: int) -> int:
        """The size at which the baseline runs at least ``min_baseline_s`` (at most
        ``hi``), if ``n`` is smaller: a run of a few milliseconds says little."""
        want = self.opts.min_baseline_s
        base = next((p for p in self.participants if p.key == BASELINE and p.kind == "peer"),
                    None)
        if want <= 0 or base is None:
            return n
        points = history[base.key]
        t = next((s for pn, s in reversed(points) if pn == n), None)
        if t is None:
            t = self.run(base, n, "sizing").wall_s
            points.append((n, t))
        for _ in range(MAX_SIZING_STEPS):
            if t >= want or n >= hi:
                break
            nxt = max(predict_n(self.kernel.name, points, 1.5 * want, n, hi), size_up(n, hi))
            n, t = nxt, self.run(base, nxt, "sizing").wall_s
            points.append((n, t))
        return n

    def _fitting(self, points: list[tuple[int, float]], lo: int) -> int:
        fitting = [pn for pn, t in points if t <= OVER_BUDGET * self.opts.budget_s]
        return max(fitting) if fitting else lo

    def _size_for(self, pacer: Participant, points: list[tuple[int, float]],
                  lo: int, hi: int) -> None:
        """Add sizes to ``points`` (the pacer's runs) until one fits the budget."""
        k, budget = self.kernel, self.opts.budget_s
        for _ in range(MAX_SIZING_STEPS):
            last_n, last_t = points[-1]
            if FITS[0] * budget <= last_t <= FITS[1] * budget:
                break
            if last_t < budget and last_n == hi:
                break
            nxt = predict_n(k.name, points, budget, lo, hi)
            if nxt <= last_n and last_t < FITS[0] * budget and last_n < hi:
                # Start-up can hide how little work a small size does (fannkuch_redux
                # at 7 is mostly the interpreter starting); try the next size up.
                nxt = size_up(last_n, hi)
            if nxt in {pn for pn, _ in points}:
                break
            points.append((nxt, self.run(pacer, nxt, "sizing").wall_s))

    # -- the measurement -----------------------------------------------

    def runs_for(self, p: Participant, n: int) -> int:
        """--runs, or more for a participant whose runs are short: as many as fill
        MIN_RUNS_TOTAL_S (at most MAX_RUNS), so a C run of 20 ms, which the machine's
        noise moves by several milliseconds, still gets a steady median."""
        if self.opts.quick:
            return self.opts.runs
        last = self.last_wall[p.key, n]
        wanted = math.ceil(MIN_RUNS_TOTAL_S / max(last, 1e-3))
        return max(self.opts.runs, min(MAX_RUNS, wanted))

    def measure(self, with_compile_probe: bool) -> dict:
        n, policy = self.choose_n()
        for p in self.participants:
            self.prepare(p, n)
            if (p.key, n) not in self.warm:
                self.run(p, n, "warm-up")
        runs = {p.key: self.runs_for(p, n) for p in self.participants}
        samples: dict[str, list[Sample]] = {p.key: [] for p in self.participants}
        for i in range(max(runs.values())):
            for p in self.participants:
                if i < runs[p.key]:
                    samples[p.key].append(self.run(p, n, f"run {i + 1}/{runs[p.key]}"))
        results = {}
        for p in self.participants:
            prepared = self.prepared[p.key, n]
            r = summarize([s.wall_s for s in samples[p.key]],
                          [s.maxrss_kb for s in samples[p.key]],
                          [s.cpu_s for s in samples[p.key]])
            r["build_s"] = prepared.build_s
            r["binary_bytes"] = prepared.binary.stat().st_size if prepared.binary else None
            results[p.key] = r
        entry = {
            "name": self.kernel.name,
            "n": n,
            "n_policy": policy,
            "quick_n": self.kernel.quick,
            "default_n": self.kernel.default,
            "checksum": next(iter(self.outputs[n].values())),
            "expected_checksum": self.kernel.expected(n),
            "sizing": self.sizing,
            "results": results,
        }
        if with_compile_probe:
            probe = compiletime.probe(self.kernel.source(".mochi"), repeat=3)
            entry["ir_instructions"] = probe["ir_instructions"]
            entry["compile_s"] = probe["warm_s"]
            entry["first_compile_s"] = probe["first_s"]
            self.log(f"{self.position} {self.kernel.name:15} compile to IR: "
                     f"{probe['ir_instructions']} instructions in {probe['warm_s'] * 1e3:.1f} ms"
                     f" (first compile in the process {probe['first_s'] * 1e3:.1f} ms)")
        return entry


HELLO = 'print("hello, world")\n'


def run(kernels: list[Kernel], participants: list[Participant], skipped: list[dict],
        opts: Options, work: Path, log: Log, targets: list[str] | None = None) -> dict:
    """Measure every kernel on every participant; the raw results, ready for the report.
    ``targets``: the targets to build hello world and the largest kernel for, for the
    binary sizes per target (None: only this machine's)."""
    started = time.perf_counter()
    opts = dataclasses.replace(opts, peak=build_peak(work))
    env = {**run_env(), **cache_env(work / "mochic-cache")}
    results: dict = {
        "schema": 1,
        "machine": machine.describe(),
        "settings": {"quick": opts.quick, "runs": opts.runs, "warmup_runs": 1,
                     "max_runs": opts.runs if opts.quick else max(opts.runs, MAX_RUNS),
                     "min_runs_total_s": None if opts.quick else MIN_RUNS_TOTAL_S,
                     "budget_s": None if opts.quick else opts.budget_s},
        "participants": [{"key": p.key, "kind": p.kind, "label": p.label, "how": p.how,
                          "version": p.version()} for p in participants],
        "skipped": skipped,
        "kernels": [],
        "compile": [],
        "targets": [],
    }
    tiers = [p for p in participants if p.kind == "tier"]
    hello = work / "hello" / "hello.mochi"
    hello.parent.mkdir(parents=True, exist_ok=True)
    hello.write_text(HELLO)
    for tier in tiers:
        if tier.builds:  # the runtime library gets built once, before anything is timed
            log(f"{tier.label}: building hello world once, so the runtime library is in "
                "the benchmark's mochic cache before any build is timed")
            folder = work / "prime" / tier.key
            folder.mkdir(parents=True, exist_ok=True)
            tier.prepare(hello, folder, env)
    for i, k in enumerate(kernels):
        position = f"[{i + 1:{len(str(len(kernels)))}}/{len(kernels)}]"
        results["kernels"].append(
            KernelRun(k, participants, opts, work, env, log, position).measure(bool(tiers)))
    if tiers:
        largest = max(results["kernels"], key=lambda e: e["ir_instructions"])
        programs = [("hello world", hello),
                    (f"{largest['name']} (largest kernel)",
                     next(k for k in kernels if k.name == largest["name"]).source(".mochi"))]
        builders = [t for t in tiers if t.builds]
        for name, path in programs:
            log(f"compile-side figures: {name}")
            results["compile"].append(compiletime.figures(
                name, path, opts.runs, builders, work / "compile" / path.stem, env,
                opts.peak, run_it=path == hello))
        if targets is None or targets:
            log("binary sizes per target")
            results["targets"] = compiletime.target_sizes(
                programs, targets, work / "targets", env, log,
                native=any(t.key == "mochic-native" for t in builders))
    results["machine"]["load_average_at_end"] = machine.load_average()
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    return results
