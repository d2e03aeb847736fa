"""The kernels: discovery, their sizes, resizing a source, and choosing a size.

A kernel is ``bench/kernels/<name>.mochi`` plus its peers in other languages
and an entry in ``sizes.json``: a quick size (for the tests), a default size
(the C peer runs about a second) and the checksum at each.  Every source has
exactly one size line (``let N = 44``, ``#define N 44``...), which
``resize`` rewrites.

Sizing.  Ratios only mean something when every participant runs the same
work, so a kernel runs at one size N for all tiers and peers.  The slowest
participant (the reference interpreter, 100 to 1000 times slower than C)
would need minutes at the default size, so in a full run N is the largest
size, between the quick and the default one, at which the slowest
participant's run fits the time budget.  ``predict_n`` proposes that size
from the runs measured so far, using the kernel's cost model: how its work
grows with N (``COST``), fitted as ``seconds = startup + rate * cost(N)``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KERNELS_DIR = Path(__file__).resolve().parent / "kernels"

PHI = (1 + math.sqrt(5)) / 2

# How much work a kernel does at size n, up to a constant factor.  A kernel
# without an entry is taken to be linear in n.
COST: dict[str, Callable[[int], float]] = {
    "fib_rec": lambda n: PHI ** n,
    "prime_count": lambda n: n ** 1.5 / math.log(max(n, 3)),
    "matmul": lambda n: float(n) ** 3,
    "spectral_norm": lambda n: float(n) ** 2,
    "mandelbrot": lambda n: float(n) ** 2,
    "fannkuch_redux": lambda n: math.factorial(n) * n,
    "binary_trees": lambda n: n * 2.0 ** n,
}


def cost(kernel: str, n: int) -> float:
    return COST.get(kernel, float)(n)


@dataclass(frozen=True)
class Kernel:
    name: str
    quick: int
    quick_checksum: str
    default: int
    default_checksum: str
    folder: Path = KERNELS_DIR

    def source(self, ext: str) -> Path:
        return self.folder / f"{self.name}{ext}"

    def expected(self, n: int) -> str | None:
        """The checksum sizes.json promises at size n, if it has one."""
        if n == self.quick:
            return self.quick_checksum
        if n == self.default:
            return self.default_checksum
        return None


def discover(folder: Path = KERNELS_DIR) -> list[Kernel]:
    """Every kernel in ``folder``, in the order of sizes.json."""
    sizes = json.loads((folder / "sizes.json").read_text())
    programs = {p.stem for p in folder.glob("*.mochi")}
    if programs != set(sizes):
        raise ValueError(f"{folder}: kernels without sizes: {sorted(programs - set(sizes))}, "
                         f"sizes without kernels: {sorted(set(sizes) - programs)}")
    return [Kernel(name, s["quick"], str(s["quick_checksum"]), s["default"],
                   str(s["default_checksum"]), folder)
            for name, s in sizes.items()]


def select(kernels: list[Kernel], names: list[str] | None) -> list[Kernel]:
    """The kernels named (in the order given), or all of them."""
    if not names:
        return kernels
    by_name = {k.name: k for k in kernels}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown kernel(s) {', '.join(unknown)}; have: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def resize(text: str, size_prefix: str, n: int) -> str:
    """Rewrite the one size line (``size_prefix`` then digits) to size n."""
    pattern = re.compile("^" + re.escape(size_prefix) + r"\d+$", re.MULTILINE)
    new, count = pattern.subn(f"{size_prefix}{n}", text)
    if count != 1:
        raise ValueError(f"expected one line '{size_prefix}<digits>', found {count}")
    return new


def round_down(n: int) -> int:
    """n rounded down to two significant digits, so sizes read well in a table."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return n // step * step


def largest_n_within(kernel: str, work: float, lo: int, hi: int) -> int:
    """The largest n in [lo, hi] with cost(n) <= work (lo if none)."""
    if cost(kernel, lo) >= work:
        return lo
    if cost(kernel, hi) <= work:
        return hi
    while hi - lo > 1:  # invariant: cost(lo) < work < cost(hi)
        mid = (lo + hi) // 2
        if cost(kernel, mid) <= work:
            lo = mid
        else:
            hi = mid
    return lo


def predict_n(kernel: str, points: list[tuple[int, float]], budget_s: float,
              lo: int, hi: int) -> int:
    """The size at which a run should take ``budget_s``, from measured (n, seconds).

    With one point the time is taken as proportional to the cost; with two
    or more, the last two fix a start-up time and a rate, which matters
    when the first point is mostly start-up (the mochic interpreter spends
    a third of a second starting).
    """
    if not points:
        raise ValueError("predict_n needs at least one measured run")
    n1, t1 = points[-1]
    startup, rate = 0.0, t1 / cost(kernel, n1)
    earlier = [p for p in points[:-1] if p[0] != n1]
    if earlier:
        n0, t0 = earlier[-1]
        c0, c1 = cost(kernel, n0), cost(kernel, n1)
        fitted = (t1 - t0) / (c1 - c0)
        if fitted > 0:
            rate = fitted
            startup = min(max(t1 - rate * c1, 0.0), min(t0, t1))
    if budget_s <= startup:
        return lo
    n = largest_n_within(kernel, (budget_s - startup) / rate, lo, hi)
    return max(lo, min(hi, round_down(n)))


def size_up(n: int, hi: int) -> int:
    """The next size above n worth trying (no more than hi)."""
    return min(hi, n + 1 if n < 100 else max(n + 1, round_down(n * 5 // 4)))
