"""The Mochi abstract syntax tree.

The parser produces these nodes; the checker annotates expressions with
their Mochi type (``Expr.ty``) and resolved meaning; the lowering walks the
annotated tree to build IR.  Every node carries a ``Span`` so any later stage
can point a diagnostic at the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from mochic.diagnostics import Span

# ---------------------------------------------------------------- type syntax


@dataclass
class TypeExpr:
    span: Span


@dataclass
class TypeName(TypeExpr):
    """`int`, `Person`, `any`, ..."""

    name: str


@dataclass
class TypeGeneric(TypeExpr):
    """`list<int>`, `map<string, int>`."""

    name: str
    args: list[TypeExpr]


@dataclass
class TypeList(TypeExpr):
    """`[int]`, the short form of `list<int>`."""

    elem: TypeExpr


@dataclass
class TypeFun(TypeExpr):
    """`fun(int, string): bool`; ``ret`` is None for no result."""

    params: list[TypeExpr]
    ret: TypeExpr | None


@dataclass
class TypeOption(TypeExpr):
    """`T?`."""

    inner: TypeExpr


@dataclass
class TypeRecord(TypeExpr):
    """An inline struct type `{name: string, age: int}`."""

    fields: list[Param]


# ---------------------------------------------------------------- expressions


@dataclass
class Expr:
    span: Span
    # Filled in by the checker: the expression's Mochi type.
    ty: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass
class IntLit(Expr):
    value: int


@dataclass
class FloatLit(Expr):
    value: float


@dataclass
class StrLit(Expr):
    value: str


@dataclass
class BoolLit(Expr):
    value: bool


@dataclass
class NoneLit(Expr):
    """`none` (or its older spelling `null`)."""


@dataclass
class Name(Expr):
    id: str
    # Filled in by the checker: what the name refers to (a local, global, function ...).
    ref: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass
class Unary(Expr):
    op: str  # "-" or "!"
    operand: Expr


@dataclass
class Binary(Expr):
    """A binary operator.  ``op`` is one of
    `+ - * / % == != < <= > >= && || in union union_all except intersect`."""

    op: str
    left: Expr
    right: Expr
    op_span: Span | None = None


@dataclass
class Call(Expr):
    """`f(args)`; ``func`` is any expression (a Name for plain calls, a Field for
    method calls and `math.sqrt(x)`)."""

    func: Expr
    args: list[Expr]
    # Filled in by the checker: how the call is resolved (builtin, function, method ...).
    target: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass
class Index(Expr):
    obj: Expr
    index: Expr


@dataclass
class Slice(Expr):
    """`obj[start:end]`; either bound may be None."""

    obj: Expr
    start: Expr | None
    end: Expr | None


@dataclass
class Field(Expr):
    obj: Expr
    name: str
    name_span: Span | None = None


@dataclass
class Cast(Expr):
    expr: Expr
    to: TypeExpr


@dataclass
class ListLit(Expr):
    elems: list[Expr]


@dataclass
class MapEntry:
    key: Expr
    value: Expr
    # True when the key was written as a bare identifier (`{name: 1}`); the parser
    # has already turned it into a StrLit of the identifier.
    bare: bool = False


@dataclass
class MapLit(Expr):
    entries: list[MapEntry]


@dataclass
class StructLit(Expr):
    """`Name { field: value, ... }` (a struct or a struct-like sum-type variant)."""

    name: str
    fields: list[tuple[str, Expr]]
    # The span of each field's name, in the order of ``fields``.
    field_spans: list[Span] = field(default_factory=list)


@dataclass
class Param:
    name: str
    type: TypeExpr | None
    span: Span


@dataclass
class Lambda(Expr):
    """`fun (x: int): int => e` (``body`` an Expr) or `fun (x: int) { ... }`
    (``body`` a list of statements)."""

    params: list[Param]
    ret: TypeExpr | None
    body: Expr | list[Stmt]
    end: Span | None = None  # the closing brace of a block body


@dataclass
class IfExpr(Expr):
    """`if c then a else b` (also `if c { a } else { b }` in expression position)."""

    cond: Expr
    then: Expr
    else_: Expr


@dataclass
class MatchCase:
    """``pattern => result``.  A pattern is an expression: a literal, `_`, `none`,
    a variant name, or a variant call whose arguments are names to bind (or `_`)."""

    pattern: Expr
    result: Expr
    span: Span


@dataclass
class Match(Expr):
    subject: Expr
    cases: list[MatchCase]


@dataclass
class QueryFrom:
    var: str
    src: Expr
    span: Span


@dataclass
class QueryJoin:
    kind: str  # "inner", "left", "right" or "outer"
    var: str
    src: Expr
    on: Expr
    span: Span


@dataclass
class QueryGroup:
    keys: list[Expr]  # one key, or several (grouped as a tuple-like record)
    name: str  # the group variable after `into`
    having: Expr | None
    span: Span


@dataclass
class Query(Expr):
    """`from x in xs [from y in ys]... [joins] [where c] [group by k into g]
    [sort by k] [skip n] [take n] select [distinct] e`."""

    froms: list[QueryFrom]
    joins: list[QueryJoin]
    where: Expr | None
    group: QueryGroup | None
    sort: Expr | None
    skip: Expr | None
    take: Expr | None
    select: Expr
    distinct: bool = False


@dataclass
class Load(Expr):
    """`load "path" as T with opts`: the rows of a data file as a list of T
    (``path`` None or "-": standard input)."""

    path: str | None
    type: TypeExpr
    opts: Expr | None


@dataclass
class Save(Expr):
    """`save xs to "path" with opts` (``path`` None or "-": standard output)."""

    src: Expr
    path: str | None
    opts: Expr | None


# ---------------------------------------------------------------- statements


@dataclass
class Stmt:
    span: Span


@dataclass
class VarDecl(Stmt):
    """`let x: T = e` (``mutable`` False) or `var x: T = e`; type and value each optional."""

    name: str
    type: TypeExpr | None
    value: Expr | None
    mutable: bool
    # Filled in by the checker: the declared variable's symbol.
    sym: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass
class Assign(Stmt):
    """``target = value`` where target is a Name, Index or Field expression
    (nested forms like `a[i][j]` and `m[k].f` included)."""

    target: Expr
    value: Expr


@dataclass
class FunDecl(Stmt):
    name: str
    params: list[Param]
    ret: TypeExpr | None
    body: list[Stmt]
    end: Span | None = None  # the closing brace of the body
    sym: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass
class Return(Stmt):
    value: Expr | None


@dataclass
class If(Stmt):
    """``else_`` is None, or a list of statements (an `else if` is a one-element list
    holding the nested If)."""

    cond: Expr
    then: list[Stmt]
    else_: list[Stmt] | None


@dataclass
class While(Stmt):
    cond: Expr
    body: list[Stmt]


@dataclass
class ForRange(Stmt):
    """`for i in a..b { }` (half-open)."""

    var: str
    start: Expr
    end: Expr
    body: list[Stmt]
    sym: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass
class ForEach(Stmt):
    """`for x in list|map|string { }`."""

    var: str
    iterable: Expr
    body: list[Stmt]
    sym: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass
class Break(Stmt):
    pass


@dataclass
class Continue(Stmt):
    pass


@dataclass
class Update(Stmt):
    """`update xs set { field: e, ... } where cond`: changes the matching structs of
    list ``xs`` in place; ``e`` and ``cond`` see the struct's fields by bare name."""

    target: Name
    fields: list[tuple[str, Expr]]
    field_spans: list[Span]
    where: Expr | None


@dataclass
class ExprStmt(Stmt):
    expr: Expr


@dataclass
class FieldDecl:
    name: str
    type: TypeExpr
    span: Span


@dataclass
class Variant:
    """One alternative of a sum type: `Leaf`, `Node(left: Tree, value: int)` or
    `Circle { r: float }`."""

    name: str
    fields: list[FieldDecl]
    span: Span


@dataclass
class TypeDecl(Stmt):
    """`type Name { fields and methods }` (``variants`` empty) or
    `type Name = A(...) | B | ...` (``variants`` non-empty, ``fields`` empty).
    `type Name = OtherType` is an alias: ``alias`` set, the rest empty."""

    name: str
    fields: list[FieldDecl]
    methods: list[FunDecl]
    variants: list[Variant]
    alias: TypeExpr | None = None


@dataclass
class TestBlock(Stmt):
    name: str
    body: list[Stmt]


@dataclass
class Expect(Stmt):
    cond: Expr


@dataclass
class Import(Stmt):
    """`import python "math" as math`; ``lang`` is None when not given."""

    lang: str | None
    path: str
    alias: str | None


@dataclass
class ExternFun(Stmt):
    """`extern fun math.sqrt(x: float): float`; ``path`` is ["math", "sqrt"]."""

    path: list[str]
    params: list[Param]
    ret: TypeExpr | None


@dataclass
class ExternLet(Stmt):
    """`extern let math.pi: float`."""

    path: list[str]
    type: TypeExpr


@dataclass
class Program:
    file: str
    source: str
    body: list[Stmt]


def clear_annotations(node: object) -> None:
    """Remove everything the checker wrote into the tree under ``node``, so that it
    can be checked again from scratch: the fields the constructor does not take go
    back to None, and attributes set on the nodes go away."""
    layouts: dict[type, tuple[frozenset[str], frozenset[str]]] = {}
    work = [node]
    while work:
        n = work.pop()
        if isinstance(n, list | tuple):
            work.extend(n)
            continue
        cls = type(n)
        layout = layouts.get(cls)
        if layout is None:
            mine = is_dataclass(n) and cls.__module__ == __name__ and cls is not Span
            fs = fields(n) if mine else ()  # type: ignore[arg-type]
            layout = layouts[cls] = (frozenset(f.name for f in fs if f.init),
                                     frozenset(f.name for f in fs if not f.init))
        given, annotations = layout
        if not given:
            continue
        for name in list(vars(n)):
            if name in given:
                work.append(getattr(n, name))
            elif name in annotations:
                setattr(n, name, None)
            else:
                delattr(n, name)
