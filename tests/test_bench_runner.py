"""The benchmark runner (bench/): a --quick run of the whole benchmark, where
only the checksums and the files written are checked, never speeds; a
checksum mismatch stopping it; and unit tests of the statistics, sizing and
table code."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report
from bench.kernels import discover, largest_n_within, predict_n, resize, round_down, size_up
from bench.measure import build_peak, geomean, median, quartiles, run_once, summarize
from bench.peers import PEERS
from bench.runner import ChecksumMismatch, Options, run
from tests.tiers import ROOT

SIZES = json.loads((ROOT / "bench" / "kernels" / "sizes.json").read_text())


def test_quick_run_of_the_whole_benchmark(tmp_path: Path) -> None:
    out = tmp_path / "results"
    p = subprocess.run([sys.executable, "-m", "bench", "--quick", "--tiers", "interp",
                        "--peers", "c,python", "--runs", "1", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert [k["name"] for k in results["kernels"]] == list(SIZES)
    assert [q["key"] for q in results["participants"]] == ["mochic-interp", "python", "c"]
    for k in results["kernels"]:
        assert k["n"] == SIZES[k["name"]]["quick"]
        assert k["checksum"] == SIZES[k["name"]]["quick_checksum"]
        assert set(k["results"]) == {"mochic-interp", "python", "c"}
        for r in k["results"].values():
            assert len(r["times_s"]) == 1 and r["median_s"] > 0 and r["rss_median_kb"] > 0
        assert k["results"]["c"]["binary_bytes"] > 0
        assert k["ir_instructions"] > 0
    assert [c["program"].split()[0] for c in results["compile"]] == ["hello", max(
        results["kernels"], key=lambda k: k["ir_instructions"])["name"]]
    md = (out / "RESULTS.md").read_text()
    for name in SIZES:
        assert f"| {name} |" in md
    assert "| **geomean** |" in md
    if importlib.util.find_spec("matplotlib"):
        assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # one progress line per measurement: a warm-up and a run per participant and kernel
    assert p.stderr.count(" run 1/1 ") == 3 * len(SIZES)


def test_a_checksum_mismatch_stops_the_benchmark(tmp_path: Path) -> None:
    kernels = tmp_path / "kernels"
    kernels.mkdir()
    (kernels / "sizes.json").write_text(json.dumps({"count": {
        "quick": 3, "quick_checksum": "3", "default": 5, "default_checksum": "5"}}))
    (kernels / "count.mochi").write_text("let N = 3\nprint(N)\n")
    (kernels / "count.c").write_text('#include <stdio.h>\n#define N 3\n'
                                     'int main(void) { printf("%d\\n", N); return 0; }\n')
    (kernels / "count.py").write_text("N = 3\nprint(N + 1)\n")  # the wrong answer
    with pytest.raises(ChecksumMismatch, match=r"count at N=3"):
        run(discover(kernels), [PEERS["python"], PEERS["c"]], [], Options(quick=True, runs=1),
            tmp_path / "work", lambda line: None)


def test_run_once_reports_status_output_and_peak_rss(tmp_path: Path) -> None:
    s = run_once([sys.executable, "-c", "import sys; x = bytearray(50_000_000); "
                  "print('hi'); sys.exit(3)"], tmp_path)
    assert (s.status, s.stdout, s.timed_out) == (3, "hi\n", False)
    assert s.maxrss_kb > 50_000 and s.wall_s > 0
    s = run_once([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, timeout=0.5)
    assert s.timed_out and s.wall_s < 10


def test_peak_keeps_the_runners_memory_out_of_a_childs_peak_rss(tmp_path: Path) -> None:
    ballast = bytearray(200_000_000)  # the runner's high-water RSS is now over 200 MB
    ballast[::4096] = b"x" * len(ballast[::4096])
    peak = build_peak(tmp_path)
    s = run_once(["true"], tmp_path, peak=peak)
    assert s.status == 0 and s.maxrss_kb < 20_000
    s = run_once(["sh", "-c", "exit 5"], tmp_path, peak=peak)
    assert s.status == 5
    s = run_once([sys.executable, "-c", "import time; t = time.process_time()\n"
                  "while time.process_time() - t < 0.2: pass"], tmp_path, peak=peak)
    assert s.status == 0 and 0.15 < s.cpu_s <= s.wall_s + 0.05
    s = run_once([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, timeout=0.5,
                 peak=peak)
    assert s.timed_out and s.status != 0
    del ballast


# -- statistics --------------------------------------------------------------

def test_median_quartiles_geomean() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert quartiles([5.0]) == (5.0, 5.0)
    assert quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 4.0)
    assert geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert geomean([10.0]) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        geomean([1.0, 0.0])
    with pytest.raises(ValueError):
        median([])
    s = summarize([0.3, 0.1, 0.2], [10, 30, 20])
    assert (s["median_s"], s["min_s"], s["max_s"], s["rss_median_kb"]) == (0.2, 0.1, 0.3, 20)


# -- sizing ------------------------------------------------------------------

def test_resize_rewrites_the_one_size_line() -> None:
    assert resize("x\nlet N = 44\nlet M = 1\n", "let N = ", 7) == "x\nlet N = 7\nlet M = 1\n"
    assert resize("#define N 10\n", "#define N ", 3) == "#define N 3\n"
    with pytest.raises(ValueError):
        resize("let N = 1\nlet N = 2\n", "let N = ", 3)
    with pytest.raises(ValueError):
        resize("let n = 1\n", "let N = ", 3)


def test_every_kernel_source_has_one_size_line() -> None:
    for k in discover():
        for participant in PEERS.values():
            resize(k.source(participant.ext).read_text(), participant.size_prefix, 1)
        resize(k.source(".mochi").read_text(), "let N = ", 1)


def test_round_down_and_size_up() -> None:
    assert [round_down(n) for n in (7, 99, 123, 4567, 1_999_999)] == [7, 99, 120, 4500, 1_900_000]
    assert size_up(7, 11) == 8 and size_up(11, 11) == 11
    assert size_up(1000, 10**6) == 1200


def test_largest_n_within_inverts_the_cost_model() -> None:
    assert largest_n_within("sum_loop", 1000.0, 1, 10**6) == 1000
    assert largest_n_within("matmul", 8.1e6, 10, 1000) == 200  # 200^3 = 8e6
    assert largest_n_within("matmul", 1.0, 10, 1000) == 10
    assert largest_n_within("fib_rec", math.inf, 10, 44) == 44


def test_predict_n_scales_to_the_budget() -> None:
    # linear kernel, no start-up: 1 s at 1000 -> 5 s at 5000
    assert predict_n("sum_loop", [(1000, 1.0)], 5.0, 100, 10**9) == 5000
    # start-up of 0.3 s seen from two points: rate 1e-4 s per unit
    assert predict_n("sum_loop", [(1000, 0.4), (5000, 0.8)], 5.0, 100, 10**9) == 47000
    # never outside [quick, default]
    assert predict_n("sum_loop", [(1000, 1.0)], 5.0, 100, 3000) == 3000
    assert predict_n("sum_loop", [(1000, 10.0)], 5.0, 800, 3000) == 800
    # cubic kernel: 8x the time is twice the size
    assert predict_n("matmul", [(100, 1.0)], 8.0, 10, 1000) == 200


# -- tables --------------------------------------------------------------------

def fake_results(quick: bool = False) -> dict:
    def r(median_s: float) -> dict:
        return {**summarize([median_s], [1024]), "build_s": None, "binary_bytes": None}

    def kernel(name: str, c: float, interp: float, py: float) -> dict:
        return {"name": name, "n": 10, "n_policy": "budget", "quick_n": 1, "default_n": 100,
                "checksum": "1", "expected_checksum": None, "sizing": [],
                "ir_instructions": 50, "compile_s": 0.01, "first_compile_s": 0.02,
                "results": {"mochic-interp": r(interp), "python": r(py), "c": r(c)}}

    return {
        "schema": 1,
        "machine": {"date": "2024-01-01 00:00 UTC", "cpu": "Test CPU", "cores": 2,
                    "load_average_at_start": [0.1, 0.1, 0.1], "os": "Linux",
                    "load_average_at_end": [0.2, 0.2, 0.2],
                    "mochic": {"commit": "abc", "uncommitted_changes": []}},
        "settings": {"quick": quick, "runs": 1, "warmup_runs": 1, "budget_s": 5.0},
        "participants": [{"key": "mochic-interp", "kind": "tier", "label": "mochic interp",
                          "version": "0.1"},
                         {"key": "python", "kind": "peer", "label": "Python", "version": "3"},
                         {"key": "c", "kind": "peer", "label": "C gcc -O2", "version": "12"}],
        "skipped": [{"key": "go", "label": "Go", "reason": "`go` is not installed"}],
        "kernels": [kernel("a", 0.01, 2.0, 0.5), kernel("b", 1.0, 800.0, 50.0)],
        "compile": [],
        "elapsed_s": 60.0,
    }


def test_ratios_and_geomeans() -> None:
    results = fake_results()
    assert report.ratios(results)["a"] == pytest.approx({"mochic-interp": 200.0, "python": 50.0,
                                                        "c": 1.0})
    gm = report.geomeans(results)
    assert gm["mochic-interp"] == pytest.approx(400.0)  # sqrt(200 * 800)
    assert gm["python"] == pytest.approx(50.0)
    assert gm["c"] == pytest.approx(1.0)


def test_main_table() -> None:
    lines = report.main_table(fake_results()).splitlines()
    assert lines[0] == "| kernel | N | C gcc -O2 (time) | mochic interp | Python |"
    assert lines[1] == "|---|---:|---:|---:|---:|"
    assert lines[2] == "| a | 10 | 10 ms † | 200× | 50.0× |"
    assert lines[3] == "| b | 10 | 1 s | 800× | 50.0× |"
    assert lines[4] == "| **geomean** |  | 1× | **400×** | **50.0×** |"


def test_formats() -> None:
    assert [report.fmt_ratio(x) for x in (0.5, 1.234, 12.34, 123.4)] == \
        ["0.50×", "1.23×", "12.3×", "123×"]
    assert [report.fmt_seconds(x) for x in (0.000123, 0.0123, 1.234, 123.4)] == \
        ["0.123 ms", "12.3 ms", "1.23 s", "123 s"]
    assert report.fmt_int(1234567) == "1 234 567"
    assert report.fmt_bytes(None) == "—" and report.fmt_bytes(16384) == "16 KiB"


def test_render_names_every_kernel_the_skipped_peers_and_the_machine() -> None:
    md = report.render(fake_results())
    assert "| a |" in md and "| b |" in md
    assert "Not measured: Go (`go` is not installed)" in md
    assert "Test CPU, 2 cores" in md
    assert "† The C run took less than 0.5 s (1 of 2 kernels)" in md


def test_compile_side_and_target_tables() -> None:
    results = fake_results()
    results["participants"].insert(1, {"key": "mochic-c", "kind": "tier", "label": "mochic c",
                                       "how": "mochic build", "version": "0.1"})
    for k in results["kernels"]:
        k["results"]["mochic-c"] = k["results"]["c"]
    results["compile"] = [{
        "program": "hello world", "ir_instructions": 4,
        "cold_check": summarize([0.2], [20000]), "import_s": 0.1, "first_compile_s": 0.01,
        "warm_compile_s": 0.001, "ir_per_s": 4000.0,
        "jit_s": 0.002, "jit_ir_ops": 4, "stitch_s": 0.0005,
        "cold_run": summarize([0.25], [30000]), "cached_run": summarize([0.06], [30000]),
        "python_start_s": 0.02,
        "builds": {"mochic-c": {"cold_build_s": 8.0, "warm_build_s": 0.5, "warm_builds_s": [0.5],
                                "binary_bytes": 30 * 1024, "run_s": 0.004}}}]
    results["targets"] = [
        {"target": "x86_64-linux", "programs": {"hello world": {"binary_bytes": 30 * 1024}}},
        {"target": "x86_64-macos", "programs": {"hello world": {"error": "no signer"}}}]
    lines = report.compile_side_table(results).splitlines()
    assert lines[0].endswith("| mochic c: build, empty cache | mochic c: build, warm cache "
                             "| mochic c: binary | mochic c: run |")
    # JIT: 2 ms for 4 operations, 0.5 ms of it stitching; compiling (1 + 2 ms) is 1 %
    # of the 250 ms run without the compile cache; 60 ms with it, python3 itself 20 ms
    assert lines[2] == ("| hello world | 4 | 200 ms | 100 ms | 10 ms | 1 ms | 4 000 | 2 ms "
                        "| 2 000 | 8 000 | 250 ms | 60 ms | 20 ms | 1% | 8 s | 500 ms | 30 KiB "
                        "| 4 ms |")
    assert report.targets_table(results).splitlines()[2:] == [
        "| x86_64-linux | 30 KiB |", "| x86_64-macos | failed: no signer |"]
    assert "## Binary size per target" in report.render(results)


def test_update_docs_replaces_only_the_generated_part(tmp_path: Path) -> None:
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text(f"intro\n{report.DOCS_BEGIN}\nold\n{report.DOCS_END}\noutro\n")
    assert report.update_docs(doc, fake_results())
    text = doc.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert "### Time relative to C gcc -O2" in text
    other = tmp_path / "other.md"
    other.write_text("no markers\n")
    assert not report.update_docs(other, fake_results())


@pytest.mark.skipif(importlib.util.find_spec("wasmtime") is None, reason="needs wasmtime")
def test_wasmrun_runs_a_precompiled_module_as_the_engine_does(tmp_path: Path) -> None:
    from bench import wasmrun
    source = tmp_path / "prog.mochi"
    source.write_text('let xs = [1, 2, 3]\nprint("sum", xs[0] + xs[1] + xs[2])\n'
                      'print(input())\nprint(xs[5])\n')
    module = tmp_path / "prog.wasm"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "mochic", "build", "--backend", "wasm", "-o",
                    "prog.wasm", "prog.mochi"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    cwasm, took = wasmrun.precompile(module, env)
    assert cwasm.suffix == ".cwasm" and took > 0
    p = subprocess.run([str(wasmrun.runner()), str(cwasm)], cwd=tmp_path, input="typed\n",
                       capture_output=True, text=True, timeout=60)
    # standard streams, and a runtime error's message and exit status, as on every tier
    assert (p.returncode, p.stdout) == (1, "sum 6\ntyped\n")
    assert p.stderr == ("prog.mochi:4: runtime error: index 5 out of range for list of "
                        "length 3\n")
    p = subprocess.run([str(wasmrun.runner()), str(module)], capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr.startswith("wasmrun: cannot load the module")


def test_fast_grows_a_kernel_until_c_runs_long_enough(tmp_path: Path) -> None:
    """--fast: a size the budget allows but at which C runs for milliseconds is
    grown (C's run time proportional to N here) until C takes the floor."""
    from bench.kernels import Kernel
    from bench.measure import Sample
    from bench.runner import KernelRun

    kernel = next(k for k in discover() if k.name == "sum_loop")
    assert isinstance(kernel, Kernel)
    c = PEERS["c"]
    runs: list[int] = []

    class Fake(KernelRun):
        def run(self, p, n, what):  # noqa: ANN001, ANN202 - C: 1 s per 10 000 000
            runs.append(n)
            return Sample(n / 10_000_000, 0, 0, "", "")

    kr = Fake(kernel, [c], Options(min_baseline_s=0.3), tmp_path, {}, lambda _m: None, "")
    n = kernel.quick * 2
    history = {"c": [(n, n / 10_000_000)]}
    grown = kr._baseline_floor(history, n, kernel.default)
    assert grown == kernel.default or grown / 10_000_000 >= 0.3
    assert runs and grown > n
    kr = Fake(kernel, [c], Options(), tmp_path, {}, lambda _m: None, "")
    assert kr._baseline_floor(history, n, kernel.default) == n  # without --fast: as it was
