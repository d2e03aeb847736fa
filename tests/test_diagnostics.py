"""Compile-time diagnostics, compared as text.

Each ``tests/errors/compile/<name>.mochi`` has ``<name>.err``: exactly what
``mochic check <name>.mochi`` prints on standard error when run in that
folder (file:line:col, message, the source line, a caret under the
offending span, an optional hint, then the error count), with exit status 1.
``mochic run`` must report the same diagnostics and run nothing.

To record a new case, write the program, run ``mochic check`` on it in that
folder, read the output as a user would, and only then save it as the .err.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiers import ROOT, mochic

CASES_DIR = ROOT / "tests" / "errors" / "compile"
CASES = sorted(CASES_DIR.glob("*.mochi"))

# Every sub-command and a phrase of its purpose its --help must show.
SUBCOMMANDS = {
    "run": "run a mochi program",
    "check": "type-check",
    "ir": "typed ir",
    "test": "`test` block",
}


def _id(p: Path) -> str:
    return p.stem


def test_corpus_covers_enough_cases() -> None:
    assert len(CASES) >= 35
    for program in CASES:
        assert program.with_suffix(".err").exists(), f"{program.name} has no .err"
    for err in CASES_DIR.glob("*.err"):
        assert err.with_suffix(".mochi").exists(), f"{err.name} has no program"


@pytest.mark.parametrize("program", CASES, ids=_id)
def test_check_reports_the_expected_diagnostics(program: Path) -> None:
    res = mochic(["check", program.name], program.parent)
    assert res.stderr == program.with_suffix(".err").read_text()
    assert res.stdout == ""
    assert res.status == 1


@pytest.mark.parametrize("program", CASES, ids=_id)
def test_run_reports_the_same_diagnostics(program: Path) -> None:
    res = mochic(["run", program.name], program.parent)
    assert res.stderr == program.with_suffix(".err").read_text()
    assert res.stdout == ""
    assert res.status == 1


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_missing_file_is_one_line_error(command: str, tmp_path: Path) -> None:
    res = mochic([command, "no_such_program.mochi"], tmp_path)
    assert res.status == 1
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("mochic: error:")
    assert "no_such_program.mochi" in lines[0]
    assert "Traceback" not in res.stderr


def test_directory_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "prog.mochi").mkdir()
    res = mochic(["check", "prog.mochi"], tmp_path)
    assert res.status == 1
    assert len(res.stderr.splitlines()) == 1, res.stderr
    assert res.stderr.startswith("mochic: error:")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_subcommand_help(command: str) -> None:
    res = mochic([command, "--help"], ROOT)
    assert res.status == 0
    assert res.stderr == ""
    assert f"usage: mochic {command}" in res.stdout
    assert SUBCOMMANDS[command] in res.stdout.lower()


def test_top_level_help_lists_every_subcommand() -> None:
    res = mochic(["--help"], ROOT)
    assert res.status == 0
    for command in SUBCOMMANDS:
        assert f"  {command} " in res.stdout
