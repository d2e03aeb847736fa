"""Runtime value model of the reference interpreter.

Python values stand for Mochi values:

- int: ``int`` (kept in signed 64-bit range by the interpreter)
- bigint: :class:`BigInt`, an ``int`` of any size that is not a Mochi int
- bigrat: ``fractions.Fraction``
- float: ``float``
- bool: ``bool`` (test it before ``int``: ``bool`` subclasses ``int``)
- string: ``str`` (code points)
- none: ``None``
- list: ``list``
- map: ``dict`` (insertion order is irrelevant: output and iteration use the
  ascending order of :func:`mochic.interp.format.sort_key_str` of the keys)
- struct or sum-type variant: :class:`StructVal`
- closure: :class:`Closure`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False, slots=True)
class StructInfo:
    """Static description of a struct type or of one sum-type variant.

    Compared and hashed by identity: one instance per declared type/variant.

    ``anonymous`` marks the struct type the checker gives an anonymous record
    literal (``{name: "a", age: 3}``). The reference VM keeps such records as
    plain maps, so they print without the ``"__name"`` entry.

    ``field_index`` maps a field name to its position in ``StructVal.fields``.
    """

    name: str
    field_names: tuple[str, ...]
    anonymous: bool = False
    field_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_index", {n: i for i, n in enumerate(self.field_names)})


class StructVal:
    """A struct value or sum-type variant value.

    ``fields`` holds the field values in declaration order
    (``info.field_names``). Struct values are mutable (``p.f = v``), so they
    compare structurally but are unhashable.
    """

    __slots__ = ("info", "fields")

    def __init__(self, info: StructInfo, fields: list[Any]) -> None:
        self.info = info
        self.fields = fields

    def __eq__(self, other: object) -> bool:
        if type(other) is not StructVal:
            return NotImplemented
        return self.info is other.info and self.fields == other.fields

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StructVal({self.info.name}, {self.fields!r})"


class BigInt(int):
    """A Mochi bigint: Python's exact int, typed apart from Mochi's 64-bit int
    (``type(v) is int`` is an int) so dynamic code and printing tell them apart.
    Arithmetic on it gives plain ints: the runtime wraps the results again."""

    __slots__ = ()


class Closure:
    """A function value: ``func`` is the function (declaration or compiled
    body), ``env`` its captured environment. Opaque to formatting, which
    writes it as ``<fun>`` (or ``nil`` inside a container under ``print``,
    as the reference VM does)."""

    __slots__ = ("func", "env")

    def __init__(self, func: Any, env: Any) -> None:
        self.func = func
        self.env = env

    def __repr__(self) -> str:
        return "<fun>"
