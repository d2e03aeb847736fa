"""Compiling an emitted C program and linking it with the runtime library into
an executable, cached by everything that goes into it.

Builds are reproducible: the same program, target and mode give the same
bytes.  Compilation runs inside a fresh work directory on relative file names,
`-ffile-prefix-map` rewrites that directory and the runtime's to fixed names,
and no timestamp or build id is embedded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from mochic.objfile import codesign
from mochic.toolchain import cache
from mochic.toolchain.compilers import Log, ToolchainError, run, stderr_log
from mochic.toolchain.options import (
    Options,
    check_target,
    compile_flags,
    first_use_note,
    link_flags,
    mark_ready,
    note_if_slow,
    prefix_maps,
)
from mochic.toolchain.runtime import runtime_hash, static_library

KEEP_BUILDS = 1000  # cached executables kept, the most recently used


def _fix_pdb_guid(exe: Path) -> None:
    """LLD writes a random PDB signature into a PE's CodeView record (`RSDS`, 16 bytes
    of GUID, of which it fills 8 with "LLD PDB."): replace the random half with a hash
    of the rest of the file, so a dev build is reproducible (as lld-link /Brepro)."""
    data = bytearray(exe.read_bytes())
    i = data.find(b"RSDS")
    while i >= 0:
        if data[i + 12:i + 20] == b"LLD PDB.":
            data[i + 4:i + 12] = b"\0" * 8
            data[i + 4:i + 12] = hashlib.sha256(bytes(data)).digest()[:8]
            exe.write_bytes(bytes(data))
            return
        i = data.find(b"RSDS", i + 4)


def _sign_adhoc(exe: Path) -> None:
    """zig's linker signs arm64 macOS executables; sign the others the same way, so
    every macOS output carries an ad-hoc signature (objfile/codesign.py)."""
    data = exe.read_bytes()
    try:
        if not codesign.is_signed(data):
            exe.write_bytes(codesign.sign_adhoc(data, exe.name))
    except codesign.CodesignError as e:
        raise ToolchainError(f"cannot sign {exe.name}: {e}") from None


@dataclass
class BuildResult:
    output: Path
    cached: bool
    seconds: float
    steps: list[str] = field(default_factory=list)


def build(c_source: str, opts: Options, output: Path, log: Log = stderr_log) -> BuildResult:
    """Compile the emitted C ``c_source`` and link it with the runtime into ``output``."""
    start = time.monotonic()
    check_target(opts)
    library = static_library(opts, log)
    cflags = compile_flags(opts)
    lflags = link_flags(opts)
    # the steps after linking are part of what is cached
    after_link = {"windows": "pdb-signature", "macos": "adhoc-signature"}.get(opts.target.os)
    key = cache.key("build", opts.triple, opts.mode, opts.portable, opts.compiler.identity,
                    cflags, lflags, runtime_hash(), c_source, after_link)
    final = cache.cache_dir() / "builds" / key
    exe_name = "prog" + opts.target.suffix
    cached = (final / exe_name).exists()
    if not cached:
        marker = first_use_note(opts, log)
        work = cache.workdir(key)
        try:
            (work / "prog.c").write_text(c_source, encoding="utf-8")
            # the library is linked from the work directory by a relative name: debug
            # info that names object files (Mach-O's, PE's) then names no cache path
            names = []
            for lib in library:
                shutil.copy2(lib, work / lib.name)  # with its time: Mach-O debug maps record it
                names.append(lib.name)
            cmd = [*opts.compiler.cc, *cflags, *prefix_maps(opts, work), "prog.c",
                   *names, *lflags, "-o", exe_name]
            with note_if_slow(opts, log) if marker is None else contextlib.nullcontext():
                run(cmd, work, opts.compiler)
            if opts.target.os == "windows":
                _fix_pdb_guid(work / exe_name)
            if opts.target.os == "macos":
                _sign_adhoc(work / exe_name)
            for extra in work.iterdir():  # keep only the executable
                if extra.name != exe_name:
                    if extra.is_dir():
                        shutil.rmtree(extra)
                    else:
                        extra.unlink()
            cache.publish(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        mark_ready(marker)
        cache.prune(final.parent, KEEP_BUILDS)
    else:
        os.utime(final)  # recently used: pruned last
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
    shutil.copyfile(final / exe_name, tmp)
    os.chmod(tmp, 0o755)
    os.replace(tmp, output)
    return BuildResult(output, cached, time.monotonic() - start)
