"""The typed IR: modules of functions of basic blocks over typed virtual registers.

Registers are not SSA: a Mochi variable is one register, assigned as often as
the program assigns it.  Every register has one of four machine-near types
(``i64``, ``f64``, ``bool``, ``ref``) and keeps its Mochi type as an annotation.
Every instruction names an opcode from ``ops.OPS``, which fixes its operand
and result types, and carries the source line it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mochic.frontend.types import StructInfo, Type

IR_TYPES = ("i64", "f64", "bool", "ref")


@dataclass(eq=False)
class Reg:
    id: int
    ty: str
    mty: Type
    hint: str = ""

    def __str__(self) -> str:
        return f"%{self.id}" if not self.hint else f"%{self.id}.{self.hint}"


@dataclass(eq=False)
class Instr:
    """``dst = op args... [imm...]``.  ``imm`` holds compile-time operands: constants,
    function, global and struct names, field indexes, Mochi types."""

    op: str
    dst: Reg | None
    args: list[Reg]
    imm: tuple[Any, ...] = ()
    line: int = 0


@dataclass(eq=False)
class Jump:
    target: str
    line: int = 0


@dataclass(eq=False)
class Branch:
    cond: Reg
    then: str
    else_: str
    line: int = 0


@dataclass(eq=False)
class Ret:
    value: Reg | None
    line: int = 0


@dataclass(eq=False)
class Unreachable:
    line: int = 0


Terminator = Jump | Branch | Ret | Unreachable


@dataclass(eq=False)
class Block:
    label: str
    instrs: list[Instr] = field(default_factory=list)
    term: Terminator | None = None


@dataclass(eq=False)
class Function:
    """``params`` are the first registers.  A function with ``env`` set is the body of
    a closure: its first parameter is the closure object, read with ``closure.get``."""

    name: str
    params: list[Reg]
    ret: str | None
    ret_mty: Type
    blocks: list[Block] = field(default_factory=list)
    regs: list[Reg] = field(default_factory=list)
    env: bool = False
    line: int = 0

    @property
    def result(self) -> str | None:
        """The IR type a call of the function returns.  A closure body without a
        result returns none: a call through a function value of a type that
        promises a value (a `fun()` called for its `none`) then reads a defined
        null."""
        return self.ret if self.ret is not None or not self.env else "ref"

    def new_reg(self, ty: str, mty: Type, hint: str = "") -> Reg:
        r = Reg(len(self.regs), ty, mty, hint)
        self.regs.append(r)
        return r


@dataclass(eq=False)
class Global:
    name: str
    ty: str
    mty: Type


@dataclass(eq=False)
class Module:
    """``main`` runs the program's top-level statements; ``tests`` lists the
    functions made from `test` blocks, in order, with their names."""

    file: str
    functions: dict[str, Function] = field(default_factory=dict)
    globals: dict[str, Global] = field(default_factory=dict)
    structs: dict[str, StructInfo] = field(default_factory=dict)
    main: str = "main"
    tests: list[tuple[str, str]] = field(default_factory=list)

    def reachable(self) -> list[Function]:
        """The functions `main` can reach by calls or closures, in module order."""
        seen = {self.main}
        work = [self.main]
        while work:
            fn = self.functions[work.pop()]
            for b in fn.blocks:
                for ins in b.instrs:
                    if ins.op in ("call", "closure.new") and ins.imm[0] not in seen:
                        seen.add(ins.imm[0])
                        work.append(ins.imm[0])
        return [fn for name, fn in self.functions.items() if name in seen]
