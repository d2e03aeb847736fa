"""The compile cache of `mochic run`: a program the JIT stitched before, loaded
again without the front end, the IR passes or translation.

An entry is the stitched object (`stitch.Stitched`: sections, symbols,
relocations, the deepest frame) and the runtime library it was loaded
against, in `<mochic cache>/run/<key>.jit`.  The key is the hash of
everything the object depends on: the program's path as given (runtime
errors name it) and text, the machine, mochic's version and the identity of
the compiler itself (the name, size and modification time of every file of
the package: a changed compiler never finds an entry of another one), and
the Python version that wrote it.

An entry is ``MAGIC`` + the SHA-256 of the rest + the rest (`marshal`, plain
tuples); it is used only if the digest matches and its parts have the shapes
expected, so a damaged or cut-short entry is compiled again and rewritten,
never loaded.  The runtime library is loaded only if it still is the file
its recorded digest names (`toolchain/runtime.py`).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from mochic import __version__
from mochic.toolchain.cache import cache_dir, prune

MAGIC = b"MOCHIJIT1\n"
KEEP = 256  # entries kept (least recently used pruned)
PACKAGE = Path(__file__).resolve().parents[2]  # the mochic package
_COMPILER_FILES = (".py", ".c", ".h", ".stencils")


@dataclass(frozen=True)
class Entry:
    """What a hit gives back: the object and the runtime library it needs."""

    stitched: object  # stitch.Stitched
    library: Path


def compiler_identity(package: Path = PACKAGE) -> str:
    """A digest of every file the compiler is made of (name, size, mtime)."""
    h = hashlib.sha256(__version__.encode())
    folders = [str(package)]
    while folders:
        with os.scandir(folders.pop()) as it:
            for e in sorted(it, key=lambda e: e.name):
                if e.is_dir(follow_symlinks=False):
                    if e.name != "__pycache__":
                        folders.append(e.path)
                elif e.name.endswith(_COMPILER_FILES):
                    st = e.stat()
                    h.update(f"{e.path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def key(path: str, source: str, machine: str, compiler: str) -> str:
    h = hashlib.sha256()
    for part in (MAGIC.decode(), sys.version, compiler, machine, path):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(source.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def entry_path(k: str) -> Path:
    return cache_dir() / "run" / f"{k}.jit"


def load(k: str) -> Entry | None:
    """The entry of key ``k``, or None if there is none or it is not sound."""
    try:
        with open(entry_path(k), "rb") as f:
            data = f.read()
    except OSError:
        return None
    head = len(MAGIC) + 32
    if len(data) < head or not data.startswith(MAGIC) or \
            hashlib.sha256(data[head:]).digest() != data[len(MAGIC):head]:
        return None
    try:
        return _entry(marshal.loads(data[head:]))
    except (ValueError, TypeError, EOFError, KeyError, IndexError):
        return None


def store(k: str, stitched: object, library: Path) -> None:
    """Write the entry of key ``k`` atomically (a failure to write is no error: the
    next run compiles again)."""
    payload = marshal.dumps(_tuples(stitched, library))
    final = entry_path(k)
    tmp = final.with_name(f"{final.name}.{os.getpid()}")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, final)
    except OSError:
        tmp.unlink(missing_ok=True)
        return
    prune(final.parent, KEEP)


def _tuples(stitched, library: Path) -> tuple:  # noqa: ANN001 - a stitch.Stitched
    obj = stitched.obj
    sections = tuple((s.name, s.kind.value, s.align, bytes(s.data), s.bss_size)
                     for s in obj.sections.values() if s.kind.loaded)
    symbols = tuple((s.name, s.section, s.offset, s.size, s.binding.value, s.kind.value)
                    for s in obj.symbols.values())
    relocations = tuple(tuple(r) for r in obj.relocations)
    return (obj.machine, obj.source, stitched.ir_ops, stitched.frame_reserve, str(library),
            sections, symbols, relocations)


def _entry(t: tuple) -> Entry:
    from mochic.backends.copypatch.model import Stitched
    from mochic.objfile.model import (
        Binding,
        ObjectFile,
        Relocation,
        Section,
        SectionKind,
        Symbol,
        SymbolKind,
    )
    machine, source, ir_ops, reserve, library, sections, symbols, relocations = t
    obj = ObjectFile(machine, source)
    for name, kind, align, data, bss in sections:
        obj.sections[name] = Section(name, SectionKind(kind), align, bytearray(data), bss)
    for name, section, offset, size, binding, kind in symbols:
        if section is not None and section not in obj.sections:
            raise ValueError(f"symbol {name} in a section the entry lacks")
        obj.symbols[name] = Symbol(name, section, offset, size, Binding(binding),
                                   SymbolKind(kind))
    obj.relocations = [Relocation(*r) for r in relocations]
    obj.check()
    if not all(isinstance(v, int) for v in (ir_ops, reserve)) or \
            any(r.symbol not in obj.symbols for r in obj.relocations):
        raise ValueError("an entry of the wrong shape")
    return Entry(Stitched(obj, {}, {}, ir_ops, reserve), Path(library))
