"""binary_trees: allocate and walk many perfect binary trees, as in the
Computer Language Benchmarks Game (min depth 4, max depth N, N >= 6).
Stresses allocation, recursion and memory reclamation. A tree of depth 0
is a node with two empty children; check counts nodes. The checksum is
the sum of every check performed."""

N = 18


class Node:
    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


def make(depth):
    if depth == 0:
        return Node(None, None)
    return Node(make(depth - 1), make(depth - 1))


def check(t):
    if t is None:
        return 0
    return 1 + check(t.left) + check(t.right)


def pow2(e):
    p = 1
    for _ in range(e):
        p = p * 2
    return p


def main():
    min_depth = 4
    max_depth = N
    total = 0

    stretch = make(max_depth + 1)
    total = total + check(stretch)
    stretch = None

    long_lived = make(max_depth)

    d = min_depth
    while d <= max_depth:
        iterations = pow2(max_depth - d + min_depth)
        s = 0
        for _ in range(iterations):
            t = make(d)
            s = s + check(t)
        total = total + s
        d = d + 2

    total = total + check(long_lived)
    print(total)


main()
