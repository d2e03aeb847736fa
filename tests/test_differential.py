"""The differential fuzzer's CI slice: generated programs on every tier, with
zero differences and zero crashes (tests/fuzz/runner.py says what counts).

``BATCHES`` batches of ``UNITS`` generated programs each run as one program
per tier, so a tier that builds an executable builds one per batch.  The
seeds are fixed, so a failure here reproduces; MOCHIC_FUZZ_SEED picks other
ones.  The long run (`python3 -m tests.fuzz`) explores many more seeds.
"""

from __future__ import annotations

import os

import pytest

from tests.fuzz.generate import batch
from tests.fuzz.runner import check_batch

SEED = int(os.environ.get("MOCHIC_FUZZ_SEED", "1"))
BATCHES = 6
UNITS = 90  # BATCHES * UNITS >= 500 programs per run


@pytest.mark.parametrize("index", range(BATCHES))
def test_generated_programs_agree_on_every_tier(index: int) -> None:
    failure = check_batch(batch(SEED * 100_000 + index * UNITS, UNITS), shrink_seconds=180)
    assert failure is None, failure.report()
