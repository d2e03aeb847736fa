"""A generator of random well-typed Mochi programs, for differential testing.

In the manner of Csmith: each program is built from a seed by a typed
generator that only writes what the language defines, so any difference
between two tiers running it is a bug of one of them.  A generated *unit*
declares its own types (a struct with a method, a sum type), helper
functions (recursive and mutually recursive ones, with and without
annotations), closures, and a body of statements over ints, floats, bools,
strings, lists, maps, structs, sum types, options, `any` and function values,
with loops, queries and `match`, printing as it goes.  Many units are batched
into one program (``batch``), which is what a tier that builds an
executable wants.

What keeps a unit well-defined on every tier:

* it terminates: loops count up to small bounds, with the counter bumped
  first (so `continue` cannot skip it) and never assigned elsewhere;
  recursion counts a parameter down to a base case;
* it never fails by accident: an int is kept small (assignments and
  results are reduced `% 10007` when they could grow), divisors are made
  non-zero, list and string indexes are taken modulo a length known to be
  positive, a map is read only at a key it holds;
* when it fails on purpose, the failure (an index out of range, a division
  by zero, a failed cast, `panic`) is its last statement, and such a unit is
  the last of its batch;
* its functions are called with arguments of exactly their parameter types
  (a float parameter never gets an int), so deleting every function
  annotation leaves its meaning unchanged.  Annotations that may be deleted
  are written between ``OPEN`` and ``CLOSE``; ``render`` keeps them (typed)
  or drops them (untyped), which gives the fuzzer a further oracle: the
  program with its functions unannotated must print the same.

A program is a tree of ``Node`` lines and blocks, so that the shrinker
(``tests/fuzz/shrink.py``) can delete statements and blocks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

OPEN, CLOSE = "\u2045", "\u2046"  # around an annotation the untyped rendering drops

INT, FLOAT, BOOL, STR = "int", "float", "bool", "string"
LINT, LSTR, LFLOAT = "list<int>", "list<string>", "list<float>"
MSI = "map<string, int>"
FII = "fun(int): int"
OINT = "int?"
ANY = "any"
SCALARS = (INT, FLOAT, BOOL, STR)
BOUND = 10007  # ints are kept below this in magnitude between statements
WORDS = ["a", "b", "ab", "xyz", "hello", "Mochi", "é", "日本", "a b", "x,y", "", "0", "-1",
         "tab\\t", "q\\\"", "line\\n"]


@dataclass
class Node:
    """A line of source, or a block: ``head`` (ending in `{`), ``body``, then
    `} else {` and ``orelse`` if there is one, then `}`."""

    head: str
    body: list[Node] | None = None
    orelse: list[Node] | None = None
    fixed: bool = False  # the shrinker keeps it (a unit's frame)

    def lines(self, indent: int = 0) -> list[str]:
        pad = "  " * indent
        if self.body is None:
            return [pad + self.head]
        out = [pad + self.head]
        for n in self.body:
            out.extend(n.lines(indent + 1))
        if self.orelse is not None:
            out.append(pad + "} else {")
            for n in self.orelse:
                out.extend(n.lines(indent + 1))
        out.append(pad + "}")
        return out


def render(nodes: list[Node], typed: bool = True) -> str:
    text = "\n".join(line for n in nodes for line in n.lines()) + "\n"
    return strip_annotations(text) if not typed else text.replace(OPEN, "").replace(CLOSE, "")


def strip_annotations(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        if ch == OPEN:
            depth += 1
        elif ch == CLOSE:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


@dataclass
class Var:
    name: str
    ty: str
    mutable: bool = False
    nonempty: bool = False  # a list or string known to hold an element
    keys: tuple[str, ...] = ()  # map keys it is known to hold (never removed)


@dataclass
class Fun:
    name: str
    params: list[str]
    ret: str | None  # None: no result
    counts_down: bool = False  # its first parameter is a recursion depth


@dataclass
class Scope:
    vars: list[Var] = field(default_factory=list)
    parent: Scope | None = None
    loop: bool = False
    in_fun: str | None = None  # the result type of the function being generated

    def all(self) -> list[Var]:
        out: list[Var] = []
        s: Scope | None = self
        seen: set[str] = set()
        while s is not None:
            for v in reversed(s.vars):
                if v.name not in seen:
                    seen.add(v.name)
                    out.append(v)
            s = s.parent
        return out

    def in_loop(self) -> bool:
        s: Scope | None = self
        while s is not None:
            if s.loop:
                return True
            if s.in_fun is not None and s.parent is not None and s.parent.in_fun is None:
                return False
            s = s.parent
        return False


class UnitGen:
    """Generates one unit: its declarations and a function `u<k>_main` that runs it."""

    def __init__(self, rng: random.Random, k: int, fail: bool = False,
                 uses_input: bool = False) -> None:
        self.r = rng
        self.k = k
        self.p = f"u{k}_"
        self.fail = fail
        self.uses_input = uses_input
        self.funs: list[Fun] = []
        self.counter = 0
        self.struct = f"U{k}P"
        self.sum = f"U{k}S"
        self.variants = {f"U{k}A": [("n", INT)], f"U{k}B": [("s", STR), ("m", INT)],
                         f"U{k}C": []}
        self.types = [INT, FLOAT, BOOL, STR, LINT, LSTR, MSI, self.struct, self.sum, FII,
                      OINT, LFLOAT, ANY]
        self.depth_budget = 0

    # ------------------------------------------------------------ helpers

    def name(self, base: str) -> str:
        self.counter += 1
        return f"{self.p}{base}{self.counter}"

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def ann(self, text: str) -> str:
        """A function annotation: written, or (sometimes) left to inference."""
        return "" if self.chance(0.15) else f"{OPEN}{text}{CLOSE}"

    def vars_of(self, scope: Scope, ty: str, mutable: bool = False) -> list[Var]:
        return [v for v in scope.all() if v.ty == ty and (v.mutable or not mutable)]

    # ------------------------------------------------------------ the unit

    def unit(self) -> list[Node]:
        decls = [self.type_decls()]
        decls.extend(self.sum_decl())
        for _ in range(self.r.randint(1, 2)):
            decls.append(self.helper())
        if self.chance(0.6):
            decls.append(self.recursive())
        if self.chance(0.3):
            decls.extend(self.mutual())
        top = Scope(in_fun="void")
        body = self.stmts(top, self.r.randint(3, 7), 3)
        body.extend(self.final_prints(top))
        if self.fail:
            body.append(self.failure(top))
        body.insert(0, Node(f'print("-- unit {self.k}")', fixed=True))
        main = Node(f"fun {self.p}main() {{", body, fixed=True)
        return [*decls, main]

    def type_decls(self) -> Node:
        k = self.struct
        method = Node("fun bump(d: int): int {", [Node("return (a + d) % 10007")])
        method2 = Node("fun label(): string {", [Node('return b + ":" + str(len(c))')])
        return Node(f"type {k} {{", [Node("a: int"), Node("b: string"), Node("c: list<int>"),
                                      method, method2], fixed=True)

    def sum_decl(self) -> list[Node]:
        parts = []
        for v, fs in self.variants.items():
            inner = ", ".join(f"{n}: {t}" for n, t in fs)
            parts.append(f"{v}({inner})" if fs else v)
        return [Node(f"type {self.sum} = " + " | ".join(parts), fixed=True)]

    def helper(self) -> Node:
        """A function of a few parameters, called from the unit."""
        nparams = self.r.randint(0, 3)
        ptypes = [self.r.choice([INT, INT, FLOAT, STR, LINT, BOOL, self.struct, MSI, self.sum])
                  for _ in range(nparams)]
        ret = self.r.choice([INT, INT, STR, FLOAT, LINT, BOOL, None, self.sum, OINT])
        name = self.name("f")
        pnames = [f"p{i}" for i in range(nparams)]
        scope = Scope(in_fun=ret or "void")
        for pn, pt in zip(pnames, ptypes, strict=True):
            scope.vars.append(Var(pn, pt, mutable=False))
        body = self.stmts(scope, self.r.randint(1, 4), 2)
        if ret is not None:
            body.append(Node(f"return {self.expr(ret, scope, 2)}"))
        params = ", ".join(f"{n}{self.ann(': ' + t)}" for n, t in zip(pnames, ptypes,
                                                                     strict=True))
        head = f"fun {name}({params}){self.ann(': ' + ret) if ret else ''} {{"
        self.funs.append(Fun(name, ptypes, ret))
        return Node(head, body)

    def recursive(self) -> Node:
        """`f(n, acc)`: counts n down; sometimes calls itself twice."""
        ret = self.r.choice([INT, STR, LINT, BOOL])
        name = self.name("rec")
        scope = Scope(in_fun=ret)
        scope.vars += [Var("n", INT), Var("acc", ret)]
        step = self.expr(ret, scope, 1)
        twice = ret == INT and self.chance(0.4)
        if ret == INT:
            rest = f"({name}(n - 1, {step}) + {name}(n - 2, acc)) % 10007" if twice else \
                f"{name}(n - 1, {step})"
        else:
            rest = f"{name}(n - 1, {step})"
        body = [Node("if n <= 0 {", [Node("return acc")], fixed=True)]
        if self.chance(0.5):
            # the recursive result used before the function's last return
            body.append(Node(f"let r = {rest}"))
            body.append(Node(f"if {self.expr(BOOL, scope, 1)} {{", [Node("return r")]))
            body.append(Node("return r"))
        else:
            body.append(Node(f"return {rest}"))
        self.funs.append(Fun(name, [INT, ret], ret, counts_down=True))
        head = f"fun {name}(n{self.ann(': int')}, acc{self.ann(': ' + ret)})" \
               f"{self.ann(': ' + ret)} {{"
        return Node(head, body)

    def mutual(self) -> list[Node]:
        """Two functions calling each other down to zero."""
        a, b = self.name("even"), self.name("odd")
        ret = self.r.choice([BOOL, INT, STR])
        base = {BOOL: ("true", "false"), INT: ("1", "2"), STR: ('"e"', '"o"')}[ret]
        nodes = []
        for me, other, value in ((a, b, base[0]), (b, a, base[1])):
            body = [Node("if n == 0 {", [Node(f"return {value}")], fixed=True),
                    Node(f"return {other}(n - 1)")]
            nodes.append(Node(f"fun {me}(n{self.ann(': int')}){self.ann(': ' + ret)} {{",
                              body))
            self.funs.append(Fun(me, [INT], ret, counts_down=True))
        return nodes

    def final_prints(self, scope: Scope) -> list[Node]:
        vs = [v for v in scope.all() if v.ty != FII]
        self.r.shuffle(vs)
        return [Node(f"print({v.name})") for v in vs[:4]]

    def failure(self, scope: Scope) -> Node:
        """A statement that stops the program with a runtime error."""
        lst = self.expr(LINT, scope, 1)
        kinds: list[Callable[[], str]] = [
            lambda: f"print(({lst})[len({lst}) + {self.r.randint(0, 3)}])",
            lambda: f"print({self.expr(INT, scope, 1)} / (len({lst}) - len({lst})))",
            lambda: f"print({self.expr(INT, scope, 1)} % (len({lst}) * 0))",
            lambda: f'print(int("x" + {self.expr(STR, scope, 1)}))',
            lambda: f'panic("stop " + {self.expr(STR, scope, 1)})',
            lambda: f"print({self.expr(STR, scope, 1)}[{self.r.randint(40, 60)}])",
            lambda: f"print((({self.expr(STR, scope, 1)}) as any as int) + 1)",
        ]
        return Node(self.r.choice(kinds)())

    # ------------------------------------------------------------ statements

    def stmts(self, scope: Scope, n: int, depth: int) -> list[Node]:
        out: list[Node] = []
        for _ in range(n):
            out.extend(self.stmt(scope, depth))
        return out

    def stmt(self, scope: Scope, depth: int) -> list[Node]:
        choices: list[tuple[float, Callable[[Scope, int], list[Node]]]] = [
            (4, self.s_decl), (3, self.s_assign), (3, self.s_print), (1, self.s_list_update),
            (1, self.s_map_update), (1, self.s_field_update), (1, self.s_call),
        ]
        if depth > 0:
            choices += [(2, self.s_if), (1.5, self.s_for_range), (1.5, self.s_for_each),
                        (1, self.s_while), (0.7, self.s_nested_fun), (0.7, self.s_closure_state),
                        (0.6, self.s_match)]
        if scope.in_loop():
            choices += [(0.5, self.s_break)]
        if self.uses_input:
            choices += [(0.3, self.s_input)]
        total = sum(w for w, _ in choices)
        x = self.r.random() * total
        for w, f in choices:
            x -= w
            if x <= 0:
                return f(scope, depth)
        return choices[0][1](scope, depth)

    def s_decl(self, scope: Scope, depth: int) -> list[Node]:
        ty = self.r.choice(self.types)
        name = self.name("v")
        mutable = self.chance(0.6)
        e = self.expr(ty, scope, 3)
        annotate = ty in (OINT, ANY, FII) or self.chance(0.3)
        nonempty = ty in (LINT, LSTR, LFLOAT) and not e.startswith("[]") and _one_literal(e)
        keys = tuple(_literal_keys(e)) if ty == MSI else ()
        scope.vars.append(Var(name, ty, mutable, nonempty, keys))
        kw = "var" if mutable else "let"
        return [Node(f"{kw} {name}{': ' + ty if annotate else ''} = {e}")]

    def s_assign(self, scope: Scope, depth: int) -> list[Node]:
        vs = [v for v in scope.all() if v.mutable]
        if not vs:
            return self.s_decl(scope, depth)
        v = self.r.choice(vs)
        e = self.expr(v.ty, scope, 3)
        if v.ty == INT:
            e = f"({e}) % {BOUND}"
        if v.ty in (LINT, LSTR, LFLOAT):
            if self.chance(0.5):
                e = f"append({v.name}, {self.expr(v.ty[5:-1], scope, 2)})"
                return [Node(f"{v.name} = {e}")]
            v.nonempty = v.nonempty and False
        if v.ty == MSI:
            v.keys = tuple(_literal_keys(e)) if e.startswith("{") else ()
        return [Node(f"{v.name} = {e}")]

    def s_print(self, scope: Scope, depth: int) -> list[Node]:
        printable = [t for t in self.types if t != FII]
        args = [self.expr(self.r.choice(printable), scope, 2)
                for _ in range(self.r.randint(1, 3))]
        return [Node(f"print({', '.join(args)})")]

    def s_list_update(self, scope: Scope, depth: int) -> list[Node]:
        vs = [v for v in scope.all() if v.ty in (LINT, LSTR, LFLOAT)]
        if not vs:
            return self.s_print(scope, depth)
        v = self.r.choice(vs)
        i = self.expr(INT, scope, 1)
        e = self.expr(v.ty[5:-1], scope, 2)
        return [Node(f"if len({v.name}) > 0 {{",
                     [Node(f"{v.name}[({i}) % len({v.name})] = {e}")])]

    def s_map_update(self, scope: Scope, depth: int) -> list[Node]:
        vs = [v for v in scope.all() if v.ty == MSI]
        if not vs:
            return self.s_print(scope, depth)
        v = self.r.choice(vs)
        key = self.r.choice(["k1", "k2", "zz", "é"])
        v.keys = tuple(sorted({*v.keys, key})) if v.keys is not None else ()
        return [Node(f'{v.name}["{key}"] = ({self.expr(INT, scope, 2)}) % {BOUND}')]

    def s_field_update(self, scope: Scope, depth: int) -> list[Node]:
        vs = [v for v in scope.all() if v.ty == self.struct and v.mutable]
        if not vs:
            return self.s_print(scope, depth)
        v = self.r.choice(vs)
        f, t = self.r.choice([("a", INT), ("b", STR), ("c", LINT)])
        e = self.expr(t, scope, 2)
        if t == INT:
            e = f"({e}) % {BOUND}"
        return [Node(f"{v.name}.{f} = {e}")]

    def s_call(self, scope: Scope, depth: int) -> list[Node]:
        voids = [f for f in self.funs if f.ret is None]
        if voids:
            f = self.r.choice(voids)
            return [Node(self.call(f, scope, 2))]
        return [Node(f"print({self.expr(INT, scope, 2)})")]

    def s_if(self, scope: Scope, depth: int) -> list[Node]:
        cond = self.expr(BOOL, scope, 2)
        then = self.stmts(Scope(parent=scope), self.r.randint(1, 3), depth - 1)
        if self.chance(0.5):
            other = self.stmts(Scope(parent=scope), self.r.randint(1, 3), depth - 1)
            return [Node(f"if {cond} {{", then, other)]
        return [Node(f"if {cond} {{", then)]

    def s_for_range(self, scope: Scope, depth: int) -> list[Node]:
        i = self.name("i")
        inner = Scope(parent=scope, loop=True)
        inner.vars.append(Var(i, INT))
        lo = self.r.randint(-2, 2)
        hi = self.r.choice([str(self.r.randint(0, 6)), f"{lo} + len({self.expr(LINT, scope, 1)})"])
        body = self.stmts(inner, self.r.randint(1, 3), depth - 1)
        return [Node(f"for {i} in {lo}..{hi} {{", body)]

    def s_for_each(self, scope: Scope, depth: int) -> list[Node]:
        ty = self.r.choice([LINT, LSTR, MSI, STR, LFLOAT])
        src = self.expr(ty, scope, 2)
        x = self.name("x")
        et = {LINT: INT, LSTR: STR, MSI: STR, STR: STR, LFLOAT: FLOAT}[ty]
        inner = Scope(parent=scope, loop=True)
        inner.vars.append(Var(x, et))
        body = self.stmts(inner, self.r.randint(1, 3), depth - 1)
        return [Node(f"for {x} in {src} {{", body)]

    def s_while(self, scope: Scope, depth: int) -> list[Node]:
        c = self.name("w")
        inner = Scope(parent=scope, loop=True)
        inner.vars.append(Var(c, INT))
        body = [Node(f"{c} = {c} + 1", fixed=True),
                *self.stmts(inner, self.r.randint(1, 3), depth - 1)]
        return [Node(f"var {c} = 0"), Node(f"while {c} < {self.r.randint(0, 5)} {{", body)]

    def s_break(self, scope: Scope, depth: int) -> list[Node]:
        word = self.r.choice(["break", "continue"])
        return [Node(f"if {self.expr(BOOL, scope, 1)} {{", [Node(word)])]

    def s_input(self, scope: Scope, depth: int) -> list[Node]:
        name = self.name("line")
        scope.vars.append(Var(name, STR))
        return [Node(f"let {name} = input()"), Node(f"print(len({name}), {name})")]

    def s_nested_fun(self, scope: Scope, depth: int) -> list[Node]:
        """A nested function capturing the unit's variables."""
        name = self.name("g")
        ret = self.r.choice([INT, STR, BOOL])
        inner = Scope(parent=scope, in_fun=ret)
        inner.vars.append(Var("q", INT))
        body = [*self.stmts(inner, self.r.randint(0, 2), 0),
                Node(f"return {self.expr(ret, inner, 2)}")]
        decl = Node(f"fun {name}(q{self.ann(': int')}){self.ann(': ' + ret)} {{", body)
        use = Node(f"print({name}({self.expr(INT, scope, 1)}))")
        return [decl, use]

    def s_closure_state(self, scope: Scope, depth: int) -> list[Node]:
        """A closure changing a captured variable: the change is seen outside."""
        c = self.name("cnt")
        f = self.name("step")
        k = self.r.randint(1, 4)
        scope.vars.append(Var(c, INT, mutable=False))
        lam = f"fun(){{ {c} = ({c} + {self.expr(INT, scope, 1)}) % {BOUND} }}"
        return [Node(f"var {c} = {k}"), Node(f"let {f} = {lam}"),
                Node(f"{f}()"), Node(f"{f}()"), Node(f"print({c})")]

    def s_match(self, scope: Scope, depth: int) -> list[Node]:
        name = self.name("m")
        ty = self.r.choice([INT, STR])
        value = self.match_sum(ty, scope, 2)
        scope.vars.append(Var(name, ty))
        return [Node(f"let {name} = {value}"), Node(f"print({name})")]

    # ------------------------------------------------------------ expressions

    def expr(self, ty: str, scope: Scope, depth: int) -> str:
        if depth <= 0 or self.chance(0.25):
            return self.leaf(ty, scope)
        gen = {INT: self.e_int, FLOAT: self.e_float, BOOL: self.e_bool, STR: self.e_str,
               LINT: self.e_list, LSTR: self.e_list, LFLOAT: self.e_list, MSI: self.e_map,
               FII: self.e_fun, OINT: self.e_option, ANY: self.e_any}.get(ty)
        if ty == self.struct:
            gen = self.e_struct
        elif ty == self.sum:
            gen = self.e_sum
        assert gen is not None, ty
        if self.chance(0.12):
            calls = [f for f in self.funs if f.ret == ty]
            if calls:
                return self.call(self.r.choice(calls), scope, depth - 1)
        if self.chance(0.05):
            return f"(if {self.expr(BOOL, scope, depth - 1)} then {self.expr(ty, scope, depth - 1)}" \
                   f" else {self.expr(ty, scope, depth - 1)})"
        return gen(ty, scope, depth - 1)

    def leaf(self, ty: str, scope: Scope) -> str:
        vs = self.vars_of(scope, ty)
        if vs and self.chance(0.7):
            return self.r.choice(vs).name
        return self.literal(ty, scope)

    def literal(self, ty: str, scope: Scope) -> str:
        r = self.r
        if ty == INT:
            v = r.randint(-20, 20)
            return f"({v})" if v < 0 else str(v)
        if ty == FLOAT:
            v = r.choice(["0.0", "1.5", "2.25", "0.1", "3.0", "100.0", "1e3", "0.5", "7.75",
                          "1e-3", "123456.5"])
            return r.choice([v, f"(-{v})"])
        if ty == BOOL:
            return r.choice(["true", "false"])
        if ty == STR:
            return '"' + r.choice(WORDS) + '"'
        if ty in (LINT, LSTR, LFLOAT):
            et = ty[5:-1]
            return "[" + ", ".join(self.literal(et, scope) for _ in range(r.randint(1, 4))) + "]"
        if ty == MSI:
            ks = r.sample(["k1", "k2", "zz", "é", "b"], r.randint(1, 3))
            return "{" + ", ".join(f'"{k}": {self.literal(INT, scope)}' for k in ks) + "}"
        if ty == self.struct:
            return f'({self.struct} {{ a: {self.literal(INT, scope)}, b: {self.literal(STR, scope)}, ' \
                   f'c: {self.literal(LINT, scope)} }})'
        if ty == self.sum:
            return self.e_sum(ty, scope, 0)
        if ty == FII:
            return f"fun(x{OPEN}: int{CLOSE}){OPEN}: int{CLOSE} => (x * {r.randint(-3, 3)}) % {BOUND}"
        if ty == OINT:
            return r.choice(["none", str(r.randint(0, 9))])
        if ty == ANY:
            return f"({self.literal(r.choice([INT, STR, BOOL, LINT]), scope)} as any)"
        raise AssertionError(ty)

    def safe_int(self, scope: Scope, depth: int) -> str:
        """A non-zero int in 2..10: an arbitrary int reduced and shifted."""
        return f"(({self.expr(INT, scope, depth)}) % 5 + 6)"

    def e_int(self, ty: str, scope: Scope, depth: int) -> str:
        r = self.r
        e = lambda: self.expr(INT, scope, depth)  # noqa: E731
        forms: list[Callable[[], str]] = [
            lambda: f"({e()} + {e()})", lambda: f"({e()} - {e()})",
            lambda: f"(({e()} * {e()}) % {BOUND})", lambda: f"({e()} / {self.safe_int(scope, depth)})",
            lambda: f"({e()} % {self.safe_int(scope, depth)})", lambda: f"(-{e()})",
            lambda: f"len({self.expr(r.choice([LINT, LSTR, STR, MSI]), scope, depth)})",
            lambda: f"abs({e()})", lambda: f"min({e()}, {e()})", lambda: f"max({e()}, {e()})",
            lambda: self.index(LINT, scope, depth),
            lambda: f"{self.expr(self.struct, scope, depth)}.a",
            lambda: f"{self.expr(self.struct, scope, depth)}.bump({e()})",
            lambda: f"({self.expr(FII, scope, depth)})({e()})",
            lambda: f"(sum({self.expr(LINT, scope, depth)}) % {BOUND})",
            lambda: f"int({r.randint(-99, 99)}.{r.randint(0, 9)})",
            lambda: f'int("{r.randint(-500, 500)}")',
            lambda: f"indexOf({self.expr(STR, scope, depth)}, {self.expr(STR, scope, depth)})",
            lambda: self.match_int(scope, depth),
            lambda: self.map_get(scope, depth),
            lambda: f"count(from y in {self.expr(LINT, scope, depth)} where y > {e()} select y)",
            lambda: f"len(str({self.expr(FLOAT, scope, depth)}))",
            lambda: f"(if {self.expr(ANY, scope, depth)} == {e()} then 1 else 0)",
        ]
        return r.choice(forms)()

    def index(self, ty: str, scope: Scope, depth: int) -> str:
        lst = self.expr(ty, scope, depth)
        i = self.expr(INT, scope, depth)
        et = ty[5:-1] if ty.startswith("list") else STR
        default = self.literal(et, scope)
        vs = [v for v in self.vars_of(scope, ty) if v.nonempty]
        if vs and self.chance(0.5):
            v = self.r.choice(vs).name
            return f"{v}[({i}) % len({v})]"
        return f"(if len({lst}) > 0 then ({lst})[({i}) % len({lst})] else {default})"

    def map_get(self, scope: Scope, depth: int) -> str:
        vs = [v for v in self.vars_of(scope, MSI) if v.keys]
        if vs and self.chance(0.6):
            v = self.r.choice(vs)
            return f'{v.name}["{self.r.choice(v.keys)}"]'
        m = self.expr(MSI, scope, depth)
        k = self.r.choice(["k1", "k2", "zz", "é", "b"])
        return f'(if "{k}" in {m} then ({m})["{k}"] else {self.literal(INT, scope)})'

    def match_int(self, scope: Scope, depth: int) -> str:
        subject = self.expr(INT, scope, depth)
        cases = [f"{v} => {self.expr(INT, scope, depth)}" for v in
                 self.r.sample(range(-3, 6), self.r.randint(1, 3))]
        cases.append(f"_ => {self.expr(INT, scope, depth)}")
        return "(match " + subject + " {\n" + "\n".join(cases) + "\n})"

    def match_sum(self, ty: str, scope: Scope, depth: int) -> str:
        subject = self.expr(self.sum, scope, depth)
        cases = []
        names = list(self.variants)
        wild = self.chance(0.3)
        if wild:
            names = self.r.sample(names, self.r.randint(1, len(names) - 1))
        for v in names:
            fs = self.variants[v]
            inner = Scope(parent=scope)
            binds = []
            for _, ft in fs:
                if self.chance(0.8):
                    b = self.name("b")
                    inner.vars.append(Var(b, ft))
                    binds.append(b)
                else:
                    binds.append("_")
            pat = f"{v}({', '.join(binds)})" if fs else v
            cases.append(f"{pat} => {self.expr(ty, inner, depth)}")
        if wild:
            cases.append(f"_ => {self.expr(ty, scope, depth)}")
        return "match " + subject + " {\n" + "\n".join(cases) + "\n}"

    def e_float(self, ty: str, scope: Scope, depth: int) -> str:
        e = lambda: self.expr(FLOAT, scope, depth)  # noqa: E731
        forms: list[Callable[[], str]] = [
            lambda: f"({e()} + {e()})", lambda: f"({e()} - {e()})", lambda: f"({e()} * {e()})",
            lambda: f"({e()} / {self.r.choice(['2.0', '0.5', '3.0', '(-4.0)', '0.0'])})",
            lambda: f"(-{e()})", lambda: f"float({self.expr(INT, scope, depth)})",
            lambda: f"({self.expr(INT, scope, depth)} + {e()})",
            lambda: f"sqrt(abs({e()}))",
            lambda: self.index(LFLOAT, scope, depth),
            lambda: f"(if {self.expr(BOOL, scope, depth)} then {e()} else {e()})",
        ]
        return self.r.choice(forms)()

    def e_bool(self, ty: str, scope: Scope, depth: int) -> str:
        r = self.r
        cmp = r.choice(["<", "<=", ">", ">=", "==", "!="])
        forms: list[Callable[[], str]] = [
            lambda: f"({self.expr(INT, scope, depth)} {cmp} {self.expr(INT, scope, depth)})",
            lambda: f"({self.expr(FLOAT, scope, depth)} {cmp} {self.expr(FLOAT, scope, depth)})",
            lambda: f"({self.expr(STR, scope, depth)} {cmp} {self.expr(STR, scope, depth)})",
            lambda: f"({self.expr(BOOL, scope, depth)} && {self.expr(BOOL, scope, depth)})",
            lambda: f"({self.expr(BOOL, scope, depth)} || {self.expr(BOOL, scope, depth)})",
            lambda: f"(!{self.expr(BOOL, scope, depth)})",
            lambda: f"({self.expr(INT, scope, depth)} in {self.expr(LINT, scope, depth)})",
            lambda: f'("{r.choice(["k1", "zz", "q"])}" in {self.expr(MSI, scope, depth)})',
            lambda: f"contains({self.expr(STR, scope, depth)}, {self.expr(STR, scope, depth)})",
            lambda: f"({self.expr(LINT, scope, depth)} == {self.expr(LINT, scope, depth)})",
            lambda: f"({self.expr(OINT, scope, depth)} == none)",
            lambda: f"({self.expr(self.struct, scope, depth)} == {self.expr(self.struct, scope, depth)})",
        ]
        return r.choice(forms)()

    def e_str(self, ty: str, scope: Scope, depth: int) -> str:
        r = self.r
        s = lambda: self.expr(STR, scope, depth)  # noqa: E731
        forms: list[Callable[[], str]] = [
            lambda: f"({s()} + {s()})", lambda: f"str({self.expr(INT, scope, depth)})",
            lambda: f"str({self.expr(FLOAT, scope, depth)})",
            lambda: f"str({self.expr(r.choice([BOOL, LINT, LSTR, MSI, self.struct, OINT]), scope, depth)})",
            lambda: f"upper({s()})", lambda: f"lower({s()})",
            lambda: f"{s()}[{r.randint(-3, 3)}:{r.randint(-3, 5)}]",
            lambda: f"join({self.expr(LSTR, scope, depth)}, {s()})",
            lambda: f"repeat({s()}, {r.randint(0, 3)})",
            lambda: self.index(STR, scope, depth),
            lambda: f"{self.expr(self.struct, scope, depth)}.b",
            lambda: f"{self.expr(self.struct, scope, depth)}.label()",
            lambda: f"trim({s()})",
            lambda: f"padStart({s()}, {r.randint(0, 6)}, \"*\")",
            lambda: self.match_sum(STR, scope, depth),
            lambda: f"str({self.expr(ANY, scope, depth)})",
            lambda: f"reverse({s()})",
        ]
        return r.choice(forms)()

    def e_list(self, ty: str, scope: Scope, depth: int) -> str:
        r = self.r
        et = ty[5:-1]
        lst = lambda: self.expr(ty, scope, depth)  # noqa: E731
        forms: list[Callable[[], str]] = [
            lambda: "[" + ", ".join(self.expr(et, scope, depth) for _ in range(r.randint(0, 4))) + "]"
            if et != INT or self.chance(0.7) else "[]",
            lambda: f"append({lst()}, {self.expr(et, scope, depth)})",
            lambda: f"({lst()} + {lst()})",
            lambda: f"{lst()}[{r.randint(-2, 2)}:{r.randint(-1, 4)}]",
            lambda: f"reverse({lst()})",
            lambda: f"(from y in {lst()} select y)",
        ]
        if et == INT:
            forms += [
                lambda: f"(from y in {lst()} where y % 2 == 0 select (y * 3) % {BOUND})",
                lambda: f"(from y in {lst()} sort by -y select y)",
                lambda: f"(from y in {lst()} sort by y skip 1 take 2 select y)",
                lambda: f"{self.expr(self.struct, scope, depth)}.c",
                lambda: f"values({self.expr(MSI, scope, depth)})",
                lambda: f"range({r.randint(-2, 2)}, {r.randint(0, 5)})",
                lambda: f"(from y in {lst()} group by y % 3 into g sort by g.key select count(g))",
                lambda: f"(from a in {lst()} from b in {lst()} where a < b select a * 10 + b)",
            ]
        if et == STR:
            forms += [lambda: f"split({self.expr(STR, scope, depth)}, \",\")",
                      lambda: f"keys({self.expr(MSI, scope, depth)})",
                      lambda: f"(from y in {lst()} sort by y select upper(y))"]
        if et == FLOAT:
            forms += [lambda: f"(from y in {self.expr(LINT, scope, depth)} select float(y) / 4.0)"]
        return r.choice(forms)()

    def e_map(self, ty: str, scope: Scope, depth: int) -> str:
        r = self.r
        ks = r.sample(["k1", "k2", "zz", "é", "b"], r.randint(0, 3))
        if not ks:
            return "{}" if self.chance(0.5) else self.literal(MSI, scope)
        return "{" + ", ".join(f'"{k}": {self.expr(INT, scope, depth)}' for k in ks) + "}"

    def e_struct(self, ty: str, scope: Scope, depth: int) -> str:
        return f"({self.struct} {{ a: {self.expr(INT, scope, depth)}, " \
               f"b: {self.expr(STR, scope, depth)}, c: {self.expr(LINT, scope, depth)} }})"

    def e_sum(self, ty: str, scope: Scope, depth: int) -> str:
        v = self.r.choice(list(self.variants))
        fs = self.variants[v]
        if not fs:
            return v
        if self.chance(0.5):
            args = ", ".join(self.expr(t, scope, depth) for _, t in fs)
            return f"{v}({args})"
        args = ", ".join(f"{n}: {self.expr(t, scope, depth)}" for n, t in fs)
        return f"({v} {{ {args} }})"

    def e_fun(self, ty: str, scope: Scope, depth: int) -> str:
        r = self.r
        ints = [f for f in self.funs if f.params == [INT] and f.ret == INT and not f.counts_down]
        if ints and self.chance(0.3):
            return r.choice(ints).name
        inner = Scope(parent=scope)
        inner.vars.append(Var("x", INT))
        body = self.expr(INT, inner, depth)
        return f"fun(x{OPEN}: int{CLOSE}){OPEN}: int{CLOSE} => ({body}) % {BOUND}"

    def e_option(self, ty: str, scope: Scope, depth: int) -> str:
        return self.r.choice(["none", self.expr(INT, scope, depth)])

    def e_any(self, ty: str, scope: Scope, depth: int) -> str:
        t = self.r.choice([INT, STR, BOOL, LINT, FLOAT, self.struct])
        return f"({self.expr(t, scope, depth)} as any)"

    def call(self, f: Fun, scope: Scope, depth: int) -> str:
        args = [self.expr(t, scope, depth) for t in f.params]
        if f.counts_down:
            args[0] = str(self.r.randint(0, 6))
        return f"{f.name}({', '.join(args)})"


def _one_literal(e: str) -> bool:
    """Is ``e`` one list literal (`[...]`, not `[...][1:2]`, which may be empty)?"""
    if not e.startswith("["):
        return False
    depth = 0
    i = 0
    while i < len(e):
        c = e[i]
        if c == '"':
            i += 1
            while e[i] != '"':
                i += 2 if e[i] == "\\" else 1
        elif c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return i == len(e) - 1
        i += 1
    return False


def _literal_keys(e: str) -> list[str]:
    """The keys of a map literal written by the generator (`{"k1": ...}`)."""
    if not e.startswith("{"):
        return []
    keys = []
    depth = 0
    i = 0
    while i < len(e):
        c = e[i]
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
        elif c == '"' and depth == 1 and (i == 1 or e[i - 2:i] == ", "):
            j = e.index('"', i + 1)
            keys.append(e[i + 1:j])
            i = j
        i += 1
    return keys


@dataclass
class Batch:
    """Several units in one program, run in order; ``stdin`` feeds their `input()`."""

    units: list[list[Node]]
    seeds: list[int]
    stdin: str
    fails: bool  # its last unit ends in a runtime error

    def nodes(self, only: list[int] | None = None) -> list[Node]:
        picked = range(len(self.units)) if only is None else only
        out: list[Node] = []
        for i in picked:
            out.extend(self.units[i])
        for i in picked:
            out.append(Node(f"u{self.seeds[i]}_main()", fixed=True))
        return out

    def source(self, typed: bool = True, only: list[int] | None = None) -> str:
        return render(self.nodes(only), typed)


def unit(seed: int, fail: bool = False, uses_input: bool = False) -> list[Node]:
    """The unit generated from ``seed`` (its names carry the seed, so units from
    different seeds can share a program)."""
    return UnitGen(random.Random(seed), seed, fail, uses_input).unit()


def batch(first_seed: int, count: int, fail_last: bool | None = None) -> Batch:
    """``count`` units from consecutive seeds; the last one may fail on purpose."""
    rng = random.Random(first_seed * 7919 + count)
    if fail_last is None:
        fail_last = rng.random() < 0.5
    seeds = list(range(first_seed, first_seed + count))
    inputs = rng.random() < 0.5
    units = [unit(s, fail=fail_last and i == count - 1, uses_input=inputs)
             for i, s in enumerate(seeds)]
    lines = [rng.choice(["abc", "", "x y", "  pad  ", "12", "é"]) +
             rng.choice(["\n", "\r\n"]) for _ in range(8 * count if inputs else 0)]
    return Batch(units, seeds, "".join(lines), fail_last)
