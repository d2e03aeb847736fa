"""The report: results.json (everything measured) and RESULTS.md (tables).

The main table has one row per kernel and one column per tier and peer,
each the ratio of its median wall time to the median of the C peer
(gcc -O2) measured in the same invocation at the same size, and a last
row with the geometric mean of each column.  Further tables give the
spread of the runs, peak memory, and the compile-side figures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.measure import geomean
from bench.peers import BASELINE

C_TARGET_S = 0.5  # a full run wants each C run to take at least this long

DOCS_BEGIN = "<!-- bench results: begin (written by python3 -m bench --update-docs) -->"
DOCS_END = "<!-- bench results: end -->"


def write_json(results: dict, path: Path) -> None:
    path.write_text(json.dumps(results, indent=1) + "\n")


# -- numbers ---------------------------------------------------------------

def ratios(results: dict, metric: str = "median_s") -> dict[str, dict[str, float]]:
    """kernel -> participant -> median time / the C peer's median time (``metric``
    names the figure: ``median_s`` wall time, ``cpu_median_s`` CPU time)."""
    out = {}
    for k in results["kernels"]:
        base = k["results"][BASELINE][metric]
        out[k["name"]] = {key: r[metric] / base for key, r in k["results"].items()}
    return out


def geomeans(results: dict, metric: str = "median_s") -> dict[str, float]:
    """participant -> geometric mean of its ratios over the kernels."""
    table = ratios(results, metric)
    keys = [p["key"] for p in results["participants"]]
    return {key: geomean([row[key] for row in table.values()]) for key in keys
            if table and all(key in row for row in table.values())}


def fmt_ratio(x: float) -> str:
    if x < 10:
        return f"{x:.2f}×"
    if x < 100:
        return f"{x:.1f}×"
    return f"{x:.0f}×"


def fmt_seconds(s: float) -> str:
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1024:.0f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MiB"


def table(header: list[str], rows: list[list[str]], right: int = 1) -> str:
    """A Markdown table; every column from index ``right`` on is right-aligned."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < right else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# -- tables ----------------------------------------------------------------

def _others(results: dict) -> list[dict]:
    """Every participant but the baseline, tiers first."""
    return [p for p in results["participants"] if p["key"] != BASELINE]


def _label(results: dict, key: str) -> str:
    return next(p["label"] for p in results["participants"] if p["key"] == key)


def has_cpu_times(results: dict) -> bool:
    return all(r.get("cpu_median_s") for k in results["kernels"] for r in k["results"].values())


def main_table(results: dict, metric: str = "median_s") -> str:
    """The ratio table; ``metric`` is ``median_s`` (wall time) or ``cpu_median_s``."""
    others = _others(results)
    header = ["kernel", "N", f"{_label(results, BASELINE)} (time)"] + [p["label"] for p in others]
    table_ratios = ratios(results, metric)
    rows = []
    for k in results["kernels"]:
        c = k["results"][BASELINE][metric]
        n = fmt_int(k["n"]) + (" (default)" if k["n"] == k["default_n"] else "")
        mark = " †" if metric == "median_s" and c < C_TARGET_S and \
            not results["settings"]["quick"] else ""
        rows.append([k["name"], n, fmt_seconds(c) + mark]
                    + [fmt_ratio(table_ratios[k["name"]][p["key"]]) for p in others])
    gm = geomeans(results, metric)
    rows.append(["**geomean**", "", "1×"] + [f"**{fmt_ratio(gm[p['key']])}**" for p in others])
    return table(header, rows)


def spread_table(results: dict) -> str:
    parts = results["participants"]
    header = ["kernel"] + [p["label"] for p in parts]
    rows = []
    for k in results["kernels"]:
        row = [k["name"]]
        for p in parts:
            r = k["results"][p["key"]]
            row.append(f"{fmt_seconds(r['median_s'])} ({fmt_seconds(r['min_s'])}–"
                       f"{fmt_seconds(r['max_s'])})")
        rows.append(row)
    return table(header, rows)


def memory_table(results: dict) -> str:
    parts = results["participants"]
    header = ["kernel"] + [p["label"] for p in parts]
    rows = [[k["name"]] + [f"{k['results'][p['key']]['rss_median_kb'] / 1024:.1f}"
                           for p in parts] for k in results["kernels"]]
    return table(header, rows)


def build_table(results: dict) -> str:
    """Per kernel: mochic's compile to IR, and every build step with its binary size."""
    builders = [p for p in results["participants"]
                if any(k["results"][p["key"]]["build_s"] is not None for k in results["kernels"])]
    header = ["kernel"]
    has_ir = any("ir_instructions" in k for k in results["kernels"])
    if has_ir:
        header += ["IR instructions", "mochic: compile to IR"]
    for p in builders:
        header += [f"{p['label']}: build", f"{p['label']}: binary"]
    rows = []
    for k in results["kernels"]:
        row = [k["name"]]
        if has_ir:
            row += [fmt_int(k["ir_instructions"]), fmt_seconds(k["compile_s"])]
        for p in builders:
            r = k["results"][p["key"]]
            row += [fmt_seconds(r["build_s"]) if r["build_s"] is not None else "—",
                    fmt_bytes(r["binary_bytes"])]
        rows.append(row)
    return table(header, rows)


def compile_side_table(results: dict) -> str:
    """Hello world and the largest kernel: cold and warm compile, IR throughput, builds."""
    build_keys = sorted({key for c in results["compile"] for key in c["builds"]})
    header = ["program", "IR instructions", "cold: `mochic check` process", "imports",
              "first compile in a process", "warm compile", "IR instructions / s",
              "JIT: translate, stitch, load", "JIT: IR operations / s",
              "stitching: IR operations / s", "`mochic run`, empty compile cache",
              "`mochic run`, cache hit", "`python3 -c pass`", "compiling's share of it"]
    for key in build_keys:
        label = _label(results, key)
        header += [f"{label}: build, empty cache", f"{label}: build, warm cache",
                   f"{label}: binary", f"{label}: run"]
    rows = []
    for c in results["compile"]:
        row = [c["program"], fmt_int(c["ir_instructions"]),
               fmt_seconds(c["cold_check"]["median_s"]), fmt_seconds(c["import_s"]),
               fmt_seconds(c["first_compile_s"]), fmt_seconds(c["warm_compile_s"]),
               fmt_int(round(c["ir_per_s"])) if c["ir_per_s"] else "—"]
        jit_s, run = c.get("jit_s"), c.get("cold_run")
        stitch_s, hit, python = c.get("stitch_s"), c.get("cached_run"), c.get("python_start_s")
        row += [fmt_seconds(jit_s) if jit_s else "—",
                fmt_int(round(c["jit_ir_ops"] / jit_s)) if jit_s else "—",
                fmt_int(round(c["jit_ir_ops"] / stitch_s)) if stitch_s else "—",
                fmt_seconds(run["median_s"]) if run else "—",
                fmt_seconds(hit["median_s"]) if hit else "—",
                fmt_seconds(python) if python else "—",
                f"{(c['warm_compile_s'] + jit_s) / run['median_s']:.0%}"
                if run and jit_s else "—"]
        for key in build_keys:
            b = c["builds"].get(key)
            run_s = b.get("run_s") if b else None
            row += [fmt_seconds(b["cold_build_s"]), fmt_seconds(b["warm_build_s"]),
                    fmt_bytes(b["binary_bytes"]),
                    fmt_seconds(run_s) if run_s is not None else "—"] if b else ["—"] * 4
        rows.append(row)
    return table(header, rows)


def targets_table(results: dict) -> str:
    """Binary size per target of each compile-side program (``mochic build --mode release``)."""
    programs = [c["program"] for c in results["compile"]]
    rows = []
    for t in results["targets"]:
        row = [t["target"]]
        for name in programs:
            r = t["programs"].get(name, {})
            row.append(fmt_bytes(r["binary_bytes"]) if "binary_bytes" in r else
                       f"failed: {r.get('error', '?')}")
        rows.append(row)
    return table(["target"] + programs, rows)


# -- the document ----------------------------------------------------------

def machine_lines(results: dict) -> list[str]:
    m = results["machine"]
    git = m["mochic"]
    state = git["commit"] + (f", with uncommitted changes in {', '.join(git['uncommitted_changes'])}"
                             if git["uncommitted_changes"] else "")
    load = ", ".join(str(x) for x in m["load_average_at_start"] or [])
    end = ", ".join(str(x) for x in m.get("load_average_at_end") or [])
    lines = [f"- **When**: {m['date']}, {results.get('elapsed_s', 0) / 60:.0f} minutes",
             f"- **CPU**: {m['cpu']}, {m['cores']} cores; load average (1, 5, 15 min) "
             f"{load} at the start, {end} at the end",
             f"- **OS**: {m['os']}",
             f"- **mochic**: commit {state}"]
    lines += [f"- **{p['label']}**: {p['version']}; {p['how']}" if p.get("how") else
              f"- **{p['label']}**: {p['version']}" for p in results["participants"]]
    return lines


def notes(results: dict) -> list[str]:
    s = results["settings"]
    out = []
    if s["quick"]:
        out.append("- A `--quick` run: every kernel at its quick size, for the tests. "
                   "Such tiny runs are mostly start-up; do not read speed into them.")
    else:
        out.append(f"- Each participant ran each kernel once to warm up, then {s['runs']} timed "
                   f"runs (more for fast ones: as many as fill {s.get('min_runs_total_s') or 0:g} "
                   f"s, up to {s.get('max_runs', s['runs'])}), round-robin over the "
                   "participants; a figure is the median, with the minimum and maximum in "
                   "the spread table. Times are whole-process wall times, start-up included.")
        out.append(f"- **N** is the one size every tier and peer ran a kernel at, so each ratio "
                   f"compares the same work. It is the largest size, up to the kernel's "
                   f"default (`bench/kernels/sizes.json`, where C takes about a second), at "
                   f"which the slowest participant's run fits the budget of "
                   f"{s['budget_s']:g} s (`--budget`); `(default)` marks a kernel that ran at "
                   f"its default size.")
        short = [k["name"] for k in results["kernels"]
                 if k["results"][BASELINE]["median_s"] < C_TARGET_S]
        if short:
            out.append(f"- † The C run took less than {C_TARGET_S} s ({len(short)} of "
                       f"{len(results['kernels'])} kernels): the budget kept N small for the "
                       "slowest participant, so C's time includes a share of process start-up "
                       "(about a millisecond) and timer noise, and the ratios of fast "
                       "participants are the least precise. A larger `--budget` raises N.")
    for sk in results["skipped"]:
        out.append(f"- Not measured: {sk['label']} ({sk['reason']}).")
    out.append("- Every participant printed the same checksum at every size it ran "
               "(the runner stops otherwise); at the quick and default sizes it also matched "
               "`sizes.json`.")
    return out


def render(results: dict) -> str:
    """RESULTS.md."""
    parts = [
        "# Benchmark results",
        "",
        "Written by `python3 -m bench` (see `docs/PERFORMANCE.md`); raw figures in "
        "`results.json`, chart in `chart.png`.",
        "",
        body(results),
    ]
    return "\n".join(parts)


def body(results: dict) -> str:
    """Everything but the title: what docs/PERFORMANCE.md embeds."""
    ck = _label(results, BASELINE)
    parts = [
        f"## Time relative to {ck}",
        "",
        f"Median wall time of each tier and peer divided by the median of {ck} in the same "
        f"run at the same N (lower is faster; 1× is C's speed). The {ck} column is C's own "
        "median time.",
        "",
        main_table(results),
        "",
        *notes(results),
        "",
        *cpu_section(results),
        "## Machine",
        "",
        *machine_lines(results),
        "",
        "## Spread: median (min–max) wall time",
        "",
        spread_table(results),
        "",
        "## Peak memory: median peak RSS in MB",
        "",
        memory_table(results),
        "",
        "## Builds: compile to IR, build steps and binary sizes per kernel",
        "",
        "mochic's compile to IR is measured in one process (the median of repeated "
        "compiles after the first). The interp tier compiles inside each timed run; a "
        "build step is timed once per kernel, outside the runs.",
        "",
        build_table(results),
        "",
    ]
    if results["compile"]:
        parts += [
            "## Compile side",
            "",
            "*Cold* is a fresh `mochic check` process (interpreter start-up, imports, "
            "compile to IR); *imports* is the time to import the compiler, measured in "
            "another fresh process; "
            "*warm* compiles the same source again in the same process. IR instructions "
            "per second are counted on the warm compile. The JIT's figures are the "
            "median of warm runs in one process: the whole of it (translation with "
            "the reference-counting analysis, stitching, mapping) and the stitching "
            "proper (copying the stencils and filling their holes). `mochic run` is the "
            "median of 10 processes, with `--no-cache` (everything compiled) and finding "
            "the program in the compile cache, next to `python3 -c pass`, the "
            "interpreter's own start.",
            "",
            compile_side_table(results),
            "",
        ]
        if any(c["builds"] for c in results["compile"]):
            parts += ["A build with an *empty cache* starts from a fresh mochic cache, so it "
                      "compiles the runtime library too (zig's C libraries stay cached: "
                      "they are built once per machine and target); *warm cache* is the same "
                      "build again, which mochic's build cache answers with a copy. The "
                      "per-kernel build times above are the common case between the two: a "
                      "new program, the runtime library already built. A Wasm tier's build "
                      "includes precompiling the module to a `.cwasm`. *run* is the median "
                      "wall time of running the built hello world: the start-up (process, "
                      "and for Wasm the runner loading and instantiating the `.cwasm`) that "
                      "every timed run of that tier above also holds.",
                      ""]
        else:
            parts += ["No mochic tier builds a binary yet; build times and binary sizes per "
                      "target appear in this table when the c, native and wasm backends land.",
                      ""]
    if results.get("targets"):
        parts += [
            "## Binary size per target",
            "",
            "`mochic build --mode release` (stripped) for each target, by the C backend "
            "and zig cc, and, in the rows marked (native), by the native backend and "
            "mochic's own linker.",
            "",
            targets_table(results),
            "",
        ]
    return "\n".join(parts)


def cpu_section(results: dict) -> list[str]:
    if not has_cpu_times(results):
        return []
    return [
        "## CPU time relative to C",
        "",
        "The same runs by user + system CPU time instead of wall time. On a machine "
        "shared with other work, waiting for a core inflates wall time but not CPU time, "
        "so where the two tables differ much, the machine was busy.",
        "",
        main_table(results, "cpu_median_s"),
        "",
    ]


def update_docs(doc: Path, results: dict) -> bool:
    """Replace the generated part of ``doc`` (between the markers); False if it has none."""
    text = doc.read_text()
    pattern = re.compile(re.escape(DOCS_BEGIN) + ".*?" + re.escape(DOCS_END), re.DOTALL)
    if not pattern.search(text):
        return False
    generated = (DOCS_BEGIN + "\n\n" + re.sub(r"(?m)^## ", "### ", body(results)) + "\n"
                 + DOCS_END)
    doc.write_text(pattern.sub(lambda _: generated, text))
    return True
