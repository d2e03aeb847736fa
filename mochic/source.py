"""Reading a program's text: light enough for `mochic run` to hash it for the
compile cache before it imports the compiler."""

from __future__ import annotations

import errno
import os
import stat


def read_source(path: str) -> str:
    """The file's text.  Only a regular file is read (not a device, which could
    never end, nor a pipe or a folder).  A byte that is not UTF-8 becomes a
    surrogate escape, which the lexer reports where it is."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # before opening: a pipe would block
        raise OSError(errno.EINVAL, "it is not a regular file")
    with open(path, "rb") as f:
        data = f.read()
    return data.decode("utf-8", errors="surrogateescape")
