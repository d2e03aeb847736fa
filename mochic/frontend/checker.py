"""The type checker: resolves names, computes each expression's Mochi type and
reports type errors.

It annotates the AST in place (``Expr.ty``, ``Name.ref``, ``Call.target``,
``VarDecl.sym`` ...) and returns a ``Checked`` summary the lowering walks.
Checking is bidirectional where it helps: an expected type flows into list,
map and lambda literals so `var xs: list<int> = []` types the empty list.
Where the static type cannot be known the checker says ``any`` and the
program stays valid, checked dynamically at run time, as the reference
implementation does.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from mochic.diagnostics import Diagnostics
from mochic.frontend import ast as A
from mochic.frontend.builtins import (
    ARITY,
    GO_STRINGS,
    MATH_CONSTS,
    MATH_FUNS,
    SIGNATURES,
    builtin_result,
    elem_type,
)
from mochic.frontend.infer import Inference, has_unknown, join_results, rebind
from mochic.frontend.numeric import WIDENS, arith_type, is_numeric
from mochic.frontend.symbols import FunCtx, Symbol
from mochic.frontend.types import (
    ANY,
    BIGINT,
    BIGRAT,
    BOOL,
    FLOAT,
    INT,
    NONE,
    STRING,
    UNKNOWN,
    VOID,
    FunT,
    GroupT,
    ListT,
    MapT,
    OptionT,
    StructInfo,
    StructT,
    SumInfo,
    SumT,
    Type,
    ir_type,
)

PRIMS = {"int": INT, "float": FLOAT, "bool": BOOL, "string": STRING, "any": ANY,
         "void": VOID, "unit": VOID,
         "bigint": BIGINT, "bigrat": BIGRAT}


# Types whose values a condition may test by their truthiness (cond).
_TRUTHY = (OptionT, ListT, MapT, StructT, SumT, GroupT)


@dataclass
class FieldRef:
    """A bare field name inside a method: ``receiver.field``."""

    receiver: Symbol
    struct: StructInfo
    name: str


@dataclass
class Checked:
    program: A.Program
    structs: dict[str, StructInfo]
    sums: dict[str, SumInfo]
    functions: list[FunCtx]  # every function, lambda, method and test, in order
    main: FunCtx
    tests: list[tuple[str, FunCtx]]
    globals: list[Symbol]
    math_alias: set[str] = field(default_factory=set)


class _Scope:
    def __init__(self, parent: _Scope | None, fn: FunCtx, loop: bool = False) -> None:
        self.parent = parent
        self.fn = fn
        self.names: dict[str, Symbol] = {}
        self.shadowed: dict[str, list[Symbol]] = {}  # earlier declarations of a name
        self.loop = loop or (parent is not None and parent.fn is fn and parent.loop)


def join(a: Type, b: Type) -> Type:
    """The least type holding both ``a`` and ``b`` (``any`` when nothing closer fits)."""
    if a == b or b == UNKNOWN:
        return a
    if a == UNKNOWN:
        return b
    if is_numeric(a) and is_numeric(b):
        return arith_type("+", a, b) or ANY
    if a == NONE:
        return b if ir_type(b) == "ref" else OptionT(b)
    if b == NONE:
        return a if ir_type(a) == "ref" else OptionT(a)
    if isinstance(a, OptionT) and a.inner == b or isinstance(b, OptionT) and b.inner == a:
        return a if isinstance(a, OptionT) else b
    pa = _sum_of(a)
    if pa is not None and pa == _sum_of(b):
        return pa
    if isinstance(a, ListT) and isinstance(b, ListT):
        return ListT(join(a.elem, b.elem))
    if isinstance(a, MapT) and isinstance(b, MapT):
        return MapT(join(a.key, b.key), join(a.value, b.value))
    return ANY


def _sum_of(t: Type) -> Type | None:
    if isinstance(t, SumT):
        return t
    if isinstance(t, StructT) and t.info.parent is not None:
        return SumT(t.info.parent.name, t.info.parent)
    return None


def assignable(src: Type, dst: Type) -> bool:
    """Can a value of type ``src`` be stored where ``dst`` is expected (with the
    lowering's implicit conversions: int to float, boxing, checked unboxing)?"""
    if src == dst or ANY in (src, dst) or UNKNOWN in (src, dst):
        return True
    if (src, dst) in WIDENS:
        return True
    if src == NONE:
        return dst != VOID
    if isinstance(dst, OptionT):
        return assignable(src, dst.inner)
    if isinstance(src, OptionT):
        return assignable(src.inner, dst)
    if _sum_of(src) is not None and _sum_of(src) == _sum_of(dst):
        return True
    if isinstance(src, ListT) and isinstance(dst, ListT):
        return assignable(src.elem, dst.elem)
    if isinstance(src, MapT) and isinstance(dst, MapT):
        return assignable(src.key, dst.key) and assignable(src.value, dst.value)
    if isinstance(src, FunT) and isinstance(dst, FunT):
        return len(src.params) == len(dst.params)
    if isinstance(src, GroupT) and isinstance(dst, ListT):
        return assignable(src.elem, dst.elem)
    return False


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the candidate closest to the misspelt ``name``, if one is close."""
    pool = sorted({c for c in candidates if c != name and c != "_" and "$" not in c})
    close = difflib.get_close_matches(name, pool, n=1)
    return f"did you mean '{close[0]}'?" if close else None


def _operand_on_next_line(e: A.Binary) -> str | None:
    """A hint for an operator that ends a line and took its operand from the next."""
    if e.op_span is not None and e.right.span.line > e.op_span.line:
        return (f"the '{e.op}' at the end of line {e.op_span.line} takes its right operand "
                f"from line {e.right.span.line}; is an operand missing?")
    return None


def _castable(src: Type, to: Type) -> bool:
    """Can `e as T` convert a ``src`` value to ``to`` (the lowering's conversions)?"""
    if assignable(src, to) or assignable(to, src):
        return True
    if to == STRING and (src == BOOL or is_numeric(src)):
        return True
    if src == STRING and is_numeric(to):
        return True
    if is_numeric(src) and is_numeric(to):
        return True
    return (src, to) == (FLOAT, INT) or isinstance(src, MapT) and isinstance(to, StructT)


def _count(n: int, noun: str) -> str:
    """`1 argument`, `2 arguments`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _has_value_return(body: list[A.Stmt]) -> bool:
    for s in body:
        if isinstance(s, A.Return) and s.value is not None:
            return True
        if isinstance(s, A.If):
            if _has_value_return(s.then) or (s.else_ and _has_value_return(s.else_)):
                return True
        elif isinstance(s, A.While | A.ForRange | A.ForEach) and _has_value_return(s.body):
            return True
    return False


def can_complete(body: list[A.Stmt]) -> bool:
    """Can running ``body`` reach its end (Go's rule for terminating statements)?"""
    return all(_completes(s) for s in body)


def _completes(s: A.Stmt) -> bool:
    if isinstance(s, A.Return):
        return False
    if isinstance(s, A.ExprStmt):
        e = s.expr
        return not (isinstance(e, A.Call) and isinstance(e.func, A.Name) and
                    e.func.id == "panic" and isinstance(e.target, tuple) and
                    e.target[:2] == ("builtin", "panic"))
    if isinstance(s, A.If):
        return s.else_ is None or can_complete(s.then) or can_complete(s.else_)
    if isinstance(s, A.While):
        forever = isinstance(s.cond, A.BoolLit) and s.cond.value
        return not forever or _breaks(s.body)
    return True


def _breaks(body: list[A.Stmt]) -> bool:
    """Does a `break` in ``body`` leave the loop whose body it is?"""
    for s in body:
        if isinstance(s, A.Break):
            return True
        if isinstance(s, A.If) and (_breaks(s.then) or (s.else_ is not None and
                                                       _breaks(s.else_))):
            return True
    return False


_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in")


def _mentions_any(t: Type) -> bool:
    if t == ANY:
        return True
    if isinstance(t, ListT):
        return _mentions_any(t.elem)
    if isinstance(t, MapT):
        return _mentions_any(t.key) or _mentions_any(t.value)
    return False


class Checker:
    def __init__(self, program: A.Program, diags: Diagnostics,
                 infer: Inference | None = None) -> None:
        self.prog = program
        self.d = diags
        self.infer = infer if infer is not None else Inference()
        self.callee: A.Expr | None = None  # the function name of the call being checked
        self.declarations = 0
        self.structs: dict[str, StructInfo] = {}
        self.sums: dict[str, SumInfo] = {}
        self.aliases: dict[str, Type] = {}
        self.functions: list[FunCtx] = []
        self.tests: list[tuple[str, FunCtx]] = []
        self.globals: list[Symbol] = []
        self.math_alias: set[str] = set()
        self.go_strings: set[str] = set()  # aliases of `import go "strings"`
        self.main = FunCtx("main", [], VOID, node=program)
        self.functions.append(self.main)
        self.top = _Scope(None, self.main)
        self.pending: list[tuple[FunCtx, A.FunDecl, _Scope]] = []
        self.names_used: set[str] = {"main"}
        self.record_count = 0
        self.declaring: list[str] = []  # variables whose initializer is being checked

    # ------------------------------------------------------------ helpers

    def unique(self, base: str) -> str:
        name, n = base, 1
        while name in self.names_used:
            n += 1
            name = f"{base}${n}"
        self.names_used.add(name)
        return name

    def err(self, span: A.Span, msg: str, hint: str | None = None) -> None:
        self.d.error(span, msg, hint)

    def lookup(self, scope: _Scope, name: str) -> Symbol | None:
        s: _Scope | None = scope
        while s is not None:
            if name in s.names:
                sym = self._visible(scope.fn, s, s.names[name])
                self._note_capture(scope.fn, sym)
                return sym
            s = s.parent
        return None

    @staticmethod
    def _nested_in(fn: FunCtx, outer: FunCtx) -> FunCtx | None:
        """The function directly inside ``outer`` that contains ``fn``, if any."""
        f: FunCtx | None = fn
        while f is not None and f.parent is not outer:
            f = f.parent
        return f

    def _visible(self, fn: FunCtx, s: _Scope, sym: Symbol) -> Symbol:
        """A nested function's body is checked after its enclosing block: of the
        declarations of a name there, it sees the last one before it."""
        if s.fn is fn or sym.kind != "var":
            return sym
        f = self._nested_in(fn, s.fn)
        if f is None or f.declared_at is None or sym.order <= f.declared_at:
            return sym
        earlier = [x for x in s.shadowed.get(sym.name, []) if x.order <= f.declared_at]
        return earlier[-1] if earlier else sym

    def _note_capture(self, fn: FunCtx, sym: Symbol) -> None:
        """Record that ``fn`` reads ``sym``; if it belongs to an enclosing function,
        every function between them carries it as a capture."""
        if sym.is_global or sym.owner is None or sym.owner is fn or sym.kind == "fun":
            return
        f: FunCtx | None = fn
        while f is not None and f is not sym.owner:
            f.capture(sym)
            sym.captured = True
            f = f.parent

    def declare(self, scope: _Scope, sym: Symbol, span: A.Span) -> Symbol:
        if sym.name in scope.names and sym.name != "_":
            prev = scope.names[sym.name]
            if prev.kind in ("fun", "nested") or sym.kind in ("fun", "nested"):
                self.err(span, f"'{sym.name}' is already declared in this scope")
            scope.shadowed.setdefault(sym.name, []).append(prev)
        scope.names[sym.name] = sym
        self.declarations += 1
        sym.order = self.declarations
        return sym

    def new_var(self, scope: _Scope, name: str, ty: Type, mutable: bool,
                span: A.Span, kind: str = "var") -> Symbol:
        is_global = scope.parent is None and scope.fn is self.main
        sym = Symbol(name, ty, kind, mutable=mutable, is_global=is_global,
                     owner=None if is_global else scope.fn)
        if is_global:
            self.globals.append(sym)
        return self.declare(scope, sym, span)

    # ------------------------------------------------------------ types

    def resolve(self, t: A.TypeExpr | None) -> Type:
        if t is None:
            return ANY
        if isinstance(t, A.TypeName):
            if t.name in PRIMS:
                return PRIMS[t.name]
            if t.name in self.structs:
                return StructT(t.name, self.structs[t.name])
            if t.name in self.sums:
                return SumT(t.name, self.sums[t.name])
            if t.name in self.aliases:
                return self.aliases[t.name]
            if t.name in ("list", "map"):
                return ListT(ANY) if t.name == "list" else MapT(ANY, ANY)
            self.err(t.span, f"unknown type '{t.name}'",
                     did_you_mean(t.name, self.type_names()))
            return ANY
        if isinstance(t, A.TypeGeneric):
            args = [self.resolve(a) for a in t.args]
            if t.name == "list" and len(args) == 1:
                return ListT(args[0])
            if t.name == "map" and len(args) == 2:
                return MapT(args[0], args[1])
            self.err(t.span, f"unknown generic type '{t.name}' with {len(args)} argument(s)",
                     "use list<T> or map<K, V>")
            return ANY
        if isinstance(t, A.TypeList):
            return ListT(self.resolve(t.elem))
        if isinstance(t, A.TypeFun):
            # `fun(int)` without a result type still yields whatever the function returns.
            ret = self.resolve(t.ret) if t.ret is not None else ANY
            return FunT(tuple(self.resolve(p) for p in t.params), ret)
        if isinstance(t, A.TypeOption):
            inner = self.resolve(t.inner)
            return inner if ir_type(inner) == "ref" else OptionT(inner)
        if isinstance(t, A.TypeRecord):
            self.record_count += 1
            name = self.unique(f"record{self.record_count}")
            info = StructInfo(name, {p.name: self.resolve(p.type) for p in t.fields})
            self.structs[name] = info
            return StructT(name, info)
        return ANY

    # ------------------------------------------------------------ program

    def check(self) -> Checked:
        body = self.prog.body
        for s in body:
            if isinstance(s, A.TypeDecl):
                self.declare_type(s)
        for s in body:
            if isinstance(s, A.TypeDecl):
                self.define_type(s)
        self.hoist_funs(body, self.top)
        for s in body:
            self.stmt(s, self.top)
        for fn, decl, scope in self.pending:  # grows as nested functions are found
            self.fun_body(fn, decl, scope)
        return Checked(self.prog, self.structs, self.sums, self.functions, self.main,
                       self.tests, self.globals, self.math_alias)

    def declare_type(self, s: A.TypeDecl) -> None:
        if s.name in PRIMS:
            self.err(s.span, f"'{s.name}' is a built-in type and cannot be declared again",
                     "choose another name for the type")
            return
        if s.name in self.structs or s.name in self.sums:
            self.err(s.span, f"type '{s.name}' is already declared")
            return
        if s.variants:
            sum_info = SumInfo(s.name)
            self.sums[s.name] = sum_info
            for v in s.variants:
                if v.name in self.structs:
                    self.err(v.span, f"variant '{v.name}' is already declared")
                    continue
                info = StructInfo(v.name, parent=sum_info)
                self.structs[v.name] = info
                sum_info.variants[v.name] = info
        elif s.alias is None:
            self.structs[s.name] = StructInfo(s.name)

    def define_type(self, s: A.TypeDecl) -> None:
        if s.alias is None and s.name not in (self.sums if s.variants else self.structs):
            return  # declare_type rejected the name
        if s.alias is not None:
            self.aliases[s.name] = self.resolve(s.alias)
            return
        if s.variants:
            for v in s.variants:
                info = self.structs.get(v.name)
                if info is not None and info.parent is self.sums[s.name]:
                    info.fields = {f.name: self.resolve(f.type) for f in v.fields}
            return
        info = self.structs[s.name]
        for f in s.fields:
            if f.name in info.fields:
                self.err(f.span, f"field '{f.name}' is declared twice")
            info.fields[f.name] = self.resolve(f.type)
        st = StructT(s.name, info)
        for m in s.methods:
            recv = Symbol("self", st, "param")
            fn = self.fun_ctx(m, f"{s.name}.{m.name}", None, self.top, receiver=recv)
            fn.struct = info
            recv.owner = fn
            info.methods[m.name] = fn
            self.pending.append((fn, m, self.top))

    def fun_ctx(self, decl: A.FunDecl | A.Lambda, name: str, parent: FunCtx | None,
                scope: _Scope, receiver: Symbol | None = None,
                expected: FunT | None = None) -> FunCtx:
        params: list[Symbol] = []
        if receiver is not None:
            params.append(receiver)
        for i, p in enumerate(decl.params):
            inferred = None
            if p.type is not None:
                pt = self.resolve(p.type)
            elif expected is not None and i < len(expected.params):
                pt = expected.params[i]
            elif isinstance(decl, A.FunDecl):
                pt = self.known(self.infer.param(decl, i))
                inferred = ("param", id(decl), i)
            else:
                pt = ANY
            params.append(Symbol(p.name, pt, "param", mutable=True, inferred=inferred))
        if decl.ret is not None:
            ret, infer = self.resolve(decl.ret), False
        elif isinstance(decl, A.Lambda) and not isinstance(decl.body, list):
            ret, infer = ANY, True
        elif expected is not None and expected.ret not in (ANY,):
            ret, infer = expected.ret, False
        else:
            infer = _has_value_return(decl.body if isinstance(decl.body, list) else [])
            ret = VOID if not infer else \
                self.known(self.infer.result(decl)) if isinstance(decl, A.FunDecl) else ANY
        fn = FunCtx(self.unique(name), params, ret, parent=parent, receiver=receiver,
                    node=decl, infer_ret=infer)
        for p in params:
            p.owner = fn
        self.functions.append(fn)
        return fn

    def fun_type(self, fn: FunCtx) -> FunT:
        ps = fn.params[1:] if fn.receiver is not None else fn.params
        return FunT(tuple(p.ty for p in ps), fn.ret)

    def known(self, t: Type) -> Type:
        """An inferred type from an earlier round, naming this round's declarations."""
        return rebind(t, self.structs, self.sums)

    def result_of(self, fn: FunCtx) -> Type:
        """``fn``'s result type, as a call uses it (noted while it is being inferred)."""
        if fn.infer_ret and isinstance(fn.node, A.FunDecl):
            self.infer.read(fn.node, fn.ret)
        return fn.ret

    def hoist_funs(self, body: list[A.Stmt], scope: _Scope) -> None:
        """Declare a block's functions before its statements run, for (mutual) recursion."""
        for s in body:
            if not isinstance(s, A.FunDecl):
                continue
            top = scope.fn is self.main and scope.parent is None
            parent = None if top else scope.fn
            fn = self.fun_ctx(s, s.name, parent, scope)
            sym = Symbol(s.name, self.fun_type(fn), "fun" if top else "nested", fun=fn,
                         is_global=False, owner=None if top else scope.fn)
            self.declare(scope, sym, s.span)
            s.sym = sym
            # Bodies are checked once every global is declared; a result type still
            # being inferred comes from the previous round (see frontend/infer.py).
            self.pending.append((fn, s, scope))

    def fun_body(self, fn: FunCtx, decl: A.FunDecl, outer: _Scope) -> None:
        if fn.checked:
            return
        fn.checked = True
        scope = _Scope(outer, fn)
        for p in fn.params:
            if p is not fn.receiver:
                self.declare(scope, p, decl.span)
        self.hoist_funs(decl.body, scope)
        for s in decl.body:
            self.stmt(s, scope)
        self.end_body(fn, decl, decl.body)

    def end_body(self, fn: FunCtx, decl: A.FunDecl | A.Lambda, body: list[A.Stmt]) -> None:
        """After a block body: its inferred result, or a missing `return` reported."""
        completes = can_complete(body)
        if fn.infer_ret:
            t = join_results(fn.returns + ([NONE] if completes else []))
            fn.ret = self.infer.finished(decl, t) if isinstance(decl, A.FunDecl) else t
            if fn.ret == UNKNOWN and not isinstance(decl, A.FunDecl):
                fn.ret = ANY
        elif completes and fn.ret != VOID and fn is not self.main:
            what = f"'{decl.name}'" if isinstance(decl, A.FunDecl) else "this function"
            self.err(decl.end or decl.span, f"missing return at the end of {what}",
                     f"{what} (line {decl.span.line}) is declared to return {fn.ret}, but "
                     f"the end of its body can be reached; end it with a `return`")

    # ------------------------------------------------------------ statements

    def block(self, body: list[A.Stmt], scope: _Scope, loop: bool = False) -> None:
        inner = _Scope(scope, scope.fn, loop)
        self.hoist_funs(body, inner)
        for s in body:
            self.stmt(s, inner)

    def stmt(self, s: A.Stmt, scope: _Scope) -> None:
        if isinstance(s, A.VarDecl):
            self.var_decl(s, scope)
        elif isinstance(s, A.Assign):
            self.assign(s, scope)
        elif isinstance(s, A.ExprStmt):
            self.expr(s.expr, scope)
        elif isinstance(s, A.If):
            self.cond(s.cond, scope)
            self.block(s.then, scope)
            if s.else_ is not None:
                self.block(s.else_, scope)
        elif isinstance(s, A.While):
            self.cond(s.cond, scope)
            self.block(s.body, scope, loop=True)
        elif isinstance(s, A.ForRange):
            self.expect_type(s.start, INT, scope, "range start")
            self.expect_type(s.end, INT, scope, "range end")
            inner = _Scope(scope, scope.fn, True)
            s.sym = self.new_var(inner, s.var, INT, False, s.span)
            self.block(s.body, inner, loop=True)
        elif isinstance(s, A.ForEach):
            t = self.expr(s.iterable, scope)
            et = elem_type(t)
            if et is None:
                self.err(s.iterable.span, f"cannot iterate over a value of type {t}")
                et = ANY
            inner = _Scope(scope, scope.fn, True)
            s.sym = self.new_var(inner, s.var, et, False, s.span)
            self.block(s.body, inner, loop=True)
        elif isinstance(s, A.Break | A.Continue):
            if not scope.loop:
                word = "break" if isinstance(s, A.Break) else "continue"
                self.err(s.span, f"'{word}' outside a loop")
        elif isinstance(s, A.Return):
            self.ret(s, scope)
        elif isinstance(s, A.FunDecl):
            if s.sym is not None and s.sym.fun is not None:
                # its body is checked later, from the pending list
                s.sym.fun.declared_at = self.declarations
        elif isinstance(s, A.TypeDecl):
            if scope.parent is not None:
                self.err(s.span, "types can only be declared at the top level")
        elif isinstance(s, A.TestBlock):
            self.test_block(s, scope)
        elif isinstance(s, A.Expect):
            self.cond(s.cond, scope)
        elif isinstance(s, A.Import):
            self.import_(s, scope)
        elif isinstance(s, A.ExternFun):
            self.extern_fun(s)
        elif isinstance(s, A.ExternLet):
            self.extern_let(s, scope)
        elif isinstance(s, A.Update):
            self.update(s, scope)

    def update(self, s: A.Update, scope: _Scope) -> None:
        """`update xs set {f: e} where c`: e and c see the fields of each struct of
        xs by bare name, as its values before the update."""
        t = self.expr(s.target, scope)
        inner = _Scope(scope, scope.fn, scope.loop)
        info = t.elem.info if isinstance(t, ListT) and isinstance(t.elem, StructT) else None
        if info is None:
            self.err(s.target.span, f"update needs a list of structs, not {t}")
        else:
            s.field_syms = [self.new_var(inner, name, ft, False, s.span)  # type: ignore[attr-defined]
                            for name, ft in info.fields.items()]
        if s.where is not None:
            self.cond(s.where, inner)
        for (name, v), span in zip(s.fields, s.field_spans, strict=True):
            ft = info.fields.get(name) if info is not None else ANY
            if ft is None:
                self.err(span, f"type {t.elem} has no field '{name}'",  # type: ignore[union-attr]
                         did_you_mean(name, info.fields))  # type: ignore[union-attr]
                ft = ANY
            vt = self.expr(v, inner, ft)
            if not assignable(vt, ft):
                self.err(v.span, f"field '{name}' must be {ft}, not {vt}")

    def data_options(self, e: A.Expr | None, scope: _Scope) -> None:
        """The `with { format: "csv", header: true, delimiter: ";" }` of load and save."""
        if e is not None:
            t = self.expr(e, scope, MapT(STRING, ANY))
            if not (isinstance(t, MapT) or t == ANY):
                self.err(e.span, f"the options of load and save are a map, not {t}",
                         'write `with { format: "json" }`')

    def load(self, e: A.Load, scope: _Scope) -> Type:
        t = self.resolve(e.type)
        ok = isinstance(t, StructT) and t.info.parent is None or t == ANY or \
            isinstance(t, MapT) and t.key in (STRING, ANY)
        if not ok:
            self.err(e.type.span, f"cannot load rows of type {t}",
                     "rows are structs (`load \"people.csv\" as Person`) or maps")
        self.data_options(e.opts, scope)
        return ListT(t)

    def save(self, e: A.Save, scope: _Scope) -> Type:
        t = self.expr(e.src, scope)
        et = elem_type(t) if isinstance(t, ListT | GroupT) else ANY if t == ANY else None
        if not (isinstance(et, StructT | MapT) or et == ANY):
            self.err(e.src.span, f"save needs a list of structs or maps, not {t}")
        self.data_options(e.opts, scope)
        return VOID

    def var_decl(self, s: A.VarDecl, scope: _Scope) -> None:
        declared = self.resolve(s.type) if s.type is not None else None
        if s.value is not None:
            self.declaring.append(s.name)
            try:
                t = self.expr(s.value, scope, declared)
            finally:
                self.declaring.pop()
            if declared is not None:
                if not assignable(t, declared):
                    self.err(s.value.span, f"cannot use a value of type {t} as {declared}")
                ty = declared
            else:
                ty = t
                if t == VOID:
                    self.err(s.value.span, "this expression has no value")
                    ty = ANY
                elif t == NONE:
                    ty = ANY
        else:
            if declared is None:
                self.err(s.span, f"'{s.name}' needs a type or an initial value",
                         f"write `var {s.name}: int = 0` or similar")
                declared = ANY
            ty = declared
        s.sym = self.new_var(scope, s.name, ty, s.mutable, s.span)

    def assign(self, s: A.Assign, scope: _Scope) -> None:
        tgt = s.target
        if isinstance(tgt, A.Name):
            t = self.expr(tgt, scope)
            ref = tgt.ref
            if isinstance(ref, Symbol) and not ref.mutable:
                what = "function" if ref.kind in ("fun", "nested") else "immutable variable"
                self.err(tgt.span, f"cannot assign to {what} '{tgt.id}'",
                         "declare it with `var` to make it mutable" if what != "function"
                         else None)
        elif isinstance(tgt, A.Index):
            ot = self.expr(tgt.obj, scope)
            if isinstance(ot, ListT):
                self.expect_type(tgt.index, INT, scope, "list index")
                t = ot.elem
            elif isinstance(ot, MapT):
                kt = self.expr(tgt.index, scope, ot.key)
                if not assignable(kt, ot.key):
                    self.err(tgt.index.span, f"map key must be {ot.key}, not {kt}")
                else:
                    self.check_key(tgt.index.span, kt)
                t = ot.value
            elif ot in (ANY, UNKNOWN):
                self.expr(tgt.index, scope)
                t = ot
            else:
                self.err(tgt.span, f"cannot assign to an element of a {ot}")
                t = ANY
            tgt.ty = t
        elif isinstance(tgt, A.Field):
            t = self.expr(tgt, scope)
        else:
            self.err(tgt.span, "cannot assign to this expression")
            return
        key = tgt.ref.inferred if isinstance(tgt, A.Name) and isinstance(tgt.ref, Symbol) \
            else None
        vt = self.expr(s.value, scope, t if key is None else None)
        if key is not None:
            self.infer.observe(key, vt, inside=True)
        if not assignable(vt, t):
            self.err(s.value.span, f"cannot assign a value of type {vt} to {t}")

    def ret(self, s: A.Return, scope: _Scope) -> None:
        fn = scope.fn
        if fn is self.main:
            self.err(s.span, "'return' outside a function")
            return
        if s.value is None:
            if fn.infer_ret:
                fn.returns.append(NONE)
            elif fn.ret not in (VOID, ANY):
                self.err(s.span, f"missing return value of type {fn.ret}")
            return
        want = None if fn.infer_ret else fn.ret
        t = self.expr(s.value, scope, want)
        if fn.infer_ret:
            fn.returns.append(t)
        elif fn.ret == VOID:
            self.err(s.value.span, "this function returns no value",
                     "declare its result type: `fun f(...): T`")
        elif not assignable(t, fn.ret):
            self.err(s.value.span, f"cannot return a value of type {t} from a function "
                     f"returning {fn.ret}")

    def test_block(self, s: A.TestBlock, scope: _Scope) -> None:
        fn = FunCtx(self.unique("test"), [], VOID, node=s)
        self.functions.append(fn)
        self.tests.append((s.name, fn))
        s.fn = fn  # type: ignore[attr-defined]
        inner = _Scope(scope, fn)
        self.hoist_funs(s.body, inner)
        for st in s.body:
            self.stmt(st, inner)

    def import_(self, s: A.Import, scope: _Scope) -> None:
        if s.lang == "python" and s.path == "math":
            self.math_alias.add(s.alias or "math")
            return
        if s.lang == "go" and s.path == "strings":
            self.go_strings.add(s.alias or "strings")
            return
        what = f'import {s.lang + " " if s.lang else ""}"{s.path}"'
        self.err(s.span, f"not supported: {what}",
                 'only `import python "math"` and `import go "strings"` are supported')
        # Declare the module's name so that its uses do not add "undefined name" errors.
        self.new_var(scope, s.alias or s.path.rsplit("/", 1)[-1], ANY, False, s.span)

    def extern_fun(self, s: A.ExternFun) -> None:
        if len(s.path) == 2 and s.path[0] in self.math_alias and s.path[1] in MATH_FUNS:
            return
        self.err(s.span, f"not supported: extern fun {'.'.join(s.path)}",
                 "only functions of the python \"math\" module are available")

    def extern_let(self, s: A.ExternLet, scope: _Scope) -> None:
        if len(s.path) == 2 and s.path[0] in self.math_alias and s.path[1] in MATH_CONSTS:
            return
        self.err(s.span, f"not supported: extern let {'.'.join(s.path)}",
                 "only constants of the python \"math\" module are available")

    # ------------------------------------------------------------ expressions

    def cond(self, e: A.Expr, scope: _Scope) -> None:
        """A condition is a bool, or a value the reference tests by its truthiness: a
        dynamic value, an option, a container or a struct (none and empty are false)."""
        t = self.expr(e, scope, BOOL)
        if not (t in (BOOL, ANY, NONE) or isinstance(t, _TRUTHY)):
            self.err(e.span, f"condition must be bool, not {t}")

    def expect_type(self, e: A.Expr, want: Type, scope: _Scope, what: str) -> None:
        t = self.expr(e, scope, want)
        if not assignable(t, want) or (want == INT and t == FLOAT):
            self.err(e.span, f"{what} must be {want}, not {t}")

    def expr(self, e: A.Expr, scope: _Scope, expected: Type | None = None) -> Type:
        t = self._expr(e, scope, expected)
        e.ty = t
        return t

    def _expr(self, e: A.Expr, scope: _Scope, expected: Type | None) -> Type:
        if isinstance(e, A.IntLit):
            return FLOAT if expected == FLOAT else INT
        if isinstance(e, A.FloatLit):
            return FLOAT
        if isinstance(e, A.StrLit):
            return STRING
        if isinstance(e, A.BoolLit):
            return BOOL
        if isinstance(e, A.NoneLit):
            return NONE
        if isinstance(e, A.Name):
            return self.name(e, scope)
        if isinstance(e, A.Unary):
            return self.unary(e, scope)
        if isinstance(e, A.Binary):
            return self.binary(e, scope)
        if isinstance(e, A.Call):
            return self.call(e, scope, expected)
        if isinstance(e, A.Index):
            return self.index(e, scope)
        if isinstance(e, A.Slice):
            t = self.expr(e.obj, scope)
            for b in (e.start, e.end):
                if b is not None:
                    self.expect_type(b, INT, scope, "slice bound")
            if isinstance(t, ListT) or t in (STRING, ANY, UNKNOWN):
                return t
            self.err(e.obj.span, f"cannot slice a value of type {t}")
            return ANY
        if isinstance(e, A.Field):
            return self.field(e, scope)
        if isinstance(e, A.Cast):
            to = self.resolve(e.to)
            src = self.expr(e.expr, scope, to)
            if not _castable(src, to):
                self.err(e.span, f"cannot cast a value of type {src} to {to}")
            return to
        if isinstance(e, A.ListLit):
            return self.list_lit(e, scope, expected)
        if isinstance(e, A.MapLit):
            return self.map_lit(e, scope, expected)
        if isinstance(e, A.StructLit):
            return self.struct_lit(e, scope)
        if isinstance(e, A.Lambda):
            return self.lambda_(e, scope, expected)
        if isinstance(e, A.IfExpr):
            self.cond(e.cond, scope)
            a = self.expr(e.then, scope, expected)
            b = self.expr(e.else_, scope, expected)
            return join(a, b)
        if isinstance(e, A.Match):
            return self.match(e, scope, expected)
        if isinstance(e, A.Query):
            return self.query(e, scope)
        if isinstance(e, A.Load):
            return self.load(e, scope)
        if isinstance(e, A.Save):
            return self.save(e, scope)
        self.err(e.span, "unsupported expression")
        return ANY

    def name(self, e: A.Name, scope: _Scope) -> Type:
        sym = self.lookup(scope, e.id)
        if sym is not None:
            e.ref = sym
            self.check_capture_order(scope.fn, sym, e.span)
            fn = sym.fun
            if fn is not None:
                if e is not self.callee:
                    self.infer.escape(fn.node)  # its callers cannot all be seen
                sym.ty = FunT(self.fun_type(fn).params, self.result_of(fn))
            return sym.ty
        fr = self._field_ref(scope, e.id)
        if fr is not None:
            e.ref = fr
            return fr.struct.fields[e.id]
        info = self.structs.get(e.id)
        if info is not None and info.parent is not None and not info.fields:
            e.ref = info
            return StructT(info.name, info)
        if e.id in ARITY or e.id in self.math_alias:
            self.err(e.span, f"'{e.id}' is a built-in function and cannot be used as a value")
        elif e.id in self.declaring:
            self.err(e.span, f"undefined name '{e.id}'",
                     f"'{e.id}' cannot be used in the value that declares it")
        else:
            self.err(e.span, f"undefined name '{e.id}'",
                     did_you_mean(e.id, self.names_in_scope(scope)))
        e.ref = None
        return ANY

    def check_capture_order(self, fn: FunCtx, sym: Symbol, span: A.Span) -> None:
        """A nested function captures its enclosing function's variables when its
        declaration runs, so it cannot use one declared after it."""
        if sym.kind != "var" or sym.owner is None or sym.is_global or sym.owner is fn:
            return
        f = self._nested_in(fn, sym.owner)
        if f is not None and f.declared_at is not None and sym.order > f.declared_at:
            name = f.node.name if isinstance(f.node, A.FunDecl) else "function"
            self.err(span, f"'{sym.name}' is declared after the function '{name}' that "
                           f"uses it", f"declare '{sym.name}' before '{name}'")

    def names_in_scope(self, scope: _Scope) -> list[str]:
        """Every name an expression in ``scope`` could mean, for spelling hints."""
        names: list[str] = [*ARITY, *self.math_alias]
        s: _Scope | None = scope
        while s is not None:
            names.extend(s.names)
            s = s.parent
        fn: FunCtx | None = scope.fn
        while fn is not None:
            if fn.struct is not None and fn.receiver is not None:
                names.extend(fn.struct.fields)
                break
            fn = fn.parent
        names.extend(n for n, info in self.structs.items()
                     if info.parent is not None and not info.fields)
        return names

    def type_names(self) -> list[str]:
        """Every type name, for spelling hints."""
        return [*PRIMS, "list", "map", *self.sums, *self.aliases,
                *(n for n, info in self.structs.items() if info.parent is None)]

    def _method_ref(self, scope: _Scope, name: str) -> tuple[Symbol, FunCtx] | None:
        """The receiver and the method ``name`` of the type whose method encloses
        ``scope``, if it has one."""
        fn: FunCtx | None = scope.fn
        while fn is not None:
            if fn.struct is not None and fn.receiver is not None:
                m = fn.struct.methods.get(name)
                if m is None:
                    return None
                self._note_capture(scope.fn, fn.receiver)
                return fn.receiver, m  # type: ignore[return-value]
            fn = fn.parent
        return None

    def _field_ref(self, scope: _Scope, name: str) -> FieldRef | None:
        fn: FunCtx | None = scope.fn
        while fn is not None:
            if fn.struct is not None and fn.receiver is not None:
                if name in fn.struct.fields:
                    self._note_capture(scope.fn, fn.receiver)
                    return FieldRef(fn.receiver, fn.struct, name)
                return None
            fn = fn.parent
        return None

    def unary(self, e: A.Unary, scope: _Scope) -> Type:
        t = self.expr(e.operand, scope)
        if e.op == "-":
            if is_numeric(t) or t in (ANY, UNKNOWN):
                return t
            self.err(e.span, f"cannot negate a value of type {t}")
            return ANY
        if not (t in (BOOL, ANY, NONE, UNKNOWN) or isinstance(t, _TRUTHY)):
            self.err(e.span, f"'!' needs a bool, not {t}")
        return BOOL

    def binary(self, e: A.Binary, scope: _Scope) -> Type:
        """A chain `a + b + c ...` nests down its left side as deep as it is long:
        that side is walked in a loop, and each operation typed from the inside out."""
        spine = [e]
        while isinstance(spine[-1].left, A.Binary):
            spine.append(spine[-1].left)
        t = self.expr(spine[-1].left, scope)
        for node in reversed(spine):
            t = node.ty = self.binary_after(node, t, scope)
        return t

    def binary_after(self, e: A.Binary, lt: Type, scope: _Scope) -> Type:
        """The type of ``e`` once its left operand is known to be a ``lt``."""
        op = e.op
        if op in ("&&", "||"):
            if not assignable(lt, BOOL):
                self.err(e.left.span, f"condition must be bool, not {lt}")
            self.cond(e.right, scope)
            return BOOL
        rt = self.expr(e.right, scope, lt if isinstance(lt, ListT | MapT) else None)
        if op == "in":
            if isinstance(rt, ListT):
                ok = assignable(lt, rt.elem)
            elif isinstance(rt, MapT):
                ok = assignable(lt, rt.key)
            elif rt == STRING:
                ok = lt in (STRING, ANY)
            else:
                ok = rt in (ANY, UNKNOWN)
            if not ok:
                self.err(e.span, f"cannot test whether a {lt} is in a {rt}")
            return BOOL
        if UNKNOWN in (lt, rt) and op not in _COMPARISONS:
            return UNKNOWN
        if op in ("union", "union_all", "except", "intersect"):
            if isinstance(lt, ListT) and isinstance(rt, ListT):
                return ListT(join(lt.elem, rt.elem))
            if ANY in (lt, rt):
                return ListT(ANY)
            self.err(e.span, f"'{op.replace('_', ' ')}' needs two lists, not {lt} and {rt}")
            return ANY
        if op in ("==", "!="):
            if not (assignable(lt, rt) or assignable(rt, lt) or
                    is_numeric(lt) and is_numeric(rt)):
                self.err(e.span, f"cannot compare {lt} with {rt}")
            return BOOL
        if op in ("<", "<=", ">", ">="):
            ok = UNKNOWN in (lt, rt) or \
                ((is_numeric(lt) or lt == ANY) and (is_numeric(rt) or rt == ANY)) or \
                (lt in (STRING, ANY) and rt in (STRING, ANY))
            if not ok:
                self.err(e.span, f"cannot compare {lt} with {rt} using '{op}'")
            return BOOL
        # arithmetic
        if ANY in (lt, rt) or isinstance(lt, OptionT) or isinstance(rt, OptionT):
            return ANY
        if is_numeric(lt) and is_numeric(rt):
            t = arith_type(op, lt, rt)
            if t is not None:
                return t
        elif op == "+" and lt == rt == STRING:
            return STRING
        if op == "+" and isinstance(lt, ListT) and isinstance(rt, ListT):
            return ListT(join(lt.elem, rt.elem))
        self.err(e.span, f"cannot apply '{op}' to {lt} and {rt}", _operand_on_next_line(e))
        return ANY

    def index(self, e: A.Index, scope: _Scope) -> Type:
        t = self.expr(e.obj, scope)
        if t == UNKNOWN:
            self.expr(e.index, scope)
            return UNKNOWN
        if isinstance(t, ListT):
            self.expect_type(e.index, INT, scope, "list index")
            return t.elem
        if t == STRING:
            self.expect_type(e.index, INT, scope, "string index")
            return STRING
        if isinstance(t, MapT):
            kt = self.expr(e.index, scope, t.key)
            if not assignable(kt, t.key):
                self.err(e.index.span, f"map key must be {t.key}, not {kt}")
            else:
                self.check_key(e.index.span, kt)
            return t.value
        if isinstance(t, StructT) and isinstance(e.index, A.StrLit) and \
                e.index.value in t.info.fields:
            # `p["x"]` on a struct reads field x, as the reference's struct-as-map does.
            e.index.ty = STRING
            e.field = e.index.value  # type: ignore[attr-defined]
            return t.info.fields[e.index.value]
        self.expr(e.index, scope)
        if t == ANY or isinstance(t, OptionT):
            return ANY
        self.err(e.obj.span, f"cannot index a value of type {t}")
        return ANY

    def field(self, e: A.Field, scope: _Scope) -> Type:
        if isinstance(e.obj, A.Name) and e.obj.id in self.math_alias and \
                self.lookup(scope, e.obj.id) is None:
            if e.name in MATH_CONSTS:
                return FLOAT
            if e.name in MATH_FUNS:  # `let f = math.sqrt`: the function as a value
                return FunT((FLOAT,) * MATH_FUNS[e.name], FLOAT)
            self.err(e.name_span or e.span, f"unknown math constant or function '{e.name}'",
                     did_you_mean(e.name, [*MATH_CONSTS, *MATH_FUNS]))
            return ANY
        return self.field_of(e, self.expr(e.obj, scope))

    def field_of(self, e: A.Field, t: Type) -> Type:
        """The type of field ``e.name`` of a value of type ``t``."""
        if isinstance(t, StructT):
            if e.name in t.info.fields:
                return t.info.fields[e.name]
            what = "field or method" if t.info.methods else "field"
            self.err(e.name_span or e.span, f"type {t} has no {what} '{e.name}'",
                     did_you_mean(e.name, [*t.info.fields, *t.info.methods]))
            return ANY
        if isinstance(t, MapT) and t.key in (STRING, ANY):
            return t.value
        if isinstance(t, GroupT):
            if e.name == "key":
                return t.key
            if e.name == "items":
                return ListT(t.elem)
            self.err(e.span, f"a group has only 'key' and 'items', not '{e.name}'")
            return ANY
        if isinstance(t, SumT):
            types = [v.fields[e.name] for v in t.info.variants.values() if e.name in v.fields]
            if types:
                return types[0] if all(x == types[0] for x in types) else ANY
            self.err(e.span, f"no variant of {t} has a field '{e.name}'")
            return ANY
        if t == ANY or isinstance(t, OptionT):
            return ANY
        if t == UNKNOWN:
            return UNKNOWN
        self.err(e.name_span or e.span, f"a value of type {t} has no field '{e.name}'")
        return ANY

    def list_lit(self, e: A.ListLit, scope: _Scope, expected: Type | None) -> Type:
        want = expected.elem if isinstance(expected, ListT) else None
        et: Type | None = None
        for x in e.elems:
            t = self.expr(x, scope, want)
            et = t if et is None else join(et, t)
        if want is not None:
            for x in e.elems:
                if not assignable(x.ty, want):
                    self.err(x.span, f"list element must be {want}, not {x.ty}")
            return ListT(want)
        if et is None or et == NONE:
            return ListT(ANY)
        return ListT(et)

    def map_lit(self, e: A.MapLit, scope: _Scope, expected: Type | None) -> Type:
        if isinstance(expected, StructT) and all(en.bare or isinstance(en.key, A.StrLit)
                                                 for en in e.entries):
            # An anonymous record where a struct is expected is that struct.
            for en in e.entries:
                name = en.key.value if isinstance(en.key, A.StrLit) else ""
                ft = expected.info.fields.get(name)
                if ft is None:
                    self.err(en.key.span, f"type {expected} has no field '{name}'")
                    ft = ANY
                self.expr(en.key, scope)
                self.expr(en.value, scope, ft)
            e.as_struct = expected.info  # type: ignore[attr-defined]
            return expected
        kw = expected.key if isinstance(expected, MapT) else None
        vw = expected.value if isinstance(expected, MapT) else None
        kt: Type | None = None
        vt: Type | None = None
        for en in e.entries:
            k = self.expr(en.key, scope, kw)
            v = self.expr(en.value, scope, vw)
            if kw is not None and not assignable(k, kw):
                self.err(en.key.span, f"map key must be {kw}, not {k}")
            else:
                self.check_key(en.key.span, k)
            if vw is not None and not assignable(v, vw):
                self.err(en.value.span, f"map value must be {vw}, not {v}")
            kt = k if kt is None else join(kt, k)
            vt = v if vt is None else join(vt, v)
        if kw is not None and vw is not None:
            return MapT(kw, vw)
        if kt is None or vt is None:
            return MapT(ANY, ANY)
        return MapT(kt if kt != NONE else ANY, vt if vt != NONE else ANY)

    def check_key(self, span: A.Span, t: Type) -> None:
        """Lists and maps change in place, so they cannot be map keys."""
        if isinstance(t, ListT | MapT | GroupT):
            what = "map" if isinstance(t, MapT) else "list"
            self.err(span, f"a {what} cannot be a map key", "use a string, int, float or bool key")

    def struct_lit(self, e: A.StructLit, scope: _Scope) -> Type:
        info = self.structs.get(e.name)
        if info is None:
            self.err(A.Span(e.span.line, e.span.col, len(e.name)),
                     f"unknown struct type '{e.name}'",
                     did_you_mean(e.name, self.structs))
            for _, v in e.fields:
                self.expr(v, scope)
            return ANY
        seen = set()
        for i, (fname, v) in enumerate(e.fields):
            name_span = e.field_spans[i] if i < len(e.field_spans) else v.span
            ft = info.fields.get(fname)
            if ft is None:
                self.err(name_span, f"type {e.name} has no field '{fname}'",
                         did_you_mean(fname, info.fields))
                ft = ANY
            if fname in seen:
                self.err(name_span, f"field '{fname}' is given twice")
            seen.add(fname)
            vt = self.expr(v, scope, ft)
            if not assignable(vt, ft):
                self.err(v.span, f"field '{fname}' must be {ft}, not {vt}")
        return StructT(info.name, info)

    def lambda_(self, e: A.Lambda, scope: _Scope, expected: Type | None) -> Type:
        exp = expected if isinstance(expected, FunT) else None
        fn = self.fun_ctx(e, "lambda", scope.fn, scope, expected=exp)
        e.fn = fn  # type: ignore[attr-defined]
        inner = _Scope(scope, fn)
        for p in fn.params:
            self.declare(inner, p, e.span)
        if isinstance(e.body, list):
            self.hoist_funs(e.body, inner)
            for s in e.body:
                self.stmt(s, inner)
            self.end_body(fn, e, e.body)
        else:
            t = self.expr(e.body, inner, None if fn.infer_ret else fn.ret)
            if fn.infer_ret:
                fn.ret = t if t != NONE else ANY
            elif not assignable(t, fn.ret):
                self.err(e.body.span, f"cannot return a value of type {t} from a function "
                         f"returning {fn.ret}")
        return self.fun_type(fn)

    # ------------------------------------------------------------ calls

    def call(self, e: A.Call, scope: _Scope, expected: Type | None) -> Type:
        f = e.func
        if isinstance(f, A.Name):
            sym = self.lookup(scope, f.id)
            if sym is None and self._field_ref(scope, f.id) is None:
                info = self.structs.get(f.id)
                if info is not None:
                    return self.construct(e, info, scope)
                method = self._method_ref(scope, f.id)
                if method is not None:
                    # another method of the receiver's type, called by bare name
                    e.target = ("self_method", *method)
                    m = method[1]
                    return self.args(e, FunT(self.fun_type(m).params, self.result_of(m)),
                                     scope, m)
                if f.id in ARITY:
                    return self.builtin(e, f.id, e.args, scope, expected)
        if isinstance(f, A.Field):
            if isinstance(f.obj, A.Name) and f.obj.id in self.math_alias and \
                    self.lookup(scope, f.obj.id) is None:
                return self.math_call(e, f.name, scope)
            if isinstance(f.obj, A.Name) and f.obj.id in self.go_strings and \
                    self.lookup(scope, f.obj.id) is None:
                name = GO_STRINGS.get(f.name)
                if name is None:
                    self.err(f.name_span or f.span, f"not supported: strings.{f.name}",
                             "the strings functions available are "
                             + ", ".join(sorted(GO_STRINGS)))
                    for a in e.args:
                        self.expr(a, scope)
                    return ANY
                return self.builtin(e, name, e.args, scope, expected)
            ot = self.expr(f.obj, scope)
            if isinstance(ot, StructT) and f.name in ot.info.methods:
                m: FunCtx = ot.info.methods[f.name]  # type: ignore[assignment]
                e.target = ("method", m)
                return self.args(e, FunT(self.fun_type(m).params, self.result_of(m)), scope, m)
            if isinstance(ot, StructT | MapT | GroupT) and not self._is_method_builtin(ot, f.name):
                pass  # a field holding a function: an ordinary closure call below
            elif f.name in METHOD_BUILTINS or ot in (ANY, UNKNOWN):
                name = METHOD_BUILTINS.get(f.name, f.name)
                if name in ARITY:
                    return self.builtin(e, name, [f.obj, *e.args], scope, expected, typed=True)
        if isinstance(f, A.Field):
            ft = f.ty = self.field_of(f, f.obj.ty)
        else:
            self.callee = f
            ft = self.expr(f, scope)
        if isinstance(ft, FunT):
            e.target = ("closure",)
            direct = f.ref.fun if isinstance(f, A.Name) and isinstance(f.ref, Symbol) else None
            if direct is not None and f.ref.kind == "fun":
                e.target = ("fun", direct)
            return self.args(e, ft, scope, direct)
        if ft in (ANY, UNKNOWN):
            e.target = ("closure",)
            for a in e.args:
                self.expr(a, scope)
            return ft
        self.err(f.span, f"a value of type {ft} cannot be called")
        for a in e.args:
            self.expr(a, scope)
        return ANY

    @staticmethod
    def _is_method_builtin(t: Type, name: str) -> bool:
        return isinstance(t, MapT) and name in ("keys", "values", "contains", "len", "get")

    def args(self, e: A.Call, ft: FunT, scope: _Scope, callee: FunCtx | None = None) -> Type:
        """Check a call's arguments against ``ft``; the call's type.  Fewer arguments
        than parameters is partial application: a function of the rest.  For a
        direct call of ``callee``, each argument reaching an unannotated parameter
        is noted for inference."""
        params = callee.params[1:] if callee is not None and callee.receiver is not None \
            else callee.params if callee is not None else []
        if len(e.args) < len(ft.params):
            e.partial = len(e.args)  # type: ignore[attr-defined]
            if callee is not None:
                self.infer.escape(callee.node)  # the closure's callers give the rest
        elif len(e.args) > len(ft.params):
            f = e.func
            who = f"'{f.id}'" if isinstance(f, A.Name) else \
                f"'{f.name}'" if isinstance(f, A.Field) else "the function"
            self.err(e.span, f"{who} takes {_count(len(ft.params), 'argument')}, "
                     f"got {len(e.args)}")
        for i, a in enumerate(e.args):
            want = ft.params[i] if i < len(ft.params) else None
            key = params[i].inferred if i < len(params) else None
            t = self.expr(a, scope, want if key is None else None)
            if key is not None:
                self.infer.observe(key, t, self._nested_in(scope.fn, callee.parent) is callee)
            if want is not None and not assignable(t, want):
                self.err(a.span, f"argument {i + 1} must be {want}, not {t}")
        if len(e.args) < len(ft.params):
            return FunT(ft.params[len(e.args):], ft.ret)
        return ft.ret

    def construct(self, e: A.Call, info: StructInfo, scope: _Scope) -> Type:
        """`Node(l, v, r)`: a variant (or struct) built from positional fields."""
        e.target = ("construct", info)
        fts = list(info.fields.values())
        if len(e.args) != len(fts):
            self.err(e.span, f"{info.name} has {_count(len(fts), 'field')}, got {len(e.args)}")
        for i, a in enumerate(e.args):
            want = fts[i] if i < len(fts) else None
            t = self.expr(a, scope, want)
            if want is not None and not assignable(t, want):
                self.err(a.span, f"field {i + 1} of {info.name} must be {want}, not {t}")
        return StructT(info.name, info)

    def math_call(self, e: A.Call, name: str, scope: _Scope) -> Type:
        arity = MATH_FUNS.get(name)
        e.target = ("math", name)
        if arity is None:
            self.err(getattr(e.func, "name_span", None) or e.func.span,
                     f"unknown math function '{name}'", did_you_mean(name, MATH_FUNS))
            arity = len(e.args)
        if len(e.args) != arity:
            self.err(e.span, f"math.{name} takes {_count(arity, 'argument')}, got {len(e.args)}")
        for a in e.args:
            self.expect_type(a, FLOAT, scope, f"argument of math.{name}")
        return FLOAT

    def builtin(self, e: A.Call, name: str, args: list[A.Expr], scope: _Scope,
                expected: Type | None, typed: bool = False) -> Type:
        lo, hi = ARITY[name]
        if not lo <= len(args) <= hi:
            # A method call `s.contains(x)` passes the receiver as the first argument.
            skip = 1 if typed else 0
            lo, hi, got = lo - skip, hi - skip, len(args) - skip
            want = _count(lo, "argument") if lo == hi else f"{lo} to {hi} arguments"
            shown = e.func.name if typed and isinstance(e.func, A.Field) else name
            self.err(e.span, f"'{shown}' takes {want}, got {got}")
            for a in args:
                if a.ty is None:
                    self.expr(a, scope)
            e.target = ("builtin", name, args)
            return ANY
        types: list[Type] = []
        for i, a in enumerate(args):
            if typed and i == 0 and a.ty is not None:
                types.append(a.ty)
                continue
            hint = None
            if name in ("append", "push") and i == 1 and isinstance(types[0], ListT):
                hint = types[0].elem
            elif i == 0 and isinstance(expected, ListT) and name in ("append", "concat"):
                hint = expected
            types.append(self.expr(a, scope, hint))
        e.target = ("builtin", name, args)
        if any(has_unknown(t) for t in types):
            # known already when it does not depend on what is not known yet
            res = builtin_result(name, [ANY if has_unknown(t) else t for t in types])
            return res if res is not None and not _mentions_any(res) else UNKNOWN
        res = builtin_result(name, types)
        if res is None:
            shown = ", ".join(str(t) for t in types)
            self.err(e.span, f"'{name}' cannot be applied to ({shown})", SIGNATURES.get(name))
            return ANY
        if name in ("append", "push") and isinstance(types[0], ListT):
            if not assignable(types[1], types[0].elem):
                self.err(args[1].span, f"cannot append a {types[1]} to a {types[0]}")
        return res

    # ------------------------------------------------------------ match

    def match(self, e: A.Match, scope: _Scope, expected: Type | None) -> Type:
        st = self.expr(e.subject, scope)
        result: Type | None = None
        for c in e.cases:
            inner = _Scope(scope, scope.fn, scope.loop)
            self.pattern(c.pattern, st, inner)
            t = self.expr(c.result, inner, expected)
            result = t if result is None else join(result, t)
        if isinstance(st, SumT):
            self.check_exhaustive(e, st.info)
        return result if result is not None else VOID

    def check_exhaustive(self, e: A.Match, info: SumInfo) -> None:
        """A match on a sum type covers every variant, or has a `_` case."""
        covered: set[str] = set()
        for c in e.cases:
            p = c.pattern
            if isinstance(p, A.Name) and p.ref == "wild":
                return
            if isinstance(p, A.Name) and isinstance(p.ref, StructInfo):
                covered.add(p.ref.name)
            elif isinstance(p, A.Call) and p.target and p.target[0] == "pattern":
                covered.add(p.target[1].name)
        missing = [v for v in info.variants if v not in covered]
        if missing:
            self.err(A.Span(e.span.line, e.span.col, len("match")),
                     f"this match does not cover every {info.name}: "
                     f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing",
                     "add a case for each missing variant, or `_ => ...` for the rest")

    def pattern(self, p: A.Expr, st: Type, scope: _Scope) -> None:
        """Type a pattern against subject type ``st``, declaring its bindings."""
        if isinstance(p, A.Name) and p.id == "_":
            p.ty = st
            p.ref = "wild"
            return
        if isinstance(p, A.Name):
            info = self.structs.get(p.id)
            if info is not None and info.parent is not None and self.lookup(scope, p.id) is None:
                p.ty = StructT(info.name, info)
                p.ref = info
                self._check_variant_subject(p, st)
                return
        if isinstance(p, A.Call) and isinstance(p.func, A.Name) and p.func.id in self.structs:
            info = self.structs[p.func.id]
            p.target = ("pattern", info)
            p.ty = StructT(info.name, info)
            self._check_variant_subject(p, st)
            fts = list(info.fields.items())
            if len(p.args) != len(fts):
                self.err(p.span, f"{info.name} has {_count(len(fts), 'field')}, "
                         f"the pattern binds {len(p.args)}")
            for i, a in enumerate(p.args):
                ft = fts[i][1] if i < len(fts) else ANY
                if isinstance(a, A.Name):
                    a.ty = ft
                    if a.id != "_":
                        a.ref = self.new_var(scope, a.id, ft, False, a.span)
                    else:
                        a.ref = "wild"
                else:
                    self.err(a.span, "a variant pattern binds names, like `Node(l, v, r)`")
            return
        t = self.expr(p, scope, st)
        if not (assignable(t, st) or assignable(st, t)):
            self.err(p.span, f"cannot match a {st} against a {t}")

    def _check_variant_subject(self, p: A.Expr, st: Type) -> None:
        if not assignable(p.ty, st):
            self.err(p.span, f"cannot match a value of type {st} against the pattern {p.ty}")

    # ------------------------------------------------------------ queries

    def query(self, q: A.Query, scope: _Scope) -> Type:
        inner = _Scope(scope, scope.fn, scope.loop)
        row_vars: list[Symbol] = []
        for f in q.froms:
            t = self.expr(f.src, inner)
            et = elem_type(t)
            if et is None or t == STRING:
                self.err(f.src.span, f"cannot query a value of type {t}")
                et = ANY
            sym = self.new_var(inner, f.var, et, False, f.span)
            f.sym = sym  # type: ignore[attr-defined]
            row_vars.append(sym)
        for j in q.joins:
            t = self.expr(j.src, inner)
            et = elem_type(t)
            if et is None:
                self.err(j.src.span, f"cannot join a value of type {t}")
                et = ANY
            if j.kind != "inner" and ir_type(et) != "ref":
                et = OptionT(et)
            sym = self.new_var(inner, j.var, et, False, j.span)
            j.sym = sym  # type: ignore[attr-defined]
            row_vars.append(sym)
            self.cond(j.on, inner)
        if q.joins:
            for j in q.joins:
                if j.kind in ("right", "outer"):
                    # rows without a left partner leave the earlier variables none
                    for s in row_vars:
                        if s is not j.sym and ir_type(s.ty) != "ref":  # type: ignore[attr-defined]
                            s.ty = OptionT(s.ty)
        if q.where is not None:
            self.cond(q.where, inner)
        if q.group is not None:
            keys = [self.expr(k, inner) for k in q.group.keys]
            kt = keys[0] if len(keys) == 1 else MapT(STRING, ANY)
            et = row_vars[0].ty if len(row_vars) == 1 else MapT(STRING, ANY)
            q.group.row_vars = row_vars  # type: ignore[attr-defined]
            gscope = _Scope(scope, scope.fn, scope.loop)
            gsym = self.new_var(gscope, q.group.name, GroupT(kt, et), False, q.group.span)
            q.group.sym = gsym  # type: ignore[attr-defined]
            inner = gscope
            if q.group.having is not None:
                self.cond(q.group.having, inner)
        if q.sort is not None:
            self.expr(q.sort, inner)
        for b in (q.skip, q.take):
            if b is not None:
                self.expect_type(b, INT, inner, "skip/take count")
        sel = q.select
        if q.group is None and isinstance(sel, A.Call) and isinstance(sel.func, A.Name) and \
                sel.func.id in ("sum", "avg", "min", "max", "count") and len(sel.args) == 1 and \
                not isinstance(sel.args[0], A.Query) and self.lookup(inner, sel.func.id) is None:
            # `select sum(x)` without `group by` aggregates the selected values, as in
            # the reference: the query is the sum of x over its rows
            items = ListT(self.expr(sel.args[0], inner))
            q.aggregate = (sel.func.id, items)  # type: ignore[attr-defined]
            q.select = sel.args[0]
            res = builtin_result(sel.func.id, [items])
            if res is None:
                self.err(sel.span, f"'{sel.func.id}' cannot be applied to ({items})",
                         SIGNATURES.get(sel.func.id))
                return ANY
            return res
        return ListT(self.expr(q.select, inner))


# Method-call spellings of built-ins: `s.contains(x)` is `contains(s, x)`.
METHOD_BUILTINS = {
    "contains": "contains", "len": "len", "lower": "lower", "upper": "upper",
    "trim": "trim", "split": "split", "join": "join", "indexOf": "indexOf",
    "index_of": "indexOf", "substring": "substring", "substr": "substring",
    "starts_with": "starts_with", "startsWith": "starts_with", "hasPrefix": "starts_with",
    "ends_with": "ends_with", "endsWith": "ends_with", "hasSuffix": "ends_with",
    "keys": "keys", "values": "values", "reverse": "reverse", "padStart": "padStart",
    "repeat": "repeat", "push": "push", "append": "append", "get": "get",
}


def check(program: A.Program, diags: Diagnostics) -> Checked:
    """Check ``program`` in rounds until the inferred types are a fixed point (see
    frontend/infer.py); the last round's annotations and diagnostics are kept."""
    infer = Inference()
    while True:
        if infer.rounds:
            A.clear_annotations(program)
        infer.start_round()
        found = Diagnostics(diags.file, diags.source, limit=sys.maxsize)
        checked = Checker(program, found, infer).check()
        if infer.settle():
            break
    for d in found.items:
        diags.error(d.span, d.message, d.hint)
    return checked
