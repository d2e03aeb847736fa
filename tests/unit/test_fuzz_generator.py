"""The fuzzer's own parts: generated programs are well-typed with and without
their function annotations, deterministic, and shrinking keeps what a failure
needs."""

from __future__ import annotations

import pytest

from mochic.driver import compile_source
from tests.fuzz import shrink
from tests.fuzz.generate import CLOSE, OPEN, Node, batch, render, strip_annotations, unit
from tests.fuzz.runner import judge
from tests.tiers import Result


@pytest.mark.parametrize("seed", range(40))
def test_generated_units_compile_typed_and_untyped(seed: int) -> None:
    nodes = [*unit(seed, fail=seed % 4 == 0, uses_input=seed % 3 == 0),
             Node(f"u{seed}_main()")]
    for typed in (True, False):
        compiled = compile_source("g.mochi", render(nodes, typed))
        assert not compiled.diags, compiled.diags.render()


def test_generation_is_deterministic() -> None:
    assert batch(7, 5).source() == batch(7, 5).source()
    assert batch(7, 5).source() != batch(8, 5).source()


def test_untyped_rendering_drops_only_annotations() -> None:
    text = f"fun f(x{OPEN}: int{CLOSE}){OPEN}: int{CLOSE} {{ return x }}"
    assert strip_annotations(text) == "fun f(x) { return x }"
    assert render([Node(text)]) == "fun f(x: int): int { return x }\n"


def test_shrinking_keeps_what_the_failure_needs() -> None:
    tree = [Node("fun main() {", [Node("a"), Node("if c {", [Node("b"), Node("BUG")],
                                                  [Node("d")]), Node("e")], fixed=True)]
    small = shrink.shrink(tree, lambda t: "BUG" in render(t), 30)
    assert render(small) == "fun main() {\n  BUG\n}\n"


def test_judging_results() -> None:
    ok = Result("x\n", "", 0)
    assert judge({"interp": ok, "jit": ok}, False) is None
    assert judge({"interp": ok, "jit": Result("y\n", "", 0)}, False) == (("jit",), "difference")
    assert judge({"interp": ok, "c": Result("", "", -11)}, False) == (("c",), "crash")
    failed = Result("", "fuzz.mochi:3: runtime error: division by zero\n", 1)
    assert judge({"interp": failed, "jit": failed}, True) is None
    assert judge({"interp": failed, "jit": failed}, False) == (("interp", "jit"), "crash")
