"""Unit tests of the lexer: token streams, spans, literals and lexical errors."""

from __future__ import annotations

import pytest

from mochic.diagnostics import Diagnostics, Span
from mochic.frontend.lexer import tokenize


def lex(src: str) -> tuple[list, Diagnostics]:
    diags = Diagnostics("t.mochi", src)
    return tokenize(src, diags), diags


def kinds(src: str) -> list[str]:
    toks, diags = lex(src)
    assert not diags.items, diags.render()
    return [t.kind for t in toks]


def values(src: str) -> list[object]:
    toks, diags = lex(src)
    assert not diags.items, diags.render()
    return [t.value for t in toks if t.kind in ("int", "float", "string")]


def errors(src: str) -> list[tuple[int, int, int, str]]:
    _, diags = lex(src)
    return [(d.span.line, d.span.col, d.span.length, d.message) for d in diags.items]


def test_statement_token_stream():
    assert kinds("let x: int = a.b(1) + 2\n") == [
        "let", "ident", ":", "ident", "=", "ident", ".", "ident", "(", "int", ")", "+", "int",
        "newline", "eof",
    ]  # fmt: skip


def test_punctuation_is_maximal_munch():
    assert kinds("== != <= >= && || => .. ?? = < > ! | ? :")[:-1] == [
        "==", "!=", "<=", ">=", "&&", "||", "=>", "..", "??", "=", "<", ">", "!", "|", "?", ":",
    ]  # fmt: skip


def test_range_is_not_a_float():
    assert kinds("0..10") == ["int", "..", "int", "eof"]
    assert kinds("xs[1:2]") == ["ident", "[", "int", ":", "int", "]", "eof"]


def test_keywords_and_contextual_words():
    toks, _ = lex("let var fun match from where select left join group by union all on load")
    assert [t.kind for t in toks[:4]] == ["let", "var", "fun", "match"]
    # Query words, set operators and unsupported-feature words stay identifiers.
    assert all(t.kind == "ident" for t in toks[4:-1])


def test_spans_are_one_based_and_count_code_points():
    toks, _ = lex('let π = "é"\n  x')
    assert [(t.kind, t.span) for t in toks] == [
        ("let", Span(1, 1, 3)),
        ("ident", Span(1, 5, 1)),
        ("=", Span(1, 7, 1)),
        ("string", Span(1, 9, 3)),
        ("newline", Span(1, 12, 1)),
        ("ident", Span(2, 3, 1)),
        ("eof", Span(2, 4, 1)),
    ]


def test_unicode_and_symbol_identifiers():
    toks, diags = lex("naïve_1 Ωmega 变量 🍣x _")
    assert not diags.items
    assert [t.text for t in toks if t.kind == "ident"] == ["naïve_1", "Ωmega", "变量", "🍣x", "_"]


def test_newlines_collapse_and_semicolon_is_a_separator():
    assert kinds("\n\na\n\n\nb; c;;\n") == [
        "ident", "newline", "ident", "newline", "ident", "newline", "eof",
    ]  # fmt: skip


def test_comments():
    assert kinds("a // line\nb # hash\nc /* block */ d") == [
        "ident", "newline", "ident", "newline", "ident", "ident", "eof",
    ]  # fmt: skip
    # A block comment spanning lines separates statements like a newline.
    assert kinds("a /* x\n y */ b") == ["ident", "newline", "ident", "eof"]
    assert kinds("/***/a/*a**/") == ["ident", "eof"]


def test_integer_literals():
    assert values("0 42 1_000_000 0x1F 0XfF 0b1010 0o17 007") == [
        0, 42, 1_000_000, 31, 255, 10, 15, 7,
    ]  # fmt: skip
    # Too large for int64 still lexes; the parser reports the range.
    assert values("99999999999999999999") == [99999999999999999999]


def test_float_literals():
    toks, _ = lex("1.5 1e9 2.5e-3 3E+2 1_0.2_5")
    assert [(t.kind, t.value) for t in toks[:-1]] == [
        ("float", 1.5), ("float", 1e9), ("float", 2.5e-3), ("float", 300.0), ("float", 10.25),
    ]  # fmt: skip


def test_malformed_numbers():
    assert errors("12abc") == [(1, 1, 5, "invalid numeric literal '12abc'")]
    assert errors("0x") == [(1, 1, 2, "invalid numeric literal '0x'")]
    assert errors("1__0") == [(1, 1, 4, "invalid numeric literal '1__0'")]
    assert errors("1_") == [(1, 1, 2, "invalid numeric literal '1_'")]
    assert errors("0b12") == [(1, 1, 4, "invalid numeric literal '0b12'")]
    assert errors("1e") == [(1, 1, 2, "invalid numeric literal '1e'")]
    assert errors("1e999") == [(1, 1, 5, "float literal out of range")]


def test_bigint_literal_is_not_supported():
    toks, diags = lex("let x = 10n")
    assert [(d.span, d.message) for d in diags.items] == [(Span(1, 9, 3), "not supported: bigint literal")]
    assert toks[3].kind == "int" and toks[3].value == 10


def test_string_escapes():
    assert values(r'"a\nb\t\r\"\\\0\'" "\u{1F600}\u00e9\x41"') == ['a\nb\t\r"\\\0\'', "😀éA"]
    assert values('""') == [""]


def test_unterminated_string():
    toks, diags = lex('let s = "abc\nlet t = 1')
    assert [(d.span, d.message) for d in diags.items] == [(Span(1, 9, 4), "unterminated string literal")]
    # Lexing resumes on the next line.
    assert [t.kind for t in toks][-6:] == ["newline", "let", "ident", "=", "int", "eof"]
    assert errors('"abc\\') == [(1, 1, 5, "unterminated string literal")]


@pytest.mark.parametrize(
    ("src", "message", "col"),
    [
        (r'"\q"', r"invalid escape sequence '\q'", 2),
        (r'"ab\u12"', r"invalid escape sequence '\u'", 4),
        (r'"\u{}"', "invalid unicode escape", 2),
        (r'"\u{110000}"', "invalid unicode code point in escape", 2),
        (r'"\u{D800}"', "invalid unicode code point in escape", 2),
    ],
)
def test_invalid_escapes(src, message, col):
    assert [(e[1], e[3]) for e in errors(src)] == [(col, message)]


def test_unterminated_block_comment():
    assert errors("a /* never closed\n\n") == [(1, 3, 2, "unterminated block comment")]


def test_stray_characters_are_reported_once_per_run():
    assert errors("a @@@ b & c") == [
        (1, 3, 3, "unexpected character '@'"),
        (1, 9, 1, "unexpected character '&'"),
    ]
    assert errors("\x00")[0][3] == "unexpected character U+0000"


def test_byte_order_mark_is_ignored():
    toks, diags = lex("\ufefflet x = 1")
    assert not diags.items
    assert toks[0].kind == "let" and toks[0].span == Span(1, 1, 3)


def test_eof_sits_after_the_last_token():
    toks, _ = lex("let x = (1\n\n\n")
    assert toks[-1].kind == "eof" and (toks[-1].line, toks[-1].col) == (1, 11)
    toks, _ = lex("")
    assert [(t.kind, t.line, t.col) for t in toks] == [("eof", 1, 1)]
