"""The differential fuzzer's long run, outside CI.

    python3 -m tests.fuzz [--programs N] [--batch UNITS] [--jobs J] [--seed S] [--out DIR]
                          [--tiers A,B,...]

generates N programs (default 100,000) in batches of UNITS, runs each batch on
every tier (tests/fuzz/runner.py, compiled once in the process for speed)
with J batches at a time, and writes each
failure, shrunk, to DIR/<first seed of its batch>/ (the program and every
tier's result).  It prints a line per batch and a summary; its exit status
is 1 if anything failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import sys
import time
from pathlib import Path

from mochic.backends.copypatch import jit
from mochic.toolchain.runtime import shared_library
from tests.fuzz.generate import batch
from tests.fuzz.runner import Failure, InProcess, check_batch


def _one(first: int, units: int, build_mode: str,
         tiers: set[str] | None) -> tuple[int, Failure | None, float]:
    start = time.monotonic()
    failure = check_batch(batch(first, units), InProcess(build_mode, tiers))
    return first, failure, time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m tests.fuzz", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--programs", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=100, help="programs per batch")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=10_000_000, help="the first program's seed")
    p.add_argument("--out", type=Path, default=Path("fuzz-failures"))
    p.add_argument("--release-every", type=int, default=4, metavar="K",
                   help="build every K-th batch optimised (release), the others for debugging "
                        "(dev, several times faster to compile)")
    p.add_argument("--tiers", help="only these tiers besides the interpreter, comma-separated "
                   "(default: every backend that runs here)")
    args = p.parse_args(argv)
    only = set(args.tiers.split(",")) if args.tiers else None
    if jit.host_machine() is not None:  # once, not on a tier's standard error
        shared_library(lambda _msg: None)
    tiers = InProcess(names=only)
    for name, why in tiers.unavailable.items():
        print(f"not fuzzed here: {name} ({why})", flush=True)
    print(f"tiers: {', '.join(tiers.names)}", flush=True)
    firsts = list(range(args.seed, args.seed + args.programs, args.batch))
    done = failed = 0
    start = time.monotonic()
    with cf.ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(_one, f, min(args.batch, args.seed + args.programs - f),
                               "release" if i % args.release_every == 0 else "dev", only)
                   for i, f in enumerate(firsts)]
        for fut in cf.as_completed(futures):
            first, failure, seconds = fut.result()
            done += min(args.batch, args.seed + args.programs - first)
            if failure is not None:
                failed += 1
                folder = args.out / str(first)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "program.mochi").write_text(failure.source, encoding="utf-8")
                (folder / "report.txt").write_text(failure.report() + "\n", encoding="utf-8")
            elapsed = time.monotonic() - start
            print(f"batch {first}: {'FAIL ' + failure.kind + ' on ' + ', '.join(failure.tiers) if failure else 'ok'} "
                  f"({seconds:.0f} s); {done} programs, {failed} failing batches, "
                  f"{elapsed / 60:.1f} min", flush=True)
    print(f"{done} programs in {(time.monotonic() - start) / 60:.1f} min: "
          f"{failed} failing batches" + (f" (see {args.out})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
