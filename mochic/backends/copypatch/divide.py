"""Magic numbers for dividing a 64-bit signed integer by a constant.

For a divisor d >= 2 there is a multiplier M and a shift s such that, for
every 64-bit n, the quotient n / d truncated toward zero is

    q = high 64 bits of M * n  (+ n when M is negative as a signed number)
    q = q >> s                 (arithmetic)
    q = q + 1 if n < 0

which is what `div_i64_magic` computes instead of a division instruction.
The search is Hacker's Delight (H. S. Warren), figure 10-1, for W = 64.
"""

from __future__ import annotations

W = 64
_MASK = (1 << W) - 1


def magic(d: int) -> tuple[int, int]:
    """(M as unsigned 64-bit bits, s) for dividing by ``d`` (2 <= d < 2**63)."""
    if not 2 <= d < 1 << (W - 1):
        raise ValueError(f"no magic number for divisor {d}")
    two = 1 << (W - 1)
    anc = two - 1 - two % d  # the absolute value of nc
    p = W - 1
    q1, r1 = divmod(two, anc)
    q2, r2 = divmod(two, d)
    while True:
        p += 1
        q1, r1 = 2 * q1, 2 * r1
        if r1 >= anc:
            q1, r1 = q1 + 1, r1 - anc
        q2, r2 = 2 * q2, 2 * r2
        if r2 >= d:
            q2, r2 = q2 + 1, r2 - d
        delta = d - r2
        if not (q1 < delta or (q1 == delta and r1 == 0)):
            break
    return (q2 + 1) & _MASK, p - W


def divide(n: int, d: int) -> int:
    """What the stencil computes, in Python: for checking the numbers."""
    m, s = magic(d)
    signed_m = m - (1 << W) if m >> (W - 1) else m
    q = (signed_m * n) >> W
    if signed_m < 0:
        q += n
    q >>= s
    return q + (1 if n < 0 else 0)
