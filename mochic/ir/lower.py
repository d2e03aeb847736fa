"""Lowering: the checked AST to the typed IR.

Each function, method, lambda and test block becomes one IR function; the
program's top-level statements become ``main``.  Top-level variables are IR
globals.  Nested functions and lambdas become closures: their first parameter
is the closure object, whose slots hold the captured values, and a captured
variable that may change lives in a cell shared by everyone who captured it.

Implicit conversions (int to float, boxing into `any`, checked unboxing out of
it) are made explicit here by ``coerce``, so every IR operation sees operands
of exactly the types its opcode names.  Dataset queries become nested loops
(see ``queries.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from mochic.frontend import ast as A
from mochic.frontend.checker import Checked, FieldRef
from mochic.frontend.numeric import BIG, compare_type, is_numeric
from mochic.frontend.symbols import FunCtx, Symbol
from mochic.frontend.types import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    NONE,
    STRING,
    VOID,
    FunT,
    GroupT,
    ListT,
    MapT,
    StructInfo,
    StructT,
    Type,
    ir_type,
    is_dynamic,
)
from mochic.ir import ir
from mochic.ir.builder import FunctionBuilder
from mochic.ir.ir import Reg
from mochic.ir.numeric import CONVERSIONS, PREFIX
from mochic.ir.ops import OPS

_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "rem"}
_CMP = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def zero_const(t: Type) -> object:
    """The zero value of a scalar type, as an IR constant (None for refs)."""
    return {INT: 0, FLOAT: 0.0, BOOL: False, STRING: ""}.get(t)


class Lowerer:
    def __init__(self, checked: Checked) -> None:
        self.c = checked
        self.m = ir.Module(checked.program.file, structs=dict(checked.structs))
        self.uses: dict[str, int] = {}  # how many globals are named after each name
        for sym in checked.globals:
            name = self.global_name(sym)
            self.m.globals[name] = ir.Global(name, ir_type(sym.ty), sym.ty)
        self.wrappers: dict[str, str] = {}
        self.adapters: dict[tuple[FunT, FunT], str] = {}

    def global_name(self, sym: Symbol) -> str:
        if not hasattr(sym, "ir_name"):
            # `x`, then `x$2`, `x$3` for the globals that shadow it (no Mochi name has a $)
            n = self.uses[sym.name] = self.uses.get(sym.name, 0) + 1
            sym.ir_name = sym.name if n == 1 else f"{sym.name}${n}"  # type: ignore[attr-defined]
        return sym.ir_name  # type: ignore[attr-defined]

    def run(self) -> ir.Module:
        for fn in self.c.functions:
            FunctionLowerer(self, fn).lower()
        self.m.tests = [(name, fn.name) for name, fn in self.c.tests]
        return self.m

    def closure_function(self, base: str, caps: list[Type], params: list[Type], ret: Type,
                         line: int, body: Callable[[FunctionBuilder, list[Reg]], Reg | None]
                         ) -> str:
        """A new closure body named after ``base``: it reads captures of types ``caps``
        and takes ``params``; ``body(builder, captures + params)`` emits what it
        returns."""
        name = f"{base}$closure{len(self.m.functions)}"
        irfn = ir.Function(name, [], ir_type(ret) if ret != VOID else None, ret, env=True,
                           line=line)
        b = FunctionBuilder(irfn)
        env = b.reg(ANY, "env")
        irfn.params.append(env)
        args = [b.reg(t, f"p{i}") for i, t in enumerate(params)]
        irfn.params.extend(args)
        got = [b.value(f"closure.get.{ir_type(t)}", [env], t, (i,)) for i, t in enumerate(caps)]
        b.ret(body(b, got + args))
        self.m.functions[name] = irfn
        return name

    def math_wrapper(self, name: str) -> str:
        """A closure-convention function computing math function ``name``, for using
        it as a value (`let f = math.sqrt`)."""
        from mochic.frontend.builtins import MATH_FUNS
        wrapper = f"math${name}$value"
        if wrapper in self.m.functions:
            return wrapper
        arity = MATH_FUNS[name]
        irfn = ir.Function(wrapper, [], "f64", FLOAT, env=True, line=1)
        b = FunctionBuilder(irfn)
        irfn.params.append(b.reg(ANY, "env"))
        args = [b.reg(FLOAT, f"x{i}") for i in range(arity)]
        irfn.params.extend(args)
        b.ret(b.value("math.f64" if arity == 1 else "math2.f64", args, FLOAT, (name,)))
        self.m.functions[wrapper] = irfn
        return wrapper

    def value_wrapper(self, fn: FunCtx) -> str:
        """A closure-convention wrapper of top-level function ``fn``, for using it
        as a value: ``wrapper(env, args...) = fn(args...)``."""
        if fn.name in self.wrappers:
            return self.wrappers[fn.name]
        name = f"{fn.name}$value"
        irfn = ir.Function(name, [], ir_type(fn.ret) if fn.ret != VOID else None, fn.ret,
                           env=True, line=fn.node.span.line)
        b = FunctionBuilder(irfn)
        irfn.params.append(b.reg(ANY, "env"))
        args = [b.reg(p.ty, p.name) for p in fn.params]
        irfn.params.extend(args)
        r = b.emit("call", args, (fn.name,), fn.ret if fn.ret != VOID else None)
        b.ret(r)
        self.m.functions[name] = irfn
        self.wrappers[fn.name] = name
        return name

    def adapter(self, src: FunT, dst: FunT, line: int) -> str:
        """A closure body that makes a closure of type ``src`` (its only capture) a
        ``dst``: ``adapter(env, args...)`` converts each argument to ``src``'s
        parameter type, calls the closure, and converts its result to ``dst``'s.
        Backends call a closure at the types of its static type, so a function
        value changing type needs one."""
        key = (src, dst)
        if key in self.adapters:
            return self.adapters[key]
        name = f"adapt${len(self.adapters) + 1}"
        self.adapters[key] = name
        irfn = ir.Function(name, [], ir_type(dst.ret) if dst.ret != VOID else None, dst.ret,
                           env=True, line=line)
        fl = FunctionLowerer.synthetic(self, irfn)
        b = fl.b
        env = b.reg(ANY, "env")
        irfn.params.append(env)
        params = [b.reg(t) for t in dst.params]
        irfn.params.extend(params)
        orig = b.value("closure.get.ref", [env], src, (0,))
        args = [fl.coerce(p, t, u) for p, t, u in zip(params, dst.params, src.params,
                                                      strict=True)]
        r = b.emit("call.closure", [orig, *args], (), src.ret if src.ret != VOID else None)
        if dst.ret == VOID:
            b.ret(None)
        else:
            b.ret(fl.coerce(r, src.ret, dst.ret) if r is not None else fl.zero(dst.ret))
        self.m.functions[name] = irfn
        return name


class FunctionLowerer:
    def __init__(self, owner: Lowerer, ctx: FunCtx) -> None:
        self.L = owner
        self.ctx = ctx
        node = ctx.node
        line = node.span.line if hasattr(node, "span") else 1
        self.fn = ir.Function(ctx.name, [], ir_type(ctx.ret) if ctx.ret != VOID else None,
                              ctx.ret, env=ctx.is_closure, line=line)
        self.b = FunctionBuilder(self.fn)
        self.vars: dict[Symbol, Reg] = {}

    @classmethod
    def synthetic(cls, owner: Lowerer, fn: ir.Function) -> FunctionLowerer:
        """A lowerer emitting into ``fn``, a function made by the compiler itself
        (it has no checked source: only the helpers, like ``coerce``, apply)."""
        self = cls.__new__(cls)
        self.L, self.fn = owner, fn
        self.b = FunctionBuilder(fn)
        self.vars = {}
        return self

    # ------------------------------------------------------------ entry

    def lower(self) -> None:
        ctx, b = self.ctx, self.b
        if ctx.is_closure:
            env = b.reg(ANY, "env")
            self.fn.params.append(env)
        for p in ctx.params:
            r = b.reg(p.ty, p.name)
            self.fn.params.append(r)
            self.vars[p] = r
        if ctx.is_closure:
            for i, sym in enumerate(ctx.captures):
                t = ANY if sym.in_cell else sym.ty
                self.vars[sym] = b.value(f"closure.get.{ir_type(t)}", [env], t, (i,))
        for p in ctx.params:
            if p.in_cell:
                self.vars[p] = b.value(f"cell.new.{ir_type(p.ty)}", [self.vars[p]], ANY)
        node = ctx.node
        if isinstance(node, A.Program):
            self.stmts([s for s in node.body if not isinstance(s, A.TestBlock)])
        elif isinstance(node, A.Lambda) and not isinstance(node.body, list):
            b.line = node.body.span.line
            b.ret(self.coerce(self.expr(node.body), node.body.ty, ctx.ret)
                  if ctx.ret != VOID else None)
        else:
            self.stmts(node.body)
        self.finish()
        self.L.m.functions[self.fn.name] = self.fn

    def finish(self) -> None:
        """Drop blocks nothing jumps to (the code after a `return` or `break`); every
        other block ends in a terminator, and falling off the end returns the zero value."""
        by_label = {blk.label: blk for blk in self.fn.blocks}
        seen: set[str] = set()
        work = [self.fn.blocks[0].label]
        while work:
            label = work.pop()
            if label in seen:
                continue
            seen.add(label)
            t = by_label[label].term
            if isinstance(t, ir.Jump):
                work.append(t.target)
            elif isinstance(t, ir.Branch):
                work.extend((t.then, t.else_))
        self.fn.blocks = [blk for blk in self.fn.blocks if blk.label in seen]
        self.drop_unused_values()
        for blk in self.fn.blocks:
            if blk.term is None:
                self.b.start(blk)
                self.b.ret(None if self.ctx.ret == VOID else self.zero(self.ctx.ret))

    def drop_unused_values(self) -> None:
        """Remove side-effect-free instructions whose result nobody reads (the `none`
        a statement-level call yields, constants of folded-away branches)."""
        while True:
            used = {id(a) for blk in self.fn.blocks for ins in blk.instrs for a in ins.args}
            for blk in self.fn.blocks:
                t = blk.term
                if isinstance(t, ir.Branch):
                    used.add(id(t.cond))
                elif isinstance(t, ir.Ret) and t.value is not None:
                    used.add(id(t.value))
            removed = False
            for blk in self.fn.blocks:
                keep = [ins for ins in blk.instrs
                        if not (ins.dst is not None and id(ins.dst) not in used and
                                OPS[ins.op].kind == "pure" and
                                not ins.op.startswith("global.set"))]
                removed |= len(keep) != len(blk.instrs)
                blk.instrs = keep
            if not removed:
                return

    # ------------------------------------------------------------ helpers

    def const(self, t: Type, value: object) -> Reg:
        if t == INT:
            return self.b.value("const.i64", [], INT, (value,))
        if t == FLOAT:
            return self.b.value("const.f64", [], FLOAT, (float(value),))  # type: ignore[arg-type]
        if t == BOOL:
            return self.b.value("const.bool", [], BOOL, (value,))
        if t == STRING:
            return self.b.value("const.str", [], STRING, (value,))
        return self.b.value("const.none", [], t)

    def zero(self, t: Type) -> Reg:
        if t in (INT, FLOAT, BOOL, STRING):
            return self.const(t, zero_const(t))
        if t in BIG:
            return self.coerce(self.const(INT, 0), INT, t)
        if isinstance(t, ListT):
            return self.b.value("list.new", [], t, (t.elem,))
        if isinstance(t, MapT):
            return self.b.value("map.new", [], t, (t.key, t.value))
        return self.const(t, None)

    def coerce(self, r: Reg, src: Type, dst: Type) -> Reg:
        """Convert register ``r`` holding a ``src`` value to type ``dst``."""
        if src == dst or dst in (VOID, NONE):
            return r
        b = self.b
        if isinstance(src, FunT) and (isinstance(dst, FunT) or is_dynamic(dst)):
            # a dynamic call passes and gets boxed values
            want = dst if isinstance(dst, FunT) else FunT((ANY,) * len(src.params), ANY)
            if want != src:
                r = b.value("closure.new", [r], want, (self.L.adapter(src, want, b.line),))
            return r if want == dst else b.value("box.ref", [r], dst, (want,))
        if is_dynamic(src) and isinstance(dst, FunT):
            dyn = FunT((ANY,) * len(dst.params), ANY)
            r = b.value("unbox.ref", [r], dyn, (dst,))
            return self.coerce(r, dyn, dst)
        if src == INT and dst == FLOAT:
            return b.value("i2f", [r], FLOAT)
        conv = CONVERSIONS.get((src, dst))
        if conv is not None:
            for op, t in conv:
                r = b.value(op, [r], t)
            return r
        if is_dynamic(dst):
            if is_dynamic(src) or src == NONE:
                return r if r.ty == "ref" else b.value(f"box.{r.ty}", [r], dst, (src,))
            return b.value(f"box.{r.ty}", [r], dst, (src,))
        if src == NONE:
            return self.zero(dst) if ir_type(dst) != "ref" else self.const(dst, None)
        if is_dynamic(src):
            return b.value(f"unbox.{ir_type(dst)}", [r], dst, (dst,))
        if isinstance(src, ListT | MapT) and isinstance(dst, ListT | MapT):
            return b.value("conv", [r], dst, (src, dst))
        if isinstance(src, GroupT) and isinstance(dst, ListT):
            items = b.value("group.items", [r], ListT(src.elem))
            return self.coerce(items, ListT(src.elem), dst)
        if r.ty == ir_type(dst):
            return r  # a variant as its sum type, a function as another function type
        return b.value(f"box.{r.ty}", [r], dst, (src,)) if ir_type(dst) == "ref" else \
            b.value(f"unbox.{ir_type(dst)}", [b.value(f"box.{r.ty}", [r], ANY, (src,))],
                    dst, (dst,))

    def value_of(self, e: A.Expr, want: Type) -> Reg:
        return self.coerce(self.expr(e), e.ty, want)

    def truth(self, e: A.Expr) -> Reg:
        """A condition: a bool as it is, another value by the reference's truthiness
        (none, 0, "" and empty containers are false)."""
        if e.ty == BOOL:
            return self.value_of(e, BOOL)
        return self.b.value("any.truthy", [self.box(e)], BOOL)

    def box(self, e: A.Expr) -> Reg:
        return self.value_of(e, ANY)

    def dead(self) -> None:
        """Statements after a jump go to a fresh block that nothing reaches."""
        self.b.start(self.b.new_block("dead"))

    # ------------------------------------------------------------ variables

    def read_sym(self, sym: Symbol) -> Reg:
        b = self.b
        if sym.kind == "fun":
            return b.value("closure.new", [], sym.ty, (self.L.value_wrapper(sym.fun),))
        if sym.kind == "const":
            return self.const(sym.ty, sym.value)
        if sym.is_global:
            return b.value(f"global.get.{ir_type(sym.ty)}", [], sym.ty,
                           (self.L.global_name(sym),))
        r = self.vars.get(sym)
        if r is None:
            # Declared later in the block (a hoisted nested function read early).
            r = self.vars[sym] = b.reg(ANY if sym.in_cell else sym.ty, sym.name)
            if sym.in_cell:
                b.emit("cell.new.ref", [self.const(ANY, None)], (), None, r)
        if sym.in_cell:
            return b.value(f"cell.get.{ir_type(sym.ty)}", [r], sym.ty)
        return r

    def write_sym(self, sym: Symbol, value: Reg, declare: bool = False) -> None:
        b = self.b
        if sym.is_global:
            b.emit(f"global.set.{ir_type(sym.ty)}", [value], (self.L.global_name(sym),))
            return
        if sym.in_cell:
            if declare and sym not in self.vars:
                self.vars[sym] = b.value(f"cell.new.{ir_type(sym.ty)}", [value], ANY)
            else:
                b.emit(f"cell.set.{ir_type(sym.ty)}", [self.vars[sym], value])
            return
        r = self.vars.get(sym)
        if r is None:
            r = self.vars[sym] = b.reg(sym.ty, sym.name)
        b.emit(f"mov.{r.ty}", [value], dst=r)

    def load_home(self, e: A.Expr) -> tuple[Reg, Callable[[], None]]:
        """Read the ref in variable, element or field ``e`` for an operation that
        replaces it (`xs = append(xs, v)`, `s = s + t`), and a function that drops the
        reference ``e``'s home keeps, to be called just before that operation: the
        value is then unshared (held by the register alone) and may grow in place.
        A local variable's register is its own home and dies at the operation."""
        b = self.b
        none = lambda: self.const(NONE, None)  # noqa: E731
        if isinstance(e, A.Name) and isinstance(e.ref, Symbol) and e.ty == e.ref.ty:
            sym = e.ref
            if sym.is_global:
                name = self.L.global_name(sym)
                return self.read_sym(sym), lambda: b.emit("global.set.ref", [none()], (name,))
            if sym.in_cell:
                cell = self.vars[sym]
                return self.read_sym(sym), lambda: b.emit("cell.set.ref", [cell, none()])
        if isinstance(e, A.Name) and isinstance(e.ref, FieldRef):
            fr = e.ref
            recv = self.read_sym(fr.receiver)
            imm = (fr.struct.name, fr.struct.index(fr.name))
            return (b.value("struct.get.ref", [recv], e.ty, imm),
                    lambda: b.emit("struct.set.ref", [recv, none()], imm))
        if isinstance(e, A.Index) and isinstance(e.obj.ty, ListT) and \
                ir_type(e.obj.ty.elem) == "ref":
            obj, i = self.expr(e.obj), self.value_of(e.index, INT)
            return (b.value("list.get.ref", [obj, i], e.ty),
                    lambda: b.emit("list.set.ref", [obj, i, none()]))
        if isinstance(e, A.Index) and isinstance(e.obj.ty, MapT) and \
                ir_type(e.obj.ty.value) == "ref":
            obj, k = self.expr(e.obj), self.value_of(e.index, e.obj.ty.key)
            return (b.value(f"map.get.{k.ty}.ref", [obj, k], e.ty,
                            (zero_const(e.obj.ty.value),)),
                    lambda: b.emit(f"map.set.{k.ty}.ref", [obj, k, none()]))
        if isinstance(e, A.Field) and isinstance(e.obj.ty, StructT):
            info = e.obj.ty.info
            obj = self.expr(e.obj)
            imm = (info.name, info.index(e.name))
            return (b.value("struct.get.ref", [obj], e.ty, imm),
                    lambda: b.emit("struct.set.ref", [obj, none()], imm))
        return self.expr(e), lambda: None

    def capture_values(self, fn: FunCtx) -> list[Reg]:
        """The operands of ``closure.new`` for ``fn``: its captures, as cells or values."""
        out = []
        for sym in fn.captures:
            r = self.vars.get(sym)
            if r is None:
                r = self.vars[sym] = self.b.reg(ANY if sym.in_cell else sym.ty, sym.name)
                if sym.in_cell:
                    self.b.emit("cell.new.ref", [self.const(ANY, None)], (), None, r)
            out.append(r)
        return out

    # ------------------------------------------------------------ statements

    def stmts(self, body: list[A.Stmt]) -> None:
        for s in body:
            if isinstance(s, A.FunDecl) and s.sym is not None and s.sym.kind == "nested":
                self.predeclare(s.sym)
        for s in body:
            self.stmt(s)

    def predeclare(self, sym: Symbol) -> None:
        """A block's nested functions are visible from its start (the checker hoists
        them): their storage exists, holding none, until the declaration runs."""
        if sym in self.vars:
            return
        none = self.const(ANY, None)
        if sym.in_cell:
            self.vars[sym] = self.b.value("cell.new.ref", [none], ANY)
        else:
            r = self.vars[sym] = self.b.reg(sym.ty, sym.name)
            self.b.emit("mov.ref", [none], dst=r)

    def stmt(self, s: A.Stmt) -> None:
        b = self.b
        b.line = s.span.line
        if isinstance(s, A.VarDecl):
            t = s.sym.ty
            v = self.value_of(s.value, t) if s.value is not None else self.zero(t)
            self.write_sym(s.sym, v, declare=True)
        elif isinstance(s, A.Assign):
            self.assign(s)
        elif isinstance(s, A.ExprStmt):
            self.expr(s.expr)
        elif isinstance(s, A.If):
            self.if_stmt(s)
        elif isinstance(s, A.While):
            self.while_stmt(s)
        elif isinstance(s, A.ForRange):
            self.for_range(s)
        elif isinstance(s, A.ForEach):
            self.for_each(s)
        elif isinstance(s, A.Break | A.Continue):
            cont, brk = b.loops[-1]
            b.terminate(ir.Jump(brk if isinstance(s, A.Break) else cont))
            self.dead()
        elif isinstance(s, A.Return):
            if s.value is None:
                b.ret(None if self.ctx.ret == VOID else self.zero(self.ctx.ret))
            else:
                v = self.value_of(s.value, self.ctx.ret)
                b.ret(v if self.ctx.ret != VOID else None)
            self.dead()
        elif isinstance(s, A.FunDecl):
            if s.sym is not None and s.sym.kind == "nested":
                fn = s.sym.fun
                clo = b.value("closure.new", self.capture_values(fn), s.sym.ty, (fn.name,))
                self.write_sym(s.sym, clo, declare=True)
        elif isinstance(s, A.Expect):
            in_test = any(fn is self.ctx for _, fn in self.L.c.tests)
            b.emit("expect", [self.truth(s.cond)], (in_test,))
        elif isinstance(s, A.Update):
            self.update(s)

    def update(self, s: A.Update) -> None:
        """`update xs set {f: e} where c`: for each struct of xs, its fields are read
        into the variables e and c see; where c holds, each f is set to its e."""
        b = self.b
        t = s.target.ty
        assert isinstance(t, ListT) and isinstance(t.elem, StructT)
        info = t.elem.info
        lst = self.expr(s.target)

        def body(i: Reg) -> None:
            item = b.value("list.get.ref", [lst, i], t.elem)
            for k, sym in enumerate(s.field_syms):  # type: ignore[attr-defined]
                v = b.value(f"struct.get.{ir_type(sym.ty)}", [item], sym.ty, (info.name, k))
                self.write_sym(sym, v, declare=True)
            skip = None
            if s.where is not None:
                then, skip = b.new_block("then"), b.new_block("endif")
                b.branch(self.truth(s.where), then, skip)
                b.start(then)
            for name, e in s.fields:
                ft = info.fields[name]
                b.line = e.span.line
                b.emit(f"struct.set.{ir_type(ft)}", [item, self.value_of(e, ft)],
                       (info.name, info.index(name)))
            if skip is not None:
                b.jump(skip)
                b.start(skip)
        self.counted_loop(b.value("list.len", [lst], INT), None, body, s.span.line)

    def assign(self, s: A.Assign) -> None:
        tgt = s.target
        v = s.value
        if isinstance(v, A.Call) and v.target and v.target[0] == "builtin" and \
                v.target[1] in ("append", "push") and _same_place(tgt, v.target[2][0]) and \
                v.ty == tgt.ty and not any(_may_read(a, tgt) for a in v.target[2][1:]):
            # `xs = append(xs, v)`: the old list dies here, so an unshared one may grow
            # in place instead of being copied (unless v reads xs: `append(xs, str(xs))`).
            v.reuse = True  # type: ignore[attr-defined]
        spine = _concat_spine(v)
        if spine and _same_place(tgt, spine[-1].left):
            # `s = s + a + b`: the old string dies at the first +, each partial result
            # at the next, so an unshared one may grow in place.
            for c in spine:
                c.reuse = True  # type: ignore[attr-defined]
            # s's home lets go of it at the first + only if nothing after reads it
            spine[-1].drop_home = not any(  # type: ignore[attr-defined]
                _may_read(c.right, tgt) for c in spine[:-1])
        if isinstance(tgt, A.Name):
            if isinstance(tgt.ref, FieldRef):
                fr = tgt.ref
                ft = fr.struct.fields[fr.name]
                recv = self.read_sym(fr.receiver)
                v = self.value_of(s.value, ft)
                self.b.emit(f"struct.set.{ir_type(ft)}", [recv, v],
                            (fr.struct.name, fr.struct.index(fr.name)))
                return
            if isinstance(tgt.ref, Symbol):
                self.write_sym(tgt.ref, self.value_of(s.value, tgt.ref.ty))
            return
        if isinstance(tgt, A.Index):
            obj = self.expr(tgt.obj)
            ot = tgt.obj.ty
            if isinstance(ot, ListT):
                i = self.value_of(tgt.index, INT)
                v = self.value_of(s.value, ot.elem)
                self.b.emit(f"list.set.{ir_type(ot.elem)}", [obj, i, v])
            elif isinstance(ot, MapT):
                k = self.value_of(tgt.index, ot.key)
                v = self.value_of(s.value, ot.value)
                self.b.emit(f"map.set.{k.ty}.{v.ty}", [obj, k, v])
            else:
                obj = self.coerce(obj, ot, ANY)
                self.b.emit("any.set_index", [obj, self.box(tgt.index), self.box(s.value)])
            return
        if isinstance(tgt, A.Field):
            obj = self.expr(tgt.obj)
            ot = tgt.obj.ty
            if isinstance(ot, StructT):
                ft = ot.info.fields[tgt.name]
                v = self.value_of(s.value, ft)
                self.b.emit(f"struct.set.{ir_type(ft)}", [obj, v],
                            (ot.info.name, ot.info.index(tgt.name)))
            elif isinstance(ot, MapT):
                k = self.coerce(self.const(STRING, tgt.name), STRING, ot.key)
                v = self.value_of(s.value, ot.value)
                self.b.emit(f"map.set.{k.ty}.{v.ty}", [obj, k, v])
            else:
                obj = self.coerce(obj, ot, ANY)
                key = self.coerce(self.const(STRING, tgt.name), STRING, ANY)
                self.b.emit("any.set_index", [obj, key, self.box(s.value)])

    def if_stmt(self, s: A.If) -> None:
        b = self.b
        then, after = b.new_block("then"), b.new_block("endif")
        other = b.new_block("else") if s.else_ is not None else after
        b.branch(self.truth(s.cond), then, other)
        b.start(then)
        self.stmts(s.then)
        b.jump(after)
        if s.else_ is not None:
            b.start(other)
            self.stmts(s.else_)
            b.jump(after)
        b.start(after)


    def while_stmt(self, s: A.While) -> None:
        b = self.b
        head, body, after = b.new_block("while"), b.new_block("do"), b.new_block("endwhile")
        b.jump(head)
        b.start(head)
        b.branch(self.truth(s.cond), body, after)
        b.start(body)
        b.loops.append((head.label, after.label))
        self.stmts(s.body)
        b.loops.pop()
        b.jump(head)
        b.start(after)

    def counted_loop(self, count: Reg, start: Reg | None, body_fn, line: int) -> None:
        """``for i = start; i < count; i++ { body_fn(i) }`` with continue going to the step."""
        b = self.b
        i = b.reg(INT, "i")
        b.emit("mov.i64", [start if start is not None else self.const(INT, 0)], dst=i)
        head, body, step, after = (b.new_block("for"), b.new_block("body"),
                                   b.new_block("step"), b.new_block("endfor"))
        b.jump(head)
        b.start(head)
        b.branch(b.value("lt.i64", [i, count], BOOL), body, after)
        b.start(body)
        b.loops.append((step.label, after.label))
        body_fn(i)
        b.loops.pop()
        b.jump(step)
        b.start(step)
        b.line = line
        b.emit("inc.i64", [i], dst=i)  # i < count <= INT64_MAX: no overflow check
        b.jump(head)
        b.start(after)

    def for_range(self, s: A.ForRange) -> None:
        start = self.value_of(s.start, INT)
        end = self.value_of(s.end, INT)

        def body(i: Reg) -> None:
            self.write_sym(s.sym, i, declare=True)
            self.stmts(s.body)
        self.counted_loop(end, start, body, s.span.line)

    def for_each(self, s: A.ForEach) -> None:
        self.iterate(s.iterable, lambda v: (self.write_sym(s.sym, v, declare=True),
                                            self.stmts(s.body)), s.span.line)

    def iterate(self, src: A.Expr, body_fn, line: int) -> None:
        """Run ``body_fn(element register)`` for each element of ``src``."""
        b = self.b
        t = src.ty
        coll = self.expr(src)
        if any(coll is home for home in self.vars.values()):
            # a variable's own register: the loop goes over the value it holds now,
            # whatever the body assigns to the variable
            snapshot = b.reg(coll.ty, "iter")
            b.emit(f"mov.{coll.ty}", [coll], dst=snapshot)
            coll = snapshot
        if isinstance(t, GroupT):
            coll = b.value("group.items", [coll], ListT(t.elem))
            t = ListT(t.elem)
        if isinstance(t, MapT):
            coll = b.value("map.keys", [coll], ListT(t.key))
            t = ListT(t.key)
        elif is_dynamic(t):
            coll = b.value("any.iter", [coll], ListT(ANY))
            t = ListT(ANY)
        if t == STRING:
            n = b.value("str.len", [coll], INT)
            self.counted_loop(n, None, lambda i: body_fn(b.value("str.index", [coll, i],
                                                                 STRING)), line)
            return
        assert isinstance(t, ListT)
        n = b.value("list.len", [coll], INT)
        et = t.elem
        self.counted_loop(n, None, lambda i: body_fn(
            b.value(f"list.get.{ir_type(et)}", [coll, i], et)), line)

    # ------------------------------------------------------------ expressions

    def expr(self, e: A.Expr) -> Reg:
        b = self.b
        saved = b.line
        b.line = e.span.line
        r = self._expr(e)
        b.line = saved
        return r

    def _expr(self, e: A.Expr) -> Reg:
        b = self.b
        t = e.ty
        if isinstance(e, A.IntLit):
            return self.const(t, e.value) if t in (INT, FLOAT) else self.const(INT, e.value)
        if isinstance(e, A.FloatLit):
            return self.const(FLOAT, e.value)
        if isinstance(e, A.StrLit):
            return self.const(STRING, e.value)
        if isinstance(e, A.BoolLit):
            return self.const(BOOL, e.value)
        if isinstance(e, A.NoneLit):
            return self.const(NONE, None)
        if isinstance(e, A.Name):
            return self.name(e)
        if isinstance(e, A.Unary):
            return self.unary(e)
        if isinstance(e, A.Binary):
            return self.binary(e)
        if isinstance(e, A.Call):
            return self.call(e)
        if isinstance(e, A.Index):
            return self.index(e)
        if isinstance(e, A.Slice):
            return self.slice(e)
        if isinstance(e, A.Field):
            return self.field(e)
        if isinstance(e, A.Cast):
            return self.cast(e)
        if isinstance(e, A.ListLit):
            lst = b.value("list.new", [], t, (t.elem,))
            for x in e.elems:
                b.emit(f"list.push.{ir_type(t.elem)}", [lst, self.value_of(x, t.elem)])
            return lst
        if isinstance(e, A.MapLit):
            return self.map_lit(e)
        if isinstance(e, A.StructLit):
            info = t.info if isinstance(t, StructT) else None
            if info is None:
                return self.const(ANY, None)
            return self.new_struct(info, dict(e.fields))
        if isinstance(e, A.Lambda):
            fn = e.fn  # type: ignore[attr-defined]
            return b.value("closure.new", self.capture_values(fn), t, (fn.name,))
        if isinstance(e, A.IfExpr):
            return self.if_expr(e)
        if isinstance(e, A.Match):
            return self.match(e)
        if isinstance(e, A.Query):
            from mochic.ir.queries import lower_query
            return lower_query(self, e)
        if isinstance(e, A.Load):
            opts = self.box(e.opts) if e.opts is not None else self.const(ANY, None)
            return b.value("load", [self.const(STRING, e.path or "-"), opts], t,
                           (t.elem,))  # type: ignore[union-attr]
        if isinstance(e, A.Save):
            opts = self.box(e.opts) if e.opts is not None else self.const(ANY, None)
            b.emit("save", [self.box(e.src), self.const(STRING, e.path or "-"), opts])
            return self.const(NONE, None)
        raise AssertionError(f"cannot lower {type(e).__name__}")

    def name(self, e: A.Name) -> Reg:
        ref = e.ref
        if isinstance(ref, Symbol):
            r = self.read_sym(ref)
            if e.ty is not None and e.ty != ref.ty:
                # The variable's type was widened after this use was typed: a row
                # variable of a right or outer join becomes an option once the
                # checker has seen every join.
                r = self.coerce(r, ref.ty, e.ty)
            return r
        if isinstance(ref, FixedReg):
            return ref.reg
        if isinstance(ref, FieldRef):
            ft = ref.struct.fields[ref.name]
            return self.b.value(f"struct.get.{ir_type(ft)}", [self.read_sym(ref.receiver)], ft,
                                (ref.struct.name, ref.struct.index(ref.name)))
        if isinstance(ref, StructInfo):
            return self.b.value("struct.new", [], e.ty, (ref.name,))
        return self.const(ANY, None)

    def new_struct(self, info: StructInfo, given: dict[str, A.Expr]) -> Reg:
        args = []
        for fname, ft in info.fields.items():
            v = given.get(fname)
            args.append(self.value_of(v, ft) if v is not None else self.zero(ft))
        return self.b.value("struct.new", args, StructT(info.name, info), (info.name,))

    def map_lit(self, e: A.MapLit) -> Reg:
        info = getattr(e, "as_struct", None)
        if info is not None:
            return self.new_struct(info, {en.key.value: en.value for en in e.entries
                                          if isinstance(en.key, A.StrLit)})
        t = e.ty
        assert isinstance(t, MapT)
        m = self.b.value("map.new", [], t, (t.key, t.value))
        for en in e.entries:
            k = self.value_of(en.key, t.key)
            v = self.value_of(en.value, t.value)
            self.b.emit(f"map.set.{k.ty}.{v.ty}", [m, k, v])
        return m

    def unary(self, e: A.Unary) -> Reg:
        b = self.b
        if e.op == "!":
            return b.value("not.bool", [self.truth(e.operand)], BOOL)
        v = self.expr(e.operand)
        t = e.operand.ty
        if t == INT:
            return b.value("neg.i64", [v], INT)
        if t == FLOAT:
            return b.value("neg.f64", [v], FLOAT)
        if t in BIG:
            return b.value(f"{PREFIX[t]}.neg", [v], t)
        return b.value("any.neg", [self.coerce(v, t, ANY)], ANY)

    def logic(self, e: A.Binary) -> Reg:
        b = self.b
        res = b.reg(BOOL)
        left = self.truth(e.left)
        b.emit("mov.bool", [left], dst=res)
        rhs, done = b.new_block("rhs"), b.new_block("endlogic")
        if e.op == "&&":
            b.branch(left, rhs, done)
        else:
            b.branch(left, done, rhs)
        b.start(rhs)
        b.emit("mov.bool", [self.truth(e.right)], dst=res)
        b.jump(done)
        b.start(done)
        return res

    def binary(self, e: A.Binary) -> Reg:
        """A chain `a + b + c ...` nests down its left side as deep as it is long:
        that side is walked in a loop, each operation given the value of the one
        inside it.  (`in` evaluates its right side first, so a chain stops there.)"""
        spine = [e]
        while isinstance(spine[-1].left, A.Binary) and "in" not in (spine[-1].op,
                                                                   spine[-1].left.op):
            spine.append(spine[-1].left)
        r = self.binary_node(spine[-1])
        for node in reversed(spine[:-1]):
            holder = A.Name(node.left.span, "$left")
            holder.ty, holder.ref = node.left.ty, FixedReg(r)
            step = A.Binary(node.span, node.op, holder, node.right, node.op_span)
            step.ty = node.ty
            if getattr(node, "reuse", False):
                step.reuse = True  # type: ignore[attr-defined]
            r = self.binary_node(step)
        return r

    def binary_node(self, e: A.Binary) -> Reg:
        op = e.op
        if op in ("&&", "||"):
            return self.logic(e)
        b = self.b
        lt, rt = e.left.ty, e.right.ty
        if op == "in":
            return self.contains(e.right, e.left)
        if op in ("union", "union_all", "except", "intersect"):
            t = e.ty
            return b.value(f"list.{op}", [self.value_of(e.left, t), self.value_of(e.right, t)], t)
        if op in _CMP:
            return self.compare(_CMP[op], e.left, e.right)
        t = e.ty
        if t in (INT, FLOAT):
            suffix = "i64" if t == INT else "f64"
            return b.value(f"{_ARITH[op]}.{suffix}",
                           [self.value_of(e.left, t), self.value_of(e.right, t)], t)
        if t in BIG and is_numeric(lt) and is_numeric(rt):
            return b.value(f"{PREFIX[t]}.{_ARITH[op]}",
                           [self.value_of(e.left, t), self.value_of(e.right, t)], t)
        if t == STRING and lt == rt == STRING:
            if not getattr(e, "reuse", False):
                return b.value("str.concat", [self.expr(e.left), self.expr(e.right)], STRING)
            if not getattr(e, "drop_home", False):
                return b.value("str.concat", [self.expr(e.left), self.expr(e.right)], STRING,
                               ("reuse",))
            left, drop_home = self.load_home(e.left)
            right = self.expr(e.right)
            drop_home()
            return b.value("str.concat", [left, right], STRING, ("reuse",))
        if isinstance(t, ListT) and op == "+":
            return b.value("list.concat", [self.value_of(e.left, t), self.value_of(e.right, t)],
                           t)
        return b.value("any.binop", [self.box(e.left), self.box(e.right)], ANY, (op,))

    def compare(self, cmp: str, left: A.Expr, right: A.Expr) -> Reg:
        b = self.b
        lt, rt = left.ty, right.ty
        if is_numeric(lt) and is_numeric(rt):
            t = compare_type(lt, rt)
            kind = PREFIX[t] if t in BIG else ir_type(t)
            return b.value(f"{cmp}.{kind}",
                           [self.value_of(left, t), self.value_of(right, t)], BOOL)
        if lt == rt == STRING:
            return b.value(f"{cmp}.str", [self.expr(left), self.expr(right)], BOOL)
        if lt == rt == BOOL and cmp in ("eq", "ne"):
            return b.value(f"{cmp}.bool", [self.expr(left), self.expr(right)], BOOL)
        if cmp in ("eq", "ne") and NONE in (lt, rt):
            other = right if lt == NONE else left
            present = self.entry_present(other)
            if present is not None:  # `m[k] == nil`: is k absent?
                return present if cmp == "ne" else b.value("not.bool", [present], BOOL)
            if ir_type(other.ty) != "ref":  # never none, but evaluated for its effects
                self.expr(other)
                return self.const(BOOL, cmp == "ne")
            r = b.value("is.none", [self.expr(other)], BOOL)
            return r if cmp == "eq" else b.value("not.bool", [r], BOOL)
        if cmp in ("eq", "ne") and not is_dynamic(lt) and not is_dynamic(rt) and \
                ir_type(lt) == ir_type(rt) == "ref":
            return b.value(f"{cmp}.ref", [self.expr(left), self.expr(right)], BOOL)
        return b.value(f"{cmp}.any", [self.box(left), self.box(right)], BOOL)

    def entry_present(self, e: A.Expr) -> Reg | None:
        """For `m[k]` of a map whose absent entries read as a zero value (int, float,
        bool, string), a register telling whether k is present; None otherwise.  An
        absent entry is nil, which the zero value it reads as cannot show."""
        if not (isinstance(e, A.Index) and isinstance(e.obj.ty, MapT) and
                zero_const(e.obj.ty.value) is not None):
            return None
        m = self.expr(e.obj)
        k = self.value_of(e.index, e.obj.ty.key)
        return self.b.value(f"map.has.{k.ty}", [m, k], BOOL)

    def contains(self, coll: A.Expr, item: A.Expr) -> Reg:
        """``item in coll`` (also the built-in `contains(coll, item)`)."""
        b = self.b
        t = coll.ty
        if isinstance(t, ListT):
            v = self.value_of(item, t.elem)
            return b.value(f"list.contains.{v.ty}", [self.expr(coll), v], BOOL)
        if isinstance(t, MapT):
            m = self.expr(coll)
            k = self.value_of(item, t.key)
            return b.value(f"map.has.{k.ty}", [m, k], BOOL)
        if t == STRING and item.ty == STRING:
            return b.value("str.contains", [self.expr(coll), self.expr(item)], BOOL)
        c = self.box(coll)
        return b.value("any.contains", [c, self.box(item)], BOOL)

    def index(self, e: A.Index) -> Reg:
        b = self.b
        t = e.obj.ty
        obj = self.expr(e.obj)
        if isinstance(t, ListT):
            return b.value(f"list.get.{ir_type(t.elem)}", [obj, self.value_of(e.index, INT)],
                           t.elem)
        if t == STRING:
            return b.value("str.index", [obj, self.value_of(e.index, INT)], STRING)
        if isinstance(t, StructT) and hasattr(e, "field"):
            ft = t.info.fields[e.field]
            return b.value(f"struct.get.{ir_type(ft)}", [obj], ft,
                           (t.info.name, t.info.index(e.field)))
        if isinstance(t, MapT):
            k = self.value_of(e.index, t.key)
            return b.value(f"map.get.{k.ty}.{ir_type(t.value)}", [obj, k], t.value,
                           (zero_const(t.value),))
        return b.value("any.index", [self.coerce(obj, t, ANY), self.box(e.index)], ANY)

    def slice(self, e: A.Slice) -> Reg:
        b = self.b
        t = e.obj.ty
        obj = self.expr(e.obj)
        if is_dynamic(t):
            t = ListT(ANY)
            obj = b.value("unbox.ref", [obj], t, (t,))
        kind = "str" if t == STRING else "list"
        start = self.value_of(e.start, INT) if e.start is not None else self.const(INT, 0)
        end = self.value_of(e.end, INT) if e.end is not None else \
            b.value(f"{kind}.len", [obj], INT)
        return b.value(f"{kind}.slice", [obj, start, end], t)

    def field(self, e: A.Field) -> Reg:
        b = self.b
        if isinstance(e.obj, A.Name) and e.obj.ref is None and e.obj.ty is None:
            from mochic.frontend.builtins import MATH_CONSTS
            if isinstance(e.ty, FunT):
                return b.value("closure.new", [], e.ty, (self.L.math_wrapper(e.name),))
            return self.const(FLOAT, MATH_CONSTS[e.name])
        t = e.obj.ty
        obj = self.expr(e.obj)
        if isinstance(t, StructT):
            ft = t.info.fields[e.name]
            return b.value(f"struct.get.{ir_type(ft)}", [obj], ft,
                           (t.info.name, t.info.index(e.name)))
        if isinstance(t, MapT):
            k = self.coerce(self.const(STRING, e.name), STRING, t.key)
            return b.value(f"map.get.{k.ty}.{ir_type(t.value)}", [obj, k], t.value,
                           (zero_const(t.value),))
        if isinstance(t, GroupT):
            if e.name == "key":
                return self.coerce(b.value("group.key", [obj], ANY), ANY, t.key)
            return b.value("group.items", [obj], ListT(t.elem))
        v = b.value("any.field", [self.coerce(obj, t, ANY)], ANY, (e.name,))
        return self.coerce(v, ANY, e.ty)

    def cast(self, e: A.Cast) -> Reg:
        b = self.b
        src, dst = e.expr.ty, e.ty
        v = self.expr(e.expr)
        if src == FLOAT and dst == INT:
            return b.value("f2i", [v], INT)
        if src == STRING and dst == INT:
            return b.value("str.to_int", [v], INT)
        if src == STRING and dst == FLOAT:
            return b.value("str.to_float", [v], FLOAT)
        if dst == STRING and src in (INT, FLOAT, BOOL):
            return b.value(f"str.from.{ir_type(src)}", [v], STRING)
        if dst == STRING and src in BIG:
            return b.value("str.from.any", [self.coerce(v, src, ANY)], STRING)
        if isinstance(dst, StructT) and isinstance(src, MapT):
            return b.value("unbox.ref", [self.coerce(v, src, ANY)], dst, (dst,))
        return self.coerce(v, src, dst)

    def if_expr(self, e: A.IfExpr) -> Reg:
        b = self.b
        res = b.reg(e.ty)
        then, other, done = b.new_block("then"), b.new_block("else"), b.new_block("endif")
        b.branch(self.truth(e.cond), then, other)
        for blk, x in ((then, e.then), (other, e.else_)):
            b.start(blk)
            b.emit(f"mov.{res.ty}", [self.value_of(x, e.ty)], dst=res)
            b.jump(done)
        b.start(done)
        return res

    def match(self, e: A.Match) -> Reg:
        b = self.b
        st = e.subject.ty
        subj = self.expr(e.subject)
        res = b.reg(e.ty) if e.ty != VOID else None
        done = b.new_block("endmatch")
        for c in e.cases:
            b.line = c.span.line
            body, nxt = b.new_block("case"), b.new_block("next")
            test = self.pattern_test(c.pattern, subj, st)
            if test is None:
                b.jump(body)
            else:
                b.branch(test, body, nxt)
            b.start(body)
            self.bind_pattern(c.pattern, subj)
            v = self.expr(c.result)
            if res is not None:
                b.emit(f"mov.{res.ty}", [self.coerce(v, c.result.ty, e.ty)], dst=res)
            b.jump(done)
            b.start(nxt)
        if res is not None:
            b.emit(f"mov.{res.ty}", [self.zero(e.ty)], dst=res)
        b.jump(done)
        b.start(done)
        return res if res is not None else self.const(NONE, None)

    def pattern_test(self, p: A.Expr, subj: Reg, st: Type) -> Reg | None:
        """A bool register that is true when ``p`` matches, or None for `_`."""
        b = self.b
        if isinstance(p, A.Name) and p.ref == "wild":
            return None
        info = p.target[1] if isinstance(p, A.Call) and p.target and \
            p.target[0] == "pattern" else (p.ref if isinstance(p, A.Name) and
                                           isinstance(p.ref, StructInfo) else None)
        if info is not None:
            obj = subj if subj.ty == "ref" else self.coerce(subj, st, ANY)
            return b.value("struct.is", [obj], BOOL, (info.name,))
        holder = A.Name(p.span, "$subject")
        holder.ty = st
        holder.ref = FixedReg(subj)
        return self.compare("eq", holder, p)

    def bind_pattern(self, p: A.Expr, subj: Reg) -> None:
        if not (isinstance(p, A.Call) and p.target and p.target[0] == "pattern"):
            return
        info: StructInfo = p.target[1]
        for i, a in enumerate(p.args):
            if isinstance(a, A.Name) and isinstance(a.ref, Symbol):
                ft = list(info.fields.values())[i]
                v = self.b.value(f"struct.get.{ir_type(ft)}", [subj], ft, (info.name, i))
                self.write_sym(a.ref, v, declare=True)

    # ------------------------------------------------------------ calls

    def partial(self, e: A.Call) -> Reg:
        """`f(a)` with fewer arguments than f takes: a closure capturing the callee (a
        method's receiver, a closure value) and the arguments given, whose body calls
        the callee with them and its own parameters."""
        tgt = e.target
        kind = tgt[0] if tgt else "closure"
        ft = e.ty
        assert isinstance(ft, FunT)
        callee: list[Reg] = []
        if kind == "fun":
            params = [p.ty for p in tgt[1].params]
        elif kind in ("method", "self_method"):
            m = tgt[1] if kind == "method" else tgt[2]
            callee = [self.expr(e.func.obj) if kind == "method"  # type: ignore[attr-defined]
                      else self.read_sym(tgt[1])]
            params = [p.ty for p in m.params[1:]]
        else:
            callee = [self.expr(e.func)]
            params = list(e.func.ty.params)
        given = [self.value_of(a, t) for a, t in zip(e.args, params, strict=False)]
        ret = ft.ret
        name = tgt[2].name if kind == "self_method" else \
            tgt[1].name if kind in ("fun", "method") else "partial"

        def body(b: FunctionBuilder, regs: list[Reg]) -> Reg | None:
            mty = ret if ret != VOID else None
            if kind != "closure":
                return b.emit("call", regs, (name,), mty)
            return b.emit("call.closure", regs, (), mty)

        caps = [r.mty for r in callee] + params[:len(given)]
        fn = self.L.closure_function(name, caps, list(ft.params), ret, e.span.line, body)
        return self.b.value("closure.new", callee + given, ft, (fn,))

    def call(self, e: A.Call) -> Reg:
        if getattr(e, "partial", None) is not None:
            return self.partial(e)
        tgt = e.target
        kind = tgt[0] if tgt else "closure"
        b = self.b
        ret = e.ty if e.ty != VOID else None
        if kind == "builtin":
            from mochic.ir.builtins import lower_builtin
            return lower_builtin(self, e, tgt[1], tgt[2])
        if kind == "math":
            from mochic.frontend.builtins import MATH_FUNS
            args = [self.value_of(a, FLOAT) for a in e.args]
            op = "math.f64" if MATH_FUNS.get(tgt[1], 1) == 1 else "math2.f64"
            return b.value(op, args, FLOAT, (tgt[1],))
        if kind == "construct":
            info: StructInfo = tgt[1]
            args = [self.value_of(a, ft) for a, ft in zip(e.args, info.fields.values(),
                                                         strict=False)]
            return b.value("struct.new", args, StructT(info.name, info), (info.name,))
        if kind in ("fun", "method", "self_method"):
            fn: FunCtx = tgt[2] if kind == "self_method" else tgt[1]
            args = []
            if kind != "fun":
                args.append(self.expr(e.func.obj) if kind == "method"  # type: ignore[attr-defined]
                            else self.read_sym(tgt[1]))
            params = fn.params if kind == "fun" else fn.params[1:]
            args += [self.value_of(a, p.ty) for a, p in zip(e.args, params, strict=False)]
            # the call gives what the callee returns, converted to what the checker
            # typed the call as
            r = b.emit("call", args, (fn.name,), fn.ret if fn.ret != VOID else None)
            return self.coerce(r, fn.ret, e.ty) if r is not None else self.result(r)
        ft = e.func.ty
        clo = self.expr(e.func)
        if isinstance(ft, FunT):
            args = [self.value_of(a, p) for a, p in zip(e.args, ft.params, strict=False)]
        else:
            clo = self.coerce(clo, ft, ANY)
            args = [self.box(a) for a in e.args]
        return self.result(b.emit("call.closure", [clo, *args], (), ret))

    def result(self, r: Reg | None) -> Reg:
        return r if r is not None else self.const(NONE, None)


def _concat_spine(e: A.Expr) -> list[A.Binary]:
    """The string concatenations down the left of ``e``, the outer one first
    (`((s + a) + b) + c`: three, the last with `s` on its left)."""
    spine = []
    while isinstance(e, A.Binary) and e.op == "+" and e.ty == STRING and \
            e.left.ty == e.right.ty == STRING:
        spine.append(e)
        e = e.left
    return spine


def _may_read(e: A.Expr, place: A.Expr) -> bool:
    """Could evaluating ``e`` read the variable at the root of l-value ``place``?  (A
    call of a function could read any global or captured variable.)"""
    root = place
    while isinstance(root, A.Index | A.Field):
        root = root.obj
    if isinstance(e, A.Name):
        return _same_place(e, root) or isinstance(e.ref, FieldRef) and isinstance(
            root, A.Name) and isinstance(root.ref, FieldRef)
    if isinstance(e, A.IntLit | A.FloatLit | A.StrLit | A.BoolLit | A.NoneLit):
        return False
    if isinstance(e, A.Binary):
        return _may_read(e.left, place) or _may_read(e.right, place)
    if isinstance(e, A.Unary | A.Cast):
        return _may_read(e.operand if isinstance(e, A.Unary) else e.expr, place)
    if isinstance(e, A.Index):
        return _may_read(e.obj, place) or _may_read(e.index, place)
    if isinstance(e, A.Field):
        return _may_read(e.obj, place)
    if isinstance(e, A.Call) and e.target and e.target[0] == "builtin":
        return any(_may_read(a, place) for a in e.target[2])
    return True


def _same_place(a: A.Expr, b: A.Expr) -> bool:
    """Do two side-effect-free l-value expressions name the same storage?"""
    if isinstance(a, A.Name) and isinstance(b, A.Name):
        return a.ref is not None and a.ref is b.ref or (
            isinstance(a.ref, FieldRef) and isinstance(b.ref, FieldRef) and
            a.ref.name == b.ref.name)
    if isinstance(a, A.Field) and isinstance(b, A.Field):
        return a.name == b.name and _same_place(a.obj, b.obj)
    if isinstance(a, A.Index) and isinstance(b, A.Index):
        return _same_place(a.obj, b.obj) and _same_place(a.index, b.index)
    if isinstance(a, A.StrLit | A.IntLit) and type(a) is type(b):
        return a.value == b.value  # type: ignore[attr-defined]
    return False


class FixedReg:
    """A Name.ref standing for an already computed register (a match subject)."""

    def __init__(self, reg: Reg) -> None:
        self.reg = reg


def lower(checked: Checked) -> ir.Module:
    return Lowerer(checked).run()


