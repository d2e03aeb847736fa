"""The numeric types and how they mix: int, float, bigint and bigrat.

Arithmetic on two numbers has the type of the wider one, in the order
int < bigint < bigrat, except that a float with anything gives a float (the
reference computes it so at run time).  `%` has no bigrat form.  Implicit
conversions follow the same order, plus one the reference allows too: a
bigint where an int is expected, checked at run time ('integer overflow').
"""

from __future__ import annotations

from mochic.frontend.types import BIGINT, BIGRAT, FLOAT, INT, Type

NUMERIC = (INT, FLOAT, BIGINT, BIGRAT)
BIG = (BIGINT, BIGRAT)

# (from, to) pairs a value converts along implicitly
WIDENS = frozenset({(INT, FLOAT), (INT, BIGINT), (INT, BIGRAT), (BIGINT, BIGRAT),
                    (FLOAT, BIGRAT), (BIGINT, INT)})


def is_numeric(t: Type) -> bool:
    return t in NUMERIC


def arith_type(op: str, a: Type, b: Type) -> Type | None:
    """The type of ``a op b`` for numeric ``a`` and ``b`` (None: no such operation)."""
    if FLOAT in (a, b):
        return FLOAT
    if BIGRAT in (a, b):
        return None if op == "%" else BIGRAT
    if BIGINT in (a, b):
        return BIGINT
    return INT


def compare_type(a: Type, b: Type) -> Type:
    """The type two numbers are compared as: a float with anything compares as floats."""
    if FLOAT in (a, b):
        return FLOAT
    if BIGRAT in (a, b):
        return BIGRAT
    if BIGINT in (a, b):
        return BIGINT
    return INT
