"""Lowering of bigint and bigrat values: conversions and operations.

Both are refs to the runtime's immutable heap numbers (`big.*` and `rat.*`
opcodes, mochi_big.c).  An operation on mixed numeric types converts its
operands to the type of the result first (frontend/numeric.py), so every
opcode sees operands of one type.
"""

from __future__ import annotations

from mochic.frontend.types import BIGINT, BIGRAT, FLOAT, INT, STRING, Type

# opcode family of each big type
PREFIX = {BIGINT: "big", BIGRAT: "rat"}

# (from, to) -> the opcodes converting a value, with the type of each result
CONVERSIONS: dict[tuple[Type, Type], tuple[tuple[str, Type], ...]] = {
    (INT, BIGINT): (("big.from.i64", BIGINT),),
    (INT, BIGRAT): (("rat.from.i64", BIGRAT),),
    (FLOAT, BIGINT): (("big.from.f64", BIGINT),),
    (FLOAT, BIGRAT): (("rat.from.f64", BIGRAT),),
    (STRING, BIGINT): (("big.from.str", BIGINT),),
    (STRING, BIGRAT): (("rat.from.str", BIGRAT),),
    (BIGINT, BIGRAT): (("rat.from.big", BIGRAT),),
    (BIGINT, INT): (("big.to.i64", INT),),
    (BIGINT, FLOAT): (("big.to.f64", FLOAT),),
    (BIGRAT, FLOAT): (("rat.to.f64", FLOAT),),
    (BIGRAT, BIGINT): (("rat.to.big", BIGINT),),
    (BIGRAT, INT): (("rat.to.big", BIGINT), ("big.to.i64", INT)),
}
