"""The runtime library as the JIT uses it: one shared object per runtime hash,
built into the user cache directory on first use and loaded with ctypes, and
the static data the C emitter would have written (type descriptors, struct
descriptors, string constants, globals) made in memory instead.

The layouts mirror `mochi.h` (MType, MStructDesc, MHeader); the runtime reads
them exactly as it reads the C backend's static descriptors.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

from mochic import toolchain
from mochic.backends.c.types import PRIM_DESCRIPTORS, shape
from mochic.frontend.types import (
    OptionT,
    Prim,
    StructInfo,
    Type,
)
from mochic.targets import TARGETS, host_name

# mochi.h's MTypeKind numbers of the kinds `shape` gives
MT_KINDS = {"MT_LIST": 7, "MT_MAP": 8, "MT_STRUCT": 9, "MT_SUM": 10, "MT_FUN": 11,
            "MT_GROUP": 12}
MK_STRUCT = 4


class MType(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("elem", ctypes.c_void_p), ("key", ctypes.c_void_p),
                ("value", ctypes.c_void_p), ("sd", ctypes.c_void_p), ("name", ctypes.c_void_p)]


class MStructDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("nfields", ctypes.c_int32),
                ("field_names", ctypes.c_void_p), ("field_types", ctypes.c_void_p),
                ("parent_sum_tag", ctypes.c_void_p)]


class MStruct0(ctypes.Structure):
    """A struct object without fields: header, then descriptor."""
    _fields_ = [("rc", ctypes.c_int32), ("kind", ctypes.c_uint16), ("flags", ctypes.c_uint16),
                ("desc", ctypes.c_void_p)]


@functools.cache
def _library_path() -> tuple[Path, list[str], toolchain.Options]:
    host = host_name()
    if host is None:
        raise toolchain.ToolchainError("the JIT runs on x86_64 or aarch64 Linux only")
    opts = toolchain.Options(TARGETS[host], "release", False, toolchain.find_compiler("zig"))
    flags = [*toolchain.compile_flags(opts), "-fPIC", "-shared"]
    key = hashlib.sha256(repr((flags, opts.compiler.identity,
                               toolchain.runtime_hash())).encode()).hexdigest()[:32]
    return toolchain.cache_dir() / "jit" / key / "libmochi.so", flags, opts


def shared_library(log: toolchain.Log) -> Path:
    """The runtime built as a shared object for this machine (cached by runtime hash)."""
    lib, flags, opts = _library_path()
    if lib.exists():
        return lib
    log("mochic: building the runtime library for the JIT (once per version)...")
    lib.parent.mkdir(parents=True, exist_ok=True)
    tmp = lib.with_name(f"libmochi.so.{os.getpid()}")
    cmd = [*opts.compiler.cc, *flags, *map(str, toolchain.runtime_sources()),
           "-lm", "-o", str(tmp)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=toolchain.zig_env())
    if p.returncode != 0:
        raise toolchain.ToolchainError(f"building the JIT runtime failed:\n{p.stderr.strip()}")
    os.replace(tmp, lib)
    return lib


class Runtime:
    """The loaded runtime library and the program's static data in memory."""

    def __init__(self, path: Path, structs: dict[str, StructInfo]) -> None:
        self.lib = ctypes.CDLL(str(path))
        self.structs = structs
        self.keep: list[Any] = []  # ctypes objects the program's code points into
        self.types: dict[Type, int] = {}
        self.descs: dict[str, int] = {}
        self.strings: dict[str, int] = {}
        self.cstrings: dict[bytes, int] = {}
        self.captures: dict[tuple[int, ...], int] = {}
        self.lib.mochi_str_const.restype = ctypes.c_void_p
        self.lib.mochi_str_const.argtypes = [ctypes.c_char_p, ctypes.c_int64]

    # ------------------------------------------------------------ symbols

    def function(self, name: str) -> int:
        """The address of a function of the runtime or the C library it links."""
        try:
            return int(ctypes.cast(getattr(self.lib, name), ctypes.c_void_p).value or 0)
        except AttributeError:
            raise toolchain.ToolchainError(f"the JIT runtime has no function {name}") from None

    def data(self, name: str) -> int:
        return ctypes.addressof(ctypes.c_char.in_dll(self.lib, name))

    def _own(self, obj: Any) -> int:
        self.keep.append(obj)
        return ctypes.addressof(obj)

    # ------------------------------------------------------------ static data

    def cstring(self, text: str | bytes) -> int:
        data = text.encode() if isinstance(text, str) else text
        got = self.cstrings.get(data)
        if got is None:
            got = self.cstrings[data] = self._own(ctypes.create_string_buffer(data))
        return got

    def string(self, value: str) -> int:
        """An immortal runtime string for a constant."""
        got = self.strings.get(value)
        if got is None:
            data = value.encode("utf-8", "surrogatepass")
            got = self.strings[value] = int(self.lib.mochi_str_const(data, len(data)))
        return got

    def words(self, values: list[int]) -> int:
        """A static array of pointers."""
        return self._own((ctypes.c_void_p * max(len(values), 1))(*values))

    def mtype(self, t: Type) -> int:
        if isinstance(t, Prim):
            return self.data(PRIM_DESCRIPTORS.get(t.name, "mochi_t_any"))
        if isinstance(t, OptionT):
            return self.data("mochi_t_any")  # an option is a boxed `any` (or none)
        got = self.types.get(t)
        if got is not None:
            return got
        m = MType()
        addr = self.types[t] = self._own(m)  # before the parts: the type may refer to itself
        m.name = self.cstring(str(t))
        s = shape(t)
        m.kind = MT_KINDS[s.kind]
        m.elem, m.key, m.value = (self.mtype(x) if x is not None else None
                                  for x in (s.elem, s.key, s.value))
        m.sd = self.desc(s.struct) if s.struct in self.structs else None
        return addr

    def desc(self, name: str) -> int:
        got = self.descs.get(name)
        if got is not None:
            return got
        d = MStructDesc()
        addr = self.descs[name] = self._own(d)
        info = self.structs[name]
        d.name = self.cstring(info.name)
        d.nfields = len(info.fields)
        if info.fields:
            d.field_names = self.words([self.cstring(f) for f in info.fields])
            d.field_types = self.words([self.mtype(ft) for ft in info.fields.values()])
        if info.parent is not None:  # a variant: unbox to its sum type checks this
            d.parent_sum_tag = self.sum_tag(info.parent.name)
        return addr

    def sum_tag(self, sum_name: str) -> int:
        key = "\0" + sum_name  # no struct has this name
        got = self.descs.get(key)
        if got is None:
            d = MStructDesc()
            d.name = self.cstring(sum_name)
            got = self.descs[key] = self._own(d)
        return got

    def singleton(self, name: str) -> int:
        """The one immortal object of a struct without fields."""
        key = "\1" + name
        got = self.descs.get(key)
        if got is None:
            got = self.descs[key] = self._own(MStruct0(-1, MK_STRUCT, 0, self.desc(name)))
        return got

    def capture_types(self, types: list[Type]) -> int:
        elems = tuple(self.mtype(t) for t in types)
        got = self.captures.get(elems)
        if got is None:
            got = self.captures[elems] = self.words(list(elems))
        return got

    def zeroed(self, nbytes: int) -> int:
        """Static zero-filled memory (globals, the JIT's limits)."""
        return self._own((ctypes.c_char * max(nbytes, 8))())
