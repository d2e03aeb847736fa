"""Every benchmark kernel runs on every tier at its quick size and prints the
checksum its C and Python peers print (bench/kernels/sizes.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.tiers import ROOT, TIERS

KERNELS = ROOT / "bench" / "kernels"
SIZES = json.loads((KERNELS / "sizes.json").read_text())


def test_every_kernel_has_sizes() -> None:
    assert sorted(SIZES) == sorted(p.stem for p in KERNELS.glob("*.mochi"))


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("kernel", sorted(SIZES))
def test_kernel_checksum_at_quick_size(kernel: str, tier: str, tmp_path: Path) -> None:
    src = (KERNELS / f"{kernel}.mochi").read_text()
    quick, expected = SIZES[kernel]["quick"], SIZES[kernel]["quick_checksum"]
    resized, n = re.subn(r"(?m)^let N = \d+$", f"let N = {quick}", src)
    assert n == 1
    prog = tmp_path / f"{kernel}.mochi"
    prog.write_text(resized)
    res = TIERS[tier](prog, "")
    assert res.stderr == ""
    assert res.stdout == f"{expected}\n"
