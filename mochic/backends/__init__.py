"""The backends: every way mochic turns a typed IR module into something a
machine runs, as one table, as `targets.TARGETS` is for targets.

A backend either runs a program in this process (a tier of `mochic run`:
the interpreter, the JIT) or builds a file (`mochic build --backend NAME`:
the C backend), for the targets it lists.  Each names the module that
implements it, imported only when it is used, so `mochic run` loads only
what the run needs.

A new backend is one row here and one module with `run(module, request)
-> int` or `build(module, request) -> Artifact`; a new target is a row of
`targets.TARGETS` and the backends that serve it list its name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mochic.targets import TARGETS, Target


class Unavailable(Exception):
    """The backend cannot handle this program here; the reason says why."""


class BackendError(ValueError):
    """An unknown backend, or one asked for what it cannot do; the message lists
    the valid choices."""


class BuildError(Exception):
    """A build that failed (a missing tool, a compiler's error, an unwritable file);
    the message says why."""


@dataclass(frozen=True)
class RunRequest:
    verbose: bool
    log: Callable[[str], None]
    cache_key: str | None = None  # where a tier that caches its compile stores it


@dataclass(frozen=True)
class BuildRequest:
    target: Target
    mode: str  # dev | release
    portable: bool
    cc: str  # the C compiler, for backends that use one
    emit: str  # one of the backend's `emits`
    output: Path | None  # None: standard output (a text artifact only)
    log: Callable[[str], None]


@dataclass(frozen=True)
class Artifact:
    path: Path | None  # None: written to standard output
    summary: str  # what `--verbose` says about how it was made


@dataclass(frozen=True)
class Backend:
    name: str
    title: str  # how messages name it: "the JIT cannot run this program"
    summary: str
    targets: tuple[str, ...]
    # what `build` writes (`--emit`), the first by default, with the suffix of its
    # file ("": the target's executable suffix)
    emits: dict[str, str] = field(default_factory=dict)
    run: str | None = None  # "module:function" running a program here
    build: str | None = None  # "module:function" building a file

    def entry(self, which: str) -> Callable[..., Any]:
        spec = self.run if which == "run" else self.build
        if spec is None:
            raise BackendError(f"the {self.name} backend does not {which} programs")
        module, function = spec.split(":")
        return getattr(importlib.import_module(module), function)


ALL_TARGETS = tuple(TARGETS)

BACKENDS: dict[str, Backend] = {b.name: b for b in (
    Backend("interp", "interpreter", "the reference interpreter", ALL_TARGETS,
            run="mochic.interp.tier:run"),
    Backend("jit", "JIT", "copy-and-patch machine code in memory",
            ("x86_64-linux", "aarch64-linux", "riscv64-linux"),
            run="mochic.backends.copypatch.tier:run"),
    Backend("c", "C backend", "portable C, compiled by zig cc or --cc", ALL_TARGETS,
            emits={"exe": "", "c": ".c"}, build="mochic.backends.c.backend:build"),
    Backend("native", "native backend",
            "the JIT's stencils stitched ahead of time, linked by mochic into a static PIE",
            ("x86_64-linux", "aarch64-linux", "riscv64-linux"),
            emits={"exe": "", "obj": ".o"}, build="mochic.backends.native.backend:build"),
    Backend("wasm", "Wasm backend",
            "WebAssembly encoded and linked by mochic, run or precompiled by wasmtime",
            ("wasm32-wasi",), emits={"wasm": ".wasm", "cwasm": ".cwasm"},
            run="mochic.backends.wasm.tier:run", build="mochic.backends.wasm.backend:build"),
)}

RUN_ORDER = ("jit", "interp")  # what `mochic run` tries, in order, without --tier
DEFAULT_BUILD = "c"


def names(which: str) -> list[str]:
    """The backends that can ``which`` ("run" or "build") programs."""
    return [b.name for b in BACKENDS.values() if getattr(b, which) is not None]


def get(name: str, which: str) -> Backend:
    b = BACKENDS.get(name)
    if b is None or getattr(b, which) is None:
        raise BackendError(f"unknown backend '{name}'; valid backends are: "
                           f"{', '.join(names(which))}")
    return b
