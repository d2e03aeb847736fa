"""Lowering of dataset queries to plain loops.

`from x in xs [from y in ys] [join ...] [where c] [group by k into g]
[sort by s] [skip n] [take m] select e` becomes nested loops over the sources
whose innermost body filters with `where` and either appends `e` (with its
sort key) to the result, or appends the row and its group key for grouping.
Grouped queries then loop over the groups, in first-seen key order, to apply
`having`, `sort by` and `select`.  Sorting is stable, then `skip` and `take`
slice the result.

`select sum(e)` (or avg, min, max, count) without `group by` aggregates: the
query is the aggregate of the list of the selected values, as in the reference.

Joins: an inner join is a filtered inner loop; a left join runs the rest of
the query once with the joined variable `none` when nothing matched; a right
join is the mirror image (the joined source drives the loop); an outer join is
a left join followed by the right side's unmatched rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mochic.frontend import ast as A
from mochic.frontend.types import ANY, BOOL, INT, STRING, GroupT, ListT, MapT, Type, ir_type
from mochic.ir.builtins import lower_builtin
from mochic.ir.ir import Reg

if TYPE_CHECKING:
    from mochic.ir.lower import FunctionLowerer

Body = Callable[[], None]


def lower_query(fl: FunctionLowerer, q: A.Query) -> Reg:
    aggregate = getattr(q, "aggregate", None)
    if aggregate is None:
        return _query_list(fl, q, q.ty)
    from mochic.ir.lower import FixedReg  # lower imports this module as it runs
    name, items_t = aggregate
    items = A.Name(q.span, "$rows")
    items.ty, items.ref = items_t, FixedReg(_query_list(fl, q, items_t))
    call = A.Call(q.span, A.Name(q.span, name), [items])
    call.ty, call.target = q.ty, ("builtin", name, [items])
    return lower_builtin(fl, call, name, [items])


def _query_list(fl: FunctionLowerer, q: A.Query, rt: Type) -> Reg:
    """The list of the selected values of query ``q``, of type ``rt``."""
    b = fl.b
    assert isinstance(rt, ListT)
    items = b.value("list.new", [], rt, (rt.elem,))
    keys = b.value("list.new", [], ListT(ANY), (ANY,)) if q.sort is not None else None

    def emit_row() -> None:
        """Append the selected value (and its sort key) of the current row."""
        if keys is not None:
            b.emit("list.push.ref", [keys, fl.box(q.sort)])
        v = fl.value_of(q.select, rt.elem)
        b.emit(f"list.push.{v.ty}", [items, v])

    if q.group is None:
        _rows(fl, q, lambda: _filter(fl, q.where, emit_row))
    else:
        _grouped(fl, q, emit_row)
    if keys is not None:
        items = b.value("list.sort", [items, keys], rt)
    if q.skip is not None:
        n = b.value("list.len", [items], INT)
        items = b.value("list.slice", [items, fl.value_of(q.skip, INT), n], rt)
    if q.take is not None:
        items = b.value("list.slice", [items, fl.const(INT, 0), fl.value_of(q.take, INT)], rt)
    if q.distinct:
        items = b.value("list.distinct", [items], rt)
    return items


def _filter(fl: FunctionLowerer, cond: A.Expr | None, body: Body) -> None:
    if cond is None:
        body()
        return
    b = fl.b
    yes, done = b.new_block("where"), b.new_block("endwhere")
    b.branch(fl.truth(cond), yes, done)
    b.start(yes)
    body()
    b.jump(done)
    b.start(done)


def _bind(fl: FunctionLowerer, sym, value: Reg | None) -> None:
    if value is None:
        value = fl.const(sym.ty, None) if sym.ty != ANY else fl.const(ANY, None)
        value = fl.coerce(value, ANY, sym.ty) if value.ty != "ref" else value
    elif value.ty != ir_type(sym.ty):
        # a row variable an outer join may leave none is an option: box the element
        value = fl.coerce(value, value.mty, sym.ty)
    fl.write_sym(sym, value, declare=True)


def _rows(fl: FunctionLowerer, q: A.Query, body: Body) -> None:
    """Run ``body`` once per row of the query's sources and joins."""
    froms, joins = q.froms, q.joins
    if len(froms) == 1 and len(joins) == 1 and joins[0].kind == "right":
        j, f = joins[0], froms[0]
        _left_join(fl, j.src, j.sym, f.src, f.sym, j.on, body)  # type: ignore[attr-defined]
        return

    def level(i: int) -> None:
        if i < len(froms):
            f = froms[i]
            fl.iterate(f.src, lambda v: (_bind(fl, f.sym, v), level(i + 1)),  # type: ignore
                       f.span.line)
            return
        k = i - len(froms)
        if k == len(joins):
            body()
            return
        j = joins[k]
        if j.kind in ("inner", "right"):
            fl.iterate(j.src, lambda v: (_bind(fl, j.sym, v),  # type: ignore[attr-defined]
                                         _filter(fl, j.on, lambda: level(i + 1))), j.span.line)
            return
        _left_join_inner(fl, j, lambda: level(i + 1))

    level(0)
    for k, j in enumerate(joins):
        if j.kind in ("outer", "right"):
            outer_syms = [f.sym for f in froms] + [x.sym for x in joins[:k]]  # type: ignore
            _unmatched_right(fl, j, outer_syms, froms,
                             lambda k=k: level(len(froms) + k + 1))


def _left_join_inner(fl: FunctionLowerer, j: A.QueryJoin, rest: Body) -> None:
    """For the current outer row: every matching `j` row, or one row with `j` none."""
    b = fl.b
    matched = b.reg(BOOL, "matched")
    b.emit("mov.bool", [fl.const(BOOL, False)], dst=matched)

    def hit() -> None:
        b.emit("mov.bool", [fl.const(BOOL, True)], dst=matched)
        rest()
    fl.iterate(j.src, lambda v: (_bind(fl, j.sym, v), _filter(fl, j.on, hit)),  # type: ignore
               j.span.line)
    miss, done = b.new_block("nomatch"), b.new_block("endjoin")
    b.branch(matched, done, miss)
    b.start(miss)
    _bind(fl, j.sym, None)  # type: ignore[attr-defined]
    rest()
    b.jump(done)
    b.start(done)


def _left_join(fl: FunctionLowerer, outer_src: A.Expr, outer_sym, inner_src: A.Expr,
               inner_sym, on: A.Expr, body: Body) -> None:
    b = fl.b

    def outer_row(v: Reg) -> None:
        _bind(fl, outer_sym, v)
        matched = b.reg(BOOL, "matched")
        b.emit("mov.bool", [fl.const(BOOL, False)], dst=matched)

        def hit() -> None:
            b.emit("mov.bool", [fl.const(BOOL, True)], dst=matched)
            body()
        fl.iterate(inner_src, lambda w: (_bind(fl, inner_sym, w), _filter(fl, on, hit)),
                   on.span.line)
        miss, done = b.new_block("nomatch"), b.new_block("endjoin")
        b.branch(matched, done, miss)
        b.start(miss)
        _bind(fl, inner_sym, None)
        body()
        b.jump(done)
        b.start(done)
    fl.iterate(outer_src, outer_row, on.span.line)


def _unmatched_right(fl: FunctionLowerer, j: A.QueryJoin, outer_syms: list, froms,
                     rest: Body) -> None:
    """After the main loop nest: the rows of `j`'s source that no row of the `from`
    sources matched, with the earlier variables none."""
    b = fl.b

    def right_row(v: Reg) -> None:
        _bind(fl, j.sym, v)  # type: ignore[attr-defined]
        found = b.reg(BOOL, "found")
        b.emit("mov.bool", [fl.const(BOOL, False)], dst=found)

        def probe(i: int) -> None:
            if i < len(froms):
                f = froms[i]
                fl.iterate(f.src, lambda w: (_bind(fl, f.sym, w), probe(i + 1)), f.span.line)
                return
            _filter(fl, j.on, lambda: b.emit("mov.bool", [fl.const(BOOL, True)], dst=found))
        probe(0)
        miss, done = b.new_block("rightonly"), b.new_block("endright")
        b.branch(found, done, miss)
        b.start(miss)
        for s in outer_syms:
            _bind(fl, s, None)
        rest()
        b.jump(done)
        b.start(done)
    fl.iterate(j.src, right_row, j.span.line)


def _grouped(fl: FunctionLowerer, q: A.Query, emit_row: Body) -> None:
    b = fl.b
    g = q.group
    assert g is not None
    gsym = g.sym  # type: ignore[attr-defined]
    gt = gsym.ty
    assert isinstance(gt, GroupT)
    keys = b.value("list.new", [], ListT(ANY), (ANY,))
    rows = b.value("list.new", [], ListT(gt.elem), (gt.elem,))
    row_vars = g.row_vars  # type: ignore[attr-defined]

    def collect() -> None:
        if len(g.keys) == 1:
            key = fl.box(g.keys[0])
        else:
            m = b.value("map.new", [], MapT(STRING, ANY), (STRING, ANY))
            for i, k in enumerate(g.keys):
                b.emit("map.set.ref.ref", [m, fl.const(STRING, _key_name(k, i)), fl.box(k)])
            key = m
        b.emit("list.push.ref", [keys, key])
        if len(row_vars) == 1:
            row = fl.coerce(fl.read_sym(row_vars[0]), row_vars[0].ty, gt.elem)
        else:
            row = b.value("map.new", [], MapT(STRING, ANY), (STRING, ANY))
            for s in row_vars:
                v = fl.coerce(fl.read_sym(s), s.ty, ANY)
                b.emit("map.set.ref.ref", [row, fl.const(STRING, s.name), v])
        b.emit(f"list.push.{row.ty}", [rows, row])

    _rows(fl, q, lambda: _filter(fl, q.where, collect))
    groups = b.value("group.by", [keys, rows], ListT(gt), (gt.key, gt.elem))
    n = b.value("list.len", [groups], INT)

    def each(i: Reg) -> None:
        _bind(fl, gsym, b.value("list.get.ref", [groups, i], gt))
        _filter(fl, g.having, emit_row)
    fl.counted_loop(n, None, each, g.span.line)


def _key_name(k: A.Expr, i: int) -> str:
    if isinstance(k, A.Field):
        return k.name
    if isinstance(k, A.Name):
        return k.id
    return str(i)
