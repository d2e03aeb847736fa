"""A program's static data as sections of an object: what the C emitter writes
as C initializers, written as bytes and relocations instead.

- type descriptors (`MType`) of every Mochi type the code asks for, and the
  struct descriptors (`MStructDesc`) and field tables they refer to, in
  `.rodata`; the primitive types use the runtime's own (`mochi_t_int` ...);
- the immortal string constants (`MStr`, in `.data`: the runtime caches a
  string's code-point count in it) and the C strings of names (`.rodata`);
- the one immortal object of each struct without fields (`.data`);
- the globals, 8 zero bytes each (`.bss`).

Each object is made once, the first time it is asked for, and named by a
local symbol; the answer is a `Ref` for the code to relocate against.  The
names are numbered in the order of first use, so the same program always
gives the same object.
"""

from __future__ import annotations

from collections.abc import Callable

from mochic.frontend.types import OptionT, Prim, StructInfo, Type
from mochic.objfile.model import ABS64, Binding, ObjectFile, Section, SectionKind
from mochic.runtime.layout import (
    IMMORTAL,
    MK_KINDS,
    MT_KINDS,
    PRIM_DESCRIPTORS,
    Layout,
    Ref,
    Value,
    shape,
)

SLOT = 8  # a global, like every IR value, is one 8-byte slot


class StaticData:
    def __init__(self, obj: ObjectFile, structs: dict[str, StructInfo], layout: Layout) -> None:
        self.obj = obj
        self.structs = structs
        self.layout = layout
        self.abs = ABS64[obj.machine]
        self.rodata = obj.section(".rodata", SectionKind.RODATA, 8)
        self.data = obj.section(".data", SectionKind.DATA, 8)
        self.bss = obj.section(".bss", SectionKind.BSS, 8)
        self.made: dict[object, Ref] = {}
        self.serial = 0

    # ------------------------------------------------------------ writing

    def _place(self, sec: Section, name: str, data: bytes, refs: list[tuple[int, Ref]],
               align: int) -> Ref:
        offset = sec.append(data, align)
        self.obj.define(name, sec.name, offset, len(data))
        for at, ref in refs:
            self.obj.relocate(sec.name, offset + at, self.abs, ref.symbol, ref.addend)
        return Ref(name)

    def _struct(self, sec: Section, symbol: str, ctype: str, /, **values: Value) -> Ref:
        data, refs = self.layout.pack(ctype, **values)
        return self._place(sec, symbol, data, refs, self.layout.align_of(ctype))

    def _symbol(self, what: str) -> str:
        """A fresh local name, numbered in the order objects are made."""
        self.serial += 1
        return f"mochi.{what}.{self.serial}"

    def _once(self, key: object, make: Callable[[], Ref]) -> Ref:
        got = self.made.get(key)
        if got is None:
            got = self.made[key] = make()
        return got

    # ------------------------------------------------------------ objects

    def cstring(self, text: str | bytes) -> Ref:
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        return self._once(("cstr", data), lambda: self._place(
            self.rodata, self._symbol("cstr"), data + b"\0", [], 1))

    def string(self, value: str) -> Ref:
        """An immortal runtime string, as `mochi_str_const` makes one."""
        def make() -> Ref:
            data = value.encode("utf-8", "surrogatepass")
            head, _ = self.layout.pack("MStr", h_rc=IMMORTAL, h_kind=MK_KINDS["MK_STR"],
                                       nbytes=len(data), ncp=-1)
            return self._place(self.data, self._symbol("str"), head + data + b"\0", [], 8)
        return self._once(("str", value), make)

    def words(self, refs: list[Ref]) -> Ref:
        """A static array of pointers."""
        p = self.layout.ptr
        return self._once(("words", tuple(refs)), lambda: self._place(
            self.rodata, self._symbol("words"), bytes(p * max(len(refs), 1)),
            [(i * p, r) for i, r in enumerate(refs)], p))

    def mtype(self, t: Type) -> Ref:
        if isinstance(t, Prim):
            name = PRIM_DESCRIPTORS.get(t.name, "mochi_t_any")
            self.obj.reference(name)
            return Ref(name)
        if isinstance(t, OptionT):
            self.obj.reference("mochi_t_any")
            return Ref("mochi_t_any")  # an option is a boxed `any` (or none)
        key = ("type", t)
        got = self.made.get(key)
        if got is not None:
            return got
        # named before its parts are made: the type may refer to itself
        ref = self.made[key] = Ref(self._symbol("type"))
        s = shape(t)
        parts = {k: (self.mtype(x) if x is not None else None)
                 for k, x in (("elem", s.elem), ("key", s.key), ("value", s.value))}
        sd = self.desc(s.struct) if s.struct in self.structs else None
        data, refs = self.layout.pack("MType", kind=MT_KINDS[s.kind], name=self.cstring(str(t)),
                                      sd=sd, **parts)
        self._place(self.rodata, ref.symbol, data, refs, self.layout.align_of("MType"))
        return ref

    def desc(self, name: str) -> Ref:
        key = ("desc", name)
        got = self.made.get(key)
        if got is not None:
            return got
        ref = self.made[key] = Ref(self._symbol("desc"))
        info = self.structs[name]
        names = types = parent = None
        if info.fields:
            names = self.words([self.cstring(f) for f in info.fields])
            types = self.words([self.mtype(ft) for ft in info.fields.values()])
        if info.parent is not None:  # a variant: unbox to its sum type checks this
            parent = self.sum_tag(info.parent.name)
        data, refs = self.layout.pack("MStructDesc", name=self.cstring(info.name),
                                      nfields=len(info.fields), field_names=names,
                                      field_types=types, parent_sum_tag=parent)
        self._place(self.rodata, ref.symbol, data, refs, self.layout.align_of("MStructDesc"))
        return ref

    def sum_tag(self, sum_name: str) -> Ref:
        return self._once(("sum", sum_name), lambda: self._struct(
            self.rodata, self._symbol("sumtag"), "MStructDesc", name=self.cstring(sum_name)))

    def singleton(self, name: str) -> Ref:
        """The one immortal object of a struct without fields."""
        return self._once(("singleton", name), lambda: self._struct(
            self.data, self._symbol("singleton"), "MStruct", h_rc=IMMORTAL,
            h_kind=MK_KINDS["MK_STRUCT"], desc=self.desc(name)))

    def capture_types(self, types: list[Type]) -> Ref:
        return self.words([self.mtype(t) for t in types])

    def zeroed(self, name: str, nbytes: int, binding: Binding = Binding.LOCAL) -> Ref:
        """``nbytes`` of zero-filled static memory called ``name`` (globals, limits)."""
        def make() -> Ref:
            offset = self.bss.reserve(max(nbytes, SLOT), SLOT)
            self.obj.define(name, self.bss.name, offset, nbytes, binding)
            return Ref(name)
        return self._once(("zeroed", name), make)
