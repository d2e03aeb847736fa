"""What names refer to, as the checker resolves them and the lowering uses them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mochic.frontend.types import StructInfo, Type


@dataclass(eq=False)
class Symbol:
    """A variable, parameter or function name.

    ``owner`` is the function that declares it (None for a global).  A symbol
    read from a nested function or lambda is ``captured``; a captured symbol
    that can change after capture lives in a cell so every closure sees the
    same value (capture by reference).
    """

    name: str
    ty: Type
    kind: str  # "var", "param", "fun" (top-level function), "nested" (nested fun), "const"
    mutable: bool = False
    is_global: bool = False
    owner: FunCtx | None = None
    captured: bool = False
    fun: FunCtx | None = None
    value: Any = None  # for "const": the constant (extern let math.pi)
    inferred: tuple | None = None  # an unannotated parameter: its key in infer.Inference
    order: int = 0  # when it was declared, counting every declaration

    @property
    def in_cell(self) -> bool:
        return self.captured and (self.mutable or self.kind == "nested")


@dataclass(eq=False)
class FunCtx:
    """A function being checked: a top-level or nested `fun`, a method, a lambda,
    or a test block.  ``captures`` lists, in order, the outer symbols its body
    (or a function nested in it) reads; they become the closure's slots."""

    name: str  # unique IR function name
    params: list[Symbol]
    ret: Type
    parent: FunCtx | None = None
    captures: list[Symbol] = field(default_factory=list)
    struct: StructInfo | None = None  # set for methods: the receiver's struct
    receiver: Symbol | None = None
    node: Any = None
    infer_ret: bool = False  # no declared result type: inferred from returns
    returns: list[Type] = field(default_factory=list)
    checked: bool = False  # its body has been checked
    declared_at: int | None = None  # a nested `fun`: the declarations before it

    def capture(self, sym: Symbol) -> None:
        if sym not in self.captures:
            self.captures.append(sym)

    @property
    def is_closure(self) -> bool:
        return self.parent is not None
