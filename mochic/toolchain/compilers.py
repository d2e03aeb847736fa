"""Finding a C compiler, and the environment the pinned zig runs in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mochic.toolchain.cache import cache_dir

COMPILERS = ("zig", "cc", "gcc", "clang", "tcc")

# Install hints, shown by `mochic doctor` and in errors about a missing tool.
HINTS = {
    "zig": "pip install ziglang==0.17.0 (a dependency of mochic)",
    "cc": "apt-get install build-essential (or any C compiler as cc)",
    "gcc": "apt-get install gcc",
    "clang": "apt-get install clang",
    "tcc": "apt-get install tcc",
    "qemu-aarch64": "apt-get install qemu-user",
    "qemu-riscv64": "apt-get install qemu-user",
    "wine": "apt-get install wine wine64",
    "wasmtime": "pip install wasmtime",
    "gdb": "apt-get install gdb",
}

Log = Callable[[str], None]


class ToolchainError(RuntimeError):
    """A compiler is missing, cannot build for the target, or failed."""


def stderr_log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Compiler:
    name: str  # as given to --cc
    cc: tuple[str, ...]  # the command that compiles and links
    ar: tuple[str, ...] | None  # the command that makes an archive, if any
    identity: str  # the compiler's version text, part of every cache key

    @property
    def is_zig(self) -> bool:
        return self.name == "zig"

    @property
    def gnu_flags(self) -> bool:
        """Does it take gcc's flags (-ffile-prefix-map, -ffunction-sections ...)?"""
        return self.name != "tcc"

    @property
    def env(self) -> dict[str, str] | None:
        """The environment to run it in (None: ours)."""
        return zig_env() if self.is_zig else None


def zig_version() -> str | None:
    try:
        from importlib.metadata import version
        return version("ziglang")
    except Exception:
        return None


def find_compiler(name: str) -> Compiler:
    """The compiler called ``name``, or a ToolchainError that says how to install it."""
    if name not in COMPILERS:
        raise ToolchainError(f"unknown compiler '{name}'; valid compilers are: "
                             f"{', '.join(COMPILERS)}")
    if name == "zig":
        v = zig_version()
        if v is None:
            raise ToolchainError(f"the ziglang package is not installed: {HINTS['zig']}")
        zig = (sys.executable, "-m", "ziglang")
        return Compiler("zig", (*zig, "cc"), (*zig, "ar"), f"zig {v}")
    path = shutil.which(name)
    if path is None:
        raise ToolchainError(f"compiler '{name}' not found: {HINTS[name]}")
    if name == "tcc":
        ar: tuple[str, ...] | None = (path, "-ar")
        probe = [path, "-v"]
    else:
        found = shutil.which("ar")
        ar = (found,) if found else None
        probe = [path, "--version"]
    try:
        text = subprocess.run(probe, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise ToolchainError(f"compiler '{name}' does not run: {e}") from None
    first = text.strip().splitlines()[0] if text.strip() else name
    return Compiler(name, (path,), ar, first)


def zig_cache_dir() -> Path:
    """zig's caches: under the mochic cache, unless $MOCHIC_ZIG_CACHE puts them elsewhere
    (the tests give each build a fresh mochic cache but share one zig cache)."""
    env = os.environ.get("MOCHIC_ZIG_CACHE")
    return Path(env) if env else cache_dir() / "zig"


def zig_env() -> dict[str, str]:
    """The environment for zig: its caches shared by every build on this machine."""
    z = str(zig_cache_dir())
    return {**os.environ, "ZIG_GLOBAL_CACHE_DIR": z, "ZIG_LOCAL_CACHE_DIR": z}


def run(cmd: list[str], cwd: Path, compiler: Compiler) -> None:
    """Run one compiler command; its output becomes the error if it fails."""
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=compiler.env)
    except OSError as e:
        raise ToolchainError(f"cannot run {cmd[0]}: {e}") from None
    if p.returncode != 0:
        out = (p.stderr + p.stdout).strip()
        raise ToolchainError(f"{compiler.name} failed ({' '.join(cmd[:4])} ...):\n{out}")


def run_capture(cmd: list[str], cwd: Path, compiler: Compiler) -> str:
    """``run``, returning what the command printed (standard error, then output)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=compiler.env)
    except OSError as e:
        raise ToolchainError(f"cannot run {cmd[0]}: {e}") from None
    if p.returncode != 0:
        out = (p.stderr + p.stdout).strip()
        raise ToolchainError(f"{compiler.name} failed ({' '.join(cmd[:4])} ...):\n{out}")
    return p.stderr + p.stdout


def compile_many(compiler: Compiler, flags: list[str], sources: list[Path], work: Path) -> None:
    """Compile the sources to objects `<stem>.o` in ``work``, a few at a time."""
    jobs = max(1, min(len(sources), os.cpu_count() or 1))
    pending = list(sources)
    running: list[tuple[Path, subprocess.Popen]] = []
    errors = []
    while pending or running:
        while pending and len(running) < jobs:
            src = pending.pop(0)
            cmd = [*compiler.cc, *flags, "-c", str(src), "-o", f"{src.stem}.o"]
            running.append((src, subprocess.Popen(cmd, cwd=work, env=compiler.env, text=True,
                                                  stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT)))
        src, p = running.pop(0)
        out, _ = p.communicate()
        if p.returncode != 0:
            errors.append(f"{src.name}:\n{out.strip()}")
    if errors:
        raise ToolchainError(f"{compiler.name} failed to compile:\n" + "\n".join(errors))
