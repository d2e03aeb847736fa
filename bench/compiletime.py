"""Compile-side figures: how long mochic takes to turn a program into IR.

Two views of the same compile.  *Cold* is what a user waits for: a fresh
``mochic check`` process, interpreter start-up and imports included.
*Warm* is the compiler alone: the same source compiled again inside one
process, after the first compile has paid for imports and caches; IR
instructions per second are taken from it.  Tiers that build a binary add
their build time with an empty and with a warm mochic cache and the binary's
size (``build_figures``), and ``target_sizes`` builds for each target.

``python -m bench.compiletime FILE [--repeat K]`` is the in-process probe:
it prints one JSON object with the import time, the first and the median
warm compile time, and the number of IR instructions.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.measure import median, run_once, summarize
from bench.participant import ROOT, Participant, run_env
from bench.tiers import cache_env


def count_instructions(module) -> int:
    """IR instructions in a module, each block's terminator included."""
    return sum(len(b.instrs) + (b.term is not None)
               for f in module.functions.values() for b in f.blocks)


def probe_main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.compiletime")
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=5, help="warm compiles to take the median of")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    from mochic.driver import compile_source, read_source
    from mochic.stack import run_in_big_stack
    import_s = time.perf_counter() - start
    source = read_source(args.file)

    def timed_compile():
        t = time.perf_counter()
        compiled = compile_source(args.file, source)
        return time.perf_counter() - t, compiled

    times = []
    module = None
    for _ in range(1 + max(1, args.repeat)):
        took, compiled = run_in_big_stack(timed_compile)
        if compiled.diags:
            sys.stderr.write(compiled.diags.render())
            return 1
        times.append(took)
        module = compiled.module
    out = {"import_s": import_s, "first_s": times[0], "warm_s": median(times[1:]),
           "ir_instructions": count_instructions(module)}
    out.update(jit_probe(module, args.repeat))
    print(json.dumps(out))
    return 0


def jit_probe(module, repeat: int) -> dict:
    """The JIT's own work on a compiled module, where this machine has the JIT: the
    median of warm runs of the whole of it (translate, lay out, patch, map:
    ``jit_s``) and of the stitching proper (copying stencils and filling their
    holes, `stitch.layout`: ``stitch_s``)."""
    from mochic.backends.copypatch import jit, stitch
    machine = jit.host_machine()
    if machine is None:
        return {}
    times, stitch_times, ops = [], [], 0
    for _ in range(1 + max(1, repeat)):
        t = time.perf_counter()
        prog = jit.compile_program(module)
        times.append(time.perf_counter() - t)
        ops = prog.ir_ops
        translated = stitch.translate_program(module, machine)
        t = time.perf_counter()
        stitch.layout(module, translated)
        stitch_times.append(time.perf_counter() - t)
    return {"jit_s": median(times[1:]), "jit_ir_ops": ops,
            "stitch_s": median(stitch_times[1:])}


def probe(file: Path, repeat: int = 5) -> dict:
    """Run the in-process probe on ``file`` in a fresh interpreter."""
    p = subprocess.run([sys.executable, "-m", "bench.compiletime", str(file), "--repeat",
                        str(repeat)], capture_output=True, text=True, cwd=ROOT, env=run_env())
    if p.returncode != 0:
        raise RuntimeError(f"compiling {file} failed:\n{p.stdout}{p.stderr}")
    return json.loads(p.stdout)


def cold_check(file: Path, runs: int, env: dict[str, str], peak: Path | None = None) -> dict:
    """Wall time of fresh ``mochic check FILE`` processes (after one unmeasured run)."""
    return _cold("check", file, runs, env, peak)


HELLO_RUNS = 10  # `mochic run hello`: the median of this many processes


def cold_run(file: Path, runs: int, env: dict[str, str], peak: Path | None = None) -> dict:
    """Wall time of fresh ``mochic run --no-cache FILE`` processes (the JIT where
    there is one): everything compiled in each."""
    return _cold("run", file, runs, env, peak, ["--no-cache"])


def cached_run(file: Path, runs: int, env: dict[str, str], peak: Path | None = None) -> dict:
    """Wall time of fresh ``mochic run FILE`` processes that find the program in the
    compile cache (the unmeasured first run puts it there)."""
    return _cold("run", file, runs, env, peak)


def python_start(runs: int, env: dict[str, str]) -> float:
    """Median wall time of ``python3 -c pass``: the floor under every `mochic` process."""
    samples = [run_once([sys.executable, "-c", "pass"], ROOT, env, 60, None)
               for _ in range(runs + 1)][1:]
    return median([s.wall_s for s in samples])


def _cold(command: str, file: Path, runs: int, env: dict[str, str], peak: Path | None,
          flags: list[str] | None = None) -> dict:
    argv = [sys.executable, "-m", "mochic", command, *(flags or []), str(file)]
    samples = [run_once(argv, ROOT, env, 300, peak) for _ in range(runs + 1)][1:]
    for s in samples:
        if s.status != 0:
            raise RuntimeError(f"mochic {command} {file} failed:\n{s.stdout}{s.stderr}")
    return summarize([s.wall_s for s in samples], [s.maxrss_kb for s in samples])


def build_figures(file: Path, tiers: list[Participant], runs: int, folder: Path,
                  env: dict[str, str], peak: Path | None = None,
                  run_it: bool = False) -> dict[str, dict]:
    """For each tier that builds a binary: the build with an empty mochic cache (the
    runtime library gets compiled too; once, as it takes seconds), the same build again
    with the cache warm (the median of ``runs``), and the binary's size; ``run_it``:
    also the median wall time of running what was built (for hello world: the
    start-up, a runner's included, that every timed run of that tier holds)."""
    out = {}
    for tier in tiers:
        if not tier.builds:
            continue
        cache_folder = folder / tier.key
        cold_env = {**env, **cache_env(cache_folder / "cache")}
        build_dir = cache_folder / "out"
        build_dir.mkdir(parents=True, exist_ok=True)
        cold = tier.prepare(file, build_dir, cold_env)
        warm = [tier.prepare(file, build_dir, cold_env).build_s for _ in range(runs)]
        out[tier.key] = {"cold_build_s": cold.build_s, "warm_build_s": median(warm),
                         "warm_builds_s": warm,
                         "binary_bytes": cold.binary.stat().st_size if cold.binary else None,
                         "run_s": _run_median(cold.argv, runs, build_dir, env, peak)
                         if run_it else None}
    return out


def _run_median(argv: list[str], runs: int, cwd: Path, env: dict[str, str],
                peak: Path | None) -> float:
    """Median wall time of ``runs`` runs of ``argv`` (after one unmeasured run)."""
    samples = [run_once(argv, cwd, env, 300, peak) for _ in range(runs + 1)][1:]
    for s in samples:
        if s.status != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{s.stdout}{s.stderr}")
    return median([s.wall_s for s in samples])


def figures(name: str, file: Path, runs: int, tiers: list[Participant],
            build_dir: Path, env: dict[str, str], peak: Path | None = None,
            run_it: bool = False) -> dict:
    """Every compile-side figure for one program (``run_it``: also a whole `mochic run`)."""
    p = probe(file, repeat=max(runs, 3))
    return {
        "program": name,
        "ir_instructions": p["ir_instructions"],
        "cold_check": cold_check(file, runs, env, peak),
        "cold_run": cold_run(file, HELLO_RUNS, env, peak) if run_it else None,
        "cached_run": cached_run(file, HELLO_RUNS, env, peak) if run_it else None,
        "python_start_s": python_start(HELLO_RUNS, env) if run_it else None,
        "jit_s": p.get("jit_s"),
        "stitch_s": p.get("stitch_s"),
        "jit_ir_ops": p.get("jit_ir_ops"),
        "import_s": p["import_s"],
        "first_compile_s": p["first_s"],
        "warm_compile_s": p["warm_s"],
        "ir_per_s": p["ir_instructions"] / p["warm_s"] if p["warm_s"] > 0 else None,
        "builds": build_figures(file, tiers, runs, build_dir, env, peak, run_it),
    }


def build_targets() -> list[str]:
    """The targets ``mochic build --target`` accepts, from its help text."""
    p = subprocess.run([sys.executable, "-m", "mochic", "build", "--help"], cwd=ROOT,
                       env=run_env(), capture_output=True, text=True)
    m = re.search(r"--target TARGET\s+what to build for \(default: this machine\):\s*"
                  r"([\w\s,-]+?)(?:\n\s*--|\Z)", p.stdout)
    return [t.strip() for t in m.group(1).replace("\n", " ").split(",")] if m else []


NATIVE_TARGETS = ("x86_64-linux", "aarch64-linux", "riscv64-linux")


def target_sizes(programs: list[tuple[str, Path]], targets: list[str] | None, folder: Path,
                 env: dict[str, str], log: Callable[[str], None],
                 native: bool = False) -> list[dict]:
    """Binary size of each program built by ``mochic build --mode release`` for each
    target (None: only for this machine), or why the build failed; with ``native``,
    also by the native backend for the Linux targets it builds."""
    builds: list[tuple[str | None, str, list[str]]] = [
        (t, t or "this machine", []) for t in targets or [None]]
    if native:
        builds += [(t, f"{t or 'this machine'} (native)", ["--backend", "native"])
                   for t in targets or [None] if t is None or t in NATIVE_TARGETS]
    rows = []
    for target, label, flags in builds:
        row: dict = {"target": label, "programs": {}}
        for name, file in programs:
            out = folder / label.replace(" ", "_") / file.stem
            out.parent.mkdir(parents=True, exist_ok=True)
            argv = [sys.executable, "-m", "mochic", "build", "--mode", "release", *flags,
                    *(["--target", target] if target else []), "-o", str(out), str(file)]
            start = time.perf_counter()
            p = subprocess.run(argv, cwd=out.parent, env=env, capture_output=True, text=True)
            took = time.perf_counter() - start
            if p.returncode == 0:
                row["programs"][name] = {"binary_bytes": out.stat().st_size}
                log(f"  {row['target']:24} {name:28} {out.stat().st_size:>9} bytes "
                    f"({took:.1f} s)")
            else:
                error = (p.stderr.strip().splitlines() or ["failed"])[-1]
                row["programs"][name] = {"error": error}
                log(f"  {row['target']:24} {name:28} failed: {error}")
        rows.append(row)
    return rows


if __name__ == "__main__":
    sys.exit(probe_main())
