"""What one build is (target, mode, portability, compiler) and the flags it
compiles and links with, each with why."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mochic import stack
from mochic.targets import Target, host_name
from mochic.toolchain.compilers import Compiler, Log, ToolchainError, zig_cache_dir

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"


@dataclass(frozen=True)
class Options:
    target: Target
    mode: str  # dev | release
    portable: bool
    compiler: Compiler

    @property
    def triple(self) -> str:
        return self.target.zig_triple(self.portable)


def check_target(opts: Options) -> None:
    """Compilers other than zig build for the host only."""
    if not opts.compiler.is_zig and opts.target.name != host_name():
        raise ToolchainError(f"--cc {opts.compiler.name} builds only for the host "
                             f"({host_name() or 'unknown'}); use --cc zig to build for "
                             f"{opts.target.name}")


_TRANSCENDENTAL = ("sin", "cos", "tan", "asin", "acos", "atan", "atan2", "exp", "log", "log2",
                   "log10", "sinh", "cosh", "tanh", "pow", "hypot")


def compile_flags(opts: Options, shared: bool = False) -> list[str]:
    """Flags for compiling one C file (the program or a runtime source) for an
    executable, or for a ``shared`` library (the JIT's runtime), each with its why."""
    c = opts.compiler
    flags = ["-std=c11"]
    if c.is_zig:
        flags += ["-target", opts.triple]
    if opts.mode == "dev":
        flags += ["-O0", "-g"]  # debug info whose lines are the #line'd Mochi lines
    else:
        flags += ["-O2"]
    if c.gnu_flags:
        flags += [
            "-fno-strict-aliasing",  # heap objects are read through several struct types
            "-ffp-contract=off",  # no fused multiply-add: floats round as in every tier
            "-fno-math-errno",  # libm calls may be inlined; errno is never read
            "-ffunction-sections", "-fdata-sections",  # let the linker drop unused code
        ]
        # The compiler would evaluate these on constants with its own libm (or MPFR),
        # which may differ from the target's libm in the last bit: leave them to run time.
        # (sqrt, fabs, floor, ceil, trunc are exact and stay inline.)
        flags += [f"-fno-builtin-{f}" for f in _TRANSCENDENTAL]
        if shared:
            flags += ["-fPIC"]  # loaded anywhere
        elif opts.target.os == "linux":
            flags += ["-fPIE"]  # linked as a PIE (static for --portable): ASLR for all of it
    if c.is_zig:
        flags += ["-fno-sanitize=undefined"]  # zig cc turns UBSan traps on at -O0
    flags += ["-I", str(RUNTIME_DIR)]
    return flags


def link_flags(opts: Options) -> list[str]:
    c, t = opts.compiler, opts.target
    flags: list[str] = []
    if opts.mode == "release":
        flags += ["-s"]  # stripped
    if t.os == "linux":
        if c.gnu_flags:
            flags += ["-Wl,--gc-sections"]
        if opts.portable:
            flags += ["-static", "-pie"] if c.is_zig else ["-static"]  # a static PIE
        elif c.gnu_flags:
            flags += ["-pie"]
        if c.is_zig and not opts.portable:
            flags += ["-Wl,--build-id=none"]
    elif t.os == "macos":
        flags += ["-Wl,-dead_strip"]
    elif t.os == "windows":
        flags += [f"-Wl,--stack,{stack.MAIN_STACK['windows']}"]
    elif t.os == "wasi":
        flags += [f"-Wl,-z,stack-size={stack.MAIN_STACK['wasi']}"]
    if t.os in ("linux", "macos"):
        flags += ["-pthread"]  # the program runs on a thread with a big stack
    if not c.is_zig or t.os == "linux":
        flags += ["-lm"]
    return flags


def prefix_maps(opts: Options, work: Path) -> list[str]:
    """Rewrite the work directory and the runtime's to fixed names in what the
    compiler records, so builds are reproducible."""
    if not opts.compiler.gnu_flags:
        return []
    return [f"-ffile-prefix-map={work}=.", f"-ffile-prefix-map={RUNTIME_DIR}=mochi-runtime"]


def first_use_note(opts: Options, log: Log) -> Path | None:
    """Say that zig is about to build the target's C library (slow, once per target);
    return the marker to create when that is done."""
    if not opts.compiler.is_zig:
        return None
    marker = zig_cache_dir() / f".mochic-ready-{opts.triple}"
    if marker.exists():
        return None
    log(f"mochic: preparing the {opts.target.name}"
        f"{' (portable)' if opts.portable and opts.target.os == 'linux' else ''} "
        "toolchain (first use, about a minute)...")
    return marker


SLOW_STEP = 15.0  # seconds of a silent compiler step after which the user is told why


@contextmanager
def note_if_slow(opts: Options, log: Log, after: float = SLOW_STEP) -> Iterator[None]:
    """Say what is going on if the step inside takes longer than ``after`` seconds:
    the marker of first_use_note can exist while zig still prepares what this
    build needs (another mode, another build's half-filled cache), and a build
    never sits silent for minutes."""
    timer = threading.Timer(after, log, (
        f"mochic: still building for {opts.target.name} (the first build of a configuration "
        "takes up to a few minutes while zig prepares its C library)...",))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def mark_ready(marker: Path | None) -> None:
    """Record that zig has prepared a target (see first_use_note)."""
    if marker is not None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
