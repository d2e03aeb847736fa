"""mochic's static linker (see linker.py), with one relocation table per ISA,
each imported only when a link for that ISA needs it."""

from __future__ import annotations

import importlib

from mochic.objfile.link.rules import Isa

MACHINES = ("x86_64", "aarch64", "riscv64")  # a module of this package each


def isa(machine: str) -> Isa:
    """The relocation rules of ``machine``."""
    if machine not in MACHINES:
        raise ValueError(f"the linker knows no ISA {machine}")
    return importlib.import_module(f"mochic.objfile.link.{machine}").ISA
