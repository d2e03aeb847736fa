"""What the linker does for each relocation kind: the shape of its rule.

Each ISA's module (`x86_64.py`, `aarch64.py`, `riscv64.py`) is a table from
the psABI's kind names to a `Rule`: where the value comes from (`How`),
which field writer encodes it (`objfile/fields.py`, by kind name), and, for
the kinds whose code a static link must change (a GOT load that can be a
plain address computation, a thread-local access through a descriptor that
a static executable resolves at link time), an instruction rewrite.  A kind
missing from its table is a link error naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class How(Enum):
    NONE = "none"  # writes nothing (hints: R_RISCV_RELAX, R_RISCV_ALIGN)
    ABS = "abs"  # S + A
    WORD = "word"  # S + A in a pointer-sized word: a dynamic relocation in a PIE
    PCREL = "pcrel"  # S + A, the writer subtracts P
    GOT = "got"  # the address of S's GOT entry (+ A), pc-relative as the writer says
    GOT_ABS = "got_abs"  # the same, as an absolute address (the low 12 bits of it)
    PCREL_LO = "pcrel_lo"  # RISC-V: S labels an `auipc`; the value is that one's target
    TPOFF = "tpoff"  # S's offset from the thread pointer (static TLS)
    GOT_TPOFF = "got_tpoff"  # a GOT entry holding that offset (initial exec)
    GOT_TPOFF_ABS = "got_tpoff_abs"
    TLSGD = "tlsgd"  # a GOT pair (module 1, offset) for __tls_get_addr (general dynamic)
    TLSLD = "tlsld"  # the module's pair (1, 0) (local dynamic)
    DTPOFF = "dtpoff"  # S's offset in the module's TLS block
    SIZE = "size"  # the symbol's size + A


# A rewrite changes the instructions around a relocation before its value is
# written; it returns the How to use instead (e.g. a GOT load relaxed to an
# address computation), or None to keep the rule's.  Arguments: the section's
# bytes, the relocation's offset, whether the symbol is defined in the
# executable (not absolute, not an undefined weak).
Rewrite = Callable[[bytearray, int, bool], "How | None"]


@dataclass(frozen=True)
class Rule:
    how: How
    field: str | None = None  # the writer's kind; None: the relocation's own
    rewrite: Rewrite | None = None
    pic: bool = True  # False: an absolute address in code, not in a PIE


@dataclass(frozen=True)
class Tls:
    """Where an ISA's thread pointer points relative to the executable's TLS block."""

    above: int  # variant I: bytes of thread control block between TP and the block
    below: bool  # variant II (x86_64): the block ends at TP
    dtp_offset: int  # what __tls_get_addr adds to the offset (RISC-V's 0x800 bias)

    def tpoff(self, offset: int, size: int, align: int) -> int:
        """The TP-relative offset of byte ``offset`` of a block of ``size`` bytes."""
        if self.below:
            return offset - (size + -size % align)
        return offset + self.above + -self.above % align


@dataclass(frozen=True)
class Isa:
    name: str
    rules: dict[str, Rule]
    word: str  # the kind of a pointer-sized absolute word (R_X86_64_64 ...)
    tls: Tls
    page: int  # the largest page size executables must work with
