"""The command line: `test`, `ir`, `check`, `--version`, and bad invocations."""

from __future__ import annotations

from pathlib import Path

from mochic import __version__
from tests.tiers import ROOT, mochic

TESTS = ROOT / "tests" / "programs" / "tests"


def test_test_command_reports_each_block() -> None:
    res = mochic(["test", "skipped_blocks.mochi"], TESTS)
    assert res.status == 1
    lines = res.stdout.splitlines()
    assert "test addition ... ok (1 expectation)" in lines
    assert "test failing test is not run either ... FAIL" in lines
    assert "  skipped_blocks.mochi:11: expect failed" in lines
    assert lines[-1] == "1 passed, 1 failed"


def test_test_command_passes_and_sees_globals() -> None:
    res = mochic(["test", "tests_between_code.mochi"], TESTS)
    assert res.status == 0
    assert res.stdout.splitlines()[-3:] == [
        "test tick increments ... ok (1 expectation)",
        "test more ... ok (1 expectation)",
        "2 passed, 0 failed",
    ]


def test_ir_command_prints_a_function(tmp_path: Path) -> None:
    (tmp_path / "p.mochi").write_text("fun sq(x: int): int { return x * x }\nprint(sq(3))\n")
    res = mochic(["ir", "p.mochi", "--function", "sq"], tmp_path)
    assert res.status == 0
    assert res.stdout.startswith("fun sq(%0.x: i64) -> i64 {")
    assert "mul.i64 %0.x, %0.x" in res.stdout
    bad = mochic(["ir", "p.mochi", "--function", "nope"], tmp_path)
    assert bad.status == 1 and "no function 'nope'" in bad.stderr


def test_check_accepts_a_good_program(tmp_path: Path) -> None:
    (tmp_path / "p.mochi").write_text("let x = 1\nprint(x)\n")
    res = mochic(["check", "p.mochi"], tmp_path)
    assert (res.status, res.stdout, res.stderr) == (0, "", "")


def test_version_and_help(tmp_path: Path) -> None:
    assert mochic(["--version"], tmp_path).stdout == f"mochic {__version__}\n"
    res = mochic([], tmp_path)
    assert res.status == 2 and "run" in res.stdout and "check" in res.stdout


def test_verbose_run_names_the_tier(tmp_path: Path) -> None:
    from mochic.backends.copypatch.jit import host_machine
    (tmp_path / "p.mochi").write_text('print("x")\n')
    res = mochic(["run", "--verbose", "p.mochi"], tmp_path)
    tier = "jit" if host_machine() else "interp"  # the JIT where the machine has one
    assert res.stdout == "x\n" and f"running on the {tier} tier" in res.stderr
    res = mochic(["run", "--verbose", "--tier", "interp", "p.mochi"], tmp_path)
    assert res.stdout == "x\n" and "running on the interp tier" in res.stderr


def test_unknown_tier_is_a_clear_error(tmp_path: Path) -> None:
    res = mochic(["run", "--tier", "warp", "p.mochi"], tmp_path)
    assert res.status == 2 and "invalid choice: 'warp'" in res.stderr


def test_runtime_error_flushes_output_first(tmp_path: Path) -> None:
    (tmp_path / "p.mochi").write_text('print("before")\nlet xs = [1]\nprint(xs[3])\n')
    res = mochic(["run", "p.mochi"], tmp_path)
    assert res.stdout == "before\n"
    assert res.stderr == "p.mochi:3: runtime error: index 3 out of range for list of length 1\n"
    assert res.status == 1


def test_deep_recursion_runs(tmp_path: Path) -> None:
    (tmp_path / "p.mochi").write_text(
        "fun depth(n: int): int {\n  if n == 0 { return 0 }\n  return 1 + depth(n - 1)\n}\n"
        "print(depth(50000))\n")
    res = mochic(["run", "p.mochi"], tmp_path)
    assert (res.stdout, res.status) == ("50000\n", 0)


def test_infinite_recursion_is_a_runtime_error(tmp_path: Path) -> None:
    (tmp_path / "p.mochi").write_text("fun f(n: int): int {\n  return f(n + 1)\n}\nprint(f(0))\n")
    res = mochic(["run", "p.mochi"], tmp_path)
    assert res.status == 1
    assert res.stderr == "p.mochi:2: runtime error: stack overflow\n"
