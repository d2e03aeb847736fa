"""The sections of a WebAssembly module, each one a buffer of its own bytes.

A section is written whole into its buffer first and prefixed with its size
once, when the module is assembled; nothing is back-patched.  `Module`
keeps the sections in the order the specification requires (custom
sections go last, after the data).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mochic.backends.wasm.leb128 import uleb
from mochic.backends.wasm.opcodes import VALTYPES

MAGIC_VERSION = b"\0asm\1\0\0\0"

# section ids, in the order they must appear
SECTION_IDS = {"type": 1, "import": 2, "function": 3, "table": 4, "memory": 5, "global": 6,
               "export": 7, "start": 8, "elem": 9, "datacount": 12, "code": 10, "data": 11}


def name(text: str) -> bytes:
    data = text.encode("utf-8")
    return uleb(len(data)) + data


def vector(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def valtype(t: str) -> bytes:
    return bytes([VALTYPES[t]])


def functype(params: tuple[str, ...], results: tuple[str, ...]) -> bytes:
    return b"\x60" + vector([valtype(p) for p in params]) + vector([valtype(r) for r in results])


@dataclass
class Section:
    """One section's contents (without its id and size)."""

    id: int
    body: bytearray = field(default_factory=bytearray)
    custom_name: str = ""

    def encode(self) -> bytes:
        payload = (name(self.custom_name) if self.id == 0 else b"") + bytes(self.body)
        return bytes([self.id]) + uleb(len(payload)) + payload


@dataclass
class Module:
    sections: dict[str, Section] = field(default_factory=dict)
    customs: list[Section] = field(default_factory=list)

    def section(self, kind: str) -> bytearray:
        """The buffer of standard section ``kind`` (made on first use)."""
        sec = self.sections.get(kind)
        if sec is None:
            sec = self.sections[kind] = Section(SECTION_IDS[kind])
        return sec.body

    def custom(self, custom_name: str, body: bytes) -> None:
        self.customs.append(Section(0, bytearray(body), custom_name))

    def encode(self) -> bytes:
        ordered = sorted(self.sections.items(), key=lambda kv: list(SECTION_IDS).index(kv[0]))
        return MAGIC_VERSION + b"".join(s.encode() for _, s in ordered) + \
            b"".join(c.encode() for c in self.customs)

    def payload_offset(self, kind: str) -> int:
        """Where the payload of standard section ``kind`` starts in ``encode()``'s bytes."""
        pos = len(MAGIC_VERSION)
        for k, s in sorted(self.sections.items(), key=lambda kv: list(SECTION_IDS).index(kv[0])):
            if k == kind:
                return pos + 1 + len(uleb(len(s.body)))
            pos += len(s.encode())
        raise KeyError(kind)
