"""A function body being written: instructions from the opcode table, the
relocations of the indices and addresses the linker fills in, and the Mochi
line each stretch of code comes from.

An index the linker decides (a function, a global, a type of an indirect
call, a data address, a table slot) is written as a padded five-byte LEB128
with a relocation naming the symbol, as a relocatable object of the
WebAssembly tool conventions has it (`Linking.md`), so the linker rewrites
the five bytes in place.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from mochic.backends.wasm.leb128 import sleb, sleb5, uleb, uleb5
from mochic.backends.wasm.opcodes import ALIGN, EMPTY_BLOCK, OPCODES, VALTYPES
from mochic.objfile.wasm_model import Reloc, RelocType


@dataclass
class Code:
    data: bytearray = field(default_factory=bytearray)
    relocs: list[Reloc] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)  # (offset, Mochi line)

    def op(self, name: str, *imm: int | float | str | list[int]) -> None:
        spec = OPCODES[name]
        if len(imm) != len(spec.immediates) or "mem" in spec.immediates:
            raise ValueError(f"{name} takes {spec.immediates} immediates, not {imm}")
        self.data += spec.code
        for kind, value in zip(spec.immediates, imm, strict=True):
            self._immediate(kind, value)

    def _immediate(self, kind: str, value: object) -> None:
        if kind == "u32":
            self.data += uleb(int(value))  # type: ignore[arg-type]
        elif kind in ("s32", "s64"):
            self.data += sleb(int(value))  # type: ignore[arg-type]
        elif kind == "f64":
            self.data += struct.pack("<d", float(value))  # type: ignore[arg-type]
        elif kind == "block":  # a block type: "" (none) or the value type of its result
            self.data.append(VALTYPES[value] if value else EMPTY_BLOCK)  # type: ignore[index]
        elif kind == "table":
            depths = list(value)  # type: ignore[call-overload]
            self.data += uleb(len(depths) - 1)
            for d in depths:
                self.data += uleb(d)
        else:
            raise ValueError(f"no immediate kind {kind}")

    def mem(self, name: str, offset: int) -> None:
        """A load or store at ``offset`` from the address on the stack, naturally aligned."""
        size = next((bits for bits in ("8", "16", "32") if name.endswith((bits + "_u", bits))), "")
        align = {"8": 0, "16": 1, "32": 2}[size] if size else ALIGN[name.split(".")[0]]
        self.data += OPCODES[name].code + uleb(align) + uleb(offset)

    def line(self, line: int) -> None:
        """Code from here on comes from Mochi line ``line``."""
        if line > 0 and (not self.lines or self.lines[-1][1] != line):
            if self.lines and self.lines[-1][0] == len(self.data):
                self.lines[-1] = (len(self.data), line)
            else:
                self.lines.append((len(self.data), line))

    # ------------------------------------------------------------ relocated immediates

    def _reloc(self, kind: RelocType, symbol: int, addend: int = 0) -> None:
        self.relocs.append(Reloc(kind, len(self.data), symbol, addend))

    def call(self, symbol: int) -> None:
        self.data += OPCODES["call"].code
        self._reloc(RelocType.FUNCTION_INDEX_LEB, symbol)
        self.data += uleb5(0)

    def call_indirect(self, type_index: int, table_symbol: int) -> None:
        self.data += OPCODES["call_indirect"].code
        self._reloc(RelocType.TYPE_INDEX_LEB, type_index)
        self.data += uleb5(type_index)
        self._reloc(RelocType.TABLE_NUMBER_LEB, table_symbol)
        self.data += uleb5(0)

    def global_op(self, name: str, symbol: int) -> None:
        self.data += OPCODES[name].code
        self._reloc(RelocType.GLOBAL_INDEX_LEB, symbol)
        self.data += uleb5(0)

    def address(self, symbol: int, addend: int = 0) -> None:
        """`i32.const` of the address of data symbol ``symbol`` plus ``addend``."""
        self.data += OPCODES["i32.const"].code
        self._reloc(RelocType.MEMORY_ADDR_SLEB, symbol, addend)
        self.data += sleb5(0)

    def table_index(self, symbol: int) -> None:
        """`i32.const` of the table slot of function ``symbol`` (a function pointer)."""
        self.data += OPCODES["i32.const"].code
        self._reloc(RelocType.TABLE_INDEX_SLEB, symbol)
        self.data += sleb5(0)
