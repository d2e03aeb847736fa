"""Unit tests of the parser: AST shapes, newline rules, ambiguities, errors, robustness."""

from __future__ import annotations

import random
import time

import pytest

from mochic.diagnostics import CompileError, Diagnostics, Span
from mochic.frontend import ast
from mochic.frontend.parser import MAX_DEPTH, parse

# ---------------------------------------------------------------- helpers


def parse_ok(src: str) -> list[ast.Stmt]:
    diags = Diagnostics("t.mochi", src)
    program = parse("t.mochi", src, diags)
    assert not diags.items, diags.render()
    return program.body


def errors(src: str) -> list[tuple[int, int, str]]:
    diags = Diagnostics("t.mochi", src)
    try:
        parse("t.mochi", src, diags)
    except CompileError:
        pass
    return [(d.span.line, d.span.col, d.message) for d in diags.items]


def messages(src: str) -> list[str]:
    return [m for _, _, m in errors(src)]


def sexp(node: object) -> str:
    """A compact rendering of an expression for shape assertions."""
    match node:
        case ast.IntLit(value=v) | ast.FloatLit(value=v):
            return repr(v)
        case ast.StrLit(value=v):
            return '"' + v + '"'
        case ast.BoolLit(value=v):
            return "true" if v else "false"
        case ast.NoneLit():
            return "none"
        case ast.Name(id=name):
            return name
        case ast.Unary(op=op, operand=e):
            return f"({op} {sexp(e)})"
        case ast.Binary(op=op, left=a, right=b):
            return f"({op} {sexp(a)} {sexp(b)})"
        case ast.Call(func=f, args=args):
            return "(call " + " ".join(sexp(x) for x in [f, *args]) + ")"
        case ast.Index(obj=o, index=i):
            return f"(idx {sexp(o)} {sexp(i)})"
        case ast.Slice(obj=o, start=a, end=b):
            return f"(slice {sexp(o)} {sexp(a) if a else '_'} {sexp(b) if b else '_'})"
        case ast.Field(obj=o, name=name):
            return f"(. {sexp(o)} {name})"
        case ast.Cast(expr=e, to=t):
            return f"(as {sexp(e)} {sexp(t)})"
        case ast.ListLit(elems=es):
            return "[" + " ".join(sexp(e) for e in es) + "]"
        case ast.MapLit(entries=es):
            return "{" + ", ".join(f"{sexp(e.key)}{'!' if e.bare else ''}: {sexp(e.value)}" for e in es) + "}"
        case ast.StructLit(name=name, fields=fs):
            return name + "{" + ", ".join(f"{k}: {sexp(v)}" for k, v in fs) + "}"
        case ast.IfExpr(cond=c, then=a, else_=b):
            return f"(if {sexp(c)} {sexp(a)} {sexp(b)})"
        case ast.Lambda(params=ps, body=body):
            head = "(fun (" + " ".join(p.name for p in ps) + ") "
            if isinstance(body, list):
                return head + f"<{len(body)} stmts>)"
            return head + sexp(body) + ")"
        case ast.Match(subject=s, cases=cs):
            return f"(match {sexp(s)} " + " ".join(f"[{sexp(c.pattern)} {sexp(c.result)}]" for c in cs) + ")"
        case ast.TypeName(name=name):
            return name
        case ast.TypeGeneric(name=name, args=args):
            return name + "<" + ", ".join(sexp(a) for a in args) + ">"
        case ast.TypeList(elem=e):
            return f"[{sexp(e)}]"
        case ast.TypeOption(inner=t):
            return sexp(t) + "?"
        case ast.TypeFun(params=ps, ret=r):
            return "fun(" + ", ".join(sexp(p) for p in ps) + ")" + (f": {sexp(r)}" if r else "")
        case ast.TypeRecord(fields=fs):
            return "{" + ", ".join(f"{f.name}: {sexp(f.type)}" for f in fs) + "}"
        case ast.Query():
            return "(query)"
    raise AssertionError(f"no rendering for {node!r}")


def expr(src: str) -> ast.Expr:
    body = parse_ok(f"let v = {src}\n")
    assert len(body) == 1 and isinstance(body[0], ast.VarDecl), body
    assert body[0].value is not None
    return body[0].value


def shape(src: str) -> str:
    return sexp(expr(src))


# ---------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b % c * d", "(* (% (/ a b) c) d)"),
        ("a || b && c", "(|| a (&& b c))"),
        ("a && b || c && d", "(|| (&& a b) (&& c d))"),
        ("a == b < c", "(== a (< b c))"),
        ("a < b + 1", "(< a (+ b 1))"),
        ("x in xs && y", "(&& (in x xs) y)"),
        ("x + 1 in xs", "(in (+ x 1) xs)"),
        ("a != b == c", "(== (!= a b) c)"),
        ("a union b + c", "(union a (+ b c))"),
        ("a union all b", "(union_all a b)"),
        ("a || b except c", "(except (|| a b) c)"),
        ("a intersect b union c", "(union (intersect a b) c)"),
        ("-x.y", "(- (. x y))"),
        ("!a == b", "(== (! a) b)"),
        ("- -x", "(- (- x))"),
        ("!!a", "(! (! a))"),
        ("-2 * 3", "(* -2 3)"),
        ("2 - -3", "(- 2 -3)"),
        ("2 -3", "(- 2 3)"),
        ("-1.5", "-1.5"),
        ("x as int + 1", "(+ (as x int) 1)"),
        ("-x as float", "(- (as x float))"),
        ("(a + b) * c", "(* (+ a b) c)"),
        ("f(a, b)(c)", "(call (call f a b) c)"),
        ("xs[i][j]", "(idx (idx xs i) j)"),
        ("xs[1:2]", "(slice xs 1 2)"),
        ("xs[:n]", "(slice xs _ n)"),
        ("xs[n:]", "(slice xs n _)"),
        ("xs[:]", "(slice xs _ _)"),
        ("xs[len(xs)-1]", "(idx xs (- (call len xs) 1))"),
        ("math.sqrt(2.0)", "(call (. math sqrt) 2.0)"),
        ("p.items[0].name", "(. (idx (. p items) 0) name)"),
        ("xs as list<int>", "(as xs list<int>)"),
        ("x as int < y", "(< (as x int) y)"),
        ("v as map<string, list<int>>", "(as v map<string, list<int>>)"),
    ],
)
def test_expression_shapes(src, expected):
    assert shape(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("42", "42"),
        ("0x10", "16"),
        ("1_000", "1000"),
        ("2.5e-3", "0.0025"),
        ('"hi\\n"', '"hi\n"'),
        ("true", "true"),
        ("false", "false"),
        ("none", "none"),
        ("null", "none"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
    ],
)
def test_literals(src, expected):
    assert shape(src) == expected


def test_integer_literal_out_of_range():
    assert errors("let x = 9223372036854775808") == [(1, 9, "integer literal out of range")]
    assert errors("let x = -9223372036854775809") == [(1, 9, "integer literal out of range")]
    assert errors("let x = 1 - 9223372036854775808") == [(1, 13, "integer literal out of range")]


def test_list_and_map_literals():
    assert shape("[]") == "[]"
    assert shape("[1, 2, 3,]") == "[1 2 3]"
    assert shape("[\n  1,\n  2\n]") == "[1 2]"
    assert shape("{}") == "{}"
    assert shape('{a: 1, "b": 2, 3: x + 1}') == '{"a"!: 1, "b": 2, 3: (+ x 1)}'
    # In braces a newline separates entries like a comma.
    assert shape("{\n  a: 1\n  b: [1,\n 2]\n}") == '{"a"!: 1, "b"!: [1 2]}'
    # A key that is more than a bare name is an expression.
    assert shape("{k.name: 1}") == "{(. k name): 1}"


def test_struct_literals():
    assert shape("Point { x: 1, y: 2 }") == "Point{x: 1, y: 2}"
    assert shape("Point {\n  x: 1\n  y: 2,\n}") == "Point{x: 1, y: 2}"
    assert shape("Leaf {}") == "Leaf{}"
    # A lowercase name followed by `{ field:` is clearly a struct literal too.
    assert shape("point { x: 1 }") == "point{x: 1}"
    e = expr("Point { x: 1 }")
    assert isinstance(e, ast.StructLit) and e.span == Span(1, 9, 14)


def test_lambdas():
    assert shape("fun (x: int): int => x + 1") == "(fun (x) (+ x 1))"
    assert shape("fun(a, b) => a * b") == "(fun (a b) (* a b))"
    lam = expr("fun (x: int): int {\n  let y = x\n  return y\n}")
    assert isinstance(lam, ast.Lambda) and isinstance(lam.body, list) and len(lam.body) == 2
    assert sexp(lam.ret) == "int" and sexp(lam.params[0].type) == "int"
    assert shape("fun () => fun (y) => y") == "(fun () (fun (y) y))"


def test_if_expressions():
    assert shape("if a then 1 else 2") == "(if a 1 2)"
    assert shape("if a then 1 else if b then 2 else 3") == "(if a 1 (if b 2 3))"
    assert shape("if a { 1 } else { 2 }") == "(if a 1 2)"
    assert shape("if a {\n  1\n} else if b {\n  2\n} else {\n  3\n}") == "(if a 1 (if b 2 3))"
    assert shape("if x == y { x } else { y }") == "(if (== x y) x y)"
    assert shape("if a\n  then 1\n  else 2") == "(if a 1 2)"
    assert shape("if a then {k: 1} else {k: 2}") == '(if a {"k"!: 1} {"k"!: 2})'
    # A nested if statement that yields a value in each branch reads as an expression.
    assert shape("if a {\n  if b { 1 } else { 2 }\n} else { 3 }") == "(if a (if b 1 2) 3)"


def test_match():
    src = 'match x {\n  1 => "one"\n  2 => "two",\n  _ => "many"\n}'
    assert shape(src) == '(match x [1 "one"] [2 "two"] [_ "many"])'
    assert shape("match t {\n  Leaf => 0\n  Node(l, v, r) => v\n}") == "(match t [Leaf 0] [(call Node l v r) v])"
    assert shape("match s { Circle(r) => r, _ => 0 }") == "(match s [(call Circle r) r] [_ 0])"
    # As in the reference, cases may follow each other without a separator.
    assert shape("match n { Leaf => false _ => true }") == "(match n [Leaf false] [_ true])"
    assert shape("match x { 1 => {}\n _ => { x } }") == "(match x [1 {}] [_ x])"
    m = expr("match x {\n  -1 => none\n  none => 0\n}")
    assert sexp(m) == "(match x [-1 none] [none 0])"
    assert m.cases[1].span.line == 3


# ---------------------------------------------------------------- newlines


def test_newline_ends_a_statement():
    body = parse_ok("let a = 1\nlet b = 2\nprint(a)")
    assert [type(s).__name__ for s in body] == ["VarDecl", "VarDecl", "ExprStmt"]
    body = parse_ok("let a = 1; let b = 2;")
    assert [type(s).__name__ for s in body] == ["VarDecl", "VarDecl"]


def test_trailing_operator_continues_the_line():
    assert shape("1 +\n  2") == "(+ 1 2)"
    assert shape("a &&\n\n  b") == "(&& a b)"
    assert shape("\n  5") == "5"  # after `=`
    assert shape("f(\n  1,\n  2\n)") == "(call f 1 2)"
    assert shape("p.\n  name") == "(. p name)"


@pytest.mark.parametrize("op", ["+", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"])
def test_leading_binary_operator_continues_the_line(op):
    body = parse_ok(f"let v = a\n  {op} b\nprint(v)")
    assert len(body) == 2
    assert sexp(body[0].value) == f"({op} a b)"


def test_leading_dot_and_as_continue():
    assert shape("xs\n  .map(f)\n  .len") == "(. (call (. xs map) f) len)"
    assert shape("x\n  as float") == "(as x float)"


@pytest.mark.parametrize("start", ["-1", "!ok", "(f)", "[1]"])
def test_line_starting_with_prefix_token_is_a_new_statement(start):
    body = parse_ok(f"let v = a\n{start}")
    assert len(body) == 2
    assert sexp(body[0].value) == "a"


def test_set_operators_across_lines():
    body = parse_ok("let r = (xs)\n  except\n  (ys)")
    assert len(body) == 1 and sexp(body[0].value) == "(except xs ys)"
    body = parse_ok("let r = xs\n  union all ys")
    assert len(body) == 1 and sexp(body[0].value) == "(union_all xs ys)"
    # `union` used as a function name on its own line is a new statement.
    body = parse_ok("let a = 1\nunion(a, 2)\nunion = 3")
    assert [type(s).__name__ for s in body] == ["VarDecl", "ExprStmt", "Assign"]


def test_else_on_the_next_line():
    body = parse_ok("if a {\n  f()\n}\nelse {\n  g()\n}")
    assert len(body) == 1 and isinstance(body[0], ast.If) and body[0].else_ is not None


# ---------------------------------------------------------------- struct literal ambiguity


def test_struct_literals_are_off_in_conditions():
    (s,) = parse_ok("if x == y {\n  print(1)\n}")
    assert isinstance(s, ast.If) and sexp(s.cond) == "(== x y)" and len(s.then) == 1
    (s,) = parse_ok("if X == Y { print(1) }")
    assert sexp(s.cond) == "(== X Y)"
    (s,) = parse_ok("while ok {\n  ok = false\n}")
    assert isinstance(s, ast.While) and sexp(s.cond) == "ok"
    (s,) = parse_ok("for p in Points {\n  print(p)\n}")
    assert isinstance(s, ast.ForEach) and sexp(s.iterable) == "Points"
    (s,) = parse_ok("for i in 0..N { }")
    assert isinstance(s, ast.ForRange) and sexp(s.end) == "N"
    (s,) = parse_ok("match Color {\n  Red => 1\n}")
    assert sexp(s.expr) == "(match Color [Red 1])"


def test_struct_literals_in_parentheses_inside_conditions():
    (s,) = parse_ok("if p == (P { x: 1 }) {\n}")
    assert sexp(s.cond) == "(== p P{x: 1})"
    (s,) = parse_ok("if contains(xs, P { x: 1 }) {\n}")
    assert sexp(s.cond) == "(call contains xs P{x: 1})"
    (s,) = parse_ok("if m == {} {\n}")
    assert sexp(s.cond) == "(== m {})"


# ---------------------------------------------------------------- statements


def test_var_decls():
    a, b, c, d = parse_ok("let x = 1\nlet y: int = 2\nvar z: list<int>\nvar w")
    assert (a.name, a.type, sexp(a.value), a.mutable) == ("x", None, "1", False)
    assert (b.name, sexp(b.type), sexp(b.value)) == ("y", "int", "2")
    assert (c.name, sexp(c.type), c.value, c.mutable) == ("z", "list<int>", None, True)
    assert (d.type, d.value) == (None, None)
    assert a.span == Span(1, 1, 9)


def test_names_that_are_query_words_elsewhere():
    body = parse_ok(
        "let left = 1\nlet right = left + 1\nvar order = [left, right]\n"
        "fun join(from: int, by: int): int { return from + by }\n"
        "let select = join(1, 2)\nlet group = {on: 1, all: 2}\nprint(order[0], select, group.on)"
    )
    assert len(body) == 7
    assert sexp(body[3].body[0].value) == "(+ from by)"


def test_assignment_targets():
    stmts = parse_ok("x = 1\nxs[i] = 2\na[i][j] = 3\nm[k].f = 4\np.x = 5\np.a.b = 6")
    assert [sexp(s.target) for s in stmts] == [
        "x", "(idx xs i)", "(idx (idx a i) j)", "(. (idx m k) f)", "(. p x)", "(. (. p a) b)",
    ]  # fmt: skip
    assert all(isinstance(s, ast.Assign) for s in stmts)


def test_invalid_assignment_target():
    assert errors("f() = 3") == [(1, 1, "cannot assign to this expression")]
    assert errors("xs[1:2] = ys") == [(1, 1, "cannot assign to this expression")]


def test_compound_assignment_is_rejected_with_a_hint():
    diags = Diagnostics("t.mochi", "x += 1")
    parse("t.mochi", "x += 1", diags)
    assert [(d.span, d.message, d.hint) for d in diags.items] == [
        (Span(1, 3, 2), "compound assignment '+=' is not supported", "write 'x = x + value'")
    ]


def test_functions():
    (f,) = parse_ok("fun add(a: int, b: int): int {\n  return a + b\n}")
    assert isinstance(f, ast.FunDecl) and f.name == "add"
    assert [(p.name, sexp(p.type), p.span) for p in f.params] == [
        ("a", "int", Span(1, 9, 1)), ("b", "int", Span(1, 17, 1)),
    ]  # fmt: skip
    assert sexp(f.ret) == "int" and isinstance(f.body[0], ast.Return)
    (g,) = parse_ok("fun g(x,\n  y) {\n  fun inner() { return }\n  return\n}")
    assert [p.type for p in g.params] == [None, None] and g.ret is None
    assert isinstance(g.body[0], ast.FunDecl) and g.body[0].body[0].value is None
    assert g.body[1].value is None


def test_one_line_blocks_and_statements_after_a_block():
    (f,) = parse_ok("fun max(a: int, b: int): int { if a > b { return a } return b }")
    assert [type(s).__name__ for s in f.body] == ["If", "Return"]


def test_if_else_chains():
    (s,) = parse_ok("if a { f() } else if b { g() } else { h() }")
    assert isinstance(s, ast.If) and len(s.else_) == 1
    inner = s.else_[0]
    assert isinstance(inner, ast.If) and sexp(inner.cond) == "b" and len(inner.else_) == 1
    (s,) = parse_ok("if a then f() else g()")
    assert isinstance(s, ast.ExprStmt) and sexp(s.expr) == "(if a (call f) (call g))"


def test_loops():
    a, b, c = parse_ok("for i in 0..n { }\nfor x in xs { break }\nwhile true { continue }")
    assert isinstance(a, ast.ForRange) and (a.var, sexp(a.start), sexp(a.end)) == ("i", "0", "n")
    assert isinstance(b, ast.ForEach) and isinstance(b.body[0], ast.Break)
    assert isinstance(c, ast.While) and isinstance(c.body[0], ast.Continue)
    (d,) = parse_ok("for i in len(xs) - 1..len(xs) + 1 { }")
    assert sexp(d.start) == "(- (call len xs) 1)" and sexp(d.end) == "(+ (call len xs) 1)"


def test_struct_type_declarations():
    (t,) = parse_ok(
        "type Person {\n  name: string\n  age: int,  email: string\n"
        "  fun greet(): string {\n    return \"hi \" + name\n  }\n}"
    )
    assert isinstance(t, ast.TypeDecl) and t.name == "Person"
    assert [(f.name, sexp(f.type)) for f in t.fields] == [("name", "string"), ("age", "int"), ("email", "string")]
    assert [m.name for m in t.methods] == ["greet"] and t.variants == [] and t.alias is None
    (t,) = parse_ok("type P { x: int, y: int }")
    assert [f.name for f in t.fields] == ["x", "y"]
    (t,) = parse_ok("type Q = { x: int }")
    assert [f.name for f in t.fields] == ["x"]


def test_sum_type_declarations():
    (t,) = parse_ok("type Tree = Leaf | Node(left: Tree, value: int, right: Tree)")
    assert [v.name for v in t.variants] == ["Leaf", "Node"]
    assert [(f.name, sexp(f.type)) for f in t.variants[1].fields] == [
        ("left", "Tree"), ("value", "int"), ("right", "Tree"),
    ]  # fmt: skip
    (t,) = parse_ok("type Shape =\n  Circle(r: float)\n  | Rect { w: float, h: float }\n  | Empty")
    assert [(v.name, len(v.fields)) for v in t.variants] == [("Circle", 1), ("Rect", 2), ("Empty", 0)]
    (t,) = parse_ok("type T =\n  | A\n  | B")
    assert [v.name for v in t.variants] == ["A", "B"]
    (t,) = parse_ok("type Pair = P(a: int, b: int)")
    assert [v.name for v in t.variants] == ["P"] and t.variants[0].span == Span(1, 13, 1)


def test_type_aliases():
    assert [sexp(s.alias) for s in parse_ok("type A = list<int>\ntype B = int\ntype C = [string]?")] == [
        "list<int>", "int", "[string]?",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("int", "int"),
        ("list<int>", "list<int>"),
        ("map<string, list<int>>", "map<string, list<int>>"),
        ("[[float]]", "[[float]]"),
        ("fun(int, string): bool", "fun(int, string): bool"),
        ("fun()", "fun()"),
        ("fun(x: int): int", "fun(int): int"),
        ("int?", "int?"),
        ("list<Person?>?", "list<Person?>?"),
        ("{name: string, age: int}", "{name: string, age: int}"),
    ],
)
def test_types(src, expected):
    (s,) = parse_ok(f"var v: {src}")
    assert sexp(s.type) == expected


def test_generic_type_before_equals():
    (s,) = parse_ok("var xs: list<int>= []")
    assert sexp(s.type) == "list<int>" and sexp(s.value) == "[]"


def test_tests_imports_and_externs():
    body = parse_ok(
        'import python "math" as math\nimport "lib"\n'
        "extern fun math.sqrt(x: float): float\nextern let math.pi: float\nextern var os.x: int\n"
        'test "adds" {\n  expect 1 + 1 == 2\n}'
    )
    imp, imp2, ef, el, ev, tb = body
    assert (imp.lang, imp.path, imp.alias) == ("python", "math", "math")
    assert (imp2.lang, imp2.path, imp2.alias) == (None, "lib", None)
    assert (ef.path, [p.name for p in ef.params], sexp(ef.ret)) == (["math", "sqrt"], ["x"], "float")
    assert (el.path, sexp(el.type)) == (["math", "pi"], "float")
    assert isinstance(ev, ast.ExternLet) and ev.path == ["os", "x"]
    assert isinstance(tb, ast.TestBlock) and tb.name == "adds"
    assert isinstance(tb.body[0], ast.Expect) and sexp(tb.body[0].cond) == "(== (+ 1 1) 2)"


# ---------------------------------------------------------------- queries


def test_full_query():
    q = expr(
        "from c in customers\n"
        "  from o in orders\n"
        "  join p in products on p.id == o.pid\n"
        "  left join s in shippers on s.id == o.sid\n"
        "  right join from r in regions on r.id == c.rid\n"
        "  outer join z in zones on true\n"
        "  where o.total > 10 &&\n"
        "        c.active\n"
        "  group by c.city, c.country into g having count(g) > 1\n"
        "  sort by -sum(from x in g select x.total)\n"
        "  skip 1\n"
        "  take 10\n"
        "  select distinct { city: g.key, n: count(g) }"
    )
    assert isinstance(q, ast.Query)
    assert [(f.var, sexp(f.src)) for f in q.froms] == [("c", "customers"), ("o", "orders")]
    assert [(j.kind, j.var, sexp(j.src)) for j in q.joins] == [
        ("inner", "p", "products"), ("left", "s", "shippers"), ("right", "r", "regions"), ("outer", "z", "zones"),
    ]  # fmt: skip
    assert sexp(q.joins[0].on) == "(== (. p id) (. o pid))"
    assert sexp(q.where) == "(&& (> (. o total) 10) (. c active))"
    assert [sexp(k) for k in q.group.keys] == ["(. c city)", "(. c country)"]
    assert q.group.name == "g" and sexp(q.group.having) == "(> (call count g) 1)"
    assert sexp(q.sort) == "(- (call sum (query)))"
    assert (sexp(q.skip), sexp(q.take), q.distinct) == ("1", "10", True)
    assert sexp(q.select) == '{"city"!: (. g key), "n"!: (call count g)}'


def test_minimal_queries():
    q = expr("from x in xs select x * 2")
    assert (q.joins, q.where, q.group, q.sort, q.skip, q.take, q.distinct) == ([], None, None, None, None, None, False)
    assert sexp(q.select) == "(* x 2)"
    q = expr("from x in xs order by x.age select x")
    assert sexp(q.sort) == "(. x age)"
    # A query ends with its select expression: the next line is a new statement.
    body = parse_ok("let q = from x in xs\n  where x > 1\n  select x\nprint(q)")
    assert len(body) == 2
    assert sexp(expr("sum(from x in xs select x) + 1")) == "(+ (call sum (query)) 1)"
    assert expr("from x in xs select distinct(x)").distinct is False


def test_query_group_by_a_record_key():
    q = expr("from r in rows\n  group by {\n    a: r.a,\n    b: r.b\n  } into g\n  select g.key")
    assert sexp(q.group.keys[0]) == '{"a"!: (. r a), "b"!: (. r b)}'


# ---------------------------------------------------------------- spans


def test_expression_spans():
    e = expr("a + foo(1, 2)")
    assert e.span == Span(1, 9, 13)
    assert e.right.span == Span(1, 13, 9)
    f = expr("p.name")
    assert f.span == Span(1, 9, 6) and f.name_span == Span(1, 11, 4)
    # A node spanning lines is cut at the end of its first line.
    e = expr("[1,\n  2]")
    assert e.span == Span(1, 9, 3)


def test_statement_spans():
    body = parse_ok("fun f(x: int): int {\n  return x\n}\n  if a > 1 {\n  }")
    assert body[0].span == Span(1, 1, 18)
    assert body[0].body[0].span == Span(2, 3, 8)
    assert body[1].span == Span(4, 3, 8)


# ---------------------------------------------------------------- errors


def test_error_messages_and_positions():
    assert errors("let x = foo(1, 2\nlet y = 3\nprint(y") == [
        (2, 1, "expected ')' to close '(' at 1:12"),
        (3, 8, "expected ')' to close '(' at 3:6"),
    ]
    assert errors("let = 5") == [(1, 5, "expected a name after 'let', found '='")]
    assert errors("print(1 2)") == [(1, 9, "expected ')' to close '(' at 1:6")]
    assert errors("let l = [1 2]") == [(1, 12, "expected ']' to close '[' at 1:9")]
    assert errors("let m = {a 1}") == [(1, 12, "expected ':' after the map key, found '1'")]
    assert errors("let x = )") == [(1, 9, "unexpected token ')'")]
    assert errors("let x = 1 +") == [(1, 12, "unexpected end of file")]
    assert errors("x y") == [(1, 3, "unexpected token 'y'")]
    assert errors("if x > {\n  print(1)\n}") == [(1, 8, "unexpected token '{'")]
    assert errors("let x = if a then 1\n") == [(1, 9, "an if expression needs an 'else' branch")]
    assert errors("let q = from x in xs where x > 1\nprint(q)") == [
        (2, 1, "expected 'select' to end the query, found 'print'")
    ]
    assert errors("}") == [(1, 1, "unexpected token '}'")]
    assert errors("fun f() {\n  print(1)\n") == [(2, 11, "expected '}' to close '{' at 1:9")]
    assert errors("xs[]") == [(1, 4, "empty index")]
    assert errors("type T {\n  x: int\n  5\n}") == [(3, 3, "unexpected token '5'")]


def test_lexical_errors_surface_through_parse():
    assert errors('let s = "abc\nlet t = 1') == [(1, 9, "unterminated string literal")]
    assert errors('let s = "a\\qb"') == [(1, 11, "invalid escape sequence '\\q'")]


def test_hints():
    diags = Diagnostics("t.mochi", "let x = 2 *")
    parse("t.mochi", "let x = 2 *", diags)
    assert diags.items[0].hint == "expected an expression after '*'"


def test_recovery_reports_every_broken_statement():
    src = "let a = (1 +\nlet b = 2\nvar = 3\nlet c = [1 2]\nprint(a, b, c)\nlet d = }\n"
    assert [line for line, _, _ in errors(src)] == [2, 3, 4, 6]


def test_recovery_inside_blocks():
    src = "fun f() {\n  let x = )\n  let y = 2\n}\nfun g() {\n  let z = ]\n}\nprint(1)"
    assert errors(src) == [(2, 11, "unexpected token ')'"), (6, 11, "unexpected token ']'")]


@pytest.mark.parametrize(
    ("src", "feature"),
    [
        ("agent Bot {\n  intent hi() { }\n}", "agent"),
        ("stream Tick { n: int }", "stream"),
        ('emit Tick { n: 1 }', "emit"),
        ("on Tick as t {\n  print(t)\n}", "on"),
        ("model m {\n  provider: \"x\"\n}", "model"),
        ("package foo", "package"),
        ('let r = fetch "http://x" with {}', "fetch"),
        ('let s = generate text { prompt: "hi" }', "generate"),
        ("let x = 10n", "bigint literal"),
        ("let x = a ?? 1", "?? operator"),
        ("let x = a?.b", "?. operator"),
        ("fun id<T>(x: T): T { return x }", "generic function"),
        ("extern type Foo", "extern type"),
        ('bench "b" { }', "bench"),
        ("let x = xs[1:2:3]", "slice step"),
        ("let y = match x {\n  1 => {\n    print(1)\n    2\n  }\n}", "block body in match case"),
    ],
)
def test_unsupported_features(src, feature):
    diags = Diagnostics("t.mochi", src + "\nprint(1)")
    try:
        program = parse("t.mochi", src + "\nprint(1)", diags)
    except CompileError:
        pytest.fail("unsupported features are reported, not fatal")
    assert [d.message for d in diags.items] == [f"not supported: {feature}"]
    # The construct is skipped and parsing goes on.
    assert isinstance(program.body[-1], ast.ExprStmt) and sexp(program.body[-1].expr) == "(call print 1)"


def test_unsupported_words_remain_names():
    body = parse_ok("let load = 1\nlet model = {stream: load}\nprint(model.stream, load + 1)\nsave(1)")
    assert len(body) == 4


# ---------------------------------------------------------------- robustness


def run_bounded(src: str, seconds: float = 5.0) -> None:
    """Parse src: only CompileError may escape, diagnostics never report a parser bug."""
    diags = Diagnostics("t.mochi", src)
    start = time.monotonic()
    try:
        program = parse("t.mochi", src, diags)
        assert isinstance(program, ast.Program)
    except CompileError:
        assert diags.items
    assert time.monotonic() - start < seconds, f"too slow on {src[:60]!r}"
    assert not any("internal" in d.message for d in diags.items), diags.render()


@pytest.mark.parametrize(
    "src",
    [
        "", "\n\n\n", ";;;", "{", "}", "(", ")", "[", "]", "=>", "..", "|", "fun", "type", "type T =",
        "match", "match x {", "from", "from x in", "if", "else", "let", "let x:", "let x: list<",
        'import', 'extern', 'test', '"', "/*", "\x00\x01\x02", "\ufeff", "\r\n\r\n",
    ],
)  # fmt: skip
def test_fragments_do_not_crash(src):
    run_bounded(src)


DEEP = {
    "parens": "(" * 10_000,
    "brackets": "[" * 10_000,
    "braces": "{" * 10_000,
    "closed_parens": "let x = " + "(" * 10_000 + "1" + ")" * 10_000,
    "blocks": "if x {\n" * 10_000,
    "minus": "let x = " + "-" * 10_000 + "1",
    "not": "let x = " + "!" * 10_000 + "a",
    "fields": "x" + ".a" * 10_000,
    "calls": "f" + "()" * 10_000,
    "types": "let x: " + "list<" * 10_000 + "int",
    "lambdas": "fun() => " * 10_000,
    "else_if_chain": "if a { }" + " else if a { }" * 10_000,
    "if_expr_chain": "let x = " + "if a then 1 else " * 10_000 + "2",
    "queries": "from x in " * 10_000,
}


@pytest.mark.parametrize("src", list(DEEP.values()), ids=list(DEEP))
def test_deep_nesting_is_reported_not_a_crash(src):
    diags = Diagnostics("t.mochi", src)
    start = time.monotonic()
    with pytest.raises(CompileError):
        parse("t.mochi", src, diags)
    assert time.monotonic() - start < 5
    assert [d.message for d in diags.items] == ["nesting too deep"]


def test_flat_operator_chains_of_any_length_parse() -> None:
    (s,) = parse_ok("let x = 1" + " + 1" * 100_000)
    assert isinstance(s.value, ast.Binary) and s.value.op == "+"
    (s,) = parse_ok("let x = a" + " && a || a" * 20_000)
    assert isinstance(s.value, ast.Binary) and s.value.op == "||"


def test_nesting_just_under_the_limit_parses():
    depth = MAX_DEPTH - 10
    (s,) = parse_ok("let x = " + "[" * depth + "]" * depth)
    assert isinstance(s.value, ast.ListLit)


def test_huge_literals_and_long_inputs():
    run_bounded("let x = " + "9" * 5000)
    run_bounded('let s = "' + "a" * 100_000 + '"')
    run_bounded("let s = " + '"abc' * 1000)
    run_bounded("let x = 1\n" * 20_000)


def test_random_garbage_only_raises_compile_error():
    rng = random.Random(1234)
    pieces = [
        "(", ")", "[", "]", "{", "}", "if", "else", "fun", "=>", "match", "from", "x", "in", "select",
        "\n", ",", ":", '"', "/*", "1", "-", ".", "as", "type", "=", "|", "let", "for", "..", "?",
        "where", "group", "by", "into", "join", "on", "0x", "1e", "\\", "#", "return", "while", ";",
    ]  # fmt: skip
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if rng.random() < 0.5:
            src = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 80)))
        else:
            src = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))).decode("latin-1")
        run_bounded(src)
