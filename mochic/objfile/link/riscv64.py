"""riscv64 relocations (RISC-V ELF psABI).

A `%pcrel_lo` relocation names the label of the `auipc` that holds the high
part, not the target; its value is the target of the relocation at that
label (`PCREL_HI20`, `GOT_HI20`, `TLS_GOT_HI20`, `TLS_GD_HI20`), taken
relative to the label.  Nothing is relaxed: `R_RISCV_RELAX` and
`R_RISCV_ALIGN` change no byte (the code as assembled is correct without
relaxation, its alignment padding included).  GOT loads get GOT entries;
general-dynamic TLS gets a GOT pair for musl's `__tls_get_addr`, whose
offsets carry the psABI's 0x800 bias.  TLS is variant I with no thread
control block between the thread pointer and the block.
"""

from __future__ import annotations

from mochic.objfile.link.rules import How, Isa, Rule, Tls

RULES = {
    "R_RISCV_NONE": Rule(How.NONE),
    "R_RISCV_64": Rule(How.WORD),
    "R_RISCV_32": Rule(How.ABS, pic=False),
    "R_RISCV_32_PCREL": Rule(How.PCREL),
    "R_RISCV_PLT32": Rule(How.PCREL),
    "R_RISCV_HI20": Rule(How.ABS, pic=False),
    "R_RISCV_LO12_I": Rule(How.ABS, pic=False),
    "R_RISCV_LO12_S": Rule(How.ABS, pic=False),
    "R_RISCV_PCREL_HI20": Rule(How.PCREL),
    "R_RISCV_PCREL_LO12_I": Rule(How.PCREL_LO),
    "R_RISCV_PCREL_LO12_S": Rule(How.PCREL_LO),
    "R_RISCV_GOT_HI20": Rule(How.GOT),
    "R_RISCV_TLS_GOT_HI20": Rule(How.GOT_TPOFF),
    "R_RISCV_TLS_GD_HI20": Rule(How.TLSGD, "R_RISCV_PCREL_HI20"),
    "R_RISCV_TPREL_HI20": Rule(How.TPOFF),
    "R_RISCV_TPREL_LO12_I": Rule(How.TPOFF),
    "R_RISCV_TPREL_LO12_S": Rule(How.TPOFF),
    "R_RISCV_TPREL_ADD": Rule(How.NONE),
    "R_RISCV_BRANCH": Rule(How.PCREL),
    "R_RISCV_JAL": Rule(How.PCREL),
    "R_RISCV_CALL": Rule(How.PCREL),
    "R_RISCV_CALL_PLT": Rule(How.PCREL),
    "R_RISCV_RVC_BRANCH": Rule(How.PCREL),
    "R_RISCV_RVC_JUMP": Rule(How.PCREL),
    **{f"R_RISCV_{op}{bits}": Rule(How.ABS) for op in ("ADD", "SUB") for bits in (8, 16, 32, 64)},
    "R_RISCV_SET6": Rule(How.ABS), "R_RISCV_SUB6": Rule(How.ABS),
    "R_RISCV_SET8": Rule(How.ABS), "R_RISCV_SET16": Rule(How.ABS),
    "R_RISCV_SET32": Rule(How.ABS),
    "R_RISCV_RELAX": Rule(How.NONE),
    "R_RISCV_ALIGN": Rule(How.NONE),
}

ISA = Isa("riscv64", RULES, "R_RISCV_64", Tls(0, False, 0x800), 4096)
