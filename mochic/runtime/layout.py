"""The runtime's structures as the compiler lays out static objects of them.

`mochi.h` defines what the runtime reads: type descriptors (`MType`),
struct descriptors (`MStructDesc`), string objects (`MStr`), struct objects
(`MStruct`).  Backends that write such objects as bytes (the stencil
translation for the JIT and the native backend, the Wasm encoder) lay them
out from this one description, by the C rules: each member at the next
offset aligned to its size, the whole padded to its largest member.
Pointers are 8 bytes, or 4 on wasm32; every target is little-endian.  A
unit test checks every offset against the C compiler's `offsetof`.

The C emitter writes the same objects as C initializers, from the same
`shape` of each type.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mochic.frontend.types import FunT, GroupT, ListT, MapT, StructT, SumT, Type

# mochi.h's enumerators that static objects hold
MT_KINDS = {"MT_INT": 1, "MT_FLOAT": 2, "MT_BOOL": 3, "MT_STRING": 4, "MT_NONE": 5,
            "MT_ANY": 6, "MT_LIST": 7, "MT_MAP": 8, "MT_STRUCT": 9, "MT_SUM": 10,
            "MT_FUN": 11, "MT_GROUP": 12, "MT_BIGINT": 13, "MT_BIGRAT": 14}
MK_KINDS = {"MK_STR": 1, "MK_LIST": 2, "MK_MAP": 3, "MK_STRUCT": 4, "MK_CLOSURE": 5,
            "MK_CELL": 6, "MK_BOX": 7, "MK_GROUP": 8, "MK_BIGINT": 9, "MK_BIGRAT": 10}
IMMORTAL = -1  # MHeader.rc of an object never counted nor freed

# the runtime's own descriptors of the types every program has
PRIM_DESCRIPTORS = {"int": "mochi_t_int", "float": "mochi_t_float", "bool": "mochi_t_bool",
                    "string": "mochi_t_string", "none": "mochi_t_none", "void": "mochi_t_none",
                    "any": "mochi_t_any", "bigint": "mochi_t_bigint",
                    "bigrat": "mochi_t_bigrat"}


@dataclass(frozen=True)
class Shape:
    """What a type's `MType` descriptor holds besides its name: the MTypeKind
    enumerator, the types it refers to, the struct it describes."""

    kind: str
    elem: Type | None = None
    key: Type | None = None
    value: Type | None = None
    struct: str | None = None


def shape(t: Type) -> Shape:
    """The descriptor of a type other than a primitive or an option (which use the
    runtime's own descriptors), for every backend alike."""
    if isinstance(t, ListT):
        return Shape("MT_LIST", elem=t.elem)
    if isinstance(t, MapT):
        return Shape("MT_MAP", key=t.key, value=t.value)
    if isinstance(t, GroupT):
        return Shape("MT_GROUP", elem=t.elem, key=t.key)
    if isinstance(t, StructT):
        return Shape("MT_STRUCT", struct=t.name)
    if isinstance(t, SumT):
        return Shape("MT_SUM")
    if isinstance(t, FunT):
        return Shape("MT_FUN")
    raise AssertionError(f"no descriptor for type {t}")  # pragma: no cover


# Members in declaration order, MHeader's spelt out where a struct starts with one.
# A trailing flexible array (MStr's bytes, MStruct's fields) follows the fixed part.
STRUCTS: dict[str, tuple[tuple[str, str], ...]] = {
    "MType": (("kind", "int32"), ("elem", "ptr"), ("key", "ptr"), ("value", "ptr"),
              ("sd", "ptr"), ("name", "ptr")),
    "MStructDesc": (("name", "ptr"), ("nfields", "int32"), ("field_names", "ptr"),
                    ("field_types", "ptr"), ("parent_sum_tag", "ptr")),
    "MStr": (("h.rc", "int32"), ("h.kind", "uint16"), ("h.flags", "uint16"),
             ("nbytes", "int64"), ("ncp", "int64")),
    "MStruct": (("h.rc", "int32"), ("h.kind", "uint16"), ("h.flags", "uint16"),
                ("desc", "ptr")),
    # read and written inline by the Wasm encoder
    "MList": (("h.rc", "int32"), ("h.kind", "uint16"), ("h.flags", "uint16"),
              ("elem", "ptr"), ("len", "int64"), ("cap", "int64"), ("items", "ptr")),
    "MClosure": (("h.rc", "int32"), ("h.kind", "uint16"), ("h.flags", "uint16"),
                 ("fn", "ptr"), ("ncaps", "int32"), ("cap_types", "ptr")),
    "MCell": (("h.rc", "int32"), ("h.kind", "uint16"), ("h.flags", "uint16"),
              ("t", "ptr"), ("v", "int64")),
}
SLOT_SIZE = 8  # an MSlot (int64, double, bool or mref), 8-byte aligned
_FORMATS = {"int32": "<i", "uint16": "<H", "int64": "<q"}


@dataclass(frozen=True)
class Ref:
    """The address of ``symbol`` plus ``addend``: a value a relocation fills in."""

    symbol: str
    addend: int = 0


Value = int | Ref | None  # None: a null pointer (or zero)


@dataclass(frozen=True)
class Layout:
    ptr: int  # bytes in a pointer: 8, or 4 on wasm32

    def size_of(self, ctype: str) -> int:
        return self.ptr if ctype == "ptr" else struct.calcsize(_FORMATS[ctype])

    def members(self, name: str) -> list[tuple[str, str, int]]:
        """(member, C type, offset) of struct ``name``."""
        out, offset = [], 0
        for member, ctype in STRUCTS[name]:
            size = self.size_of(ctype)
            offset += -offset % size
            out.append((member, ctype, offset))
            offset += size
        return out

    def align_of(self, name: str) -> int:
        return max(self.size_of(ctype) for _, ctype in STRUCTS[name])

    def size(self, name: str) -> int:
        """sizeof: the fixed part, padded to the struct's alignment."""
        _, ctype, offset = self.members(name)[-1]
        end = offset + self.size_of(ctype)
        return end + -end % self.align_of(name)

    def offset(self, name: str, member: str) -> int:
        return next(off for m, _, off in self.members(name) if m == member)

    def slots(self, name: str) -> int:
        """The offset of the trailing array of MSlots (`MStruct.f`, `MClosure.caps`)."""
        size = self.size(name)
        return size + -size % SLOT_SIZE

    def pack(self, name: str, /, **values: Value) -> tuple[bytes, list[tuple[int, Ref]]]:
        """The bytes of a ``name`` with the given members (missing ones zero), and the
        pointers among them to fill in, as (offset, Ref).  Member names with a dot
        (`h.rc`) are passed with an underscore (`h_rc`)."""
        buf = bytearray(self.size(name))
        refs: list[tuple[int, Ref]] = []
        known = {m for m, _ in STRUCTS[name]}
        for key in values:
            if key.replace("_", ".", 1) not in known and key not in known:
                raise KeyError(f"{name} has no member {key}")
        for member, ctype, offset in self.members(name):
            v = values.get(member, values.get(member.replace(".", "_")))
            if v is None:
                continue
            if isinstance(v, Ref):
                if ctype != "ptr":
                    raise TypeError(f"{name}.{member} is not a pointer")
                refs.append((offset, v))
            elif ctype == "ptr":
                buf[offset:offset + self.ptr] = v.to_bytes(self.ptr, "little")
            else:
                struct.pack_into(_FORMATS[ctype], buf, offset, v)
        return bytes(buf), refs


LP64 = Layout(8)
WASM32 = Layout(4)
