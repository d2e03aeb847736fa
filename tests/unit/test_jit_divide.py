"""The magic numbers the JIT divides by constants with give C's truncated
division for every dividend, checked against exact integer arithmetic."""

from __future__ import annotations

import random

import pytest

from mochic.backends.copypatch.divide import divide, magic

LO, HI = -(1 << 63), (1 << 63) - 1


def truncated(n: int, d: int) -> int:
    q = abs(n) // d
    return q if n >= 0 else -q


def test_known_magic_numbers() -> None:
    assert magic(7) == (0x4924924924924925, 1)  # Hacker's Delight, table 10-2 (W = 64)
    assert magic(3) == (0x5555555555555556, 0)


@pytest.mark.parametrize("d", [*range(2, 130), 641, 1000, 65536, 1000000007, (1 << 31) - 1,
                               (1 << 62) + 1, HI])
def test_quotients_are_truncated(d: int) -> None:
    rng = random.Random(d)
    edges = [0, 1, -1, LO, HI, LO + 1, HI - 1, d, -d, d - 1, -(d - 1), d + 1, -(d + 1)]
    for n in edges + [rng.randrange(LO, HI + 1) for _ in range(200)]:
        if LO <= n <= HI:
            assert divide(n, d) == truncated(n, d), (n, d)


def test_divisors_without_magic_are_refused() -> None:
    for d in (0, 1, -7, 1 << 63):
        with pytest.raises(ValueError):
            magic(d)
