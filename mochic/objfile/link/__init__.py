"""mochic's static linker (see linker.py), with one relocation table per ISA."""

from mochic.objfile.link import aarch64, riscv64, x86_64
from mochic.objfile.link.rules import Isa

ISAS: dict[str, Isa] = {m.ISA.name: m.ISA for m in (x86_64, aarch64, riscv64)}
