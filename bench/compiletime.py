"""Compile-side figures: how long mochic takes to turn a program into IR.

Two views of the same compile.  *Cold* is what a user waits for: a fresh
``mochic check`` process, interpreter start-up and imports included.
*Warm* is the compiler alone: the same source compiled again inside one
process, after the first compile has paid for imports and caches; IR
instructions per second are taken from it.  Tiers that build a binary add
their build time and binary size (``build_figures``).

``python -m bench.compiletime FILE [--repeat K]`` is the in-process probe:
it prints one JSON object with the import time, the first and the median
warm compile time, and the number of IR instructions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import median, run_once, summarize
from bench.participant import ROOT, Participant, run_env


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
    print(json.dumps({"import_s": import_s, "first_s": times[0], "warm_s": median(times[1:]),
                      "ir_instructions": count_instructions(module)}))
    return 0


def probe(file: Path, repeat: int = 5) -> dict:
    """Run the in-process probe on ``file`` in a fresh interpreter."""
    p = subprocess.run([sys.executable, "-m", "bench.compiletime", str(file), "--repeat",
                        str(repeat)], capture_output=True, text=True, cwd=ROOT, env=run_env())
    if p.returncode != 0:
        raise RuntimeError(f"compiling {file} failed:\n{p.stdout}{p.stderr}")
    return json.loads(p.stdout)


def cold_check(file: Path, runs: int, peak: Path | None = None) -> dict:
    """Wall time of fresh ``mochic check FILE`` processes (after one unmeasured run)."""
    argv = [sys.executable, "-m", "mochic", "check", str(file)]
    samples = [run_once(argv, ROOT, run_env(), 300, peak) for _ in range(runs + 1)][1:]
    for s in samples:
        if s.status != 0:
            raise RuntimeError(f"mochic check {file} failed:\n{s.stdout}{s.stderr}")
    return summarize([s.wall_s for s in samples], [s.maxrss_kb for s in samples])


def build_figures(file: Path, tiers: list[Participant], build_dir: Path) -> dict[str, dict]:
    """Build time and binary size of ``file`` for each tier that builds a binary."""
    out = {}
    for tier in tiers:
        folder = build_dir / tier.key
        folder.mkdir(parents=True, exist_ok=True)
        prepared = tier.prepare(file, folder)
        if prepared.binary is not None:
            out[tier.key] = {"build_s": prepared.build_s,
                             "binary_bytes": prepared.binary.stat().st_size}
    return out


def figures(name: str, file: Path, runs: int, tiers: list[Participant],
            build_dir: Path, peak: Path | None = None) -> dict:
    """Every compile-side figure for one program."""
    p = probe(file, repeat=max(runs, 3))
    return {
        "program": name,
        "ir_instructions": p["ir_instructions"],
        "cold_check": cold_check(file, runs, peak),
        "import_s": p["import_s"],
        "first_compile_s": p["first_s"],
        "warm_compile_s": p["warm_s"],
        "ir_per_s": p["ir_instructions"] / p["warm_s"] if p["warm_s"] > 0 else None,
        "builds": build_figures(file, tiers, build_dir),
    }


if __name__ == "__main__":
    sys.exit(probe_main())
