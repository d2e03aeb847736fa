"""What `mochic doctor` reports: the compilers and test runners mochic can use."""

from __future__ import annotations

import shutil

from mochic.toolchain.compilers import COMPILERS, HINTS, ToolchainError, find_compiler


def doctor_report() -> list[tuple[str, str, bool, str]]:
    """(what, name, present, detail) for every compiler and test runner mochic can use."""
    rows = []
    for name in COMPILERS:
        try:
            c = find_compiler(name)
            rows.append(("compiler", name, True, c.identity))
        except ToolchainError:
            rows.append(("compiler", name, False, HINTS[name]))
    for name in ("qemu-aarch64", "qemu-riscv64", "wine", "wasmtime", "gdb"):
        what = "debugger" if name == "gdb" else "runner"
        path = shutil.which(name)
        if name == "wasmtime" and path is None:
            try:
                from importlib.metadata import version
                rows.append((what, name, True, f"wasmtime {version('wasmtime')} (Python package)"))
                continue
            except Exception:
                pass
        rows.append((what, name, path is not None, path or HINTS[name]))
    return rows
