"""Mochi's static types, as the checker computes them.

Types are immutable values compared structurally, except named types (structs
and sum types), which are compared by name: a program declares each name once.
``ir_type`` maps a Mochi type to the machine-near IR type that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Type:
    """Base of every Mochi type; each subclass prints as Mochi source writes it."""


@dataclass(frozen=True)
class Prim(Type):
    """int, float, bool, string, bigint, bigrat, any, void (no value) and the type
    of `none`."""

    name: str

    def __str__(self) -> str:
        return self.name


INT = Prim("int")
FLOAT = Prim("float")
BOOL = Prim("bool")
STRING = Prim("string")
ANY = Prim("any")
VOID = Prim("void")
NONE = Prim("none")
# A type not inferred yet: only while the checker iterates to a fixed point
# (frontend/infer.py); every rule lets it through, and no later stage sees it.
UNKNOWN = Prim("unknown")
BIGINT = Prim("bigint")
BIGRAT = Prim("bigrat")


@dataclass(frozen=True)
class ListT(Type):
    elem: Type

    def __str__(self) -> str:
        return f"list<{self.elem}>"


@dataclass(frozen=True)
class MapT(Type):
    key: Type
    value: Type

    def __str__(self) -> str:
        return f"map<{self.key}, {self.value}>"


@dataclass(frozen=True)
class FunT(Type):
    params: tuple[Type, ...]
    ret: Type

    def __str__(self) -> str:
        ps = ", ".join(str(p) for p in self.params)
        return f"fun({ps})" + ("" if self.ret == VOID else f": {self.ret}")


@dataclass(frozen=True)
class OptionT(Type):
    inner: Type

    def __str__(self) -> str:
        return f"{self.inner}?"


@dataclass(frozen=True)
class GroupT(Type):
    """The group variable of `group by ... into g`: has `key` and iterates its items."""

    key: Type
    elem: Type

    def __str__(self) -> str:
        return f"group<{self.key}, {self.elem}>"


@dataclass(eq=False)
class StructInfo:
    """A declared struct, a sum-type variant (``parent`` set) or an anonymous record."""

    name: str
    fields: dict[str, Type] = field(default_factory=dict)
    methods: dict[str, object] = field(default_factory=dict)
    parent: SumInfo | None = None

    def index(self, name: str) -> int:
        return list(self.fields).index(name)


@dataclass(eq=False)
class SumInfo:
    name: str
    variants: dict[str, StructInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class StructT(Type):
    """A struct or variant type, by name; its layout lives in ``info``."""

    name: str
    info: StructInfo = field(compare=False, hash=False)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class SumT(Type):
    name: str
    info: SumInfo = field(compare=False, hash=False)

    def __str__(self) -> str:
        return self.name


def ir_type(t: Type) -> str:
    """The IR register type that holds a value of Mochi type ``t``."""
    if t == INT:
        return "i64"
    if t == FLOAT:
        return "f64"
    if t == BOOL:
        return "bool"
    return "ref"


def is_dynamic(t: Type) -> bool:
    """Values whose representation is a boxed, tagged `any`."""
    return t == ANY or isinstance(t, OptionT) or t == NONE
