"""A cursor for emitting IR into one function: the current block, fresh
registers and labels, and the loop targets of `break` and `continue`."""

from __future__ import annotations

from typing import Any

from mochic.frontend.types import Type, ir_type
from mochic.ir.ir import Block, Branch, Function, Instr, Jump, Reg, Ret, Terminator
from mochic.ir.ops import OPS


class FunctionBuilder:
    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.block = self.new_block("entry")
        self.loops: list[tuple[str, str]] = []  # (continue target, break target)
        self.line = fn.line

    def new_block(self, hint: str) -> Block:
        b = Block(f"{hint}{len(self.fn.blocks)}" if self.fn.blocks else hint)
        self.fn.blocks.append(b)
        return b

    def reg(self, mty: Type, hint: str = "") -> Reg:
        return self.fn.new_reg(ir_type(mty), mty, hint)

    def emit(self, op: str, args: list[Reg], imm: tuple[Any, ...] = (),
             mty: Type | None = None, dst: Reg | None = None) -> Reg | None:
        """Append ``op``; a result register is made from ``mty`` (or given as ``dst``)."""
        spec = OPS[op]
        if dst is None and mty is not None and (spec.result is not None or op.startswith("call")):
            dst = self.reg(mty)
        self.block.instrs.append(Instr(op, dst, args, imm, self.line))
        return dst

    def value(self, op: str, args: list[Reg], mty: Type, imm: tuple[Any, ...] = ()) -> Reg:
        r = self.emit(op, args, imm, mty)
        assert r is not None
        return r

    @property
    def open(self) -> bool:
        return self.block.term is None

    def terminate(self, term: Terminator) -> None:
        if self.block.term is None:
            term.line = self.line
            self.block.term = term

    def jump(self, target: Block) -> None:
        self.terminate(Jump(target.label))

    def branch(self, cond: Reg, then: Block, else_: Block) -> None:
        self.terminate(Branch(cond, then.label, else_.label))

    def ret(self, value: Reg | None) -> None:
        self.terminate(Ret(value))

    def start(self, block: Block) -> None:
        """Continue emitting into ``block`` (the previous one must be terminated)."""
        self.block = block
