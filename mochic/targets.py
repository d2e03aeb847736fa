"""The targets `mochic build` knows: what each is called on the command line, the
zig target triple that builds it, the file it makes and what runs it in tests.

Linux builds link glibc dynamically by default (`x86_64-linux-gnu`); with
`--portable` they link musl statically into a self-contained static PIE
(`x86_64-linux-musl`).  The other systems have one way each: macOS Mach-O
(ad-hoc signed by zig's linker), Windows PE/COFF against mingw's C runtime,
and WASI modules.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str  # as on the command line: x86_64-linux
    arch: str  # x86_64, aarch64, riscv64, wasm32
    os: str  # linux, macos, windows, wasi
    triple: str  # zig's -target for the default build
    portable_triple: str  # zig's -target for --portable
    suffix: str  # of the executable: "", ".exe", ".wasm"
    runner: tuple[str, ...]  # a command that runs the executable here, if not the host

    def zig_triple(self, portable: bool) -> str:
        return self.portable_triple if portable else self.triple


def _t(arch: str, os_: str, triple: str, portable: str, suffix: str = "",
       runner: tuple[str, ...] = ()) -> Target:
    return Target(f"{arch}-{os_}", arch, os_, triple, portable, suffix, runner)


TARGETS: dict[str, Target] = {t.name: t for t in (
    _t("x86_64", "linux", "x86_64-linux-gnu", "x86_64-linux-musl"),
    _t("aarch64", "linux", "aarch64-linux-gnu", "aarch64-linux-musl",
       runner=("qemu-aarch64",)),
    _t("riscv64", "linux", "riscv64-linux-gnu", "riscv64-linux-musl",
       runner=("qemu-riscv64",)),
    _t("x86_64", "macos", "x86_64-macos", "x86_64-macos"),
    _t("aarch64", "macos", "aarch64-macos", "aarch64-macos"),
    _t("x86_64", "windows", "x86_64-windows-gnu", "x86_64-windows-gnu", ".exe",
       runner=("wine",)),
    _t("aarch64", "windows", "aarch64-windows-gnu", "aarch64-windows-gnu", ".exe"),
    _t("wasm32", "wasi", "wasm32-wasi", "wasm32-wasi", ".wasm", runner=("wasmtime",)),
)}

MODES = ("dev", "release")


class TargetError(ValueError):
    """An unknown target or mode; the message lists the valid ones."""


def host_name() -> str | None:
    """The target name of the machine we run on, or None if it is not one of ours."""
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64",
            "aarch64": "aarch64", "riscv64": "riscv64"}.get(machine)
    os_ = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform)
    name = f"{arch}-{os_}"
    return name if name in TARGETS else None


def host() -> Target:
    name = host_name()
    if name is None:
        raise TargetError(f"this machine ({platform.machine()} {sys.platform}) is not a "
                          f"target mochic builds for; choose one with --target: "
                          f"{', '.join(TARGETS)}")
    return TARGETS[name]


def get(name: str | None) -> Target:
    """The target called ``name`` (None: the host), or a TargetError listing the valid ones."""
    if name is None:
        return host()
    t = TARGETS.get(name)
    if t is None:
        raise TargetError(f"unknown target '{name}'; valid targets are: {', '.join(TARGETS)}")
    return t


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise TargetError(f"unknown mode '{mode}'; valid modes are: {', '.join(MODES)}")
    return mode
