"""The runtime library (`mochic/runtime/*.c`), compiled once per configuration
and cached: the static archive the C backend links into executables, and the
shared object the JIT loads into the compiler's process."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
from pathlib import Path

from mochic.targets import TARGETS, host_name
from mochic.toolchain import cache
from mochic.toolchain.compilers import (
    Log,
    ToolchainError,
    compile_many,
    find_compiler,
    run,
    stderr_log,
)
from mochic.toolchain.options import (
    RUNTIME_DIR,
    Options,
    compile_flags,
    first_use_note,
    mark_ready,
    note_if_slow,
    prefix_maps,
)


def runtime_sources() -> list[Path]:
    return sorted(RUNTIME_DIR.glob("*.c"))


def runtime_hash() -> str:
    h = hashlib.sha256()
    for p in sorted([*RUNTIME_DIR.glob("*.c"), *RUNTIME_DIR.glob("*.h")]):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def static_library(opts: Options, log: Log = stderr_log) -> list[Path]:
    """The runtime library for ``opts`` (an archive, or its objects when the compiler
    has no archiver), compiled once and cached."""
    flags = compile_flags(opts)
    key = cache.key("runtime", opts.triple, opts.mode, opts.portable, opts.compiler.identity,
                    flags, runtime_hash())
    final = cache.cache_dir() / "runtime" / key
    if final.exists():
        return _library_files(final)
    sources = runtime_sources()
    if not sources:
        raise ToolchainError(f"the runtime library has no sources in {RUNTIME_DIR}")
    marker = first_use_note(opts, log)
    work = cache.workdir(key)
    try:
        with note_if_slow(opts, log) if marker is None else contextlib.nullcontext():
            compile_many(opts.compiler, flags + prefix_maps(opts, work), sources, work)
        objects = [f"{s.stem}.o" for s in sources]
        if opts.compiler.ar is not None:
            ar = list(opts.compiler.ar)
            mode = "rcs" if opts.compiler.is_zig or opts.compiler.name == "tcc" else "rcsD"
            run([*ar, mode, "libmochi.a", *objects], work, opts.compiler)
            for o in objects:
                (work / o).unlink()
        cache.publish(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    mark_ready(marker)
    return _library_files(final)


def _library_files(d: Path) -> list[Path]:
    lib = d / "libmochi.a"
    return [lib] if lib.exists() else sorted(d.glob("*.o"))


@functools.cache
def _shared_library_plan() -> tuple[Path, list[str], Options]:
    host = host_name()
    if host is None or TARGETS[host].os != "linux":
        raise ToolchainError("the JIT runs on x86_64, aarch64 or riscv64 Linux only")
    opts = Options(TARGETS[host], "release", False, find_compiler("zig"))
    flags = [*compile_flags(opts, shared=True), "-shared"]
    key = cache.key(flags, opts.compiler.identity, runtime_hash())
    return cache.cache_dir() / "jit" / key / "libmochi.so", flags, opts


def shared_library(log: Log = stderr_log) -> Path:
    """The runtime built as a shared object for this machine, for the JIT (cached by
    runtime hash).  Loading runs its code, so the cached file is loaded only if it
    is byte for byte the one built (its digest is recorded beside it); a damaged
    or foreign one is built again."""
    lib, flags, opts = _shared_library_plan()
    digest = lib.with_name(lib.name + ".sha256")
    if lib.exists() and digest.exists():
        if cache.intact(lib):
            return lib
        log("mochic: the JIT's runtime library in the cache is damaged; building it again...")
    else:
        log("mochic: building the runtime library for the JIT (once per version)...")
    lib.parent.mkdir(parents=True, exist_ok=True)
    tmp = lib.with_name(f"libmochi.so.{os.getpid()}")
    cmd = [*opts.compiler.cc, *flags, *map(str, runtime_sources()), "-lm", "-o", str(tmp)]
    try:
        run(cmd, lib.parent, opts.compiler)
    except ToolchainError as e:
        raise ToolchainError(f"building the JIT runtime failed:\n{e}") from None
    recorded = digest.with_name(f"{digest.name}.{os.getpid()}")
    recorded.write_text(cache.sha256(tmp) + "\n")
    os.replace(recorded, digest)
    os.replace(tmp, lib)
    return lib

