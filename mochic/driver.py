"""The pipeline, as one readable list of passes: read, parse, check, lower, verify.

Each pass reports into one ``Diagnostics``; the pipeline stops after the first
pass that reported an error, so later passes only ever see well-formed input.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from mochic.diagnostics import CompileError, Diagnostics
from mochic.frontend.ast import Program, Span
from mochic.frontend.checker import check
from mochic.frontend.parser import MAX_DEPTH, parse
from mochic.ir.ir import Module
from mochic.ir.lower import lower
from mochic.ir.verify import verify

# Every pass recurses over the tree the parser built, which nests at most
# MAX_DEPTH levels of a bounded number of frames each (as the parser assumes).
RECURSION_LIMIT = 40 * MAX_DEPTH + 2000


@dataclass
class Compiled:
    module: Module | None
    diags: Diagnostics


def read_source(path: str) -> str:
    """The file's text; undecodable bytes become U+FFFD so the lexer can point at them."""
    with open(path, "rb") as f:
        data = f.read()
    return data.decode("utf-8", errors="replace")


def front_end(file: str, source: str, diags: Diagnostics) -> Program | None:
    """Parse and type-check; None when errors were reported."""
    try:
        program = parse(file, source, diags)
        if diags:
            return None
        checked = check(program, diags)
        if diags:
            return None
    except CompileError:
        return None
    program.checked = checked  # type: ignore[attr-defined]
    return program


def compile_source(file: str, source: str) -> Compiled:
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        diags = Diagnostics(file, source)
        program = front_end(file, source, diags)
        if program is None:
            return Compiled(None, diags)
        module = lower(program.checked)  # type: ignore[attr-defined]
        verify(module)  # the backends rely on what it checks
        return Compiled(module, diags)
    finally:
        sys.setrecursionlimit(old_limit)


def internal_error(diags: Diagnostics, exc: BaseException) -> None:
    """Report a compiler bug as a diagnostic rather than a traceback."""
    diags.items.clear()
    diags.error(Span(1, 1), f"internal compiler error: {type(exc).__name__}: {exc}",
                "please report this program")
