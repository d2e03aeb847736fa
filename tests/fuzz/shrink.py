"""Shrinking a failing generated program to what its failure needs.

Hierarchical delta debugging over the program's tree of lines and blocks
(``generate.Node``): delete runs of statements (halves, quarters ... single
ones), then replace a block by its body or its `else` part, or drop the
`else`, keeping each change after which ``interesting`` still holds (the
caller checks that the program still compiles and fails the same way).  A
node marked ``fixed`` (a unit's frame, a loop counter's step) is never
deleted, so a shrunk program still terminates.  It stops at a fixed point or
at the time limit, with the smallest program found so far.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator

from tests.fuzz.generate import Node

Tree = list[Node]


def shrink(tree: Tree, interesting: Callable[[Tree], bool], seconds: float) -> Tree:
    deadline = time.monotonic() + seconds
    best = copy.deepcopy(tree)
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        for candidate in _candidates(best):
            if time.monotonic() > deadline:
                break
            if interesting(candidate):
                best = candidate
                progress = True
                break
    return best


def _lists(tree: Tree) -> Iterator[list[Node]]:
    """Every statement list of the tree, outermost first."""
    yield tree
    for n in tree:
        for body in (n.body, n.orelse):
            if body:
                yield from _lists(body)


def _candidates(tree: Tree) -> Iterator[Tree]:
    """Smaller variants of ``tree``, the biggest cuts first."""
    count = sum(1 for _ in _lists(tree))
    for k in range(count):  # runs of deletable statements, halving
        size = len(list(_lists(tree))[k])
        chunk = size // 2
        while chunk >= 1:
            for start in range(0, size, chunk):
                t = copy.deepcopy(tree)
                lst = list(_lists(t))[k]
                keep = [n for i, n in enumerate(lst) if n.fixed or not start <= i < start + chunk]
                if len(keep) < len(lst):
                    lst[:] = keep
                    yield t
            chunk //= 2
    for k in range(count):
        size = len(list(_lists(tree))[k])
        for i in range(size):
            for edit in (_unwrap, _unwrap_else, _drop_else):
                t = copy.deepcopy(tree)
                lst = list(_lists(t))[k]
                if edit(lst, i):
                    yield t


def _unwrap(lst: list[Node], i: int) -> bool:
    n = lst[i]
    if n.fixed or n.body is None:
        return False
    lst[i:i + 1] = n.body
    return True


def _unwrap_else(lst: list[Node], i: int) -> bool:
    n = lst[i]
    if n.fixed or not n.orelse:
        return False
    lst[i:i + 1] = n.orelse
    return True


def _drop_else(lst: list[Node], i: int) -> bool:
    n = lst[i]
    if n.orelse is None:
        return False
    n.orelse = None
    return True
