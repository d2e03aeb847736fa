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

    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        if len(self.items) >= self.limit:
            raise CompileError(message)
        if any(d.span == span and d.message == message for d in self.items):
            return
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
                text = lines[d.span.line - 1].rstrip("\r").replace("\t", " ")
                gutter = str(d.span.line)
                pad = " " * len(gutter)
                out.append(f" {gutter} | {text}")
                width = max(1, min(d.span.length, len(text) - d.span.col + 1))
                out.append(f" {pad} | {' ' * (d.span.col - 1)}{'^' * width}")
            if d.hint:  # the '=' lines up with the gutter's '|'
                out.append(f" {' ' * len(str(d.span.line))} = hint: {d.hint}")
        return "\n".join(out) + "\n"
