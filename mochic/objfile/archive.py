"""A reader for `ar` archives (static libraries) as zig's and GNU's `ar` write
them: the System V / GNU format.

    "!<arch>\\n"
    per member: a 60-byte header (name, date, uid, gid, mode, size, "`\\n"),
                then its bytes, padded to an even offset
    "/"        the symbol index: a big-endian count, the members' offsets,
               then the symbol names, NUL-terminated
    "/SYM64/"  the same with 8-byte numbers
    "//"       long member names, each ended by "/\\n"; a member named "/N"
               has the long name at offset N

A linker needs only the index (which member defines a symbol) and, for each
member it pulls, its name and bytes; members are sliced on demand.  BSD
archives (`__.SYMDEF`) and thin archives are reported, not misread.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAGIC = b"!<arch>\n"
THIN = b"!<thin>\n"
HEADER = 60


class ArchiveError(ValueError):
    """The file is not an archive this reader understands."""


@dataclass
class Archive:
    name: str  # for messages: libc.a
    data: bytes
    index: dict[str, int] = field(default_factory=dict)  # symbol -> member header offset
    long_names: bytes = b""

    def member(self, offset: int) -> tuple[str, bytes]:
        """The name and bytes of the member whose header is at ``offset``."""
        name, start, size = self._header(offset)
        return name, self.data[start:start + size]

    def _header(self, offset: int) -> tuple[str, int, int]:
        h = self.data[offset:offset + HEADER]
        if len(h) < HEADER or h[58:60] != b"`\n":
            raise ArchiveError(f"{self.name}: no member header at offset {offset}")
        try:
            size = int(h[48:58].decode("ascii").strip() or "0")
        except ValueError:
            raise ArchiveError(f"{self.name}: member at {offset} has a bad size") from None
        start = offset + HEADER
        if start + size > len(self.data):
            raise ArchiveError(f"{self.name}: member at {offset} runs past the end")
        raw = h[:16].decode("latin-1").rstrip()
        if raw.startswith("/") and raw[1:].isdigit() and self.long_names:
            at = int(raw[1:])
            end = self.long_names.find(b"/\n", at)
            name = self.long_names[at:end if end >= 0 else None].decode("utf-8", "replace")
        else:
            name = raw[:-1] if raw.endswith("/") and raw not in ("/", "//") else raw
        return name, start, size


def read_archive(data: bytes, name: str) -> Archive:
    """The archive ``data``: its symbol index and long-name table read, members left
    in place."""
    if data.startswith(THIN):
        raise ArchiveError(f"{name}: thin archives are not supported")
    if not data.startswith(MAGIC):
        raise ArchiveError(f"{name}: not an ar archive")
    ar = Archive(name, data)
    offset = len(MAGIC)
    index_at: tuple[int, int, int] | None = None
    while offset < len(data):
        member, start, size = ar._header(offset)
        if member == "//":
            ar.long_names = data[start:start + size]
        elif member in ("/", "/SYM64/") and index_at is None:
            index_at = (start, size, 8 if member == "/SYM64/" else 4)
        elif member == "/":
            pass  # a COFF library's second index (little-endian, sorted): the first suffices
        elif member.startswith("__.SYMDEF"):
            raise ArchiveError(f"{name}: BSD archives are not supported")
        else:
            break  # the tables come first
        offset = start + size + (size & 1)
    if index_at is not None:
        _read_index(ar, *index_at)
    return ar


def _read_index(ar: Archive, start: int, size: int, word: int) -> None:
    fmt = ">I" if word == 4 else ">Q"
    table = ar.data[start:start + size]
    if len(table) < word:
        raise ArchiveError(f"{ar.name}: the symbol index is truncated")
    (count,) = struct.unpack_from(fmt, table, 0)
    names_at = word * (count + 1)
    if names_at > len(table):
        raise ArchiveError(f"{ar.name}: the symbol index is truncated")
    offsets = struct.unpack_from(f">{count}{fmt[1]}", table, word)
    names = table[names_at:].split(b"\0")
    if len(names) < count:
        raise ArchiveError(f"{ar.name}: the symbol index names fewer symbols than it counts")
    for sym, off in zip(names, offsets, strict=False):
        ar.index.setdefault(sym.decode("utf-8", "replace"), off)
