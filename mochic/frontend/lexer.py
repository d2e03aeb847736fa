"""The Mochi lexer: source text to a list of tokens.

Design
------
``tokenize`` turns the whole file into a list of ``Token`` in one pass and
always ends it with one ``eof`` token, so the parser can look ahead freely.

* A token's ``kind`` is ``ident``, ``int``, ``float``, ``string``,
  ``newline`` or ``eof``, or, for keywords and punctuation, the keyword or
  punctuation text itself (``"let"``, ``"=="``, ``"{"``).  The parser tests
  kinds with plain string comparison.
* Newlines are tokens: a newline ends a statement.  A run of line breaks
  (with the comments and blank lines between them) is one ``newline`` token,
  and so is ``;`` (Mochi accepts it as a statement separator) and a block
  comment that spans lines.  The parser decides where newlines are
  insignificant (inside ``( )`` and ``[ ]``, after a binary operator, ...).
* Only the words that can never be names are keywords here.  The query words
  (``from where select join left group by sort skip take ...``), the set
  operators ``union except intersect``, and the unsupported feature words
  (``agent stream fetch load ...``) are plain identifiers: real programs name
  variables ``left``, ``order`` or ``count``, so the parser recognises these
  words only where their construct can occur.
* Lexical errors (unterminated string or comment, bad escape, malformed
  number, stray character) are reported to ``Diagnostics`` and lexing goes
  on, so one run shows every error.  The lexer never raises except
  ``CompileError`` from the diagnostics limit.

Columns are 1-based and count Unicode code points; a tab is one column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mochic.diagnostics import Diagnostics, Span

# Words that are always keywords; every other word is an identifier.
KEYWORDS = frozenset(
    """
    let var fun return if else then while for in break continue type match
    test expect import extern true false none null nil as
    """.split()
)

# Punctuation, longest first so that maximal munch is a simple scan.
PUNCTUATION = (
    "==", "!=", "<=", ">=", "&&", "||", "=>", "..", "??",
    "+", "-", "*", "/", "%", "=", "<", ">", "!", "|",
    "{", "}", "[", "]", "(", ")", ",", ".", ":", "?",
)  # fmt: skip
# The punctuation a character can start, longest first.
_PUNCT_BY_FIRST: dict[str, tuple[str, ...]] = {
    c: tuple(p for p in PUNCTUATION if p[0] == c) for c in {p[0] for p in PUNCTUATION}
}

_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "'": "'",
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}

_HEX = frozenset("0123456789abcdefABCDEF")

# Numeric literals; `_` may separate digits.  A fraction needs a digit after the
# dot, so `0..n` is a range and not the float `0.`.
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*"
    r"|0[bB][01]+(?:_[01]+)*"
    r"|0[oO][0-7]+(?:_[0-7]+)*"
    r"|(?P<dec>[0-9]+(?:_[0-9]+)*)(?P<frac>\.[0-9]+(?:_[0-9]+)*)?(?P<exp>[eE][+-]?[0-9]+(?:_[0-9]+)*)?"
)


@dataclass(slots=True)
class Token:
    kind: str
    text: str
    line: int
    col: int
    length: int
    # The literal's value: int for ``int``, float for ``float``, str for ``string``.
    value: object = None

    @property
    def span(self) -> Span:
        return Span(self.line, self.col, max(1, self.length))

    @property
    def end_col(self) -> int:
        """The column just past the token."""
        return self.col + self.length

    def describe(self) -> str:
        """The token as an error message shows it."""
        if self.kind == "eof":
            return "end of file"
        if self.kind == "newline":
            return "';'" if self.text == ";" else "end of line"
        text = self.text if len(self.text) <= 24 else self.text[:21] + "..."
        return f"'{text}'"

    def __repr__(self) -> str:  # compact, for test failures
        return f"Token({self.kind!r}, {self.text!r}, {self.line}:{self.col})"


def is_ident_start(ch: str) -> bool:
    """Letters, `_` and the "other symbol" category (emoji), as the reference allows."""
    if ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
        return True
    if ch < "\x80":
        return False
    cat = unicodedata.category(ch)
    return cat[0] == "L" or cat == "So" or cat == "Nl"


def is_ident_char(ch: str) -> bool:
    if is_ident_start(ch) or ("0" <= ch <= "9"):
        return True
    if ch < "\x80":
        return False
    return unicodedata.category(ch) in ("Nd", "No", "Mn", "Mc", "Pc")


def tokenize(source: str, diags: Diagnostics) -> list[Token]:
    """Split ``source`` into tokens, reporting lexical errors to ``diags``."""
    _report_invalid_utf8(source, diags)
    return _Lexer(source, diags).run()


# Bytes that are not UTF-8, as driver.read_source decodes them (surrogate escapes).
_NOT_UTF8 = re.compile("[\udc80-\udcff]+")


def _report_invalid_utf8(source: str, diags: Diagnostics) -> None:
    line, seen = 1, 0
    for m in _NOT_UTF8.finditer(source):
        line += source.count("\n", seen, m.start())
        seen = m.start()
        col = m.start() - (source.rfind("\n", 0, m.start()) + 1) + 1
        shown = " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in m.group()[:4])
        more = "..." if len(m.group()) > 4 else ""
        diags.error(Span(line, col, len(m.group())), f"invalid UTF-8: {shown}{more}",
                    "Mochi source is UTF-8 text; save the file as UTF-8")


class _Lexer:
    def __init__(self, source: str, diags: Diagnostics) -> None:
        if source.startswith("\ufeff"):
            source = source[1:]
        self.src = source
        self.diags = diags
        self.pos = 0
        self.line = 1
        self.line_start = 0  # index of the first character of the current line
        self.tokens: list[Token] = []

    # ------------------------------------------------------------ helpers

    @property
    def col(self) -> int:
        return self.pos - self.line_start + 1

    def char(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.src[i] if i < len(self.src) else ""

    def error(self, line: int, col: int, length: int, message: str, hint: str | None = None):
        self.diags.error(Span(line, col, max(1, length)), message, hint)

    def add(self, kind: str, text: str, line: int, col: int, value: object = None) -> None:
        self.tokens.append(Token(kind, text, line, col, len(text), value))

    def add_newline(self, text: str, line: int, col: int) -> None:
        # One token per run of separators; none at the start of the file.
        if self.tokens and self.tokens[-1].kind != "newline":
            self.tokens.append(Token("newline", text, line, col, 1))

    def new_line(self) -> None:
        """Called after consuming a '\\n' at self.pos - 1."""
        self.line += 1
        self.line_start = self.pos

    # ------------------------------------------------------------ main loop

    def run(self) -> list[Token]:
        src = self.src
        n = len(src)
        while self.pos < n:
            ch = src[self.pos]
            if ch == "\n":
                self.add_newline("\n", self.line, self.col)
                self.pos += 1
                self.new_line()
            elif ch in " \t\r\f\v":
                self.pos += 1
            elif ch == ";":
                self.add_newline(";", self.line, self.col)
                self.pos += 1
            elif ch == "#" or (ch == "/" and self.char(1) == "/"):
                while self.pos < n and src[self.pos] != "\n":
                    self.pos += 1
            elif ch == "/" and self.char(1) == "*":
                self.block_comment()
            elif ch == '"':
                self.string()
            elif "0" <= ch <= "9":
                self.number()
            elif is_ident_start(ch):
                self.word()
            else:
                self.punct_or_garbage()
        # End of file sits just after the last token, where a caret can point.
        last = self.tokens[-1] if self.tokens else None
        if last is not None and last.kind == "newline" and len(self.tokens) > 1:
            last = self.tokens[-2]
        if last is None:
            self.tokens.append(Token("eof", "", 1, 1, 1))
        else:
            self.tokens.append(Token("eof", "", last.line, last.end_col, 1))
        return self.tokens

    def block_comment(self) -> None:
        line, col = self.line, self.col
        end = self.src.find("*/", self.pos + 2)
        if end < 0:
            self.error(line, col, 2, "unterminated block comment",
                       "close it with '*/'; block comments do not nest")
            end = len(self.src)
        else:
            end += 2
        spans_lines = False
        while self.pos < end:
            if self.src[self.pos] == "\n":
                spans_lines = True
                self.pos += 1
                self.new_line()
            else:
                self.pos += 1
        if spans_lines:
            self.add_newline("\n", line, col)

    def word(self) -> None:
        start, col = self.pos, self.col
        src, n = self.src, len(self.src)
        self.pos += 1
        while self.pos < n and is_ident_char(src[self.pos]):
            self.pos += 1
        text = src[start:self.pos]
        self.add(text if text in KEYWORDS else "ident", text, self.line, col)

    def punct_or_garbage(self) -> None:
        src = self.src
        for p in _PUNCT_BY_FIRST.get(src[self.pos], ()):
            if src.startswith(p, self.pos):
                self.add(p, p, self.line, self.col)
                self.pos += len(p)
                return
        # A run of characters that cannot start any token: one diagnostic for the run.
        line, col, start = self.line, self.col, self.pos
        self.pos += 1
        while self.pos < len(src):
            ch = src[self.pos]
            if ch in " \t\r\n\f\v;\"#/" or ("0" <= ch <= "9") or is_ident_start(ch):
                break
            if ch in _PUNCT_BY_FIRST:
                break
            self.pos += 1
        bad = src[start]
        shown = f"'{bad}'" if bad.isprintable() else f"U+{ord(bad):04X}"
        hint = None
        if bad == "&":
            hint = "logical and is written '&&'"
        elif bad == "'":
            hint = "strings are written in double quotes"
        self.error(line, col, self.pos - start, f"unexpected character {shown}", hint)

    # ------------------------------------------------------------ numbers

    def number(self) -> None:
        src = self.src
        start, line, col = self.pos, self.line, self.col
        m = _NUMBER.match(src, self.pos)
        assert m is not None  # called on a digit
        self.pos = m.end()
        kind = "float" if m.group("frac") or m.group("exp") else "int"
        # A bigint literal `10n`.
        bigint = m.group("dec") is not None and kind == "int" and self.char() == "n" and not is_ident_char(self.char(1))
        if bigint:
            self.pos += 1
        # Swallow the rest of a malformed literal like `12abc`, `1_` or `0x`.
        good_end = self.pos
        while self.pos < len(src) and is_ident_char(src[self.pos]):
            self.pos += 1
        text = src[start:self.pos]
        if bigint:
            self.error(line, col, len(text), "not supported: bigint literal")
            self.add("int", text, line, col, _decimal(m.group("dec")))
            return
        if self.pos > good_end:
            self.error(line, col, len(text), f"invalid numeric literal '{text}'", _number_hint(text))
            self.add(kind, text, line, col, 0 if kind == "int" else 0.0)
            return
        value: int | float
        if kind == "float":
            value = float(text.replace("_", ""))
            if value == float("inf"):
                self.error(line, col, len(text), "float literal out of range")
        elif m.group("dec") is not None:
            value = _decimal(text)
        else:
            value = int(text[2:].replace("_", ""), {"x": 16, "b": 2, "o": 8}[text[1].lower()])
        self.add(kind, text, line, col, value)

    # ------------------------------------------------------------ strings

    def string(self) -> None:
        src, n = self.src, len(self.src)
        line, col, start = self.line, self.col, self.pos
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= n or src[self.pos] == "\n":
                length = self.pos - start
                self.error(line, col, length, "unterminated string literal",
                           "close the string with '\"' on the same line; write a newline as \\n")
                self.add("string", src[start:self.pos], line, col, "".join(out))
                return
            ch = src[self.pos]
            if ch == '"':
                self.pos += 1
                break
            if ch == "\\":
                out.append(self.escape())
            else:
                out.append(ch)
                self.pos += 1
        self.add("string", src[start:self.pos], line, col, "".join(out))

    def escape(self) -> str:
        """Decode the escape at self.pos (a backslash); on error report it and return ''."""
        src = self.src
        col = self.col
        c = self.char(1)
        octal = src[self.pos + 1:self.pos + 4]
        if len(octal) == 3 and all("0" <= o <= "7" for o in octal):
            # Go's three-digit octal escape, `\002`; real programs use it.
            self.pos += 4
            return self._code_point(int(octal, 8), col, 4)
        if c in _SIMPLE_ESCAPES:
            self.pos += 2
            return _SIMPLE_ESCAPES[c]
        if c == "u" and self.char(2) == "{":
            close = src.find("}", self.pos + 3)
            hexdigits = src[self.pos + 3:close] if close >= 0 else ""
            if close >= 0 and 1 <= len(hexdigits) <= 6 and all(h in _HEX for h in hexdigits) and "\n" not in hexdigits:
                self.pos = close + 1
                return self._code_point(int(hexdigits, 16), col, len(hexdigits) + 4)
            self.error(self.line, col, 3, "invalid unicode escape",
                       "write \\u{...} with 1 to 6 hex digits, e.g. \\u{1F600}")
            self.pos += 2
            return ""
        for letter, count in (("u", 4), ("U", 8), ("x", 2)):
            if c == letter:
                hexdigits = src[self.pos + 2:self.pos + 2 + count]
                if len(hexdigits) == count and all(h in _HEX for h in hexdigits):
                    self.pos += 2 + count
                    return self._code_point(int(hexdigits, 16), col, count + 2)
                self.error(self.line, col, 2, f"invalid escape sequence '\\{c}'",
                           f"\\{c} takes exactly {count} hex digits")
                self.pos += 2
                return ""
        if c == "" or c == "\n":
            self.pos += 1  # the string is unterminated; the caller reports it
            return ""
        self.error(self.line, col, 2, f"invalid escape sequence '\\{c}'",
                   'valid escapes are \\n \\t \\r \\" \\\\ \\0 and \\u{HEX}')
        self.pos += 2
        return ""

    def _code_point(self, cp: int, col: int, length: int) -> str:
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            self.error(self.line, col, length, "invalid unicode code point in escape")
            return ""
        return chr(cp)


def _decimal(text: str) -> int:
    """The value of a decimal literal; an absurdly long one (which Python would
    refuse to convert) stands for a value just too large for the parser's check."""
    digits = text.replace("_", "").lstrip("0")
    if len(digits) > 40:
        return 2**64
    return int(digits or "0", 10)


def _number_hint(text: str) -> str | None:
    low = text.lower()
    if low[:2] in ("0x", "0b", "0o") and len(low) == 2:
        return f"'{text}' must be followed by at least one digit"
    if "_" in text:
        return "'_' may only separate digits"
    if low[:2] in ("0x", "0b", "0o"):
        return "a digit is out of range for the base"
    return "separate a number from a following name with a space"
