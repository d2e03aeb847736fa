"""The runtime library as wasm32-wasi relocatable objects, for the Wasm
linker: compiled once by the pinned clang, with what it needs from zig's
wasi-libc, parsed, and cached.

On first use (per runtime hash and zig version) this compiles every
`runtime/*.c` to a relocatable object (`-c`: a `linking` and `reloc.*`
sections each), asks zig where its wasm32-wasi C library lives (the link
line of a one-line program: `crt1-command.o`, `libc.a`, `libzigc.a`,
`libcompiler_rt.a`), and resolves, with mochic's own linker, which archive
members the runtime, the C start-up code and the math functions the
encoder calls need.  Those objects are stored parsed (`objects.pickle`),
so a build afterwards runs neither zig nor wasm-ld and reads one file.
"""

from __future__ import annotations

import functools
import pickle
import shutil
from pathlib import Path

from mochic.objfile.wasm_link import Linker
from mochic.objfile.wasm_model import (
    EXPLICIT_NAME,
    UNDEFINED,
    Import,
    ImportKind,
    Symbol,
    SymKind,
    WasmObject,
)
from mochic.objfile.wasm_read import Archive, read_object
from mochic.targets import TARGETS
from mochic.toolchain import cache
from mochic.toolchain.compilers import (
    Log,
    ToolchainError,
    compile_many,
    find_compiler,
    run_capture,
    stderr_log,
)
from mochic.toolchain.options import (
    Options,
    compile_flags,
    first_use_note,
    mark_ready,
    prefix_maps,
)
from mochic.toolchain.runtime import runtime_hash, runtime_sources

OBJECTS = "objects.pickle"
# the C library's pieces a wasm32-wasi command links with, as zig names them
LIBC_PARTS = ("crt1-command.o", "libc.a", "libzigc.a", "libcompiler_rt.a")


def wasm_options() -> Options:
    return Options(TARGETS["wasm32-wasi"], "release", False, find_compiler("zig"))


def _flags(opts: Options) -> list[str]:
    # -g0: the linker writes its own debug information; the runtime's would only be
    # parsed and dropped
    return [*compile_flags(opts), "-g0"]


@functools.cache
def _key() -> str:
    opts = wasm_options()
    return cache.key("wasm-runtime", opts.compiler.identity, _flags(opts), runtime_hash(),
                      LIBC_PARTS)


def runtime_objects(extra_symbols: tuple[str, ...], log: Log = stderr_log) -> list[WasmObject]:
    """The runtime's objects and the C library members they and ``extra_symbols``
    need, parsed (built and cached on first use)."""
    opts = wasm_options()
    final = cache.cache_dir() / "wasm-runtime" / _key()
    if not (final / OBJECTS).exists():
        _build(opts, final, extra_symbols, log)
    return _load(final / OBJECTS)


def _load(path: Path) -> list[WasmObject]:
    with open(path, "rb") as f:
        return pickle.load(f)


def _build(opts: Options, final: Path, extra_symbols: tuple[str, ...], log: Log) -> None:
    marker = first_use_note(opts, log)
    if marker is None:
        log("mochic: building the runtime library for wasm32-wasi (once per version)...")
    work = cache.workdir(_key())
    try:
        sources = runtime_sources()
        compile_many(opts.compiler, _flags(opts) + prefix_maps(opts, work), sources, work)
        objects = [read_object((work / f"{s.stem}.o").read_bytes(), f"{s.stem}.o")
                   for s in sources]
        parts = _libc_parts(opts, work)
        objects.append(read_object(parts["crt1-command.o"].read_bytes(), "crt1-command.o"))
        archives = [Archive(parts[p]) for p in LIBC_PARTS if p.endswith(".a")]
        linker = Linker([*objects, _wanting(extra_symbols)], archives)
        linker.resolve()
        needed = [o for o in linker.objects if o.name != "wanted"]
        for extra in work.iterdir():
            if extra.is_dir():
                shutil.rmtree(extra)
            else:
                extra.unlink()
        with open(work / OBJECTS, "wb") as f:
            pickle.dump(needed, f, protocol=pickle.HIGHEST_PROTOCOL)
        cache.publish(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    mark_ready(marker)


def _wanting(names: tuple[str, ...]) -> WasmObject:
    """An object that only refers to ``names``, so resolution pulls in their definitions."""
    obj = WasmObject("wanted", types=[((), ())])
    for n in names:
        obj.symbols.append(Symbol(SymKind.FUNCTION, UNDEFINED | EXPLICIT_NAME, n,
                                  len(obj.imports)))
        obj.imports.append(Import("env", n, ImportKind.FUNCTION, 0))
    return obj


def _libc_parts(opts: Options, work: Path) -> dict[str, Path]:
    """Where zig keeps its wasm32-wasi C library: the inputs of the link line it
    prints (`-v`) for a one-line program, built by zig on its first use."""
    (work / "probe.c").write_text("int main(void) { return 0; }\n")
    out = run_capture([*opts.compiler.cc, "-target", opts.triple, "-O2", "-v", "probe.c",
                       "-o", "probe.wasm"], work, opts.compiler)
    line = next((ln for ln in out.splitlines() if ln.lstrip().startswith("wasm-ld")), None)
    if line is None:
        raise ToolchainError("zig did not show its wasm32-wasi link line")
    parts = {}
    for word in line.split():
        name = Path(word).name
        if name in LIBC_PARTS:
            parts[name] = Path(word) if Path(word).is_absolute() else work / word
    missing = [p for p in LIBC_PARTS if p not in parts]
    if missing:
        raise ToolchainError(f"zig's wasm32-wasi link line has no {', '.join(missing)}")
    return parts
