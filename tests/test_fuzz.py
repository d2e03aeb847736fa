"""Fuzzing the compiler: whatever the input, it must end in a module or in
diagnostics, quickly, and never in an exception or an internal compiler error.

Inputs come from three sources:

* hypothesis-generated text, bytes and token soups;
* a deterministic mutation loop over the conformance corpus (tests/programs):
  tokens or lines deleted, duplicated, swapped or replaced, punctuation
  inserted, truncation, literals and names swapped for ill-typed ones,
  fragments spliced from other programs, very deep nesting, very long
  lines, NUL bytes and invalid UTF-8;
* regression inputs: each once crashed or hung the compiler.

Every input runs through the in-process pipeline ``compile_source`` (which
verifies the IR it lowers) under a per-case time limit, and its diagnostics
are rendered.  A few compiled mutants also run through ``python -m mochic run``, which must
never print a Python traceback (a timeout is fine: a mutant may loop).

The whole file stays under a minute on two cores.  For a long local run, set
MOCHIC_FUZZ_SCALE (e.g. 50) to multiply the number of mutants.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mochic.diagnostics import Diagnostics
from mochic.driver import compile_source, read_source
from mochic.ir.ir import Module
from mochic.ir.verify import verify
from tests.tiers import ROOT

CORPUS = sorted((ROOT / "tests" / "programs").glob("*/*.mochi"))
SOURCES = [p.read_text(encoding="utf-8") for p in CORPUS]
FILE = "fuzz.mochi"

SCALE = int(os.environ.get("MOCHIC_FUZZ_SCALE", "1"))
CASE_LIMIT = 5.0  # seconds one compilation may take
MUTANT_BATCHES = 8
MUTANTS_PER_BATCH = 400 * SCALE
RUN_MUTANTS = 20
RUN_TIMEOUT = 5

DIAG_HEAD = re.compile(re.escape(FILE) + r":\d+:\d+: error: \S")


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Hang in the block after ``seconds`` (SIGALRM; main thread only)."""

    def on_alarm(signum: int, frame: object) -> None:
        raise Hang()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def compile_checked(source: str) -> Module | None:
    """Compile ``source``; fail the test on an exception, an internal compiler
    error, a hang or a diagnostic that does not render; the module, if any."""
    start = time.monotonic()
    try:
        with time_limit(CASE_LIMIT):
            compiled = compile_source(FILE, source)
            if compiled.module is not None:
                verify(compiled.module)
            rendered = compiled.diags.render() if compiled.diags else ""
    except Hang:
        pytest.fail(f"compilation took over {CASE_LIMIT}s on {_show(source)}")
    except Exception as exc:
        pytest.fail(f"{type(exc).__name__}: {exc} on {_show(source)}")
    elapsed = time.monotonic() - start
    assert elapsed < CASE_LIMIT, f"compilation took {elapsed:.1f}s on {_show(source)}"
    diags: Diagnostics = compiled.diags
    assert (compiled.module is None) == bool(diags), _show(source)
    for d in diags.items:
        assert "internal" not in d.message, f"{d.message} on {_show(source)}"
        assert d.span.line >= 1 and d.span.col >= 1 and d.span.length >= 1, d
    heads = [line for line in rendered.splitlines() if line.startswith(FILE + ":")]
    assert len(heads) == len(diags.items), rendered
    assert all(DIAG_HEAD.match(h) for h in heads), rendered
    return compiled.module


def _show(source: str) -> str:
    return repr(source) if len(source) <= 300 else repr(source[:300]) + f"... ({len(source)} chars)"


# ---------------------------------------------------------------- mutations

PIECE = re.compile(
    r'\s+|[^\W\d]\w*|\d+(?:\.\d+)?|"(?:\\.|[^"\\\n])*"?|==|!=|<=|>=|&&|\|\||=>|\.\.|.', re.S
)
NAME = re.compile(r"[^\W\d]\w*$")
PUNCT = [*"(){}[]<>,.:;=+-*/%!?|&@#\"'\\", "=>", "..", "//", "/*", "*/", "\n", "\t", "\0", "\ufffd"]
WORDS = """let var fun return if else then while for in break continue type match test expect
import extern true false none null as from select where group by into sort join on union all
except intersect agent stream fetch int string float bool list map any _ len print str append
""".split()
LITERALS = [
    "0", "1", "-1", "2.5", "-0.0", "1e308", '""', '"s"', '"\\u{1F600}"', "true", "false", "none",
    "[]", "[1]", '["a"]', "[[1]]", "{}", '{"a": 1}', "{1: 2}", "9223372036854775807",
    "(-9223372036854775807 - 1)", "fun(x: int): int => x", "(1 as any)", "([] as list<int>)",
]
OPERATORS = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in",
             "union", "union all", "except", "intersect"]
TYPES = ["int", "float", "string", "bool", "any", "list<int>", "map<string, int>", "[string]",
         "int?", "fun(int): int", "list<any>"]
SUFFIXES = ["()", "[0]", ".x", "(1)", "[1:2]", " as any", ".len()", '["a"]', " as int"]
BUILTINS = ["len", "str", "append", "int", "float", "keys", "values", "sum", "min", "max",
            "json", "print", "reverse", "substring", "contains", "split", "join", "abs"]


def _deep(rng: random.Random) -> str:
    n = rng.choice([10_000, 1000, 300, 257, 256, 255, 254, 200])
    opener = rng.choice("([{")
    closer = {"(": ")", "[": "]", "{": "}"}[opener]
    shape = rng.randrange(3)
    if shape == 0:
        return opener * n
    if shape == 1:
        return opener * n + "1" + closer * n
    return rng.choice(["if true then ", "-", "!", "fun() => ", "[1] union ", "1 + ",
                       "str(", "if true {\n", "match 1 { _ => "]) * n


def _long(rng: random.Random) -> str:
    return rng.choice([
        "x" * 100_000, '"' + "a" * 100_000 + '"', "1" * 5000, "1 + " * 5000 + "1",
        "a." * 3000 + "b", "f" + "()" * 3000, "x" + "[0]" * 3000, "// " + "c" * 100_000,
        "[" + "1, " * 5000 + "1]",
    ])


def _invalid_utf8(source: str, rng: random.Random) -> str:
    data = bytearray(source.encode("utf-8"))
    for _ in range(rng.randint(1, 3)):
        data.insert(rng.randrange(len(data) + 1), rng.choice([0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xFF]))
    return data.decode("utf-8", errors="replace")  # as driver.read_source decodes


def mutate(source: str, rng: random.Random) -> str:
    """One random mutation of ``source`` (sometimes two stacked)."""
    kind = rng.randrange(16)
    if kind <= 5:
        toks = PIECE.findall(source)
        idx = [i for i, t in enumerate(toks) if not t.isspace()]
        if not idx:
            return source + "("
        for _ in range(rng.randint(1, 3)):
            i = rng.choice(idx)
            t = toks[i]
            op = rng.randrange(10)
            if not t:  # deleted by an earlier round
                continue
            if op == 0:
                toks[i] = ""
            elif op == 1:
                toks[i] = t + " " + t
            elif op == 2:
                j = rng.choice(idx)
                toks[i], toks[j] = toks[j], toks[i]
            elif op == 3:
                toks[i] = rng.choice(WORDS)
            elif op == 4:
                toks[i] = t + rng.choice(PUNCT)
            elif op == 5 and (t[0].isdigit() or t[0] == '"' or t in ("true", "false", "none")):
                toks[i] = rng.choice(LITERALS)
            elif op == 6 and NAME.match(t):
                toks[i] = rng.choice([x for x in toks if NAME.match(x)] + BUILTINS)
            elif op == 7 and t in OPERATORS:
                toks[i] = rng.choice(OPERATORS)
            elif op == 8 and t in ("int", "float", "string", "bool", "any"):
                toks[i] = rng.choice(TYPES)
            elif NAME.match(t) or t[0].isdigit():
                toks[i] = rng.choice([t + rng.choice(SUFFIXES), rng.choice(BUILTINS) + f"({t})"])
        return "".join(toks)
    if kind <= 8:
        lines = source.split("\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        op = rng.randrange(4)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[j])
        elif op == 2:
            lines[i], lines[j] = lines[j], lines[i]
        else:  # splice a few lines of another program
            other = rng.choice(SOURCES).split("\n")
            a = rng.randrange(len(other))
            lines[i:i] = other[a:a + rng.randint(1, 6)]
        return "\n".join(lines)
    at = rng.randrange(len(source) + 1)
    if kind == 9:
        junk = "".join(rng.choice(PUNCT) for _ in range(rng.randint(1, 4)))
        return source[:at] + junk + source[at:]
    if kind == 10:
        return source[:at]
    if kind == 11:
        return source[:at] + _deep(rng) + source[at:]
    if kind == 12:
        return source[:at] + _long(rng) + source[at:]
    if kind == 13:
        return source[:at] + "\0" * rng.randint(1, 3) + source[at:]
    if kind == 14:
        return _invalid_utf8(source, rng)
    return mutate(mutate(source, rng), rng)


def mutants(seed: int, count: int) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        yield mutate(rng.choice(SOURCES), rng)


# ---------------------------------------------------------------- hypothesis

FUZZ_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))

TOKENS = st.sampled_from(WORDS + LITERALS + OPERATORS + PUNCT + TYPES + BUILTINS + [" ", "\n", "x"])


@FUZZ_SETTINGS
@given(st.text())
def test_random_text(source: str) -> None:
    compile_checked(source)


@FUZZ_SETTINGS
@given(st.binary())
def test_random_bytes(data: bytes) -> None:
    compile_checked(data.decode("utf-8", errors="replace"))


@FUZZ_SETTINGS
@given(st.lists(TOKENS, max_size=60))
def test_token_soup(tokens: list[str]) -> None:
    compile_checked(" ".join(tokens))


# ---------------------------------------------------------------- mutation loop


@pytest.mark.parametrize("batch", range(MUTANT_BATCHES))
def test_corpus_mutants(batch: int) -> None:
    for source in mutants(seed=batch, count=MUTANTS_PER_BATCH):
        compile_checked(source)


def test_mutants_run_without_traceback(tmp_path: Path) -> None:
    """Run a few compiled mutants through the CLI, all at once."""
    chosen: list[Path] = []
    for i, source in enumerate(mutants(seed=1000, count=2000)):
        if len(chosen) == RUN_MUTANTS:
            break
        if len(source) < 20_000 and compile_checked(source) is not None:
            path = tmp_path / f"mutant{i}.mochi"
            path.write_text(source, encoding="utf-8")
            chosen.append(path)
    assert len(chosen) == RUN_MUTANTS
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MOCHI_NOW_SEED": "1"}
    procs = [
        (path, subprocess.Popen([sys.executable, "-m", "mochic", "run", path.name], cwd=tmp_path,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=env))
        for path in chosen
    ]
    deadline = time.monotonic() + RUN_TIMEOUT
    for path, proc in procs:
        try:
            _, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:  # a mutant may loop forever
            proc.kill()
            proc.communicate()
            continue
        assert "Traceback" not in err, f"{path.name}:\n{path.read_text()}\n{err}"
        assert "Warning:" not in err, f"{path.name}:\n{path.read_text()}\n{err}"
        assert "internal compiler error" not in err, err
        assert proc.returncode in (0, 1), f"{path.name}: status {proc.returncode}\n{err}"


# ---------------------------------------------------------------- edge cases


EDGE_CASES: dict[str, str] = {
    "empty": "",
    "only_newlines": "\n\n\n",
    "bom": "\ufeffprint(1)\n",
    "nul_bytes": "let x = 1\0\0\nprint(x)\n",
    "nul_in_string": 'print("a\0b")\n',
    "lone_surrogate_escape": 'print("\\u{D800}")\n',
    "replacement_chars": "let \ufffd = 1\nprint(\ufffd\ufffd)\n",
    "crlf": "let x = 1\r\nprint(x)\r\n",
    "lone_cr": "let x = 1\rprint(x)\r",
    "tabs_and_formfeeds": "\tlet x =\f1\vprint(x)",
    "parens_10000": "(" * 10_000,
    "brackets_10000": "[" * 10_000,
    "braces_10000": "{" * 10_000,
    "balanced_parens_10000": "print(" + "(" * 10_000 + "1" + ")" * 10_000 + ")\n",
    "closers_10000": ")]}" * 10_000,
    "if_blocks_10000": "if true {\n" * 10_000,
    "else_if_10000": "if a { } " + "else if a { } " * 10_000,
    "minus_10000": "print(" + "-" * 10_000 + "1)\n",
    "bangs_10000": "print(" + "!" * 10_000 + "true)\n",
    "fields_10000": "print(a" + ".b" * 10_000 + ")\n",
    "calls_10000": "print(f" + "()" * 10_000 + ")\n",
    "indexes_10000": "print(a" + "[0]" * 10_000 + ")\n",
    "lambdas_10000": "let f = " + "fun() => " * 10_000 + "1\n",
    "types_10000": "let x: " + "list<" * 10_000 + "int",
    "option_types_10000": "let x: int" + "?" * 10_000 + " = 1\n",
    "casts_10000": "print(1" + " as int" * 10_000 + ")\n",
    "quotes_10001": '"' * 10_001,
    "comment_openers_10000": "/*" * 10_000,
    "queries_5000": "let q = " + "from x in " * 5000,
    "matches_5000": "print(" + "match 1 { _ => " * 5000,
    "plus_chain_20000": "print(" + "1 + " * 20_000 + "1)\n",
    "long_identifier": "let " + "x" * 200_000 + " = 1\n",
    "long_string": 'print("' + "a" * 200_000 + '")\n',
    "long_comment": "// " + "c" * 200_000 + "\nprint(1)\n",
    "long_number": "print(" + "9" * 10_000 + ")\n",
    "long_float": "print(" + "9" * 400 + ".5e999999)\n",
    "many_errors": "let = \n" * 1000,
    "many_statements": "print(1)\n" * 3000,
}

# Inputs that crashed the compiler once (each with the bug it found).
REGRESSIONS: dict[str, str] = {
    # Nesting the parser accepts overflowed the recursion limit in the checker
    # and the lowering (an internal compiler error).
    "deep_if_expression": "print(" + "if true then " * 250 + "1" + " else 2" * 250 + ")\n",
    "deep_map_literal": "print(" + '{"a": ' * 250 + "1" + "}" * 250 + ")\n",
    "deep_plus_chain": "print(" + "1 + " * 254 + "1)\n",
    "deep_and_chain": "print(" + "true && " * 254 + "true)\n",
    "deep_not": "print(" + "!" * 250 + "true)\n",
    "deep_for": "for a in 0..1 {\n" * 250 + "print(1)\n" + "}\n" * 250,
    "deep_str_calls": "print(" + "str(" * 250 + "1" + ")" * 250 + ")\n",
    "deep_append_calls": "print(" + "append(" * 250 + "[]" + ", 1)" * 250 + ")\n",
    "deep_union": "print(" + "[1] union " * 250 + "[2])\n",
    "deep_fields": "type T { a: any }\nlet t = " + "T { a: " * 250 + "1" + " }" * 250
                   + "\nprint(t" + ".a" * 250 + ")\n",
    # A variant pattern against an int subject lowered a struct read of an int
    # (the IR verifier failed).
    "variant_pattern_on_int": "type Tree = Leaf | Node(left: Tree, value: int, right: Tree)\n"
                              "fun size(t: Tree): int {\n  return match 1 {\n    Leaf => 0\n"
                              "    Node(l, _, r) => size(l) + 1 + size(r)\n  }\n}\n",
    # A type declaration rejected for its name raised KeyError in the checker.
    "struct_named_string": "type string { name: string }\nprint(1)\n",
    "sum_named_int": "type int = A | B\nprint(1)\n",
    "struct_then_sum_same_name": "type T { a: int }\ntype T = A | B\nprint(1)\n",
    # A join variable over plain values was bound unboxed (the IR verifier failed).
    "outer_join_ints": "print(from x in [1] outer join y in [2] on x == y select 1)\n",
    "left_join_floats": "print(from x in [1.5] left join y in [2.5] on x == y select y)\n",
    # A use of a row variable typed before a right join made it an option.
    "right_join_reads_left_var": "print(from x in [1] right join y in [2] on x == x select x)\n",
}


@pytest.mark.parametrize("source", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_case(source: str) -> None:
    compile_checked(source)


@pytest.mark.parametrize("source", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_regression(source: str) -> None:
    compile_checked(source)


def test_valid_regressions_compile() -> None:
    """These regression inputs are valid programs (nesting just inside the
    parser's limit, joins): they must compile, not merely fail cleanly."""
    for name in ("deep_if_expression", "deep_map_literal", "deep_plus_chain", "deep_for",
                 "deep_str_calls", "deep_union", "deep_fields", "outer_join_ints",
                 "left_join_floats", "right_join_reads_left_var"):
        assert compile_checked(REGRESSIONS[name]) is not None, name


@pytest.mark.parametrize("data", [b"\xff\xfe\x00\x01", b"let x = \xc3\x28\nprint(x)\n",
                                  b"print(\"\xed\xa0\x80\")\n", b"\x00" * 100,
                                  b"let \xe2\x82 = 1\n"], ids=repr)
def test_invalid_utf8_file(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.mochi"
    path.write_bytes(data)
    compile_checked(read_source(str(path)))


def _run(source: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / FILE
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mochic", "run", FILE], cwd=tmp_path,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, env=env)


# Programs whose run once ended in an interpreter "internal error" (or leaked a
# Python repr); each must stop with a plain runtime error.
RUNTIME_REGRESSIONS: dict[str, str] = {
    "panic_with_struct": "type P { x: int }\npanic(P { x: 1 })\n",
    "none_concatenated": 'fun f(): string {\n  return match 1 { 2 => "a"\n _ => none }\n}\n'
                         'print("x" + f())\n',
    "pow_zero_negative": "print(pow(0, -1))\npanic(\"stop\")\n",
}


@pytest.mark.parametrize("source", RUNTIME_REGRESSIONS.values(), ids=RUNTIME_REGRESSIONS.keys())
def test_runtime_regression(source: str, tmp_path: Path) -> None:
    res = _run(source, tmp_path)
    assert res.returncode == 1
    assert f"{FILE}:" in res.stderr and ": runtime error: " in res.stderr, res.stderr
    for leak in ("internal error", "Traceback", "StructVal", "Warning:"):
        assert leak not in res.stderr, res.stderr


@pytest.mark.parametrize("name", ["deep_if_expression", "deep_plus_chain", "deep_union"])
def test_deep_nesting_runs(name: str, tmp_path: Path) -> None:
    res = _run(REGRESSIONS[name], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""


# Keep the helper importable for a long local run:
#   python -c "from tests.test_fuzz import soak; soak(minutes=10)"
def soak(minutes: float = 5.0, seed: int = 12345,
         report: Callable[[str], None] = print) -> None:
    """Mutate the corpus for ``minutes``; report every failing input."""
    end = time.monotonic() + minutes * 60
    rng = random.Random(seed)
    n = 0
    while time.monotonic() < end:
        source = mutate(rng.choice(SOURCES), rng)
        n += 1
        try:
            compile_checked(source)
        except (AssertionError, pytest.fail.Exception) as exc:
            report(f"FAIL {exc}")
    report(f"{n} mutants")
