"""Basic blocks to structured control flow: `block`, `loop`, `if` and `br`.

Reducible control-flow graphs (every one the lowering makes from Mochi's
structured statements) are translated by the algorithm of Norman Ramsey,
"Beyond Relooper: Recursive Translation of Unstructured Control Flow to
Structured Control Flow" (ICFP 2022), which follows the dominator tree:

- blocks are numbered in reverse postorder; an edge to a block numbered no
  higher than its source is a back edge, its target a *loop header*; a block
  with two or more forward in-edges is a *merge node*;
- a block X is emitted as `loop` (if it is a loop header) around X's code
  nested inside one `block` per merge-node child of X in the dominator tree,
  the child with the highest number outermost; each such child's own tree
  follows the `end` of its `block`;
- a branch from X to Y is `br` to Y's `loop` (a back edge), `br` to the
  `block` that Y follows (a merge node), or else Y's tree itself, placed
  right there (Y has X as its only predecessor).

An irreducible graph (a cycle entered at two places, which no lowering of
ours makes but which the IR allows) is not rejected: it becomes one `loop`
around a `br_table` dispatch on a label local, every jump setting the local
and branching back to the loop.

The result is a tree of `Node`s that the encoder walks: `Code` (a block's
instructions), `Block`, `Loop`, `If` (on a block's branch condition),
`Br` (a label depth), `Exit` (a block's `ret` or `unreachable`), and for the
dispatch form `SetLabel` and `Dispatch`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mochic.ir import ir


@dataclass
class Code:
    label: str


@dataclass
class Block:
    body: list[Node] = field(default_factory=list)


@dataclass
class Loop:
    body: list[Node] = field(default_factory=list)


@dataclass
class If:
    label: str  # the block whose branch condition decides
    then: list[Node] = field(default_factory=list)
    else_: list[Node] = field(default_factory=list)


@dataclass
class Br:
    depth: int


@dataclass
class Exit:
    label: str  # the block whose `ret` or `unreachable` this is


@dataclass
class SetLabel:
    index: int


@dataclass
class Dispatch:
    """`br_table` on the label local: to depth ``i`` for label ``i``."""

    count: int


Node = Code | Block | Loop | If | Br | Exit | SetLabel | Dispatch


def successors(t: ir.Terminator | None) -> list[str]:
    if isinstance(t, ir.Jump):
        return [t.target]
    if isinstance(t, ir.Branch):
        return [t.then, t.else_]
    return []


@dataclass
class _Graph:
    blocks: dict[str, ir.Block]
    succ: dict[str, list[str]]
    rpo: list[str]  # reachable blocks in reverse postorder
    number: dict[str, int]
    idom: dict[str, str]
    preds: dict[str, list[str]]


def _graph(fn: ir.Function) -> _Graph:
    blocks = {b.label: b for b in fn.blocks}
    succ = {b.label: successors(b.term) for b in fn.blocks}
    entry = fn.blocks[0].label
    post: list[str] = []
    seen = {entry}
    stack = [(entry, iter(succ[entry]))]
    while stack:  # iterative depth-first search
        node, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            stack.pop()
            post.append(node)
        elif nxt not in seen:
            seen.add(nxt)
            stack.append((nxt, iter(succ[nxt])))
    rpo = post[::-1]
    number = {b: i for i, b in enumerate(rpo)}
    preds: dict[str, list[str]] = {b: [] for b in rpo}
    for b in rpo:
        for s in succ[b]:
            preds[s].append(b)
    return _Graph(blocks, succ, rpo, number, _dominators(rpo, number, preds), preds)


def _dominators(rpo: list[str], number: dict[str, int], preds: dict[str, list[str]]) \
        -> dict[str, str]:
    """Immediate dominators (Cooper, Harvey and Kennedy, "A Simple, Fast Dominance
    Algorithm", 2001)."""
    entry = rpo[0]
    idom = {entry: entry}

    def intersect(a: str, b: str) -> str:
        while a != b:
            while number[a] > number[b]:
                a = idom[a]
            while number[b] > number[a]:
                b = idom[b]
        return a

    changed = True
    while changed:
        changed = False
        for b in rpo[1:]:
            ps = [p for p in preds[b] if p in idom]
            new = ps[0]
            for p in ps[1:]:
                new = intersect(p, new)
            if idom.get(b) != new:
                idom[b] = new
                changed = True
    return idom


def _dominates(g: _Graph, a: str, b: str) -> bool:
    while True:
        if a == b:
            return True
        parent = g.idom[b]
        if parent == b:
            return False
        b = parent


def structure(fn: ir.Function) -> list[Node]:
    """The function's blocks as one structured body."""
    g = _graph(fn)
    for b in g.rpo:
        for s in g.succ[b]:
            if g.number[s] <= g.number[b] and not _dominates(g, s, b):
                return _dispatch(g)
    return _Ramsey(g).tree(g.rpo[0], [])


# ---------------------------------------------------------------- reducible graphs

@dataclass(frozen=True)
class _Frame:
    kind: str  # "loop", "block" (followed by `label`), "if"
    label: str = ""


class _Ramsey:
    def __init__(self, g: _Graph) -> None:
        self.g = g
        self.children: dict[str, list[str]] = {b: [] for b in g.rpo}
        for b in g.rpo[1:]:
            self.children[g.idom[b]].append(b)
        self.loop_headers = {s for b in g.rpo for s in g.succ[b]
                             if g.number[s] <= g.number[b]}
        self.merges = {b for b in g.rpo
                       if sum(1 for p in g.preds[b] if g.number[p] < g.number[b]) >= 2}

    def tree(self, x: str, ctx: list[_Frame]) -> list[Node]:
        merges = sorted((c for c in self.children[x] if c in self.merges),
                        key=lambda c: self.g.number[c], reverse=True)
        if x in self.loop_headers:
            return [Loop(self.within(x, merges, [_Frame("loop", x), *ctx]))]
        return self.within(x, merges, ctx)

    def within(self, x: str, merges: list[str], ctx: list[_Frame]) -> list[Node]:
        if merges:
            y, rest = merges[0], merges[1:]
            inner = self.within(x, rest, [_Frame("block", y), *ctx])
            return [Block(inner), *self.tree(y, ctx)]
        out: list[Node] = [Code(x)]
        t = self.g.blocks[x].term
        if isinstance(t, ir.Jump):
            out += self.branch(x, t.target, ctx)
        elif isinstance(t, ir.Branch):
            inner = [_Frame("if"), *ctx]
            out.append(If(x, self.branch(x, t.then, inner), self.branch(x, t.else_, inner)))
        else:
            out.append(Exit(x))
        return out

    def branch(self, x: str, y: str, ctx: list[_Frame]) -> list[Node]:
        g = self.g
        if g.number[y] <= g.number[x]:
            return [Br(ctx.index(_Frame("loop", y)))]
        if y in self.merges:
            return [Br(ctx.index(_Frame("block", y)))]
        return self.tree(y, ctx)


# ---------------------------------------------------------------- irreducible graphs

def _dispatch(g: _Graph) -> list[Node]:
    """loop { block_{n-1} { ... block_0 { br_table } code_0 ... } code_{n-1} }: block i's
    code follows the end of the i-th block; a jump sets the label and branches to the
    loop, which is n-1-i blocks out from block i's code."""
    order = g.rpo
    index = {b: i for i, b in enumerate(order)}
    n = len(order)

    def jump(i: int, target: str, extra: int) -> list[Node]:
        return [SetLabel(index[target]), Br(n - 1 - i + extra)]

    body: list[Node] = [Dispatch(n)]
    for i, label in enumerate(order):
        code: list[Node] = [Code(label)]
        t = g.blocks[label].term
        if isinstance(t, ir.Jump):
            code += jump(i, t.target, 0)
        elif isinstance(t, ir.Branch):
            code.append(If(label, jump(i, t.then, 1), jump(i, t.else_, 1)))
        else:
            code.append(Exit(label))
        body = [Block(body), *code]
    return [SetLabel(0), Loop(body)]
