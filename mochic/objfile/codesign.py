"""Ad-hoc code signatures for linked Mach-O executables.

macOS on arm64 runs only signed code, and zig's linker signs arm64
executables itself: an "ad-hoc" signature, which names no signer and only
hashes the file, page by page.  It leaves x86_64 executables unsigned (Intel
Macs run them), so `mochic build` signs those here, after linking, with the
signature zig writes for arm64 -- byte for byte, as the tests check by
re-signing zig's own arm64 output -- so that every macOS output is signed.

The signature is an embedded-signature super blob holding one CodeDirectory:

    SuperBlob  magic 0xfade0cc0, length, count 1, index {slot 0 -> offset 20}
    CodeDirectory  magic 0xfade0c02, version 0x20400, flags adhoc|linker-signed,
                   the identifier, then one SHA-256 per page of the file up to
                   the signature (codeLimit), and the executable segment
                   (__TEXT) it marks as the main binary's

It is appended at the end of __LINKEDIT (16-byte aligned), which grows to
hold it, and an LC_CODE_SIGNATURE load command pointing at it goes into the
free space after the load commands.  All fields of the blobs are big-endian;
the Mach-O structures are little-endian, as on every target mochic builds.
"""

from __future__ import annotations

import hashlib
import struct

MH_MAGIC_64 = 0xFEEDFACF
MH_EXECUTE = 2
LC_SEGMENT_64 = 0x19
LC_CODE_SIGNATURE = 0x1D

CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CSSLOT_CODEDIRECTORY = 0
CS_ADHOC = 0x2
CS_LINKER_SIGNED = 0x20000  # may be replaced freely, as a linker's signature is
CS_EXECSEG_MAIN_BINARY = 0x1
CS_HASHTYPE_SHA256 = 2
CD_VERSION = 0x20400  # the first version with the executable segment fields
CD_HEADER = struct.Struct(">IIIIIIIIIBBBBIIIIQQQQ")  # 88 bytes, to execSegFlags
SEGMENT = struct.Struct("<16sQQQQiiII")  # LC_SEGMENT_64 after cmd and cmdsize
SECTION_SIZE = 80


class CodesignError(ValueError):
    """The file is not a Mach-O executable this signer can sign."""


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def _load_commands(data: bytes | bytearray) -> list[tuple[int, int, int]]:
    """(offset, cmd, cmdsize) of each load command."""
    if len(data) < 32 or struct.unpack_from("<I", data)[0] != MH_MAGIC_64:
        raise CodesignError("not a 64-bit little-endian Mach-O file")
    ncmds, sizeofcmds = struct.unpack_from("<II", data, 16)
    out, off = [], 32
    for _ in range(ncmds):
        if off + 8 > 32 + sizeofcmds or off + 8 > len(data):
            raise CodesignError("truncated load commands")
        cmd, size = struct.unpack_from("<II", data, off)
        if size < 8:
            raise CodesignError("malformed load command")
        out.append((off, cmd, size))
        off += size
    return out


def is_signed(data: bytes | bytearray) -> bool:
    return any(cmd == LC_CODE_SIGNATURE for _, cmd, _ in _load_commands(data))


def sign_adhoc(data: bytes, identifier: str, page_size: int = 4096) -> bytes:
    """``data`` with an ad-hoc signature naming ``identifier``, hashed in pages of
    ``page_size`` bytes (4096 as Apple's linker does for x86_64; zig uses 16384 for
    arm64)."""
    out = bytearray(data)
    commands = _load_commands(out)
    if any(cmd == LC_CODE_SIGNATURE for _, cmd, _ in commands):
        raise CodesignError("already signed")
    filetype, ncmds, sizeofcmds = struct.unpack_from("<III", out, 12)
    segments = {}
    first_section = len(out)
    for off, cmd, _ in commands:
        if cmd != LC_SEGMENT_64:
            continue
        name, _, _, fileoff, _, _, _, nsects, _ = SEGMENT.unpack_from(out, off + 8)
        segments[name.rstrip(b"\0")] = off
        for i in range(nsects):
            (offset,) = struct.unpack_from("<I", out, off + 72 + i * SECTION_SIZE + 48)
            if offset:  # zero-fill sections have no bytes in the file
                first_section = min(first_section, offset)
    if b"__TEXT" not in segments or b"__LINKEDIT" not in segments:
        raise CodesignError("no __TEXT or __LINKEDIT segment")
    end_of_commands = 32 + sizeofcmds
    if end_of_commands + 16 > first_section:
        raise CodesignError("no room after the load commands for LC_CODE_SIGNATURE")
    link = segments[b"__LINKEDIT"]
    _, _, link_vmsize, link_fileoff, link_filesize, *_ = SEGMENT.unpack_from(out, link + 8)
    if link_fileoff + link_filesize != len(out):
        raise CodesignError("__LINKEDIT does not end the file")

    dataoff = _align(len(out), 16)
    if dataoff >= 1 << 32:
        raise CodesignError("too large for a 32-bit code limit")
    ident = identifier.encode() + b"\0"
    slots = (dataoff + page_size - 1) // page_size
    cd_length = CD_HEADER.size + len(ident) + 32 * slots
    sig_length = 12 + 8 + cd_length
    datasize = _align(sig_length, 8)

    # the load command, and __LINKEDIT grown to hold the signature; both are in
    # the first page, so they must be written before the pages are hashed
    struct.pack_into("<IIII", out, end_of_commands, LC_CODE_SIGNATURE, 16, dataoff, datasize)
    struct.pack_into("<II", out, 16, ncmds + 1, sizeofcmds + 16)
    filesize = dataoff + datasize - link_fileoff
    struct.pack_into("<QQQ", out, link + 8 + 16 + 8,
                     max(link_vmsize, _align(filesize, page_size)), link_fileoff, filesize)
    out += bytes(dataoff - len(out))

    text = segments[b"__TEXT"]
    _, _, _, text_fileoff, text_filesize, *_ = SEGMENT.unpack_from(out, text + 8)
    directory = CD_HEADER.pack(
        CSMAGIC_CODEDIRECTORY, cd_length, CD_VERSION, CS_ADHOC | CS_LINKER_SIGNED,
        CD_HEADER.size + len(ident),  # hashOffset
        CD_HEADER.size,  # identOffset
        0, slots, dataoff,  # no special slots; code slots; codeLimit
        32, CS_HASHTYPE_SHA256, 0, page_size.bit_length() - 1,  # hashSize ... pageSize (log2)
        0, 0, 0, 0, 0,  # spare2, scatterOffset, teamOffset, spare3, codeLimit64
        text_fileoff, text_filesize,
        CS_EXECSEG_MAIN_BINARY if filetype == MH_EXECUTE else 0)
    hashes = b"".join(hashlib.sha256(out[i:min(i + page_size, dataoff)]).digest()
                      for i in range(0, dataoff, page_size))
    blob = (struct.pack(">III", CSMAGIC_EMBEDDED_SIGNATURE, sig_length, 1)
            + struct.pack(">II", CSSLOT_CODEDIRECTORY, 20) + directory + ident + hashes)
    return bytes(out + blob + bytes(datasize - sig_length))
