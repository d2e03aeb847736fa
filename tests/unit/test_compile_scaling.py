"""Compiling takes time linear in the program's size, whatever grows: the number
of globals, the statements of one body, the terms of one operator chain.

Each case compiles a program and one four times its size and compares the
processor time they take: four times is linear, sixteen would be quadratic.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from mochic.driver import compile_source


def _globals(n: int) -> str:
    return "".join(f"let v{i} = {i}\n" for i in range(n)) + f"print(v{n - 1})\n"


def _statements(n: int) -> str:
    return "fun f(): int {\n  var x = 0\n" + "  x = x + 1\n" * n + "  return x\n}\nprint(f())\n"


def _chain(n: int) -> str:
    return "let x = 1" + " + 1" * n + "\nprint(x)\n"


def _shadowing(n: int) -> str:
    return "let x = 1\n" * n + "print(x)\n"


def _seconds(source: str) -> float:
    start = time.process_time()
    compiled = compile_source("scale.mochi", source)
    assert not compiled.diags, compiled.diags.render()
    return time.process_time() - start


@pytest.mark.parametrize("make", [_globals, _statements, _chain, _shadowing],
                         ids=["globals", "statements", "chain", "shadowing"])
def test_compile_time_is_linear(make: Callable[[int], str]) -> None:
    small = _seconds(make(3000))
    big = _seconds(make(12000))
    assert big < 8 * max(small, 0.05), f"{small:.2f} s, then {big:.2f} s for four times as much"
