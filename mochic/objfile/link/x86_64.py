"""x86_64 relocations (System V AMD64 psABI, chapter 4.4 and the TLS ABI).

A GOT load of a symbol the executable defines, `mov foo@GOTPCREL(%rip), %r`,
is relaxed to `lea foo(%rip), %r` and a `call *foo@GOTPCREL(%rip)` to
`addr32 call foo`, as the psABI allows for `R_X86_64_(REX_)GOTPCRELX`; other
GOT uses get a GOT entry.  Thread-local variables: local exec (`TPOFF32`)
directly, initial exec through a GOT entry holding the offset, general and
local dynamic through GOT pairs that musl's `__tls_get_addr` reads (module
1, the executable's).  TLS is variant II: the block ends at the thread
pointer.
"""

from __future__ import annotations

from mochic.objfile.link.rules import How, Isa, Rule, Tls

MOV, LEA = 0x8B, 0x8D


def _gotpcrelx(code: bytearray, at: int, defined: bool) -> How | None:
    """`mov` -> `lea`; `call *` -> `addr32 call` (for R_X86_64_GOTPCRELX)."""
    if not defined or at < 2:
        return None
    if code[at - 2] == MOV:
        code[at - 2] = LEA
        return How.PCREL
    if code[at - 2] == 0xFF and code[at - 1] == 0x15:
        code[at - 2:at] = b"\x67\xe8"
        return How.PCREL
    return None


def _rex_gotpcrelx(code: bytearray, at: int, defined: bool) -> How | None:
    """`mov` -> `lea` behind a REX prefix (R_X86_64_REX_GOTPCRELX)."""
    if defined and at >= 3 and code[at - 2] == MOV:
        code[at - 2] = LEA
        return How.PCREL
    return None


_PC32 = "R_X86_64_PC32"
RULES = {
    "R_X86_64_NONE": Rule(How.NONE),
    "R_X86_64_64": Rule(How.WORD),
    "R_X86_64_32": Rule(How.ABS, pic=False),
    "R_X86_64_32S": Rule(How.ABS, pic=False),
    "R_X86_64_16": Rule(How.ABS, pic=False),
    "R_X86_64_8": Rule(How.ABS, pic=False),
    "R_X86_64_PC64": Rule(How.PCREL),
    "R_X86_64_PC32": Rule(How.PCREL),
    "R_X86_64_PLT32": Rule(How.PCREL),
    "R_X86_64_PC16": Rule(How.PCREL),
    "R_X86_64_PC8": Rule(How.PCREL),
    "R_X86_64_GOTPCREL": Rule(How.GOT, _PC32),
    "R_X86_64_GOTPCRELX": Rule(How.GOT, _PC32, _gotpcrelx),
    "R_X86_64_REX_GOTPCRELX": Rule(How.GOT, _PC32, _rex_gotpcrelx),
    "R_X86_64_TPOFF32": Rule(How.TPOFF, "R_X86_64_32S"),
    "R_X86_64_TPOFF64": Rule(How.TPOFF, "R_X86_64_64"),
    "R_X86_64_GOTTPOFF": Rule(How.GOT_TPOFF, _PC32),
    "R_X86_64_TLSGD": Rule(How.TLSGD, _PC32),
    "R_X86_64_TLSLD": Rule(How.TLSLD, _PC32),
    "R_X86_64_DTPOFF32": Rule(How.DTPOFF, "R_X86_64_32S"),
    "R_X86_64_DTPOFF64": Rule(How.DTPOFF, "R_X86_64_64"),
    "R_X86_64_SIZE32": Rule(How.SIZE),
    "R_X86_64_SIZE64": Rule(How.SIZE),
}

ISA = Isa("x86_64", RULES, "R_X86_64_64", Tls(0, True, 0), 4096)
