"""The Mochi parser: tokens to the AST of ``mochic.frontend.ast``.

Design
------
A hand-written recursive-descent parser.  Each ``parse_*`` method implements
one grammar rule, written in EBNF in its docstring (``{ x }`` repeats,
``[ x ]`` is optional, ``NL`` is a newline token).  The entry point is
``parse(file, source, diags)``.

Newlines.  The lexer keeps newlines as tokens; a newline ends a statement.
Two pieces of parser state decide where a newline is insignificant:

* ``nl_skip``: inside ``( )``, ``[ ]``, type brackets and the clauses of a
  query, newlines are skipped wholesale.  Inside ``{ }`` (blocks, map and
  struct literals, match arms) they are significant again: they separate
  statements, entries and arms.
* An expression always continues onto the next line when the line ends in a
  token that needs an operand after it (a binary operator, ``=``, ``=>``,
  ``,``, ``(``, ``[``, ``{``, ``.``): the start of every operand skips
  newlines.  It also continues when the next line starts with a binary
  operator that cannot start a statement (``LEADING_BINARY_OPS``: not
  ``-``, ``!``, ``(`` or ``[``, which can), with ``.`` or ``as``; and before
  ``else``, ``then`` and ``|`` (between sum-type variants).

Struct literals.  ``Name { ... }`` would be ambiguous with the block after
``if x == y {``, so, as in Go and Rust, struct literals are disabled
(``no_struct``) in the condition of ``if``/``while``, the iterable of
``for`` and the subject of ``match``; parentheses and brackets enable them
again.  Elsewhere a name followed by ``{`` on the same line is a struct
literal when the name is capitalised or the braces hold ``field: value``
entries (or nothing).

Contextual words.  Query words (``where``, ``select``, ``group``, ``by`` ...),
the set operators ``union``/``except``/``intersect`` and the unsupported
feature words are identifiers to the lexer; the parser recognises them only
where their construct can occur, so they remain usable as names.

Errors.  A syntax error is reported to ``Diagnostics`` and unwinds (as the
private ``_SyntaxError``) to the innermost statement list, which skips to
the next statement boundary and goes on, so one run reports several errors.
Unsupported features are reported as ``not supported: <feature>`` and
skipped without unwinding.  Nesting deeper than ``MAX_DEPTH`` stops the parse
with ``nesting too deep``.  The only exception that leaves ``parse`` is
``CompileError``; the caller checks ``diags`` after a normal return.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import NoReturn

from mochic.diagnostics import CompileError, Diagnostics, Span
from mochic.frontend import ast
from mochic.frontend.lexer import Token, tokenize

# Expressions, blocks and types may nest this deep; real programs stay far below.
MAX_DEPTH = 256

INT_MAX = 2**63 - 1

# Binary operator precedence, lowest first, follows the reference (mochi
# types/check_expr.go): set operators, `??`, `||`, `&&`, `== != in`,
# `< <= > >=`, `+ -`, `* / %`; every level is left-associative.  The set
# operators are words, identifiers to the lexer.
SET_OPS = ("union", "except", "intersect")
PRECEDENCE: tuple[tuple[str, ...], ...] = (
    SET_OPS, ("??",), ("||",), ("&&",), ("==", "!=", "in"), ("<", "<=", ">", ">="),
    ("+", "-"), ("*", "/", "%"),
)
LEVEL = {op: i for i, ops in enumerate(PRECEDENCE) for op in ops}
BINARY_OPS = frozenset(op for ops in PRECEDENCE[1:] for op in ops)

# Binary operators that continue the previous line's expression when they
# start a line (not `-`: a line may start with a negative number).  `.` and
# `as` continue it too, in parse_postfix_ops.
LEADING_BINARY_OPS = BINARY_OPS - {"-"}

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = frozenset(OPENERS.values())

# Keywords that begin a statement; error recovery resynchronises on them.
STMT_KEYWORDS = frozenset(
    "let var fun return if while for break continue type test expect import extern".split()
)

# Tokens that can start an expression.
EXPR_START = frozenset(
    "ident int float string true false none null ( [ { - ! fun if match".split()
)

LITERAL_WORDS = frozenset(("true", "false", "none", "null", "nil"))

# Unsupported statements: the word, when followed on the same line by a name
# or a string, introduces a construct that is reported and skipped.
UNSUPPORTED_STMT_WORDS = frozenset(
    "agent stream emit on model package intent fact rule bench".split()
)
# Unsupported expressions, recognised the same way.
UNSUPPORTED_EXPR_WORDS = frozenset(("generate", "fetch"))


class _SyntaxError(Exception):
    """Unwinds from a reported syntax error to the nearest statement list."""


def parse(file: str, source: str, diags: Diagnostics) -> ast.Program:
    """Parse one Mochi source file.

    Errors are reported to ``diags`` (check it after the call); the parse
    recovers and returns a partial ``Program``.  Raises only ``CompileError``
    (for ``nesting too deep`` or when the diagnostics limit is reached).
    """
    tokens = tokenize(source, diags)
    parser = Parser(tokens, source, diags)
    old_limit = sys.getrecursionlimit()
    # Nesting is capped at MAX_DEPTH levels, each a bounded number of frames.
    sys.setrecursionlimit(max(old_limit, 40 * MAX_DEPTH + 2000))
    try:
        body = parser.parse_program()
    except CompileError:
        raise
    except RecursionError:
        raise diags.fatal(parser.tok.span, "nesting too deep") from None
    except Exception as exc:  # a parser bug must still surface as a diagnostic
        raise diags.fatal(parser.tok.span, f"internal parser error: {exc!r}") from exc
    finally:
        sys.setrecursionlimit(old_limit)
    return ast.Program(file, source, body)


class Parser:
    """The parser state: the token list, the position, and the two newline and
    struct-literal modes described in the module docstring."""

    def __init__(self, tokens: list[Token], source: str, diags: Diagnostics) -> None:
        self.toks = tokens
        self.pos = 0
        self.diags = diags
        if source.startswith("\ufeff"):
            source = source[1:]
        self.lines = source.split("\n")
        self.prev: Token = tokens[0]
        self.nl_skip = False  # newlines are insignificant (inside ( ) and [ ])
        self.no_struct = False  # `Name {` is not a struct literal (if/while/for/match heads)
        self.depth = 0
        self.stmt_start = 0  # token index where the innermost statement began
        # Lines with a lexical error: a syntax error there is most likely its echo.
        self.lexical_error_lines = {d.span.line for d in diags.items}

    # ================================================================ tokens

    @property
    def tok(self) -> Token:
        """The current token (newlines skipped when they are insignificant)."""
        if self.nl_skip:
            toks = self.toks
            while toks[self.pos].kind == "newline":
                self.pos += 1
        return self.toks[self.pos]

    def peek(self, k: int = 1) -> Token:
        """The token k places after the current one, by the same newline rule."""
        i = self.pos
        toks = self.toks
        if self.nl_skip:
            while toks[i].kind == "newline":
                i += 1
        for _ in range(k):
            if toks[i].kind == "eof":
                return toks[i]
            i += 1
            if self.nl_skip:
                while toks[i].kind == "newline":
                    i += 1
        return toks[i]

    def next_line_start(self) -> Token:
        """The first token that is not a newline, from the current position."""
        i = self.pos
        while self.toks[i].kind == "newline":
            i += 1
        return self.toks[i]

    def skip_newlines(self) -> None:
        while self.toks[self.pos].kind == "newline":
            self.pos += 1

    def advance(self) -> Token:
        t = self.tok
        if t.kind != "eof":
            self.pos += 1
        self.prev = t
        return t

    def at(self, kind: str) -> bool:
        return self.tok.kind == kind

    def at_word(self, word: str) -> bool:
        t = self.tok
        return t.kind == "ident" and t.text == word

    def accept(self, kind: str) -> Token | None:
        if self.tok.kind == kind:
            return self.advance()
        return None

    def accept_word(self, word: str) -> Token | None:
        if self.at_word(word):
            return self.advance()
        return None

    def expect(self, kind: str, context: str = "", hint: str | None = None) -> Token:
        if self.tok.kind == kind:
            return self.advance()
        where = f" {context}" if context else ""
        self.fail(f"expected '{kind}'{where}, found {self.tok.describe()}", hint)

    def expect_word(self, word: str, context: str = "", hint: str | None = None) -> Token:
        if self.at_word(word):
            return self.advance()
        where = f" {context}" if context else ""
        self.fail(f"expected '{word}'{where}, found {self.tok.describe()}", hint)

    def expect_ident(self, context: str, hint: str | None = None) -> Token:
        t = self.tok
        if t.kind == "ident":
            return self.advance()
        self.fail(f"expected a name {context}, found {t.describe()}", hint)

    def expect_close(self, opener: Token, hint: str | None = None) -> Token:
        """Consume the bracket closing ``opener`` or report where it was opened."""
        close = OPENERS[opener.kind]
        t = self.tok
        if t.kind == close:
            return self.advance()
        if t.kind == "eof" or self.toks[self.pos - 1].kind == "newline":
            hint = None  # the bracket is left open at a line end: the hint would mislead
        self.fail(
            f"expected '{close}' to close '{opener.kind}' at {opener.line}:{opener.col}", hint
        )

    def is_word_token(self, t: Token) -> bool:
        """A name, or a keyword spelled like one (usable as a field or key name)."""
        return t.kind == "ident" or (t.text.isalpha() and t.kind == t.text and t.text not in LITERAL_WORDS)

    # ================================================================ errors and spans

    def fail(self, message: str, hint: str | None = None, span: Span | None = None) -> NoReturn:
        """Report a syntax error at the current token and unwind to the statement list."""
        span = span or self.tok.span
        if span.line not in self.lexical_error_lines:
            self.diags.error(span, message, hint)
        raise _SyntaxError()

    def span_from(self, start: Span | Token) -> Span:
        """The span from ``start`` to the end of the last consumed token, cut at the line end."""
        end = self.prev
        line, col = start.line, start.col
        if end.line == line and end.end_col > col and (end.line, end.col) >= (line, col):
            return Span(line, col, end.end_col - col)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Span(line, col, max(1, len(text.rstrip()) - col + 1))

    @contextmanager
    def mode(self, nl_skip: bool, no_struct: bool = False) -> Iterator[None]:
        saved = self.nl_skip, self.no_struct
        self.nl_skip, self.no_struct = nl_skip, no_struct
        try:
            yield
        finally:
            self.nl_skip, self.no_struct = saved

    @contextmanager
    def nested(self) -> Iterator[None]:
        """Count one level of nesting for the duration of a rule."""
        self.deeper()
        try:
            yield
        finally:
            self.depth -= 1

    def deeper(self) -> None:
        """Count one level of nesting; too many stop the parse.  The caller undoes it.

        Besides recursion (parentheses, blocks), loops that wrap the node built
        so far (`a + b + c`, `x.f.g`, `- - x`, `else if` chains) count one level
        per turn: the tree they build is that deep, and later passes walk it
        recursively."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.diags.fatal(
                self.tok.span, "nesting too deep",
                f"expressions, blocks and types may nest at most {MAX_DEPTH} levels",
            )

    def sync(self, start: int) -> None:
        """Skip the rest of a broken statement that began at token index ``start``.

        Stops at a newline outside the brackets the statement opened, before
        a '}' that closes an enclosing block, or, when only '(' and '[' are
        open, at a statement keyword that starts a line (an unclosed
        parenthesis must not swallow the rest of the file).
        """
        self.nl_skip = False
        stack: list[str] = []

        def track(kind: str) -> bool:
            """Track brackets; False for a '}' that closes an enclosing block."""
            if kind in OPENERS:
                stack.append(kind)
            elif kind in CLOSERS:
                opener = {")": "(", "]": "[", "}": "{"}[kind]
                if opener in stack:
                    del stack[len(stack) - 1 - stack[::-1].index(opener):]
                elif kind == "}":
                    return False
            return True

        for t in self.toks[start:self.pos]:
            track(t.kind)
        toks = self.toks
        if (toks[self.pos].kind in STMT_KEYWORDS and self.pos > start
                and toks[self.pos - 1].kind == "newline" and "{" not in stack):
            return
        while True:
            t = toks[self.pos]
            if t.kind == "eof":
                return
            if t.kind == "newline":
                if not stack or ("{" not in stack and toks[self.pos + 1].kind in STMT_KEYWORDS):
                    return
            elif not track(t.kind):
                return
            self.pos += 1

    def skip_construct(self, stop_at_separator: bool) -> None:
        """Skip an unsupported construct: balanced tokens up to the end of the
        statement (or, in an expression, up to a ',' or closing bracket)."""
        depth = 0
        while True:
            t = self.toks[self.pos]
            if t.kind == "eof":
                break
            if depth == 0:
                if t.kind == "newline" and not (self.nl_skip and stop_at_separator):
                    break
                if t.kind in CLOSERS or (stop_at_separator and t.kind == ","):
                    break
            if t.kind in OPENERS:
                depth += 1
            elif t.kind in CLOSERS:
                depth -= 1
            self.prev = t
            self.pos += 1

    # ================================================================ statements

    def parse_program(self) -> list[ast.Stmt]:
        """program = { stmt (NL | ';') } EOF"""
        body = self.parse_stmts(top_level=True)
        assert self.depth == 0, "nesting depth not restored"
        return body

    def parse_stmts(self, top_level: bool) -> list[ast.Stmt]:
        """stmts = { stmt NL } -- up to '}' (or EOF at top level), recovering from errors."""
        stmts: list[ast.Stmt] = []
        while True:
            self.skip_newlines()
            t = self.toks[self.pos]
            if t.kind == "eof":
                break
            if t.kind == "}":
                if not top_level:
                    break
                self.diags.error(t.span, "unexpected token '}'", "there is no open '{' to close")
                self.advance()
                continue
            start = self.stmt_start = self.pos
            try:
                stmt = self.parse_stmt()
                if stmt is not None:
                    stmts.append(stmt)
                self.end_of_stmt()
            except _SyntaxError:
                self.sync(start)
                if self.pos == start:
                    self.advance()
        return stmts

    def end_of_stmt(self) -> None:
        """A statement ends at a newline, ';', '}' or EOF.  As in the reference, a
        statement that ends with a block may be followed on the same line by the next."""
        t = self.toks[self.pos]
        if t.kind not in ("newline", "}", "eof") and self.prev.kind != "}":
            hint = "a statement ends at a newline or ';'"
            if t.kind in (")", "]"):
                hint = f"there is no open '{'(' if t.kind == ')' else '['}' to close"
            self.fail(f"unexpected token {t.describe()}", hint)

    def parse_block(self, what: str) -> list[ast.Stmt]:
        """block = "{" stmts "}" """
        self.skip_newlines()
        if not self.at("{"):
            self.fail(f"expected '{{' to start {what}, found {self.tok.describe()}")
        opener = self.advance()
        with self.nested(), self.mode(nl_skip=False):
            body = self.parse_stmts(top_level=False)
            self.expect_close(opener)
        return body

    def parse_stmt(self) -> ast.Stmt | None:
        """stmt = var_decl | fun_decl | return_stmt | if_stmt | while_stmt | for_stmt
        | "break" | "continue" | type_decl | test_block | expect_stmt | import_stmt
        | extern_decl | simple_stmt"""
        t = self.tok
        k = t.kind
        if k in ("let", "var"):
            return self.parse_var_decl()
        if k == "fun" and self.peek().kind == "ident":
            return self.parse_fun_decl()
        if k == "return":
            return self.parse_return()
        if k == "if":
            return self.parse_if_stmt()
        if k == "while":
            return self.parse_while()
        if k == "for":
            return self.parse_for()
        if k == "break":
            self.advance()
            return ast.Break(t.span)
        if k == "continue":
            self.advance()
            return ast.Continue(t.span)
        if k == "type":
            return self.parse_type_decl()
        if k == "test":
            return self.parse_test()
        if k == "expect":
            self.advance()
            cond = self.parse_expr()
            return ast.Expect(self.span_from(t), cond)
        if k == "import":
            return self.parse_import()
        if k == "extern":
            return self.parse_extern()
        if k == "else":
            self.fail("'else' without a matching 'if'")
        if k == "ident":
            nxt = self.peek()
            if t.text == "export" and nxt.kind in ("fun", "let", "var", "type"):
                self.advance()  # modules are out of scope; `export` changes nothing here
                return self.parse_stmt()
            if t.text == "update" and nxt.kind == "ident" and self.line_continues_with("ident", 2) \
                    and self.next_word(2) == "set":
                return self.parse_update()
            if t.text in UNSUPPORTED_STMT_WORDS and nxt.kind in ("ident", "string"):
                self.diags.error(t.span, f"not supported: {t.text}")
                self.skip_construct(stop_at_separator=False)
                return None
        return self.parse_simple_stmt()

    def next_word(self, offset: int) -> str:
        """The text of the token ``offset`` tokens on, skipping newlines."""
        i = self.pos + offset
        while self.toks[i].kind == "newline":
            i += 1
        return self.toks[i].text

    def parse_update(self) -> ast.Update:
        """update_stmt = "update" IDENT "set" "{" IDENT ":" expr { ("," | NL) IDENT ":" expr }
        "}" [ "where" expr ]   -- newlines may come before "set" and "where" """
        kw = self.advance()
        name = self.advance()
        self.skip_newlines()
        self.expect_word("set", "after the list to update")
        self.skip_newlines()
        if not self.at("{"):
            self.fail(f"expected '{{' after 'set', found {self.tok.describe()}",
                      "write `set { field: value, ... }`")
        m = self.parse_map()
        fields: list[tuple[str, ast.Expr]] = []
        spans: list[Span] = []
        for en in m.entries:
            if not en.bare:
                self.diags.error(en.key.span, "expected a field name",
                                 "write `set { field: value, ... }`")
                continue
            assert isinstance(en.key, ast.StrLit)
            fields.append((en.key.value, en.value))
            spans.append(en.key.span)
        where = None
        if self.next_line_start().kind == "ident" and self.next_line_start().text == "where":
            self.skip_newlines()
            self.advance()
            where = self.parse_expr()
        return ast.Update(self.span_from(kw), ast.Name(name.span, name.text), fields, spans,
                          where)

    def parse_var_decl(self) -> ast.VarDecl:
        """var_decl = ("let" | "var") IDENT [":" type] ["=" expr]"""
        kw = self.advance()
        name = self.expect_ident(f"after '{kw.kind}'")
        ty = self.parse_type() if self.accept(":") else None
        value = self.parse_expr() if self.accept("=") else None
        return ast.VarDecl(self.span_from(kw), name.text, ty, value, kw.kind == "var")

    def parse_fun_decl(self) -> ast.FunDecl:
        """fun_decl = "fun" IDENT [type_params] "(" params ")" [":" type] block"""
        kw = self.advance()
        name = self.expect_ident("after 'fun'")
        self.parse_type_params("generic function")
        params = self.parse_params()
        ret = self.parse_type() if self.accept(":") else None
        span = self.span_from(kw)
        body = self.parse_block(f"the body of function '{name.text}'")
        return ast.FunDecl(span, name.text, params, ret, body, self.prev.span)

    def parse_type_params(self, feature: str) -> None:
        """type_params = "<" IDENT { "," IDENT } ">"   (reported as unsupported)"""
        if not self.at("<"):
            return
        lt = self.advance()
        with self.mode(nl_skip=True):
            while self.accept("ident") and self.accept(","):
                pass
            self.expect(">", "to close the type parameter list")
        self.diags.error(self.span_from(lt), f"not supported: {feature}")

    def parse_params(self) -> list[ast.Param]:
        """params = "(" [ param { "," param } [","] ] ")"
        param = IDENT [":" type]"""
        self.skip_newlines()
        if not self.at("("):
            self.fail(f"expected '(' to start the parameter list, found {self.tok.describe()}")
        opener = self.advance()
        params: list[ast.Param] = []
        with self.mode(nl_skip=True):
            while not self.at(")"):
                name = self.expect_ident("for a parameter")
                ty = self.parse_type() if self.accept(":") else None
                params.append(ast.Param(name.text, ty, name.span))
                if not self.accept(","):
                    break
            self.expect_close(opener, "separate parameters with ','" if self.at("ident") else None)
        return params

    def parse_return(self) -> ast.Return:
        """return_stmt = "return" [expr]"""
        kw = self.advance()
        value = None
        if self.toks[self.pos].kind not in ("newline", "}", "eof"):
            value = self.parse_expr()
        return ast.Return(self.span_from(kw), value)

    def parse_if_stmt(self) -> ast.Stmt:
        """if_stmt = "if" expr block [ "else" (if_stmt | block) ]
        (`if c then a else b` at statement level is an expression statement)"""
        kw = self.advance()
        cond = self.parse_cond()
        if self.next_line_start().kind == "then":
            return ast.ExprStmt(kw.span, self.parse_if_rest(kw, cond))
        span = self.span_from(kw)
        root = last = ast.If(span, cond, self.parse_block("the body of 'if'"), None)
        levels = 0
        try:
            # `else if` chains are built in a loop: they can be long.
            while self.next_line_start().kind == "else":
                self.skip_newlines()
                self.advance()
                if not self.at("if"):
                    last.else_ = self.parse_block("the body of 'else'")
                    break
                kw = self.advance()
                cond = self.parse_cond()
                span = self.span_from(kw)
                nxt = ast.If(span, cond, self.parse_block("the body of 'if'"), None)
                last.else_ = [nxt]
                last = nxt
                levels += 1
                self.deeper()
        finally:
            self.depth -= levels
        return root

    def parse_while(self) -> ast.While:
        """while_stmt = "while" expr block"""
        kw = self.advance()
        cond = self.parse_cond()
        span = self.span_from(kw)
        return ast.While(span, cond, self.parse_block("the body of 'while'"))

    def parse_for(self) -> ast.Stmt:
        """for_stmt = "for" IDENT "in" expr [".." expr] block"""
        kw = self.advance()
        var = self.expect_ident("after 'for'")
        self.expect("in", f"after 'for {var.text}'")
        first = self.parse_cond()
        if self.accept(".."):
            end = self.parse_cond()
            span = self.span_from(kw)
            return ast.ForRange(span, var.text, first, end, self.parse_block("the body of 'for'"))
        span = self.span_from(kw)
        return ast.ForEach(span, var.text, first, self.parse_block("the body of 'for'"))

    def parse_type_decl(self) -> ast.TypeDecl:
        """type_decl = "type" IDENT ( struct_body | "=" type_rhs )
        type_rhs = struct_body | ["|"] variant { "|" variant } | type"""
        kw = self.advance()
        name = self.expect_ident("after 'type'")
        self.parse_type_params("generic type")
        span = self.span_from(kw)
        decl = ast.TypeDecl(span, name.text, [], [], [])
        if self.next_line_start().kind == "{" and not self.at("="):
            self.skip_newlines()
            decl.fields, decl.methods = self.parse_struct_body()
            return decl
        self.expect("=", f"after 'type {name.text}'", "write 'type Name { field: T }' or 'type Name = A | B'")
        self.skip_newlines()
        lead = self.accept("|")
        self.skip_newlines()
        t = self.tok
        if t.kind == "{" and lead is None:
            decl.fields, decl.methods = self.parse_struct_body()
            return decl
        nxt = self.peek()
        is_variants = t.kind == "ident" and (
            lead is not None
            or nxt.kind in ("(", "{")
            or (nxt.kind not in ("<", "?", ".") and self.line_continues_with("|", 1))
        )
        if not is_variants:
            decl.alias = self.parse_type()
            return decl
        decl.variants.append(self.parse_variant())
        while self.line_continues_with("|"):
            self.skip_newlines()
            self.advance()
            self.skip_newlines()
            decl.variants.append(self.parse_variant())
        return decl

    def line_continues_with(self, kind: str, offset: int = 0) -> bool:
        """Is the token after ``offset`` tokens (skipping newlines) of kind ``kind``?"""
        i = self.pos + offset
        while self.toks[i].kind == "newline":
            i += 1
        return self.toks[i].kind == kind

    def parse_variant(self) -> ast.Variant:
        """variant = IDENT [ "(" field { "," field } [","] ")" | "{" { field [","] } "}" ]"""
        name = self.expect_ident("for a variant")
        fields: list[ast.FieldDecl] = []
        if self.at("("):
            opener = self.advance()
            with self.mode(nl_skip=True):
                while not self.at(")"):
                    fields.append(self.parse_field_decl())
                    if not self.accept(","):
                        break
                self.expect_close(opener, "separate fields with ','")
        elif self.at("{"):
            fields, methods = self.parse_struct_body()
            if methods:
                self.diags.error(methods[0].span, "not supported: methods on a variant")
        return ast.Variant(name.text, fields, name.span)

    def parse_struct_body(self) -> tuple[list[ast.FieldDecl], list[ast.FunDecl]]:
        """struct_body = "{" { (field | fun_decl) [","] } "}"   (NL also separates)"""
        opener = self.advance()
        fields: list[ast.FieldDecl] = []
        methods: list[ast.FunDecl] = []
        with self.nested(), self.mode(nl_skip=False):
            while True:
                while self.toks[self.pos].kind in ("newline", ","):
                    self.pos += 1
                t = self.tok
                if t.kind in ("}", "eof"):
                    break
                if t.kind == "fun":
                    methods.append(self.parse_fun_decl())
                elif self.is_word_token(t) and self.peek().kind == ":":
                    fields.append(self.parse_field_decl())
                else:
                    self.fail(f"unexpected token {t.describe()}", "expected a field 'name: type' or a method 'fun ...'")
            self.expect_close(opener)
        return fields, methods

    def parse_field_decl(self) -> ast.FieldDecl:
        """field = IDENT ":" type"""
        t = self.tok
        if not self.is_word_token(t):
            self.fail(f"expected a field name, found {t.describe()}")
        self.advance()
        self.expect(":", f"after field '{t.text}'")
        return ast.FieldDecl(t.text, self.parse_type(), t.span)

    def parse_test(self) -> ast.TestBlock:
        """test_block = "test" STRING block"""
        kw = self.advance()
        name = self.expect("string", "after 'test'", 'write test "name" { ... }')
        span = self.span_from(kw)
        return ast.TestBlock(span, str(name.value), self.parse_block("the test body"))

    def parse_import(self) -> ast.Import:
        """import_stmt = "import" [IDENT] STRING ["as" IDENT] ["auto"]"""
        kw = self.advance()
        lang = self.advance().text if self.at("ident") else None
        path = self.expect("string", "with the module path", 'write import python "math" as math')
        alias = self.expect_ident("after 'as'").text if self.accept("as") else None
        self.accept_word("auto")
        return ast.Import(self.span_from(kw), lang, str(path.value), alias)

    def parse_extern(self) -> ast.Stmt | None:
        """extern_decl = "extern" "fun" path params [":" type]
        | "extern" ("let" | "var") path ":" type
        path = IDENT { "." IDENT }"""
        kw = self.advance()
        t = self.tok
        if t.kind == "fun":
            self.advance()
            path = self.parse_path()
            params = self.parse_params()
            ret = self.parse_type() if self.accept(":") else None
            return ast.ExternFun(self.span_from(kw), path, params, ret)
        if t.kind in ("let", "var"):
            self.advance()
            path = self.parse_path()
            self.expect(":", "after the extern name", "an extern declaration needs a type")
            return ast.ExternLet(self.span_from(kw), path, self.parse_type())
        if t.kind == "type" or (t.kind == "ident" and t.text == "object"):
            self.diags.error(self.span_from(kw), f"not supported: extern {t.text}")
            self.skip_construct(stop_at_separator=False)
            return None
        self.fail(f"expected 'fun', 'let' or 'var' after 'extern', found {t.describe()}")

    def parse_path(self) -> list[str]:
        path = [self.expect_ident("for the extern declaration").text]
        while self.accept("."):
            path.append(self.expect_ident("after '.'").text)
        return path

    def parse_simple_stmt(self) -> ast.Stmt:
        """simple_stmt = expr [ "=" expr ]"""
        start = self.tok
        target = self.parse_expr()
        if not self.at("="):
            return ast.ExprStmt(self.span_from(start), target)
        self.advance()
        if not self.is_assignable(target):
            self.diags.error(target.span, "cannot assign to this expression",
                             "assign to a variable, an element 'xs[i]' or a field 'p.f'")
        value = self.parse_expr()
        return ast.Assign(self.span_from(start), target, value)

    def is_assignable(self, e: ast.Expr) -> bool:
        while isinstance(e, (ast.Index, ast.Field)):
            e = e.obj
        return isinstance(e, ast.Name)

    # ================================================================ expressions

    def parse_expr(self) -> ast.Expr:
        """expr = binary(0)"""
        with self.nested():
            return self.parse_binary(0)

    def parse_cond(self) -> ast.Expr:
        """An expression before a block: struct literals need parentheses here."""
        with self.mode(self.nl_skip, no_struct=True):
            return self.parse_expr()

    def parse_binary(self, level: int) -> ast.Expr:
        """binary(level) = binary(level + 1) { op binary(level + 1) } for the operators
        of PRECEDENCE[level:], by precedence climbing: each operand is parsed once
        whatever its level, and a chain of operators is a loop, so `a + b + ...`
        of any length does not nest (later passes walk such a chain iteratively)."""
        left = self.parse_unary()
        while True:
            t = self.binary_op()
            op_level = LEVEL.get(self.op_name(t)) if t is not None else None
            if t is None or op_level is None or op_level < level:
                return left
            left = self.binary_rest(t, left, partial(self.parse_binary, op_level + 1))

    def binary_rest(self, t: Token, left: ast.Expr, operand: Callable[[], ast.Expr]) -> ast.Binary:
        """After `left` with operator token ``t`` current: the operator and the right operand."""
        self.advance()
        op = self.op_name(t)
        if op == "union" and self.accept_word("all"):
            op = "union_all"
        elif op == "??":
            self.diags.error(t.span, "not supported: ?? operator")
        if t.kind in ("+", "-", "*", "/", "%") and self.tok.kind == "=" and self.tok.col == t.end_col:
            self.fail(f"compound assignment '{t.kind}=' is not supported",
                      f"write 'x = x {t.kind} value'", span=Span(t.line, t.col, 2))
        right = operand()
        return ast.Binary(self.span_from(left.span), op, left, right, t.span)

    @staticmethod
    def op_name(t: Token) -> str:
        return t.text if t.kind == "ident" else t.kind

    def binary_op(self) -> Token | None:
        """The binary operator at the current position, if any.  An operator at
        the start of the next line continues the expression (LEADING_BINARY_OPS)."""
        t = self.tok
        if t.kind == "newline":
            nxt = self.next_line_start()
            if nxt.kind in LEADING_BINARY_OPS:
                self.skip_newlines()
                return nxt
            if nxt.kind == "ident" and nxt.text in SET_OPS:
                # `union` starting a line continues the expression unless it is
                # used as a name: `union(a, b)`, `union = x`, `union.f`, `union[i]`.
                i = self.pos
                while self.toks[i].kind == "newline":
                    i += 1
                if self.toks[i + 1].kind not in ("=", "(", "[", ".", ",", ")", "]", "}", "eof"):
                    self.pos = i
                    return nxt
            return None
        if t.kind == "ident":
            return t if t.text in SET_OPS else None
        if t.kind in BINARY_OPS:
            return t
        return None

    def parse_unary(self) -> ast.Expr:
        """unary = { "-" | "!" } postfix
        (a "-" directly before a number literal folds into the literal)"""
        self.skip_newlines()  # an operand may start on the next line
        ops: list[Token] = []
        levels = 0
        try:
            while self.tok.kind in ("-", "!"):
                ops.append(self.advance())
                levels += 1
                self.deeper()
                self.skip_newlines()
            return self.parse_unary_rest(ops)
        finally:
            self.depth -= levels

    def parse_unary_rest(self, ops: list[Token]) -> ast.Expr:
        t = self.tok
        if ops and ops[-1].kind == "-" and t.kind in ("int", "float"):
            minus = ops.pop()
            self.advance()
            span = self.span_from(minus)
            if t.kind == "int":
                value = int(t.value)  # type: ignore[arg-type]
                if value > INT_MAX + 1:
                    self.diags.error(span, "integer literal out of range",
                                     "int is a 64-bit signed integer")
                operand: ast.Expr = ast.IntLit(span, -value)
            else:
                operand = ast.FloatLit(span, -float(t.value))  # type: ignore[arg-type]
            operand = self.parse_postfix_ops(operand)
        else:
            operand = self.parse_postfix()
        for op in reversed(ops):
            operand = ast.Unary(self.span_from(op), op.kind, operand)
        return operand

    def parse_postfix(self) -> ast.Expr:
        """postfix = primary { call | index | "." IDENT | "as" type }"""
        return self.parse_postfix_ops(self.parse_primary())

    def parse_postfix_ops(self, e: ast.Expr) -> ast.Expr:
        levels = 0
        try:
            while True:
                t = self.tok
                if t.kind == "newline":
                    nxt = self.next_line_start()
                    if nxt.kind not in (".", "as"):
                        return e
                    self.skip_newlines()
                    t = nxt
                if t.kind == "(":
                    e = self.parse_call(e)
                elif t.kind == "[":
                    e = self.parse_index(e)
                elif t.kind == ".":
                    self.advance()
                    self.skip_newlines()
                    name = self.tok
                    if not self.is_word_token(name):
                        self.fail(f"expected a field name after '.', found {name.describe()}")
                    self.advance()
                    e = ast.Field(self.span_from(e.span), e, name.text, name.span)
                elif t.kind == "as":
                    self.advance()
                    ty = self.parse_type(in_expr=True)
                    e = ast.Cast(self.span_from(e.span), e, ty)
                elif t.kind == "?" and self.peek().kind in (".", "["):
                    self.fail("not supported: ?. operator", span=Span(t.line, t.col, 2))
                else:
                    return e
                levels += 1
                self.deeper()
        finally:
            self.depth -= levels

    def parse_call(self, func: ast.Expr) -> ast.Call:
        """call = "(" [ expr { "," expr } [","] ] ")" """
        opener = self.advance()
        args: list[ast.Expr] = []
        with self.mode(nl_skip=True):
            while not self.at(")"):
                args.append(self.parse_expr())
                if not self.accept(","):
                    break
            self.expect_close(opener, "separate arguments with ','")
        return ast.Call(self.span_from(func.span), func, args)

    def parse_index(self, obj: ast.Expr) -> ast.Expr:
        """index = "[" expr "]" | "[" [expr] ":" [expr] "]" """
        opener = self.advance()
        with self.mode(nl_skip=True):
            start = None if self.at(":") else self.parse_index_part()
            if self.accept(":"):
                end = None if self.at("]") or self.at(":") else self.parse_expr()
                if self.at(":"):
                    self.fail("not supported: slice step")
                self.expect_close(opener)
                return ast.Slice(self.span_from(obj.span), obj, start, end)
            self.expect_close(opener)
        assert start is not None
        return ast.Index(self.span_from(obj.span), obj, start)

    def parse_index_part(self) -> ast.Expr:
        if self.at("]"):
            self.fail("empty index", "write xs[i], or a slice like xs[a:b]")
        return self.parse_expr()

    def parse_primary(self) -> ast.Expr:
        """primary = INT | FLOAT | STRING | "true" | "false" | "none" | "null" | "nil"
        | IDENT | struct_lit | query | "(" expr ")" | list_lit | map_lit
        | lambda | if_expr | match_expr"""
        t = self.tok
        k = t.kind
        if k == "int":
            self.advance()
            if t.value > INT_MAX and t.line not in self.lexical_error_lines:  # type: ignore[operator]
                self.diags.error(t.span, "integer literal out of range",
                                 "int is a 64-bit signed integer (at most 9223372036854775807)")
            return ast.IntLit(t.span, t.value)  # type: ignore[arg-type]
        if k == "float":
            self.advance()
            return ast.FloatLit(t.span, t.value)  # type: ignore[arg-type]
        if k == "string":
            self.advance()
            return ast.StrLit(t.span, t.value)  # type: ignore[arg-type]
        if k in ("true", "false"):
            self.advance()
            return ast.BoolLit(t.span, k == "true")
        if k in ("none", "null", "nil"):
            self.advance()
            return ast.NoneLit(t.span)
        if k == "ident":
            return self.parse_name_expr()
        if k == "(":
            opener = self.advance()
            with self.mode(nl_skip=True):
                e = self.parse_expr()
                self.expect_close(opener)
            return e
        if k == "[":
            return self.parse_list()
        if k == "{":
            if self.no_struct and not self.looks_like_map():
                self.fail("unexpected token '{'", self.expected_expression_hint())
            return self.parse_map()
        if k == "fun":
            return self.parse_lambda()
        if k == "if":
            kw = self.advance()
            return self.parse_if_rest(kw, self.parse_cond())
        if k == "match":
            return self.parse_match()
        before = self.last_token_before()
        if before is not None and k != "eof" and before.line < t.line and not self.nl_skip:
            # The line ended where an operand was due: point just after the last token.
            self.fail(f"expected an expression after {before.describe()}",
                      span=Span(before.line, before.end_col))
        hint = self.expected_expression_hint()
        if before is None and k in (")", "]"):
            hint = f"there is no open '{'(' if k == ')' else '['}' to close"
        if k == "eof":
            self.fail("unexpected end of file", hint)
        self.fail(f"unexpected token {t.describe()}", hint)

    def last_token_before(self) -> Token | None:
        """The last token of the current statement before the current one that is
        not a newline, if any."""
        i = self.pos - 1
        while i >= self.stmt_start and self.toks[i].kind == "newline":
            i -= 1
        return self.toks[i] if i >= self.stmt_start else None

    def expected_expression_hint(self) -> str:
        before = self.last_token_before()
        if before is not None:
            return f"expected an expression after '{before.text}'"
        return "expected an expression"

    def parse_name_expr(self) -> ast.Expr:
        """name_expr = query | struct_lit | IDENT"""
        t = self.tok
        nxt = self.peek()
        if t.text == "from" and nxt.kind == "ident" and self.peek(2).kind == "in":
            return self.parse_query()
        if t.text == "load" and nxt.kind in ("string", "as"):
            return self.parse_load()
        if t.text == "save" and (nxt.kind == "ident" or nxt.kind == "[" and
                                 self.word_after_brackets(1) in ("to", "with")):
            return self.parse_save()
        if t.text in UNSUPPORTED_EXPR_WORDS and nxt.kind in ("ident", "string"):
            self.diags.error(t.span, f"not supported: {t.text}")
            self.advance()
            self.skip_construct(stop_at_separator=True)
            return ast.NoneLit(t.span)
        self.advance()
        if nxt.kind == "{" and self.toks[self.pos] is nxt and not self.no_struct and self.looks_like_struct(t):
            return self.parse_struct_lit(t)
        return ast.Name(t.span, t.text)

    def word_after_brackets(self, offset: int) -> str:
        """The text of the token after the bracketed group that starts ``offset``
        tokens on (`save [a] to ...` against the indexing `save[0]`)."""
        i = self.pos + offset
        depth = 0
        while self.toks[i].kind != "eof":
            k = self.toks[i].kind
            depth += k in ("[", "(", "{")
            depth -= k in ("]", ")", "}")
            i += 1
            if depth == 0:
                break
        return self.toks[i].text

    def parse_load(self) -> ast.Load:
        """load_expr = "load" [STRING] "as" type ["with" expr]"""
        kw = self.advance()
        path = self.advance().value if self.at("string") else None
        self.expect("as", "after the path to load", 'write load "file.csv" as Row')
        ty = self.parse_type()
        opts = self.parse_expr() if self.accept_word("with") else None
        return ast.Load(self.span_from(kw), path, ty, opts)  # type: ignore[arg-type]

    def parse_save(self) -> ast.Save:
        """save_expr = "save" expr ["to" STRING] ["with" expr]"""
        kw = self.advance()
        src = self.parse_expr()
        path = None
        if self.accept_word("to"):
            path = self.expect("string", "after 'to'", 'write save rows to "file.json"').value
        opts = self.parse_expr() if self.accept_word("with") else None
        return ast.Save(self.span_from(kw), src, path, opts)  # type: ignore[arg-type]

    def looks_like_struct(self, name: Token) -> bool:
        """After `Name` with `{` next: capitalised, or `{ }` / `{ field:` follows."""
        if name.text[:1].isupper():
            return True
        i = self.pos + 1
        while self.toks[i].kind == "newline":
            i += 1
        first = self.toks[i]
        return first.kind == "}" or (self.is_word_token(first) and self.toks[i + 1].kind == ":")

    def parse_struct_lit(self, name: Token) -> ast.StructLit:
        """struct_lit = IDENT "{" [ IDENT ":" expr { ("," | NL) IDENT ":" expr } [","] ] "}" """
        opener = self.advance()
        fields: list[tuple[str, ast.Expr]] = []
        spans: list[Span] = []
        with self.mode(nl_skip=False):
            while True:
                self.skip_newlines()
                t = self.tok
                if t.kind == "}":
                    break
                if not (self.is_word_token(t) and self.peek().kind == ":"):
                    self.fail(f"unexpected token {t.describe()}",
                              f"expected a field 'name: value' in the '{name.text}' literal")
                self.advance()
                self.advance()
                fields.append((t.text, self.parse_expr()))
                spans.append(t.span)
                if not self.entry_separator():
                    break
            self.expect_close(opener, "separate fields with ',' or a newline")
        return ast.StructLit(self.span_from(name), name.text, fields, spans)

    def entry_separator(self) -> bool:
        """Consume a ',' or newline between literal entries; False at anything else."""
        if self.accept(","):
            return True
        return self.toks[self.pos].kind == "newline"

    def parse_list(self) -> ast.ListLit:
        """list_lit = "[" [ expr { "," expr } [","] ] "]" """
        opener = self.advance()
        elems: list[ast.Expr] = []
        with self.mode(nl_skip=True):
            while not self.at("]"):
                elems.append(self.parse_expr())
                if not self.accept(","):
                    break
            self.expect_close(opener, "separate list elements with ','")
        return ast.ListLit(self.span_from(opener), elems)

    def parse_map(self) -> ast.MapLit:
        """map_lit = "{" [ entry { ("," | NL) entry } [","] ] "}"
        entry = (IDENT | expr) ":" expr   -- a bare IDENT key is the string of its name"""
        opener = self.advance()
        entries: list[ast.MapEntry] = []
        with self.mode(nl_skip=False):
            while True:
                self.skip_newlines()
                t = self.tok
                if t.kind == "}":
                    break
                if self.is_word_token(t) and self.peek().kind == ":":
                    self.advance()
                    key: ast.Expr = ast.StrLit(t.span, t.text)
                    bare = True
                else:
                    key = self.parse_expr()
                    bare = False
                self.expect(":", "after the map key", "map entries are written 'key: value'")
                entries.append(ast.MapEntry(key, self.parse_expr(), bare))
                if not self.entry_separator():
                    break
            self.expect_close(opener, "separate entries with ',' or a newline")
        return ast.MapLit(self.span_from(opener), entries)

    def parse_lambda(self) -> ast.Lambda:
        """lambda = "fun" "(" params ")" [":" type] ( "=>" expr | block )"""
        kw = self.advance()
        self.parse_type_params("generic function")
        params = self.parse_params()
        ret = self.parse_type() if self.accept(":") else None
        if self.accept("=>"):
            body: ast.Expr | list[ast.Stmt] = self.parse_expr()
            return ast.Lambda(self.span_from(kw), params, ret, body)
        span = self.span_from(kw)
        if not self.at("{"):
            self.fail(f"expected '=>' or '{{' after the function's parameters, found {self.tok.describe()}")
        body = self.parse_block("the function body")
        return ast.Lambda(span, params, ret, body, self.prev.span)

    def parse_if_rest(self, kw: Token, cond: ast.Expr) -> ast.IfExpr:
        """if_expr = "if" expr ( "then" expr | branch ) "else" ( if_expr | branch | expr )
        branch = "{" expr "}" """
        arms: list[tuple[Token, ast.Expr, ast.Expr]] = []
        levels = 0
        try:
            # `else if` chains are built in a loop: they can be long.
            while True:
                if self.next_line_start().kind == "then":
                    self.skip_newlines()
                    self.advance()
                    then = self.parse_expr()
                    braced = False
                elif self.at("{"):
                    then = self.parse_branch("if")
                    braced = True
                else:
                    self.fail(f"expected 'then' or '{{' after the condition, found {self.tok.describe()}")
                arms.append((kw, cond, then))
                if self.next_line_start().kind != "else":
                    self.fail("an if expression needs an 'else' branch",
                              "write 'if c then a else b'", span=self.span_from(kw))
                self.skip_newlines()
                self.advance()
                self.skip_newlines()
                if not self.at("if"):
                    break
                kw = self.advance()
                cond = self.parse_cond()
                levels += 1
                self.deeper()
            if braced and self.at("{") and not self.looks_like_map():
                result = self.parse_branch("else")
            else:
                result = self.parse_expr()
        finally:
            self.depth -= levels
        for kw, cond, then in reversed(arms):
            result = ast.IfExpr(self.span_from(kw), cond, then, result)
        assert isinstance(result, ast.IfExpr)
        return result

    def looks_like_map(self) -> bool:
        """At '{': do `}` or `key:` follow, making it a map literal rather than a block?"""
        i = self.pos + 1
        while self.toks[i].kind == "newline":
            i += 1
        first = self.toks[i]
        if first.kind == "}":
            return True
        return first.kind in ("ident", "string", "int", "float", "true", "false") and self.toks[i + 1].kind == ":"

    def parse_branch(self, what: str) -> ast.Expr:
        """branch = "{" expr "}"   (a block holding a single expression)"""
        opener = self.tok
        value = self.block_value(self.parse_block(f"the '{what}' branch"))
        if value is None:
            self.diags.error(opener.span, f"the '{what}' branch of an if expression must be a single expression",
                             "use an if statement, or compute the value in a function")
            return ast.NoneLit(opener.span)
        return value

    def block_value(self, body: list[ast.Stmt]) -> ast.Expr | None:
        """The expression a block holding a single expression stands for, if it
        does (`{ e }`, or `{ if c { a } else { b } }` read as an if expression)."""
        if len(body) != 1:
            return None
        stmt = body[0]
        if isinstance(stmt, ast.ExprStmt):
            return stmt.expr
        if isinstance(stmt, ast.If) and stmt.else_ is not None:
            then = self.block_value(stmt.then)
            else_ = self.block_value(stmt.else_)
            if then is not None and else_ is not None:
                return ast.IfExpr(stmt.span, stmt.cond, then, else_)
        return None

    def parse_match(self) -> ast.Match:
        """match_expr = "match" expr "{" { case ("," | NL) } "}"
        case = expr "=>" expr"""
        kw = self.advance()
        subject = self.parse_cond()
        self.skip_newlines()
        if not self.at("{"):
            self.fail(f"expected '{{' after the match subject, found {self.tok.describe()}")
        opener = self.advance()
        cases: list[ast.MatchCase] = []
        with self.nested(), self.mode(nl_skip=False):
            while True:
                while self.toks[self.pos].kind in ("newline", ","):
                    self.pos += 1
                if self.at("}") or self.at("eof"):
                    break
                pattern = self.parse_expr()
                self.expect("=>", "after the match pattern", "each case is written 'pattern => result'")
                self.skip_newlines()
                if self.at("{") and not self.looks_like_map():
                    block_tok = self.tok
                    value = self.block_value(self.parse_block("the case body"))
                    if value is not None:
                        result: ast.Expr = value
                    else:
                        self.diags.error(block_tok.span, "not supported: block body in match case",
                                         "use a single expression, or call a helper function")
                        result = ast.NoneLit(block_tok.span)
                else:
                    result = self.parse_expr()
                cases.append(ast.MatchCase(pattern, result, self.span_from(pattern.span)))
                # The reference needs no separator between cases; accept that too.
                if not self.entry_separator() and not self.at("}") and self.tok.kind not in EXPR_START:
                    self.fail(f"unexpected token {self.tok.describe()}",
                              "separate match cases with a newline or ','")
            self.expect_close(opener)
        return ast.Match(self.span_from(kw), subject, cases)

    # ================================================================ queries

    def parse_query(self) -> ast.Query:
        """query = "from" IDENT "in" expr { from_clause | join_clause } ["where" expr]
        [group_clause] [("sort" | "order") "by" expr] ["skip" expr] ["take" expr]
        "select" ["distinct"] expr
        (the clauses may span lines freely)"""
        kw = self.tok
        froms: list[ast.QueryFrom] = []
        joins: list[ast.QueryJoin] = []
        where = sort = skip = take = None
        group = None
        with self.mode(nl_skip=True):
            froms.append(self.parse_from_clause())
            while True:
                if self.at_word("from"):
                    froms.append(self.parse_from_clause())
                elif self.at_word("join") or (
                    self.tok.text in ("left", "right", "outer") and self.tok.kind == "ident"
                    and self.peek().kind == "ident" and self.peek().text == "join"
                ):
                    joins.append(self.parse_join_clause())
                else:
                    break
            if self.accept_word("where"):
                where = self.parse_expr()
            if self.at_word("group") and self.peek().text == "by":
                group = self.parse_group_clause()
            if (self.at_word("sort") or self.at_word("order")) and self.peek().text == "by":
                self.advance()
                self.advance()
                sort = self.parse_expr()
            if self.accept_word("skip"):
                skip = self.parse_expr()
            if self.accept_word("take"):
                take = self.parse_expr()
            if not self.at_word("select"):
                self.fail(f"expected 'select' to end the query, found {self.tok.describe()}",
                          "clauses go in the order: from, join, where, group by, sort by, skip, take, select")
            self.advance()
            distinct = False
            if self.at_word("distinct") and self.peek().kind in (
                "ident", "int", "float", "string", "{", "true", "false", "none", "null", "nil", "fun", "if", "match"
            ):
                self.advance()
                distinct = True
        select = self.parse_expr()
        return ast.Query(self.span_from(kw), froms, joins, where, group, sort, skip, take, select, distinct)

    def parse_from_clause(self) -> ast.QueryFrom:
        """from_clause = "from" IDENT "in" expr"""
        kw = self.advance()
        var = self.expect_ident("after 'from'")
        self.expect("in", f"after 'from {var.text}'")
        return ast.QueryFrom(var.text, self.parse_expr(), self.span_from(kw))

    def parse_join_clause(self) -> ast.QueryJoin:
        """join_clause = ["left" | "right" | "outer"] "join" ["from"] IDENT "in" expr "on" expr"""
        first = self.advance()
        kind = "inner"
        if first.text != "join":
            kind = first.text
            self.advance()
        self.accept_word("from")
        var = self.expect_ident("after 'join'")
        self.expect("in", f"after 'join {var.text}'")
        src = self.parse_expr()
        self.expect_word("on", "after the join source", "a join needs a condition: 'on a.id == b.id'")
        on = self.parse_expr()
        return ast.QueryJoin(kind, var.text, src, on, self.span_from(first))

    def parse_group_clause(self) -> ast.QueryGroup:
        """group_clause = "group" "by" expr { "," expr } "into" IDENT ["having" expr]"""
        kw = self.advance()
        self.advance()
        keys = [self.parse_expr()]
        while self.accept(","):
            keys.append(self.parse_expr())
        self.expect_word("into", "after the group key", "write 'group by key into g'")
        name = self.expect_ident("after 'into'")
        having = self.parse_expr() if self.accept_word("having") else None
        return ast.QueryGroup(keys, name.text, having, self.span_from(kw))

    # ================================================================ types

    def parse_type(self, in_expr: bool = False) -> ast.TypeExpr:
        """type = base_type { "?" }
        base_type = "fun" "(" [ type { "," type } ] ")" [":" type]
        | "[" type "]" | "{" [ field { "," field } ] "}"
        | IDENT [ "<" type { "," type } ">" ]"""
        with self.nested():
            self.skip_newlines()
            t = self.tok
            ty: ast.TypeExpr
            if t.kind == "ident":
                self.advance()
                if self.at("<") and (not in_expr or self.looks_like_type_args()):
                    ty = self.parse_type_args(t)
                else:
                    ty = ast.TypeName(t.span, t.text)
            elif t.kind == "[":
                opener = self.advance()
                with self.mode(nl_skip=True):
                    elem = self.parse_type()
                    self.expect_close(opener, "a list type is written [T]")
                ty = ast.TypeList(self.span_from(t), elem)
            elif t.kind == "fun":
                ty = self.parse_fun_type()
            elif t.kind == "{":
                ty = self.parse_record_type()
            else:
                self.fail(f"expected a type, found {t.describe()}")
            while self.toks[self.pos].kind == "?":
                self.advance()
                ty = ast.TypeOption(self.span_from(t), ty)
            return ty

    def parse_type_args(self, name: Token) -> ast.TypeGeneric:
        """IDENT "<" type { "," type } ">" """
        self.advance()
        args: list[ast.TypeExpr] = []
        with self.mode(nl_skip=True):
            args.append(self.parse_type())
            while self.accept(","):
                args.append(self.parse_type())
            t = self.tok
            if t.kind == ">=":  # `list<int>= []`: split the token
                self.toks[self.pos:self.pos + 1] = [
                    Token(">", ">", t.line, t.col, 1), Token("=", "=", t.line, t.col + 1, 1)
                ]
            self.expect(">", "to close the type arguments")
        return ast.TypeGeneric(self.span_from(name), name.text, args)

    def looks_like_type_args(self) -> bool:
        """At '<' after a type name in an expression (`x as list<int>`): is this a
        type argument list and not a less-than?"""
        depth = 0
        i = self.pos
        while True:
            k = self.toks[i].kind
            if k == "<":
                depth += 1
            elif k in (">", ">="):
                depth -= 1
                if depth == 0:
                    return True
            elif k not in ("ident", ",", "[", "]", "?", "fun", "(", ")", ":", "{", "}", "newline"):
                return False
            i += 1

    def parse_fun_type(self) -> ast.TypeFun:
        """fun_type = "fun" "(" [ [IDENT ":"] type { "," [IDENT ":"] type } ] ")" [":" type]"""
        kw = self.advance()
        opener = self.expect("(", "after 'fun' in a function type")
        params: list[ast.TypeExpr] = []
        with self.mode(nl_skip=True):
            while not self.at(")"):
                if self.at("ident") and self.peek().kind == ":":
                    self.advance()
                    self.advance()
                params.append(self.parse_type())
                if not self.accept(","):
                    break
            self.expect_close(opener, "separate parameter types with ','")
        ret = self.parse_type() if self.accept(":") else None
        return ast.TypeFun(self.span_from(kw), params, ret)

    def parse_record_type(self) -> ast.TypeRecord:
        """record_type = "{" [ IDENT ":" type { ("," | NL) IDENT ":" type } [","] ] "}" """
        opener = self.advance()
        fields: list[ast.Param] = []
        with self.mode(nl_skip=True):
            while not self.at("}"):
                f = self.parse_field_decl()
                fields.append(ast.Param(f.name, f.type, f.span))
                self.accept(",")
            self.expect_close(opener)
        return ast.TypeRecord(self.span_from(opener), fields)
