"""The pipeline, as one readable list of passes:

    read -> parse -> check -> lower -> verify -> backend (run, or build an artifact)

Each front-end pass reports into one ``Diagnostics``; the pipeline stops after
the first pass that reported an error, so later passes only ever see
well-formed input.  The backends are the table of `mochic.backends`: a tier
that runs the program here, or a builder that writes a file.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass

from mochic import backends
from mochic.backends import Artifact, BuildRequest, RunRequest, Unavailable
from mochic.diagnostics import CompileError, Diagnostics, Span
from mochic.frontend.ast import Program
from mochic.frontend.checker import check
from mochic.frontend.parser import MAX_DEPTH, parse
from mochic.ir.ir import Module
from mochic.ir.lower import lower
from mochic.ir.verify import verify
from mochic.source import read_source  # noqa: F401 - the driver's API too
from mochic.stack import run_in_big_stack

# Every pass recurses over the tree the parser built, which nests at most
# MAX_DEPTH levels of a bounded number of frames each (as the parser assumes).
RECURSION_LIMIT = 40 * MAX_DEPTH + 2000


@dataclass
class Compiled:
    module: Module | None
    diags: Diagnostics


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
    # The passes build millions of small objects that all live until the end:
    # the cycle collector would scan them again and again, for nothing.
    collecting = gc.isenabled()
    gc.disable()
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
        if collecting:
            gc.enable()


def compile_file(path: str, source: str) -> Compiled:
    """``compile_source`` on a thread with a big stack; a compiler bug becomes an
    internal-error diagnostic, never a traceback."""
    try:
        return run_in_big_stack(lambda: compile_source(path, source))
    except Exception as e:
        diags = Diagnostics(path, source)
        internal_error(diags, e)
        return Compiled(None, diags)


def internal_error(diags: Diagnostics, exc: BaseException) -> None:
    """Report a compiler bug as a diagnostic rather than a traceback."""
    diags.items.clear()
    diags.error(Span(1, 1), f"internal compiler error: {type(exc).__name__}: {exc}",
                "please report this program")


def run(module: Module, tier: str | None, request: RunRequest) -> int:
    """Run ``module`` on ``tier``, or on the first tier of `backends.RUN_ORDER` that
    can run it here; the program's exit status."""
    order = (tier,) if tier is not None else backends.RUN_ORDER
    for i, name in enumerate(order):
        backend = backends.get(name, "run")
        try:
            return backend.entry("run")(module, request)
        except Unavailable as e:
            if tier is not None:
                request.log(f"mochic: error: the {backend.title} cannot run this program: {e}")
                return 1
            if request.verbose:
                request.log(f"mochic: the {backend.title} cannot run this program ({e}); "
                            f"falling back to {order[i + 1]}")
    raise AssertionError("the last tier of RUN_ORDER runs every program")  # pragma: no cover


def build(module: Module, backend_name: str, request: BuildRequest) -> Artifact:
    """Build ``module`` with the backend called ``backend_name`` (raises BuildError)."""
    return backends.get(backend_name, "build").entry("build")(module, request)
