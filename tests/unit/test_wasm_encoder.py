"""The Wasm encoder's parts: LEB128 (the lowering table's coverage of the opcode
table is in test_ops.py), the structured control flow of reducible and irreducible graphs (an
irreducible one, made by hand, runs under wasmtime and agrees with the
interpreter), and the object reader on the objects the encoder makes."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest

from mochic.backends.wasm import control
from mochic.backends.wasm.leb128 import read_sleb, read_uleb, sleb, sleb5, uleb, uleb5
from mochic.frontend.types import ANY, BOOL, INT
from mochic.ir import ir
from mochic.ir.verify import verify


@pytest.mark.parametrize("value", [0, 1, 63, 64, 127, 128, 300, 2**31 - 1, 2**32 - 1, 2**40])
def test_uleb_round_trips(value: int) -> None:
    assert read_uleb(uleb(value), 0) == (value, len(uleb(value)))
    if value < 2**32:
        assert len(uleb5(value)) == 5 and read_uleb(uleb5(value), 0) == (value, 5)


@pytest.mark.parametrize("value", [0, 1, -1, 63, 64, -64, -65, 2**31 - 1, -2**31, -2**63,
                                   2**63 - 1])
def test_sleb_round_trips(value: int) -> None:
    assert read_sleb(sleb(value), 0) == (value, len(sleb(value)))
    if -2**31 <= value < 2**31:
        assert len(sleb5(value)) == 5 and read_sleb(sleb5(value), 0) == (value, 5)


def test_known_encodings() -> None:
    assert uleb(624485) == bytes([0xE5, 0x8E, 0x26])
    assert sleb(-123456) == bytes([0xC0, 0xBB, 0x78])
    assert uleb5(3) == bytes([0x83, 0x80, 0x80, 0x80, 0x00])


def _irreducible() -> ir.Module:
    """main: a cycle of two blocks, `a` and `b`, entered at both (from `entry`)."""
    fn = ir.Function("main", [], None, INT, line=1)
    x = fn.new_reg("i64", INT, "x")
    one = fn.new_reg("i64", INT)
    five = fn.new_reg("i64", INT)
    t = fn.new_reg("bool", BOOL)
    c = fn.new_reg("bool", BOOL)
    boxed = fn.new_reg("ref", ANY)

    def i(op: str, dst: ir.Reg | None, args: list[ir.Reg], *imm: object) -> ir.Instr:
        return ir.Instr(op, dst, args, tuple(imm), 1)
    entry = ir.Block("entry", [i("const.i64", x, [], 0), i("const.i64", one, [], 1),
                               i("const.i64", five, [], 5), i("const.bool", t, [], True)],
                     ir.Branch(t, "a", "b", 1))
    a = ir.Block("a", [i("add.i64", x, [x, one]), i("lt.i64", c, [x, five])],
                 ir.Branch(c, "b", "done", 1))
    b = ir.Block("b", [i("add.i64", x, [x, one]), i("lt.i64", c, [x, five])],
                 ir.Branch(c, "a", "done", 1))
    done = ir.Block("done", [i("box.i64", boxed, [x], INT), i("print", None, [boxed])],
                    ir.Ret(None, 1))
    fn.blocks = [entry, a, b, done]
    return ir.Module("loop.mochi", {"main": fn})


def _kinds(nodes: list[control.Node]) -> set[str]:
    out = set()
    for n in nodes:
        out.add(type(n).__name__)
        for sub in ("body", "then", "else_"):
            out |= _kinds(getattr(n, sub, []))
    return out


def test_a_structured_loop_uses_no_dispatch() -> None:
    from mochic.driver import compile_source
    module = compile_source("w.mochi", "var i = 0\nwhile i < 3 { if i == 1 { print(i) }\n"
                                       "i = i + 1 }\n").module
    assert module is not None
    kinds = _kinds(control.structure(module.functions["main"]))
    assert "Loop" in kinds and "Dispatch" not in kinds


def test_an_irreducible_graph_is_a_dispatch_loop_and_runs(tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("wasmtime")
    from mochic.backends.wasm.backend import module_bytes
    from mochic.interp.interp import Interpreter
    from tests.runners import run_wasm
    module = _irreducible()
    verify(module)
    assert "Dispatch" in _kinds(control.structure(module.functions["main"]))
    out = io.StringIO()
    with redirect_stdout(out):
        Interpreter(module).run_main()
    assert out.getvalue() == "5\n"
    path = tmp_path / "loop.wasm"
    path.write_bytes(module_bytes(module, "release", lambda _msg: None))
    assert run_wasm(path, tmp_path, "", 60) == ("5\n", "", 0)


def test_the_encoders_object_reads_back() -> None:
    from mochic.backends.wasm.encode import encode_module
    from mochic.driver import compile_source
    module = compile_source("r.mochi", 'let s = "hi"\nprint(s, len([1, 2]))\n').module
    assert module is not None
    obj = encode_module(module)
    names = {s.name for s in obj.symbols}
    assert {"main", "__main_argc_argv", "mochi_print", "mochi_init"} <= names
    assert any(seg.name.startswith(".data") and b"hi\0" in seg.data for seg in obj.segments)
    for fn in obj.functions:
        for r in fn.relocs:  # every relocated immediate is a padded five-byte LEB128
            assert all(b & 0x80 for b in fn.body[r.offset:r.offset + 4])
