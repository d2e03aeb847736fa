"""The stencil tables as data: `generated/<isa>.stencils`, written by the
generator and read back with one read, so that starting the JIT decodes bytes
instead of importing a Python module of a few hundred kilobytes.

Layout (little-endian):

    header    magic "MOCHISTN", u16 version, the digest (64 ASCII hex digits),
              u8 + the machine's name
    strings   u32 + the stencil names, hole kinds and values, UTF-8, NUL-separated
    directory u16 count, each u16 name, u32 offset of its record (from the first)
    records   each: u32 code size, u16 holes, u32 data size, u16 data alignment,
              u16 cfi rows; then the code, the holes (u32 offset, u16 kind,
              u16 value, i64 addend), the data and the rows (u32 offset,
              u16 register, i32 CFA offset, u16 saved, then per saved register
              u16 register, i32 offset)

Loading reads the header, strings and directory; a stencil is decoded when it
is first asked for, so a run pays only for the stencils its program uses.
A file that does not parse (wrong magic or version, cut short) raises
StencilFileError: the tables are part of mochic, so that is a broken install.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from mochic.backends.copypatch.model import Hole, Stencil
from mochic.objfile.cfi import Row

MAGIC = b"MOCHISTN"
VERSION = 1
GENERATED = Path(__file__).resolve().parent / "generated"
MACHINES = ("x86_64", "aarch64", "riscv64")

_HEADER = struct.Struct("<8sH64sB")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_ENTRY = struct.Struct("<HI")
_RECORD = struct.Struct("<IHIHH")
_HOLE = struct.Struct("<IHHq")
_ROW = struct.Struct("<IHiH")
_SAVED = struct.Struct("<Hi")
_DAMAGED = (struct.error, UnicodeDecodeError, IndexError)


class StencilFileError(ValueError):
    """A stencil file that is not one this mochic reads."""


class Stencils(Mapping[str, Stencil]):
    """A file's stencils by name, each decoded on first use."""

    def __init__(self, view: memoryview, strings: list[str], offsets: dict[str, int]) -> None:
        self._view = view
        self._strings = strings
        self._offsets = offsets
        self._decoded: dict[str, Stencil] = {}

    def __getitem__(self, name: str) -> Stencil:
        st = self._decoded.get(name)
        if st is None:
            at = self._offsets[name]
            try:
                st = self._decode(name, at)
            except _DAMAGED as e:
                raise StencilFileError(f"stencil {name}: its record is damaged: {e}") from None
            self._decoded[name] = st
        return st

    def __iter__(self) -> Iterator[str]:
        return iter(self._offsets)

    def __len__(self) -> int:
        return len(self._offsets)

    def __contains__(self, name: object) -> bool:
        return name in self._offsets

    def _decode(self, name: str, at: int) -> Stencil:
        view, strings = self._view, self._strings
        ncode, nholes, ndata, align, nrows = _RECORD.unpack_from(view, at)
        at += _RECORD.size
        code = bytes(view[at:at + ncode])
        at += ncode
        end = at + nholes * _HOLE.size
        holes = tuple(Hole(off, strings[kind], strings[value], addend)
                      for off, kind, value, addend in _HOLE.iter_unpack(view[at:end]))
        at = end
        data = bytes(view[at:at + ndata])
        at += ndata
        rows = []
        for _ in range(nrows):
            off, reg, cfa, nsaved = _ROW.unpack_from(view, at)
            at += _ROW.size
            end = at + nsaved * _SAVED.size
            rows.append(Row(off, reg, cfa, tuple(_SAVED.iter_unpack(view[at:end]))))
            at = end
        if len(code) != ncode or len(data) != ndata or at > len(view):
            raise StencilFileError(f"stencil {name}: its record is cut short")
        return Stencil(name, code, holes, data, align, tuple(rows))


@dataclass(frozen=True)
class StencilSet:
    machine: str
    digest: str  # of the sources, flags and compiler the stencils were made from
    stencils: Mapping[str, Stencil]


def path(machine: str) -> Path:
    return GENERATED / f"{machine}.stencils"


@functools.cache
def load(machine: str) -> StencilSet:
    """The stencil set of ``machine`` (one of MACHINES), read once per process."""
    with open(path(machine), "rb") as f:
        return decode(f.read())


def encode(machine: str, digest: str, stencils: Mapping[str, Stencil]) -> bytes:
    strings: dict[str, int] = {}

    def ref(s: str) -> int:
        return strings.setdefault(s, len(strings))

    names = sorted(stencils)
    for name in names:
        ref(name)
    records = bytearray()
    directory = bytearray(_U16.pack(len(names)))
    for name in names:
        st = stencils[name]
        directory += _ENTRY.pack(strings[name], len(records))
        records += _RECORD.pack(len(st.code), len(st.holes), len(st.data), st.data_align,
                                len(st.cfi))
        records += st.code
        for h in st.holes:
            records += _HOLE.pack(h.offset, ref(h.kind), ref(h.value), h.addend)
        records += st.data
        for r in st.cfi:
            records += _ROW.pack(r.offset, r.reg, r.cfa, len(r.saved))
            for reg, off in r.saved:
                records += _SAVED.pack(reg, off)
    blob = "\0".join(strings).encode()
    return b"".join((_HEADER.pack(MAGIC, VERSION, digest.encode(), len(machine)),
                     machine.encode(), _U32.pack(len(blob)), blob, directory, records))


def decode(data: bytes) -> StencilSet:
    """The stencil set in ``data``: its header, strings and directory now, each
    stencil when it is used."""
    view = memoryview(data)
    try:
        magic, version, digest, n = _HEADER.unpack_from(view, 0)
        if magic != MAGIC or version != VERSION:
            raise StencilFileError(f"not a version {VERSION} stencil file")
        at = _HEADER.size
        machine = bytes(view[at:at + n]).decode()
        (size,) = _U32.unpack_from(view, at + n)
        at += n + 4
        strings = bytes(view[at:at + size]).decode().split("\0")
        at += size
        (count,) = _U16.unpack_from(view, at)
        at += 2
        end = at + count * _ENTRY.size
        base = end
        offsets = {strings[name]: base + off
                   for name, off in _ENTRY.iter_unpack(view[at:end])}
    except _DAMAGED as e:
        raise StencilFileError(f"a stencil file cut short or damaged: {e}") from None
    if len(offsets) != count or any(at >= len(view) for at in offsets.values()):
        raise StencilFileError("a stencil file whose directory is damaged")
    return StencilSet(machine, digest.decode(), Stencils(view, strings, offsets))
