"""LEB128, the variable-length integers of the WebAssembly binary format.

Unsigned (`uleb`) and signed (`sleb`) forms, their fixed five-byte padded
forms (`uleb5`, `sleb5`: what a relocatable object leaves where the linker
writes an index or an address later, so the bytes around never move), and
the readers the object reader uses.
"""

from __future__ import annotations


def uleb(value: int) -> bytes:
    if value < 0:
        raise ValueError(f"uleb of a negative number {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def uleb5(value: int) -> bytes:
    """``value`` (< 2**32) as exactly five bytes."""
    if not 0 <= value < 1 << 32:
        raise ValueError(f"{value} does not fit a padded uleb")
    return bytes([(value >> (7 * i) & 0x7F) | (0x80 if i < 4 else 0) for i in range(5)])


def sleb5(value: int) -> bytes:
    """``value`` (a 32-bit signed or unsigned number) as exactly five bytes."""
    if not -(1 << 31) <= value < 1 << 32:
        raise ValueError(f"{value} does not fit a padded sleb")
    if value >= 1 << 31:
        value -= 1 << 32
    return bytes([(value >> (7 * i) & 0x7F) | (0x80 if i < 4 else 0) for i in range(5)])


def read_uleb(data: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    """The unsigned number at ``pos`` and the position after it."""
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def read_sleb(data: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if byte & 0x40:
                result -= 1 << shift
            return result, pos
