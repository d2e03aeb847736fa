"""The typed IR: every lowered program verifies; the verifier rejects bad IR;
the printer shows types, lines and runtime calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from mochic.driver import compile_source
from mochic.frontend.types import ANY, FLOAT, INT, FunT
from mochic.ir import ir
from mochic.ir.ops import OPS
from mochic.ir.printer import format_function, format_module
from mochic.ir.verify import VerifyError, verify

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "tests" / "programs").glob("*/*.mochi"),
                  *(ROOT / "tests" / "errors" / "runtime").glob("*.mochi"),
                  *(ROOT / "bench" / "kernels").glob("*.mochi"),
                  *(ROOT / "examples").glob("*.mochi")])


def lower(src: str) -> ir.Module:
    c = compile_source("t.mochi", src)
    assert not c.diags, c.diags.render()
    assert c.module is not None
    return c.module


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_program_lowers_to_verified_ir(path: Path) -> None:
    c = compile_source(path.name, path.read_text())
    assert not c.diags, c.diags.render()


def test_ir_is_type_specialised() -> None:
    m = lower("fun f(a: int, b: float): float { return a * 2 + b }\nprint(f(1, 2.5))\n")
    ops = [i.op for b in m.functions["f"].blocks for i in b.instrs]
    assert ops == ["const.i64", "mul.i64", "i2f", "add.f64"]
    assert m.functions["f"].ret == "f64"


def test_every_instruction_has_its_source_line() -> None:
    m = lower("let x = 1\n\nvar y = x + 2\nprint(y)\n")
    lines = {i.op: i.line for b in m.functions["main"].blocks for i in b.instrs}
    assert lines["add.i64"] == 3
    assert lines["print"] == 4


def test_heap_operations_are_runtime_calls() -> None:
    m = lower('var xs = [1, 2]\nxs[0] = 5\nlet m = {"a": 1.5}\nprint(xs[1], m["a"])\n')
    ops = {i.op for b in m.functions["main"].blocks for i in b.instrs}
    assert {"list.new", "list.push.i64", "list.set.i64", "list.get.i64", "map.new",
            "map.set.ref.f64", "map.get.ref.f64"} <= ops
    assert all(OPS[o].kind == "rt" for o in ops if o.startswith(("list.", "map.")))


def test_closures_capture_mutable_variables_in_cells() -> None:
    m = lower("fun make(): fun(): int {\n  var n = 0\n  return fun(): int {\n"
              "    n = n + 1\n    return n\n  }\n}\nprint(make()())\n")
    make_ops = [i.op for b in m.functions["make"].blocks for i in b.instrs]
    assert "cell.new.i64" in make_ops and "closure.new" in make_ops
    lam = next(f for f in m.functions.values() if f.env)
    lam_ops = [i.op for b in lam.blocks for i in b.instrs]
    assert "closure.get.ref" in lam_ops and "cell.set.i64" in lam_ops


def test_verifier_rejects_mistyped_operands() -> None:
    m = lower("print(1)\n")
    fn = m.functions["main"]
    f = fn.new_reg("f64", INT)
    fn.blocks[0].instrs.append(ir.Instr("add.i64", fn.new_reg("i64", INT), [f, f], (), 1))
    with pytest.raises(VerifyError, match="operand 1 is f64, expected i64"):
        verify(m)


def test_verifier_rejects_missing_terminator_and_bad_targets() -> None:
    m = lower("print(1)\n")
    fn = m.functions["main"]
    fn.blocks.append(ir.Block("loose"))
    fn.blocks[0].term = ir.Jump("nowhere")
    with pytest.raises(VerifyError) as e:
        verify(m)
    assert "no terminator" in str(e.value) and "unknown block nowhere" in str(e.value)


def test_verifier_checks_calls_against_the_callee() -> None:
    m = lower("fun f(a: int): int { return a }\nprint(f(1))\n")
    call = next(i for b in m.functions["main"].blocks for i in b.instrs if i.op == "call")
    call.args[0] = m.functions["main"].new_reg("f64", INT)
    with pytest.raises(VerifyError, match="do not match f's parameters"):
        verify(m)


def _instr(m: ir.Module, fn: str, op: str) -> ir.Instr:
    return next(i for b in m.functions[fn].blocks for i in b.instrs if i.op == op)


def test_verifier_checks_closure_calls_against_the_function_type() -> None:
    m = lower("let f = fun(x: int): int => x + 1\nprint(f(2))\n")
    call = _instr(m, "main", "call.closure")
    call.args[1] = m.functions["main"].new_reg("ref", ANY)
    with pytest.raises(VerifyError, match=r"do not match the closure's parameters \['i64'\]"):
        verify(m)


def test_verifier_checks_closures_against_their_function() -> None:
    m = lower("let f = fun(x: int): int => x + 1\nprint(f(2))\n")
    new = _instr(m, "main", "closure.new")
    new.dst.mty = FunT((FLOAT,), INT)
    with pytest.raises(VerifyError, match=r"must be a closure of \(f64\) -> i64"):
        verify(m)


def test_verifier_checks_that_registers_are_set_on_every_path() -> None:
    m = lower("var x = 0\nif len([1]) > 0 {\n  x = 1\n}\nprint(x)\n")
    fn = m.functions["main"]
    then = next(b for b in fn.blocks if b.label.startswith("then"))
    r = fn.new_reg("i64", INT)
    then.instrs.append(ir.Instr("const.i64", r, [], (1,), 3))
    fn.blocks[-1].instrs.insert(0, ir.Instr("add.i64", fn.new_reg("i64", INT), [r, r], (), 5))
    with pytest.raises(VerifyError, match="may be used before it is set"):
        verify(m)


def test_verifier_checks_typed_runtime_calls() -> None:
    m = lower("type P { x: int }\nlet xs = [1]\nprint(xs[0], P { x: 2 })\n")
    _instr(m, "main", "list.get.i64").op = "list.get.f64"
    _instr(m, "main", "struct.new").args[0] = m.functions["main"].new_reg("f64", FLOAT)
    with pytest.raises(VerifyError) as e:
        verify(m)
    assert "the list is a list<int>" in str(e.value)
    assert "fields ['f64'] do not match P's ['i64']" in str(e.value)


def test_a_recursive_untyped_function_has_one_result_type() -> None:
    m = lower("fun f(n) {\n  if n == 0 { return true }\n  let r = f(n - 1)\n"
              "  if r { return true }\n  return false\n}\nprint(f(3))\n")
    f = m.functions["f"]
    assert [p.ty for p in f.params] == ["i64"] and f.ret == "bool"
    assert _instr(m, "f", "call").dst.ty == "bool"


def test_printer_shows_types_lines_and_blocks() -> None:
    m = lower("fun fib(n: int): int {\n  if n < 2 { return n }\n"
              "  return fib(n - 1) + fib(n - 2)\n}\nprint(fib(10))\n")
    text = format_function(m.functions["fib"])
    assert text.startswith("fun fib(%0.n: i64) -> i64 {")
    assert "lt.i64 %0.n, %1" in text and "; line 2" in text
    assert 'call %' in text and '"fib"' in text
    assert "br %2, then1, endif2" in text
    mod = format_module(lower("type P { x: int }\nvar n = 1\nprint(P { x: n })\n"))
    assert "struct P {x: int}" in mod and "global n: i64" in mod
