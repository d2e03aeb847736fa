"""The relocatable objects the native backend links programs with, made once
per target by the pinned zig and cached; after that, no compiler runs.

For a Linux target `T` this is, in `native/KEY/`:

- `libmochi.a`: the runtime library (`runtime/*.c`) and the executable's
  start (`runtime/native/*.c`), compiled for `T-linux-musl` as position
  independent code, one section per function and datum, so the linker keeps
  only what a program reaches;
- what zig links a static PIE with for that triple, copied out of zig's
  cache: musl's start file (`rcrt1.o`: it relocates the executable and
  starts the C library), musl (`libc.a`), zig's own C library routines
  (`libzigc.a`) and the compiler's support routines (`libcompiler_rt.a`).
  Which files those are is read from the link command zig prints (`-v`)
  when it links a one-line program, so it follows the pinned zig.

`link.json` lists them in link order.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from mochic.targets import Target
from mochic.toolchain import cache
from mochic.toolchain.compilers import Log, ToolchainError, compile_many, find_compiler, run
from mochic.toolchain.options import (
    RUNTIME_DIR,
    Options,
    compile_flags,
    first_use_note,
    mark_ready,
    prefix_maps,
)
from mochic.toolchain.runtime import runtime_hash, runtime_sources

NATIVE_DIR = RUNTIME_DIR / "native"
PROBE = "mochic_probe"
# what zig links besides the program, by file name: the start file is linked
# whole, the archives searched for what is undefined
START_FILES = ("rcrt1.o",)
ARCHIVES = ("libc.a", "libzigc.a", "libcompiler_rt.a")


@dataclass(frozen=True)
class NativeRuntime:
    objects: tuple[Path, ...]  # linked whole
    archives: tuple[Path, ...]  # searched in this order for undefined symbols

    @property
    def files(self) -> tuple[Path, ...]:
        return self.objects + self.archives


def native_options(target: Target) -> Options:
    return Options(target, "release", True, find_compiler("zig"))


def native_flags(opts: Options) -> list[str]:
    return [*compile_flags(opts),
            # the linker keeps no unwind tables: the stitched code's own come from DWARF
            "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]


def _sources_hash() -> str:
    h = hashlib.sha256(runtime_hash().encode())
    for p in sorted(NATIVE_DIR.glob("*.c")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def native_runtime(target: Target, log: Log) -> NativeRuntime:
    """The runtime objects for ``target``, built and cached on first use."""
    if target.os != "linux":
        raise ToolchainError(f"the native backend builds Linux executables, not {target.name}")
    opts = native_options(target)
    flags = native_flags(opts)
    key = cache.key("native-runtime", opts.triple, opts.compiler.identity, flags,
                    _sources_hash())
    final = cache.cache_dir() / "native" / key
    if not (final / "link.json").exists():
        _build(opts, flags, key, final, log)
    try:
        listing = json.loads((final / "link.json").read_text())
    except (OSError, ValueError) as e:
        raise ToolchainError(f"the native runtime cache {final} is damaged ({e}); "
                             f"remove it and build again") from None
    return NativeRuntime(tuple(final / n for n in listing["objects"]),
                         tuple(final / n for n in listing["archives"]))


def _build(opts: Options, flags: list[str], key: str, final: Path, log: Log) -> None:
    marker = first_use_note(opts, log)
    log(f"mochic: building the native runtime for {opts.target.name} (once per version)...")
    work = cache.workdir(key)
    try:
        sources = [*runtime_sources(), *sorted(NATIVE_DIR.glob("*.c"))]
        compile_many(opts.compiler, flags + prefix_maps(opts, work), sources, work)
        objects = [f"{s.stem}.o" for s in sources]
        assert opts.compiler.ar is not None
        run([*opts.compiler.ar, "rcs", "libmochi.a", *objects], work, opts.compiler)
        for o in objects:
            (work / o).unlink()
        libc = _libc_files(opts, work)
        for name in (*START_FILES, *ARCHIVES):
            shutil.copyfile(libc[name], work / name)
        listing = {"objects": list(START_FILES), "archives": ["libmochi.a", *ARCHIVES]}
        (work / "link.json").write_text(json.dumps(listing, indent=1) + "\n")
        cache.publish(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    mark_ready(marker)


def _libc_files(opts: Options, work: Path) -> dict[str, Path]:
    """The files zig links a static PIE with for ``opts``' triple, by name."""
    import shlex
    import subprocess

    probe = work / f"{PROBE}.c"
    probe.write_text("int main(void) { return 0; }\n")
    cmd = [*opts.compiler.cc, "-target", opts.triple, "-static", "-pie",
           "-fno-sanitize=undefined", "-v", probe.name, "-o", PROBE]
    try:
        p = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=opts.compiler.env)
    except OSError as e:
        raise ToolchainError(f"cannot run zig: {e}") from None
    probe.unlink()
    (work / PROBE).unlink(missing_ok=True)
    if p.returncode != 0:
        raise ToolchainError(f"zig cannot link for {opts.triple}:\n{p.stderr.strip()}")
    found: dict[str, Path] = {}
    for line in p.stderr.splitlines():
        words = shlex.split(line) if line.startswith("ld.lld ") else []
        if "-r" in words or PROBE not in words:
            continue
        for w in words:
            path = Path(w)
            if path.name in (*START_FILES, *ARCHIVES) and path.is_file():
                found[path.name] = path
    missing = [n for n in (*START_FILES, *ARCHIVES) if n not in found]
    if missing:
        raise ToolchainError(f"zig's link command for {opts.triple} names no "
                             f"{', '.join(missing)}; it was:\n{p.stderr.strip()[-2000:]}")
    return found
