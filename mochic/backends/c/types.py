"""Static type descriptors: one `MType` per Mochi type the program uses at run
time, one `MStructDesc` and one C struct per Mochi struct.

The runtime walks these to print, compare, hash and release values it only
knows as refs (`mochi.h`, "type descriptors").  A descriptor is made the first
time the emitted code asks for a type, together with every type it refers to;
the scalar and dynamic types use the runtime's own (`mochi_t_int` ...).  All
descriptors are forward-declared before any is defined, so recursive types
(`type Node { next: Node? }`) need no special order.
"""

from __future__ import annotations

from mochic.backends.c.names import Namer, c_comment, c_string
from mochic.frontend.types import (
    OptionT,
    Prim,
    StructInfo,
    Type,
)
from mochic.runtime.layout import PRIM_DESCRIPTORS, shape


class TypeTable:
    def __init__(self, structs: dict[str, StructInfo]) -> None:
        self.structs = structs
        self.types: dict[Type, tuple[str, str]] = {}  # type -> (C name, initializer)
        self.descs: dict[str, str] = {}  # struct name -> C name of its MStructDesc
        self.desc_defs: list[str] = []
        self.type_names = Namer("mt_")
        self.struct_names = Namer("ms_")
        self.sum_names = Namer("sd_sum_")
        self.singletons: dict[str, str] = {}

    # ------------------------------------------------------------ queries

    def mtype(self, t: Type) -> str:
        """A C expression of type `const MType *` describing ``t``."""
        if isinstance(t, Prim):
            return "&" + PRIM_DESCRIPTORS.get(t.name, "mochi_t_any")
        if isinstance(t, OptionT):
            return "&mochi_t_any"  # an option is a boxed `any` (or none) at run time
        got = self.types.get(t)
        if got is None:
            name = self.type_names(f"{len(self.types)}")
            self.types[t] = (name, "")  # reserved first: the type may refer to itself
            self.types[t] = (name, self._initializer(t))
            got = self.types[t]
        return "&" + got[0]

    def struct_type(self, name: str) -> str:
        """The C struct type of Mochi struct (or variant) ``name``."""
        return self.struct_names(name)

    def desc(self, name: str) -> str:
        """A C expression of type `const MStructDesc *` for struct ``name``."""
        got = self.descs.get(name)
        if got is None:
            got = "sd_" + self.struct_names(name)[3:]
            self.descs[name] = got
            info = self.structs[name]
            n = len(info.fields)
            names = types = "NULL"
            if n:
                names, types = f"{got}_names", f"{got}_types"
                field_names = ", ".join(c_string(f.encode()) for f in info.fields)
                field_types = ", ".join(self.mtype(ft) for ft in info.fields.values())
                self.desc_defs.append(f"static const char *const {names}[] = {{{field_names}}};")
                self.desc_defs.append(f"static const MType *const {types}[] = {{{field_types}}};")
            parent = "NULL"
            if info.parent is not None:  # a variant: unbox to its sum type checks this
                parent = self.sum_tag(info.parent.name)
            self.desc_defs.append(f"static const MStructDesc {got} = "
                                  f"{{{c_string(info.name.encode())}, {n}, {names}, {types}, "
                                  f"{parent}}};")
        return "&" + got

    def sum_tag(self, sum_name: str) -> str:
        """A descriptor naming sum type ``sum_name`` (a variant's parent_sum_tag)."""
        key = "\0" + sum_name  # no struct has this name
        got = self.descs.get(key)
        if got is None:
            got = self.descs[key] = self.sum_names(sum_name)
            self.desc_defs.append(f"static const MStructDesc {got} = "
                                  f"{{{c_string(sum_name.encode())}, 0, NULL, NULL, NULL}};")
        return "&" + got

    def singleton(self, name: str) -> str:
        """The one static, immortal (rc < 0) object of field-less struct ``name``."""
        desc = self.desc(name)
        obj = "so_" + self.struct_type(name)[3:]
        self.singletons[obj] = f"static MStruct {obj} = {{{{-1, MK_STRUCT, 0}}, {desc}}};"
        return f"&{obj}.h"

    def field_name(self, struct: str, index: int) -> str:
        return list(self.structs[struct].fields)[index]

    # ------------------------------------------------------------ output

    def _initializer(self, t: Type) -> str:
        s = shape(t)
        elem, key, value = (self.mtype(x) if x is not None else "NULL"
                            for x in (s.elem, s.key, s.value))
        sd = self.desc(s.struct) if s.struct in self.structs else "NULL"
        name = c_string(str(t).encode())  # how runtime errors name the type
        return f"{{{s.kind}, {elem}, {key}, {value}, {sd}, {name}}}"

    def struct_decls(self) -> list[str]:
        """One C struct per Mochi struct: the header, the descriptor, a slot per field."""
        out = []
        for name, info in self.structs.items():
            n = len(info.fields)
            fields = f" MSlot f[{n}];" if n else ""
            out.append(f"typedef struct {{ MHeader h; const MStructDesc *desc;{fields} }} "
                       f"{self.struct_type(name)}; /* {c_comment(name)} */")
        return out

    def declarations(self) -> list[str]:
        """Forward declarations, then definitions, of every descriptor asked for."""
        out = [f"static const MStructDesc {d};" for d in self.descs.values()]
        out += [f"static const MType {n};" for n, _ in self.types.values()]
        out += self.desc_defs
        out += [f"static const MType {n} = {init};" for n, init in self.types.values()]
        out += list(self.singletons.values())
        return out
