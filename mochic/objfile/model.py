"""The format-neutral object: sections, symbols and relocations.

This is the seam between code generation and everything that puts code
somewhere: the JIT loads an object into memory, the native backend's linker
links it with the runtime's objects, and the ELF, Mach-O and PE writers
write it to a file.  It follows the model of the Rust `object` crate's
writer: nothing in it is an address, every reference from one place to
another is a relocation against a named symbol.

- A `Section` is named (`.text`, `.rodata`, `.data`, `.bss`, `.debug_line`
  ...), has a kind that says how it is mapped, an alignment and its bytes
  (a zero-filled section has a size and no bytes).
- A `Symbol` names a place in a section (defined) or a place some other
  object defines (undefined: `section` is None): a runtime function, a
  libc routine, the runtime's own type descriptors.
- A `Relocation` asks whoever places the object to write the address of a
  symbol (plus an addend) into a section at an offset, encoded as ``kind``
  says.  Kinds are named as the ISA's ELF psABI names them
  (`R_X86_64_PC32`, `R_AARCH64_CALL26`, `R_RISCV_CALL_PLT` ...): one
  vocabulary for every consumer; the Mach-O and PE writers translate.
- ``lines`` map code offsets to Mochi source lines, the thread from which
  DWARF line tables come.

References inside one section that do not depend on where it is placed (a
branch between two functions of `.text`) are resolved by the producer, as an
assembler does; everything else is a relocation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class SectionKind(Enum):
    TEXT = "text"  # code: read + execute
    RODATA = "rodata"  # read only
    DATA = "data"  # read + write, with initial bytes
    BSS = "bss"  # read + write, zero-filled: a size, no bytes
    DEBUG = "debug"  # not loaded: debug information
    OTHER = "other"  # not loaded: anything else (notes, comments)

    @property
    def loaded(self) -> bool:
        return self not in (SectionKind.DEBUG, SectionKind.OTHER)


class Binding(Enum):
    LOCAL = "local"  # seen only inside this object
    GLOBAL = "global"  # seen by every object linked with it
    WEAK = "weak"  # global, but another definition may win


class SymbolKind(Enum):
    FUNC = "func"
    DATA = "data"
    NONE = "none"  # unknown (an undefined symbol may be either)


# The relocation that writes a symbol's full address into a pointer of data, per ISA
# (8 bytes; 4 on wasm32, whose addresses into linear memory are 32-bit).
ABS64 = {"x86_64": "R_X86_64_64", "aarch64": "R_AARCH64_ABS64", "riscv64": "R_RISCV_64",
         "wasm32": "R_WASM_MEMORY_ADDR_I32"}


class ObjectError(ValueError):
    """An object that does not hold together: a duplicate symbol, a relocation
    outside its section, a reference to a section that does not exist."""


@dataclass
class Section:
    name: str
    kind: SectionKind
    align: int = 1
    data: bytearray = field(default_factory=bytearray)
    bss_size: int = 0  # the size of a BSS section, which has no bytes
    tls: bool = False  # thread-local: the template (DATA) or size (BSS) of each thread's copy
    strings: bool = False  # NUL-terminated strings a linker may merge (.debug_str)
    retain: bool = False  # kept by a linker even when nothing refers to it (.init_array)
    follows: str | None = None  # kept exactly when this section is (COFF's associative COMDAT)

    @property
    def size(self) -> int:
        return self.bss_size if self.kind is SectionKind.BSS else len(self.data)

    def _pad(self, align: int) -> int:
        self.align = max(self.align, align)
        offset = self.size + -self.size % align
        if self.kind is SectionKind.BSS:
            self.bss_size = offset
        else:
            self.data.extend(bytes(offset - len(self.data)))
        return offset

    def append(self, data: bytes, align: int = 1) -> int:
        """Add ``data`` at the next offset aligned to ``align``; return that offset."""
        if self.kind is SectionKind.BSS:
            raise ObjectError(f"{self.name}: a zero-filled section has no bytes")
        offset = self._pad(align)
        self.data.extend(data)
        return offset

    def reserve(self, size: int, align: int = 1) -> int:
        """Add ``size`` zero bytes at the next offset aligned to ``align``."""
        offset = self._pad(align)
        if self.kind is SectionKind.BSS:
            self.bss_size += size
        else:
            self.data.extend(bytes(size))
        return offset


ABSOLUTE = "*ABS*"  # the section of a symbol that is a number, not a place


class Symbol(NamedTuple):
    name: str
    section: str | None  # None: undefined here; ABSOLUTE: offset is its value
    offset: int = 0
    size: int = 0
    binding: Binding = Binding.GLOBAL
    kind: SymbolKind = SymbolKind.NONE

    @property
    def defined(self) -> bool:
        return self.section is not None


class Relocation(NamedTuple):
    section: str
    offset: int
    kind: str
    symbol: str
    addend: int = 0


class LineRow(NamedTuple):
    """Code from ``offset`` of ``section`` on (to the next row) comes from ``line``."""

    section: str
    offset: int
    line: int


@dataclass
class ObjectFile:
    machine: str  # x86_64, aarch64, riscv64
    source: str = ""  # the Mochi file the code comes from, for debug information
    name: str = ""  # where it was read from, for messages: libc.a(printf.o)
    sections: dict[str, Section] = field(default_factory=dict)
    symbols: dict[str, Symbol] = field(default_factory=dict)
    relocations: list[Relocation] = field(default_factory=list)
    lines: list[LineRow] = field(default_factory=list)

    def section(self, name: str, kind: SectionKind, align: int = 1) -> Section:
        """The section called ``name``, made empty the first time it is asked for."""
        sec = self.sections.get(name)
        if sec is None:
            sec = self.sections[name] = Section(name, kind, align)
        elif sec.kind is not kind:
            raise ObjectError(f"section {name} is {sec.kind.value}, not {kind.value}")
        return sec

    def define(self, name: str, section: str, offset: int, size: int = 0,
               binding: Binding = Binding.LOCAL, kind: SymbolKind = SymbolKind.DATA) -> Symbol:
        if section not in self.sections:
            raise ObjectError(f"symbol {name}: no section {section}")
        old = self.symbols.get(name)
        if old is not None and old.defined:
            raise ObjectError(f"symbol {name} is defined twice")
        sym = self.symbols[name] = Symbol(name, section, offset, size, binding, kind)
        return sym

    def reference(self, name: str, kind: SymbolKind = SymbolKind.NONE) -> None:
        """Note that the object uses ``name``, which it may define later or never."""
        if name not in self.symbols:
            self.symbols[name] = Symbol(name, None, kind=kind)

    def relocate(self, section: str, offset: int, kind: str, symbol: str,
                 addend: int = 0) -> None:
        if symbol not in self.symbols:
            self.symbols[symbol] = Symbol(symbol, None)
        self.relocations.append(Relocation(section, offset, kind, symbol, addend))

    def undefined(self) -> list[str]:
        """The symbols this object uses and another must define, in first-use order."""
        return [s.name for s in self.symbols.values() if not s.defined]

    def check(self) -> None:
        """Raise ObjectError unless every relocation lies inside a section with bytes
        and every defined symbol inside its section."""
        for r in self.relocations:
            sec = self.sections.get(r.section)
            if sec is None or sec.kind is SectionKind.BSS or not 0 <= r.offset < sec.size:
                raise ObjectError(f"relocation {r.kind} against {r.symbol} at "
                                  f"{r.section}+{r.offset:#x} lies outside its section")
        for s in self.symbols.values():
            if s.section == ABSOLUTE:
                continue
            if s.defined and not 0 <= s.offset <= self.sections[s.section].size:  # type: ignore[index]
                raise ObjectError(f"symbol {s.name} lies outside {s.section}")
