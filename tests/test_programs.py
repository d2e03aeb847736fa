"""The conformance corpus: every program on every tier and every target that runs
here (tests/tiers.py), compared with its `.out`.

Runtime-error programs (tests/errors/runtime) are compared on stdout, stderr
and exit status 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiers import ROOT, TARGET_TIERS, TIERS, read_exact, read_optional

PROGRAMS = sorted((ROOT / "tests" / "programs").glob("*/*.mochi"))
RUNTIME_ERRORS = sorted((ROOT / "tests" / "errors" / "runtime").glob("*.mochi"))
ALL_TIERS = {**TIERS, **TARGET_TIERS}


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


@pytest.mark.parametrize("tier", ALL_TIERS)
@pytest.mark.parametrize("program", PROGRAMS, ids=_id)
def test_program(program: Path, tier: str) -> None:
    expected = read_exact(program.with_suffix(".out"))
    res = ALL_TIERS[tier](program, read_optional(program.with_suffix(".in")))
    assert res.stderr == ""
    assert res.stdout == expected
    assert res.status == 0


@pytest.mark.parametrize("tier", ALL_TIERS)
@pytest.mark.parametrize("program", RUNTIME_ERRORS, ids=lambda p: p.stem)
def test_runtime_error(program: Path, tier: str) -> None:
    res = ALL_TIERS[tier](program, read_optional(program.with_suffix(".in")))
    assert res.stdout == read_optional(program.with_suffix(".out"))
    assert res.stderr == read_exact(program.with_suffix(".err"))
    assert res.status == 1


def test_corpus_is_large_enough() -> None:
    assert len(PROGRAMS) >= 150
    assert len(RUNTIME_ERRORS) >= 10
