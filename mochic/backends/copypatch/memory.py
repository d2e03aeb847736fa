"""Executable memory for the JIT, written while read-write and then switched
to read+execute where the code is: no page is ever writable and executable
at once.

One mapping holds a whole program's object (the JIT compiles every function
before it runs any), so it is made once, at the size the layout computed,
rounded up to pages; its code pages become read+execute, its constant data
read-only, its data stays read-write.  The frame stack, where Mochi functions keep their
registers, is a separate read-write mapping reserved without backing store
(pages arrive as recursion first touches them).
"""

from __future__ import annotations

import ctypes
import mmap
import platform

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_PRIVATE, MAP_ANONYMOUS, MAP_NORESERVE = 0x02, 0x20, 0x4000
_MAP_FAILED = ctypes.c_void_p(-1).value

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


class JitMemoryError(OSError):
    """The system refused a mapping."""


def _round(n: int) -> int:
    page = mmap.PAGESIZE
    return max(page, (n + page - 1) // page * page)


def _map(size: int, extra: int = 0) -> int:
    addr = _libc.mmap(None, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra,
                      -1, 0)
    if addr is None or addr == _MAP_FAILED:
        raise JitMemoryError(ctypes.get_errno(), f"mmap of {size} bytes failed")
    return int(addr)


class CodeMemory:
    """A read-write mapping that becomes read+execute (and read-only) where the
    code (and constant data) is, once everything is in it."""

    def __init__(self, size: int) -> None:
        self.size = _round(size)
        self.addr = _map(self.size)
        self.executable = False

    def write(self, offset: int, data: bytes) -> None:
        if self.executable:
            raise JitMemoryError(0, "the code is already executable")
        ctypes.memmove(self.addr + offset, data, len(data))

    def seal(self, ranges: list[tuple[int, int, int]],
             clear_cache: ctypes._CFuncPtr | None = None) -> None:
        """Give each (page-aligned offset, size, protection) range its protection (and
        make the instruction cache coherent on aarch64); the rest stays read-write."""
        for offset, size, prot in ranges:
            if prot & PROT_WRITE and prot & PROT_EXEC:
                raise JitMemoryError(0, "a mapping is never writable and executable")
            if _libc.mprotect(self.addr + offset, _round(size), prot) != 0:
                raise JitMemoryError(ctypes.get_errno(), "mprotect failed")
        if clear_cache is not None and platform.machine().lower() in ("aarch64", "arm64"):
            clear_cache(ctypes.c_void_p(self.addr), ctypes.c_void_p(self.addr + self.size))
        self.executable = True


class FrameStack:
    """Room for Mochi frames, reserved up front and committed as it is touched."""

    def __init__(self, size: int) -> None:
        self.size = _round(size)
        self.addr = _map(self.size, MAP_NORESERVE)
