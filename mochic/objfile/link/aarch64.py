"""aarch64 relocations (ELF for the Arm 64-bit Architecture, AAELF64).

GOT loads (`adrp` + `ldr` of `:got:`) get GOT entries.  Thread-local
variables: local exec directly; initial exec through a GOT entry holding
the offset; a TLS descriptor sequence, which a static executable resolves
at link time, is relaxed to local exec as the ABI describes (`adrp x0` ->
`movz x0, #:tprel_g1:`, `ldr x1` -> `movk x0, #:tprel_g0_nc:`, the `add`
and the `blr` -> `nop`).  TLS is variant I: a 16-byte thread control block
lies between the thread pointer and the block.
"""

from __future__ import annotations

import struct

from mochic.objfile.link.rules import How, Isa, Rule, Tls

NOP = 0xD503201F
MOVZ_X0_LSL16 = 0xD2A00000
MOVK_X0 = 0xF2800000


def _put(word: int):  # noqa: ANN202 - a Rewrite
    def rewrite(code: bytearray, at: int, defined: bool) -> How | None:
        struct.pack_into("<I", code, at, word)
        return None
    return rewrite


_PAGE, _LO12 = "R_AARCH64_ADR_PREL_PG_HI21", "R_AARCH64_LDST64_ABS_LO12_NC"
RULES = {
    "R_AARCH64_NONE": Rule(How.NONE),
    "R_AARCH64_ABS64": Rule(How.WORD),
    "R_AARCH64_ABS32": Rule(How.ABS, pic=False),
    "R_AARCH64_ABS16": Rule(How.ABS, pic=False),
    "R_AARCH64_PREL64": Rule(How.PCREL),
    "R_AARCH64_PREL32": Rule(How.PCREL),
    "R_AARCH64_PREL16": Rule(How.PCREL),
    **{f"R_AARCH64_MOVW_UABS_G{g}": Rule(How.ABS, pic=False) for g in range(4)},
    **{f"R_AARCH64_MOVW_UABS_G{g}_NC": Rule(How.ABS, pic=False) for g in range(3)},
    "R_AARCH64_ADR_PREL_LO21": Rule(How.PCREL),
    "R_AARCH64_ADR_PREL_PG_HI21": Rule(How.PCREL),
    "R_AARCH64_ADR_PREL_PG_HI21_NC": Rule(How.PCREL),
    "R_AARCH64_ADD_ABS_LO12_NC": Rule(How.ABS),
    "R_AARCH64_LDST8_ABS_LO12_NC": Rule(How.ABS),
    "R_AARCH64_LDST16_ABS_LO12_NC": Rule(How.ABS),
    "R_AARCH64_LDST32_ABS_LO12_NC": Rule(How.ABS),
    "R_AARCH64_LDST64_ABS_LO12_NC": Rule(How.ABS),
    "R_AARCH64_LDST128_ABS_LO12_NC": Rule(How.ABS),
    "R_AARCH64_LD_PREL_LO19": Rule(How.PCREL),
    "R_AARCH64_TSTBR14": Rule(How.PCREL),
    "R_AARCH64_CONDBR19": Rule(How.PCREL),
    "R_AARCH64_JUMP26": Rule(How.PCREL),
    "R_AARCH64_CALL26": Rule(How.PCREL),
    "R_AARCH64_ADR_GOT_PAGE": Rule(How.GOT, _PAGE),
    "R_AARCH64_LD64_GOT_LO12_NC": Rule(How.GOT_ABS, _LO12),
    "R_AARCH64_TLSLE_ADD_TPREL_HI12": Rule(How.TPOFF),
    "R_AARCH64_TLSLE_ADD_TPREL_LO12": Rule(How.TPOFF),
    "R_AARCH64_TLSLE_ADD_TPREL_LO12_NC": Rule(How.TPOFF),
    "R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21": Rule(How.GOT_TPOFF, _PAGE),
    "R_AARCH64_TLSIE_LD64_GOTTPREL_LO12_NC": Rule(How.GOT_TPOFF_ABS, _LO12),
    "R_AARCH64_TLSDESC_ADR_PAGE21": Rule(How.TPOFF, "R_AARCH64_MOVW_UABS_G1_NC",
                                         _put(MOVZ_X0_LSL16)),
    "R_AARCH64_TLSDESC_LD64_LO12": Rule(How.TPOFF, "R_AARCH64_MOVW_UABS_G0_NC", _put(MOVK_X0)),
    "R_AARCH64_TLSDESC_ADD_LO12": Rule(How.NONE, rewrite=_put(NOP)),
    "R_AARCH64_TLSDESC_CALL": Rule(How.NONE, rewrite=_put(NOP)),
}

ISA = Isa("aarch64", RULES, "R_AARCH64_ABS64", Tls(16, False, 0), 65536)
