"""What `mochic doctor` reports: the compilers and test runners mochic can use.

Each is reported present only when it runs: the command is started and must
answer its version query, so a broken installation (a `ziglang` package
whose binary fails, a runner that cannot start) is reported as it is.
"""

from __future__ import annotations

import shutil
import subprocess

from mochic.toolchain.compilers import COMPILERS, HINTS, ToolchainError, find_compiler

# How to ask each runner for its version (the version text is the detail shown).
_VERSION = {"qemu-aarch64": ["--version"], "qemu-riscv64": ["--version"],
            "wine": ["--version"], "gdb": ["--version"]}


def answers(cmd: list[str]) -> tuple[bool, str]:
    """Does ``cmd`` run and succeed? (True, its first line) or (False, why not)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        return False, f"{cmd[0]} does not run ({e})"
    text = (p.stdout.strip() or p.stderr.strip()).splitlines()
    if p.returncode != 0:
        why = text[-1] if text else f"exit status {p.returncode}"
        return False, f"`{' '.join(cmd)}` fails ({why})"
    return True, text[0] if text else ""


def doctor_report() -> list[tuple[str, str, str, str]]:
    """(what, name, state, detail) for every compiler and test runner mochic can use:
    the state is "ok" (the detail says which version), "missing" or "broken" (the
    detail says why, and how to install it)."""
    rows = []
    for name in COMPILERS:
        try:
            c = find_compiler(name)
        except ToolchainError:
            rows.append(("compiler", name, "missing", HINTS[name]))
            continue
        if c.is_zig:  # python -m ziglang: its own binary must run too
            ok, why = answers([*c.cc[:-1], "version"])
            rows.append(("compiler", name, *_state(ok, c.identity, why, name)))
        else:
            rows.append(("compiler", name, "ok", c.identity))
    for name in ("qemu-aarch64", "qemu-riscv64", "wine", "wasmtime", "gdb"):
        what = "debugger" if name == "gdb" else "runner"
        path = shutil.which(name)
        if name == "wasmtime" and path is None:
            try:
                from importlib.metadata import version

                import wasmtime  # noqa: F401 - it must import, not only be listed
                rows.append((what, name, "ok",
                             f"wasmtime {version('wasmtime')} (Python package)"))
                continue
            except Exception:
                pass
        if path is None:
            rows.append((what, name, "missing", HINTS[name]))
            continue
        ok, why = answers([path, *_VERSION.get(name, ["--version"])])
        rows.append((what, name, *_state(ok, path, why, name)))
    return rows


def _state(ok: bool, detail: str, why: str, name: str) -> tuple[str, str]:
    return ("ok", detail) if ok else ("broken", f"{why}; reinstall: {HINTS[name]}")
