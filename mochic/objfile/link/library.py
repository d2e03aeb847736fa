"""Libraries: the archives the linker searches, with their members read on
demand into the object model, and a cache of the members already read.

A `Library` answers which member defines a symbol (`index`) and gives that
member as an `ObjectFile` (`load`).  Reading a member is most of a small
link's work, and a runtime library never changes once built, so each
library keeps the members it has read, and its index, in a file next to
the archive (`NAME.objects`, pickled): the next link loads them from there
without reading the archive at all.  The cache names the version of the
readers that made it (a hash of their sources), so a newer mochic reads the
archive again; it is replaced atomically, so concurrent links never see
half of one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from mochic.objfile.archive import Archive, read_archive
from mochic.objfile.model import ObjectFile

Reader = Callable[[bytes, str], ObjectFile]
_READERS = ("model.py", "elf.py", "elfread.py", "elfkinds.py", "archive.py")


@functools.cache
def reader_version() -> str:
    here = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for name in _READERS:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


class Library:
    """An archive on disk, its members read by ``read`` when first asked for."""

    def __init__(self, path: Path, read: Reader) -> None:
        self.path = path
        self.name = path.name
        self.read = read
        self.cache_path = path.with_name(path.name + ".objects")
        self.archive: Archive | None = None
        self.members: dict[int, bytes] = {}  # header offset -> the pickled ObjectFile
        self.dirty = False
        self.index: dict[str, int] = {}
        if not self._load_cache():
            self.index = self._archive().index

    def _archive(self) -> Archive:
        if self.archive is None:
            self.archive = read_archive(self.path.read_bytes(), self.name)
        return self.archive

    def _load_cache(self) -> bool:
        try:
            with self.cache_path.open("rb") as f:
                version, index, members = pickle.load(f)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            return False
        if version != reader_version():
            return False
        self.index, self.members = index, members
        return True

    def load(self, offset: int) -> ObjectFile:
        """The member whose header is at ``offset``, read into the model."""
        blob = self.members.get(offset)
        if blob is not None:
            obj: ObjectFile = pickle.loads(blob)
            return obj
        member, data = self._archive().member(offset)
        obj = self.read(data, f"{self.name}({member})")
        self.members[offset] = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        self.dirty = True
        return obj

    def save(self) -> None:
        """Write the cache if this link read members it did not have (best effort:
        a read-only cache directory only makes the next link slower)."""
        if not self.dirty:
            return
        tmp = self.cache_path.with_name(f".{self.cache_path.name}.{os.getpid()}")
        try:
            with tmp.open("wb") as f:
                pickle.dump((reader_version(), self.index, self.members), f,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.cache_path)
        except OSError:
            tmp.unlink(missing_ok=True)
        self.dirty = False
