"""Compile-time diagnostics: collected per file, rendered as

    file:line:col: error: message
      12 | let x = 1 +
         |            ^
      = hint: ...

Every stage reports through a ``Diagnostics`` collector so that several errors
in one file are all shown; a stage that cannot go on raises ``CompileError``
after reporting.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A source range: 1-based line and column of its first character, and its length
    in characters on that line (at least 1, so a caret can always be drawn)."""

    line: int
    col: int
    length: int = 1


@dataclass
class Diagnostic:
    span: Span
    message: str
    hint: str | None = None


class CompileError(Exception):
    """Raised when a stage stops because of reported errors."""


@dataclass
class Diagnostics:
    file: str
    source: str
    items: list[Diagnostic] = field(default_factory=list)
    # Stop collecting after this many; a file with hundreds of errors helps nobody.
    limit: int = 50
    reported: set[tuple[Span, str]] = field(default_factory=set, repr=False)

    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        if len(self.items) >= self.limit:
            raise CompileError(message)
        if (span, message) in self.reported:
            return
        self.reported.add((span, message))
        self.items.append(Diagnostic(span, message, hint))

    def fatal(self, span: Span, message: str, hint: str | None = None) -> CompileError:
        """Report and return an exception for the caller to raise."""
        self.error(span, message, hint)
        return CompileError(message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def render(self) -> str:
        lines = self.source.split("\n")  # the lexer counts lines by \n alone
        out: list[str] = []
        for d in sorted(self.items, key=lambda d: (d.span.line, d.span.col)):
            out.append(f"{self.file}:{d.span.line}:{d.span.col}: error: {d.message}")
            if 1 <= d.span.line <= len(lines):
                text = lines[d.span.line - 1].rstrip("\r")
                gutter = str(d.span.line)
                pad = " " * len(gutter)
                out.append(f" {gutter} | {''.join(map(shown, text))}")
                before = text[:d.span.col - 1]
                under = text[d.span.col - 1:d.span.col - 1 + d.span.length]
                caret = max(1, sum(width(shown(c)) for c in under))
                out.append(f" {pad} | {' ' * sum(width(shown(c)) for c in before)}{'^' * caret}")
            if d.hint:  # the '=' lines up with the gutter's '|'
                out.append(f" {' ' * len(str(d.span.line))} = hint: {d.hint}")
        return "\n".join(out) + "\n"


def shown(ch: str) -> str:
    """How a character of a source line appears in an excerpt: as itself, or as
    an escape when a terminal could take it for a command or would draw it in
    another place (control and bidirectional characters), or it is not text (a
    byte that is not UTF-8, decoded as a surrogate escape)."""
    if ch == "\t":
        return " "
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"<{code - 0xDC00:02X}>"
    if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or 0x202A <= code <= 0x202E or \
            0x2066 <= code <= 0x2069 or code in (0x200E, 0x200F, 0x061C):
        return f"<U+{code:04X}>"
    return ch


def width(text: str) -> int:
    """How many terminal columns ``text`` takes: two for a wide East Asian
    character, none for a combining mark."""
    n = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n
