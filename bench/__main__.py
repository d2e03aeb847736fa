"""python3 -m bench: measure every kernel on every mochic tier and peer, and
write results.json, RESULTS.md and chart.png (see docs/PERFORMANCE.md)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
from pathlib import Path

from bench import chart, report
from bench.compiletime import build_targets
from bench.kernels import discover, select
from bench.participant import ROOT, BuildError, Participant
from bench.peers import BASELINE, PEERS
from bench.runner import ChecksumMismatch, Options, RunFailed, run
from bench.tiers import TIERS

DEFAULT_OUT = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "PERFORMANCE.md"
FAST_TIERS = "jit,c,native,wasm"
FAST_PEERS = "c,go,luajit"
FAST_BASELINE_S = 0.3


def _names(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python3 -m bench", description=__doc__,
        epilog=f"tiers: {', '.join(TIERS)}; peers: {', '.join(PEERS)} "
               f"({BASELINE} is always measured: every ratio is to it)")
    ap.add_argument("--quick", action="store_true",
                    help="every kernel at its quick size (for the tests; not for reading speed)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per measurement (default 5)")
    ap.add_argument("--budget", type=float, default=5.0, metavar="SECONDS",
                    help="the longest one run of the slowest participant may take; it sets "
                         "each kernel's size in a full run (default 5)")
    ap.add_argument("--fast", action="store_true",
                    help="only the compiled participants (tiers jit, c, native, wasm; peers "
                         "c, go, luajit; those this machine has), so that sizes fit them, "
                         f"and every kernel large enough that C runs at least "
                         f"{FAST_BASELINE_S:g} s")
    ap.add_argument("--kernels", help="comma-separated kernel names (default: all)")
    ap.add_argument("--tiers", help="comma-separated mochic tiers (default: all available)")
    ap.add_argument("--peers", help="comma-separated peers (default: all available)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="folder for results.json, RESULTS.md, chart.png (default bench/results)")
    ap.add_argument("--targets", default="host",
                    help="binary sizes per target: host (default), all, none, or a "
                         "comma-separated list of `mochic build --target` names")
    ap.add_argument("--render", type=Path, metavar="RESULTS_JSON",
                    help="measure nothing: write RESULTS.md and chart.png (and with "
                         "--update-docs the docs) from an earlier run's results.json")
    ap.add_argument("--update-docs", action="store_true",
                    help="also put the tables into docs/PERFORMANCE.md")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.budget <= 0:
        ap.error("--budget must be positive")
    return args


def choose(table: dict[str, Participant], names: list[str] | None, what: str,
           skipped: list[dict]) -> list[Participant]:
    """The participants asked for (all by default) that this machine can run."""
    unknown = [n for n in names or [] if n not in table]
    if unknown:
        raise SystemExit(f"bench: unknown {what} {', '.join(unknown)}; have: {', '.join(table)}")
    chosen = []
    for name in names or list(table):
        reason = table[name].unavailable()
        if reason is None:
            chosen.append(table[name])
        else:
            skipped.append({"key": table[name].key, "label": table[name].label,
                            "reason": reason})
    return chosen


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Runs have their own session (so a timeout can kill a whole process tree), so
    # they do not see the terminal's signals; turn SIGTERM into an exception that
    # stops the current run (see measure.run_once), as Ctrl-C already does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if args.render:
        results = json.loads(args.render.read_text())
        write(results, args.out, args.update_docs, log, write_json=False)
        return 0
    try:
        kernels = select(discover(), _names(args.kernels))
    except ValueError as e:
        raise SystemExit(f"bench: {e}") from None
    skipped: list[dict] = []
    tiers = choose(TIERS, _names(args.tiers or (FAST_TIERS if args.fast else None)), "tier",
                   skipped)
    peer_names = _names(args.peers or (FAST_PEERS if args.fast else None))
    if peer_names is not None and BASELINE not in peer_names:
        peer_names = [BASELINE, *peer_names]
    peers = choose(PEERS, peer_names, "peer", skipped)
    if not any(p.key == BASELINE for p in peers):
        raise SystemExit(f"bench: the baseline peer {BASELINE!r} cannot run here: "
                         f"{PEERS[BASELINE].unavailable()}")
    for s in skipped:
        log(f"bench: skipping {s['label']}: {s['reason']}")
    participants = tiers + [p for p in peers if p.key != BASELINE] + \
        [p for p in peers if p.key == BASELINE]
    opts = Options(quick=args.quick, runs=args.runs, budget_s=args.budget,
                   min_baseline_s=FAST_BASELINE_S if args.fast else 0.0)
    targets: list[str] | None = None  # this machine only
    if args.targets == "none" or not any(p.builds for p in tiers):
        targets = []
    elif args.targets == "all":
        targets = build_targets()
    elif args.targets != "host":
        targets = _names(args.targets)
    log(f"bench: {len(kernels)} kernels x {', '.join(p.label for p in participants)}; "
        + ("quick sizes" if args.quick else f"budget {args.budget:g} s per run")
        + f", 1 warm-up + {args.runs} runs each")
    try:
        with tempfile.TemporaryDirectory(prefix="mochic-bench-") as work:
            results = run(kernels, participants, skipped, opts, Path(work), log, targets)
    except ChecksumMismatch as e:
        log(f"\nbench: CHECKSUM MISMATCH: {e}")
        return 1
    except (RunFailed, BuildError, RuntimeError) as e:
        log(f"\nbench: FAILED: {e}")
        return 1
    write(results, args.out, args.update_docs, log)
    log(f"bench: wrote {args.out}/results.json, RESULTS.md, chart.png "
        f"in {results['elapsed_s'] / 60:.1f} minutes")
    print(report.main_table(results))
    return 0


def write(results: dict, out: Path, update_docs: bool, log, write_json: bool = True) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if write_json:
        report.write_json(results, out / "results.json")
    (out / "RESULTS.md").write_text(report.render(results))
    try:
        chart.draw(results, out / "chart.png")
    except ImportError:
        log("bench: matplotlib is not installed, so no chart.png "
            "(python3 -m pip install -e '.[bench]')")
    if update_docs and not report.update_docs(DOCS, results):
        log(f"bench: {DOCS} has no generated section to update")


if __name__ == "__main__":
    sys.exit(main())
