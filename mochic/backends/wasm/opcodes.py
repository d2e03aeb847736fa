"""The WebAssembly instructions the encoder writes, as one table: the name the
specification gives each instruction, its opcode byte(s), and the kinds of
immediates that follow it (`Code.op` checks the count and encodes them).

Immediate kinds: ``u32`` (an index or a count, uleb), ``s32``/``s64``
(`i32.const`/`i64.const`, sleb), ``f64`` (eight little-endian bytes),
``mem`` (alignment log2 and offset, two ulebs: `Code.mem`), ``block`` (a
block type: empty, or one result's value type), ``table`` (a vector of label depths and a default, for
`br_table`).
"""

from __future__ import annotations

from typing import NamedTuple


class Opcode(NamedTuple):
    code: bytes
    immediates: tuple[str, ...] = ()


def _ops(table: dict[str, tuple[int, str]]) -> dict[str, Opcode]:
    return {name: Opcode(bytes([code]), tuple(imm.split())) for name, (code, imm) in table.items()}


OPCODES: dict[str, Opcode] = _ops({
    # control
    "unreachable": (0x00, ""), "nop": (0x01, ""),
    "block": (0x02, "block"), "loop": (0x03, "block"), "if": (0x04, "block"),
    "else": (0x05, ""), "end": (0x0B, ""),
    "br": (0x0C, "u32"), "br_if": (0x0D, "u32"), "br_table": (0x0E, "table"),
    "return": (0x0F, ""), "call": (0x10, "u32"), "call_indirect": (0x11, "u32 u32"),
    "drop": (0x1A, ""), "select": (0x1B, ""),
    # variables
    "local.get": (0x20, "u32"), "local.set": (0x21, "u32"), "local.tee": (0x22, "u32"),
    "global.get": (0x23, "u32"), "global.set": (0x24, "u32"),
    # memory
    "i32.load": (0x28, "mem"), "i64.load": (0x29, "mem"), "f64.load": (0x2B, "mem"),
    "i32.load8_u": (0x2D, "mem"), "i32.load16_u": (0x2F, "mem"),
    "i32.store": (0x36, "mem"), "i64.store": (0x37, "mem"), "f64.store": (0x39, "mem"),
    "i32.store8": (0x3A, "mem"), "i64.store32": (0x3E, "mem"),
    # constants
    "i32.const": (0x41, "s32"), "i64.const": (0x42, "s64"), "f64.const": (0x44, "f64"),
    # i32 comparisons and arithmetic
    "i32.eqz": (0x45, ""), "i32.eq": (0x46, ""), "i32.ne": (0x47, ""),
    "i32.lt_s": (0x48, ""), "i32.lt_u": (0x49, ""), "i32.gt_s": (0x4A, ""),
    "i32.gt_u": (0x4B, ""), "i32.le_s": (0x4C, ""), "i32.ge_s": (0x4E, ""),
    "i32.ge_u": (0x4F, ""),
    "i32.add": (0x6A, ""), "i32.sub": (0x6B, ""), "i32.mul": (0x6C, ""),
    "i32.and": (0x71, ""), "i32.or": (0x72, ""), "i32.xor": (0x73, ""), "i32.shl": (0x74, ""),
    # i64
    "i64.eqz": (0x50, ""), "i64.eq": (0x51, ""), "i64.ne": (0x52, ""), "i64.lt_s": (0x53, ""),
    "i64.lt_u": (0x54, ""), "i64.gt_s": (0x55, ""), "i64.le_s": (0x57, ""),
    "i64.ge_s": (0x59, ""), "i64.ge_u": (0x5A, ""),
    "i64.add": (0x7C, ""), "i64.sub": (0x7D, ""), "i64.mul": (0x7E, ""),
    "i64.div_s": (0x7F, ""), "i64.rem_s": (0x81, ""), "i64.and": (0x83, ""),
    "i64.or": (0x84, ""), "i64.xor": (0x85, ""), "i64.shl": (0x86, ""),
    "i64.shr_s": (0x87, ""),
    # f64
    "f64.eq": (0x61, ""), "f64.ne": (0x62, ""), "f64.lt": (0x63, ""), "f64.gt": (0x64, ""),
    "f64.le": (0x65, ""), "f64.ge": (0x66, ""),
    "f64.abs": (0x99, ""), "f64.neg": (0x9A, ""), "f64.ceil": (0x9B, ""),
    "f64.floor": (0x9C, ""), "f64.trunc": (0x9D, ""), "f64.sqrt": (0x9F, ""),
    "f64.add": (0xA0, ""), "f64.sub": (0xA1, ""), "f64.mul": (0xA2, ""), "f64.div": (0xA3, ""),
    # conversions
    "i32.wrap_i64": (0xA7, ""), "i64.extend_i32_u": (0xAD, ""),
    "i64.trunc_f64_s": (0xB0, ""), "f64.convert_i64_s": (0xB9, ""),
})

# block type of a block, loop or if that takes and leaves nothing
EMPTY_BLOCK = 0x40

# value types
VALTYPES = {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C, "funcref": 0x70}
VALTYPE_NAMES = {code: name for name, code in VALTYPES.items()}

# how each IR type is held: bools and refs (addresses in linear memory) are i32
IR_VALTYPE = {"i64": "i64", "f64": "f64", "bool": "i32", "ref": "i32"}

# natural alignment (log2) of the loads and stores of each value type
ALIGN = {"i32": 2, "i64": 3, "f64": 3}
LOAD = {"i32": "i32.load", "i64": "i64.load", "f64": "f64.load"}
STORE = {"i32": "i32.store", "i64": "i64.store", "f64": "f64.store"}
