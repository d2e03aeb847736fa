"""`mochic build --backend c`: the module emitted as C (`emit.py`), then compiled
and linked with the runtime library by the toolchain (`toolchain/link.py`)."""

from __future__ import annotations

import sys

from mochic.backends import Artifact, BuildError, BuildRequest
from mochic.backends.c.emit import emit_c
from mochic.ir.ir import Module
from mochic.stack import run_in_big_stack
from mochic.toolchain.compilers import ToolchainError, find_compiler
from mochic.toolchain.link import build as link
from mochic.toolchain.options import Options


def build(module: Module, request: BuildRequest) -> Artifact:
    try:
        compiler = find_compiler(request.cc) if request.emit == "exe" else None
    except ToolchainError as e:
        raise BuildError(str(e)) from None
    try:
        c_source = run_in_big_stack(lambda: emit_c(module))
    except Exception as e:  # a compiler bug must not surface as a traceback
        raise BuildError(f"internal compiler error in the C emitter: "
                         f"{type(e).__name__}: {e}") from None
    out = request.output
    if request.emit == "c":
        if out is None:
            sys.stdout.write(c_source)
        else:
            try:
                out.write_text(c_source, encoding="utf-8")
            except OSError as e:
                raise BuildError(f"cannot write {out}: {e.strerror or e}") from None
        return Artifact(out, "the C source")
    assert compiler is not None and out is not None
    opts = Options(request.target, request.mode, request.portable, compiler)
    try:
        res = link(c_source, opts, out, request.log)
    except ToolchainError as e:
        raise BuildError(str(e)) from None
    except OSError as e:
        raise BuildError(f"cannot write {out}: {e.strerror or e}") from None
    how = "from the build cache" if res.cached else f"with {compiler.identity}"
    return Artifact(out, f"{how} in {res.seconds:.2f} s")
