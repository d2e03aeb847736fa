"""The opcode table drives every tier: each opcode of `ir/ops.py` has an
interpreter handler, a C lowering and a stencil on every stencil set.

Beyond looking the opcodes up in each tier's handler table, one module is
made with a function per opcode (operands of the table's types, immediates of
the kinds its `imm` column names) and put through each tier: the
interpreter translates every function, the C backend's output for it compiles
against mochi.h, and the stencil translation stitches it on both ISAs.  An
opcode a tier cannot lower fails here rather than in the first program that
uses it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mochic.backends.c import instrs
from mochic.backends.c.emit import emit_c
from mochic.backends.copypatch import translate
from mochic.backends.copypatch.stitch import stitch_program
from mochic.frontend.types import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    STRING,
    FunT,
    ListT,
    StructInfo,
    StructT,
    Type,
)
from mochic.interp import interp
from mochic.ir import ir
from mochic.ir.ops import OPS, OpSpec
from mochic.ir.verify import verify
from mochic.toolchain.compilers import ToolchainError, find_compiler
from mochic.toolchain.options import RUNTIME_DIR

MTY: dict[str, Type] = {"i64": INT, "f64": FLOAT, "bool": BOOL, "ref": STRING}
VALUE = {"i64": 1, "f64": 1.5, "bool": True, "ref": "s"}
ZERO = {"i64": 0, "f64": 0.0, "bool": False, "ref": None}
FIELDS = {"i": "i64", "f": "f64", "b": "bool", "r": "ref"}
STRUCT = StructInfo("S", {name: MTY[t] for name, t in FIELDS.items()})
# the types an opcode's `type` immediates name, by opcode family
TYPES: dict[str, tuple[Type, ...]] = {
    "list.new": (INT,), "map.new": (STRING, INT), "conv": (ListT(INT), ListT(ANY)),
    "group.by": (STRING, StructT("S", STRUCT)),
}


def _type_of(op: str) -> str:
    """The IR type an opcode is specialised for (its last typed part), else ref."""
    typed = [p for p in op.split(".") if p in ir.IR_TYPES]
    return typed[-1] if typed else "ref"


def _immediates(spec: OpSpec, module: ir.Module) -> tuple:
    ty = _type_of(spec.name)
    family = ".".join(p for p in spec.name.split(".") if p not in ir.IR_TYPES)
    types = iter(TYPES.get(family, (MTY[ty],)))
    make = {
        "value": lambda: VALUE[spec.result or "ref"] if spec.name != "const.none" else None,
        "zero": lambda: ZERO[spec.result or "ref"],
        "type": lambda: next(types),
        "struct": lambda: "S",
        "field": lambda: list(FIELDS.values()).index(ty),
        "function": lambda: "cbody" if spec.name == "closure.new" else "callee",
        "global": lambda: f"g_{ty}",
        "capture": lambda: 0,
        "math": lambda: "sqrt" if spec.name == "math.f64" else "pow",
        "binop": lambda: "+",
        "name": lambda: "r",
        "reuse": lambda: "reuse",
        "in_test": lambda: False,
    }
    return tuple(make[k.rstrip("?")]() for k in spec.imm)


def _operand_types(spec: OpSpec) -> list[str]:
    if spec.name == "struct.new":
        return list(FIELDS.values())
    if spec.name in ("call", "closure.new"):
        return ["i64"]  # the callee's one parameter / one capture
    if spec.name == "call.closure":
        return ["ref", "i64"]
    out = []
    for pat in spec.args:
        if pat.startswith("*"):
            out += [pat[1:] or "ref"] * 2
        else:
            out.append(pat)
    return out


def sample_module() -> ir.Module:
    """One function `t<N>` per opcode, each running that opcode once on its
    parameters, all called from `main` on constants."""
    m = ir.Module("ops.mochi")
    m.structs["S"] = STRUCT
    for t in ir.IR_TYPES:
        m.globals[f"g_{t}"] = ir.Global(f"g_{t}", t, MTY[t])
    callee = ir.Function("callee", [], "i64", INT, line=1)
    callee.params.append(callee.new_reg("i64", INT, "x"))
    callee.blocks.append(ir.Block("entry", [], ir.Ret(callee.params[0], 1)))
    m.functions["callee"] = callee
    # a closure body of one int capture and one int parameter, for closure.new
    cbody = ir.Function("cbody", [], "i64", INT, env=True, line=1)
    cbody.params = [cbody.new_reg("ref", ANY, "env"), cbody.new_reg("i64", INT, "x")]
    got = cbody.new_reg("i64", INT)
    cbody.blocks.append(ir.Block("entry", [ir.Instr("closure.get.i64", got, cbody.params[:1],
                                                    (0,), 1)], ir.Ret(got, 1)))
    m.functions["cbody"] = cbody
    main = ir.Function("main", [], None, ANY, line=1)
    body = ir.Block("entry")
    main.blocks.append(body)
    m.functions["main"] = main
    for n, (name, spec) in enumerate(OPS.items()):
        fn = ir.Function(f"t{n}", [], None, ANY, line=1)
        fn.params = [fn.new_reg(t, MTY[t], f"a{i}") for i, t in enumerate(_operand_types(spec))]
        if name.startswith("closure.get."):  # a capture is read by its own closure body
            fn.env = True
            fn.params[0] = fn.new_reg("ref", ANY, "env")
        if name == "call.closure":  # the callee is a closure of callee's signature
            fn.params[0] = fn.new_reg("ref", FunT((INT,), INT), "f")
        result = spec.result if name not in ("call", "call.closure") else "i64"
        dst = fn.new_reg(result, MTY[result]) if result is not None else None
        fn.blocks.append(ir.Block("entry", [ir.Instr(name, dst, list(fn.params),
                                                     _immediates(spec, m), 2)],
                                  ir.Ret(None, 2)))
        m.functions[fn.name] = fn
        args = []
        for p in fn.params:
            r = main.new_reg(p.ty, p.mty)
            op = "const.none" if p.ty == "ref" else f"const.{p.ty}"
            imm = () if p.ty == "ref" else (ZERO[p.ty],)
            body.instrs.append(ir.Instr(op, r, [], imm, 3))
            args.append(r)
        body.instrs.append(ir.Instr("call", None, args, (fn.name,), 3))
    body.term = ir.Ret(None, 3)
    return m


@pytest.fixture(scope="module")
def module() -> ir.Module:
    m = sample_module()
    verify(m)
    return m


def test_every_op_has_an_interpreter_handler(module: ir.Module) -> None:
    assert sorted(set(OPS) - set(interp.HANDLERS)) == []
    interp.Interpreter(module)  # translates every function


def test_every_op_has_a_c_lowering(module: ir.Module, tmp_path: Path) -> None:
    assert sorted(set(OPS) - set(instrs.HANDLERS)) == []
    src = tmp_path / "ops.c"
    src.write_text(emit_c(module))
    try:
        zig = find_compiler("zig")
    except ToolchainError as e:
        pytest.skip(str(e))
    p = subprocess.run([*zig.cc, "-target", "x86_64-linux-musl", "-std=c11", "-c",
                        "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
                        "-Wno-unused-variable", "-Wno-unused-but-set-variable",
                        "-I", str(RUNTIME_DIR), str(src), "-o", str(tmp_path / "ops.o")],
                       capture_output=True, text=True, env=zig.env)
    assert p.returncode == 0, p.stderr[-3000:]


@pytest.mark.parametrize("machine", ["x86_64", "aarch64", "riscv64"])
def test_every_op_has_a_stencil(module: ir.Module, machine: str) -> None:
    assert set(translate.HANDLERS) == set(OPS)
    obj = stitch_program(module, machine).obj  # NoStencil names what is missing
    assert all(f"mochi.fn.t{n}" in obj.symbols for n in range(len(OPS)))


def test_every_op_has_a_wasm_lowering(module: ir.Module) -> None:
    from mochic.backends.wasm.encode import encode_module
    from mochic.backends.wasm.instrs import LOWER
    assert set(LOWER) == set(OPS)
    obj = encode_module(module)  # every function is reached from main
    assert len(obj.functions) >= len(OPS)
    wasmtime = pytest.importorskip("wasmtime")
    from mochic.backends.wasm.backend import module_bytes
    wasmtime.Module.validate(wasmtime.Engine(), module_bytes(module, "dev", lambda _m: None))
