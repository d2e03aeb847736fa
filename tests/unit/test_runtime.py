"""The C runtime library (mochic/runtime) against the reference interpreter.

tests/unit/runtime_test.c drives the runtime through mochi.h, as emitted code
does, and prints what it computes; the expected texts come from the
interpreter's own formatting and runtime functions (mochic/interp), so the two
implementations are compared byte for byte.  The driver is built with gcc,
under AddressSanitizer and UndefinedBehaviorSanitizer when the compiler has
them, so a leak, an overflow or undefined behaviour fails the test too.
"""

from __future__ import annotations

import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
from decimal import Decimal, getcontext
from fractions import Fraction
from pathlib import Path

import pytest

from mochic.frontend import types
from mochic.interp import runtime as rt
from mochic.interp.format import (
    format_float_container,
    format_float_json,
    format_float_str,
    format_print_line,
    format_str,
    to_json,
)
from mochic.interp.values import Closure, StructInfo, StructVal
from mochic.runtime import gen_unicode

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "mochic" / "runtime"
SOURCES = sorted(RUNTIME.glob("*.c"))
DRIVER = Path(__file__).with_name("runtime_test.c")
WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")


def _compile(out: Path, flags: list[str]) -> None:
    cmd = ["gcc", *WARNINGS, *flags, f"-I{RUNTIME}", *map(str, SOURCES), str(DRIVER),
           "-lm", "-o", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def _sanitizers(tmp: Path) -> list[str]:
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
    probe = tmp / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    ok = subprocess.run(["gcc", *flags, str(probe), "-o", str(tmp / "probe")],
                        capture_output=True).returncode == 0
    return flags if ok else []


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test driver, with sanitizers when available."""
    tmp = tmp_path_factory.mktemp("runtime")
    out = tmp / "runtime_test"
    _compile(out, ["-O1", "-g", *_sanitizers(tmp)])
    return out


@pytest.fixture(scope="module")
def fast_driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test driver as programs are built: optimised, no sanitizers."""
    out = tmp_path_factory.mktemp("runtime-fast") / "runtime_test"
    _compile(out, ["-O2"])
    return out


def run(exe: Path, *args: str, stdin: str = "", env: dict | None = None):
    full_env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1", **(env or {})}
    return subprocess.run([str(exe), *args], input=stdin, capture_output=True, text=True,
                          env=full_env, timeout=300)


# ---------------------------------------------------------------------------
# The sources themselves


def test_unicode_tables_are_current() -> None:
    assert (RUNTIME / "mochi_unicode.c").read_text() == gen_unicode.generate()


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_compiles_warning_free_with_gcc(tmp_path: Path, opt: str) -> None:
    for src in SOURCES:
        res = subprocess.run(["gcc", *WARNINGS, opt, "-c", str(src), "-o",
                              str(tmp_path / "x.o")], capture_output=True, text=True)
        assert res.returncode == 0 and res.stderr == "", res.stderr


def test_every_function_of_the_header_is_defined(tmp_path: Path) -> None:
    header = subprocess.run(["gcc", "-E", "-P", "-std=c99", str(RUNTIME / "mochi.h")],
                            check=True, capture_output=True, text=True).stdout
    inline = set(re.findall(r"static inline [^(]*?\b(mochi_\w+)\s*\(", header))
    declared = set(re.findall(r"\b(mochi_\w+)\s*\(", header)) - inline
    defined: set[str] = set()
    for src in SOURCES:
        obj = tmp_path / (src.stem + ".o")
        subprocess.run(["gcc", "-std=c99", "-c", str(src), "-o", str(obj)], check=True)
        nm = subprocess.run(["nm", "-g", "--defined-only", str(obj)], check=True,
                            capture_output=True, text=True).stdout
        defined |= {line.split()[-1] for line in nm.splitlines() if line.strip()}
    assert len(declared) > 150
    assert declared <= defined, sorted(declared - defined)


def _have_zig() -> bool:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _have_zig(), reason="the ziglang package is not installed")
@pytest.mark.parametrize("target", ["x86_64-linux-musl", "aarch64-linux-musl", "wasm32-wasi",
                                    "x86_64-windows-gnu", "aarch64-macos"])
def test_compiles_warning_free_with_zig_cc(tmp_path: Path, target: str) -> None:
    for src in SOURCES:
        res = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", target,
                              *WARNINGS, "-O2", "-c", str(src), "-o", str(tmp_path / "x.o")],
                             capture_output=True, text=True)
        assert res.returncode == 0 and res.stderr == "", f"{src.name}: {res.stderr}"


# ---------------------------------------------------------------------------
# Floats: every style against format.py


def _float_cases() -> list[float]:
    rnd = random.Random(20261121)
    cases = [1.0, 30.0, 11.828, 123456.0, 1000000.0, 1234567.0, 31557600.0, 0.0001,
             0.000001, 1e21, 2.0, 0.575, 0.0, -0.0, math.nan, math.inf, -math.inf,
             0.1 + 0.2, 1 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
             999999.9999999999, 123456789012345678.0, 1e16, 1e15, 1e-7, 9007199254740993.0]
    for edge in (1e-4, 1e6, 1e21, 1e-6, 1e16, 2.0 ** 53, 2.0 ** 63, 1e-5):
        cases += [edge, math.nextafter(edge, 0), math.nextafter(edge, math.inf)]
    cases += [2.0 ** e for e in range(-1074, 1024)]  # where shortest is hardest
    for _ in range(2500):
        bits = rnd.getrandbits(64)
        f = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if math.isfinite(f):
            cases.append(f)
    for _ in range(1500):
        cases.append(round(rnd.uniform(-1e7, 1e7), rnd.randint(0, 8)))
        cases.append(rnd.randint(1, 999) * 10.0 ** rnd.randint(-30, 30))
    cases += [-f for f in cases[:200]]
    return cases


def _json_float(f: float) -> str:
    try:
        return format_float_json(f)
    except ValueError:
        return ""


def test_float_formatting_matches_the_interpreter(driver: Path) -> None:
    cases = _float_cases()
    stdin = "".join(f"{struct.unpack('<Q', struct.pack('<d', f))[0]:016x}\n" for f in cases)
    res = run(driver, "floats", stdin=stdin)
    assert res.returncode == 0, res.stderr
    got = res.stdout.splitlines()
    assert len(got) == len(cases)
    bad = []
    for f, line in zip(cases, got, strict=True):
        want = f"{format_float_str(f)}\t{format_float_container(f)}\t{_json_float(f)}"
        if line != want:
            bad.append(f"{f!r}: got {line!r}, want {want!r}")
    assert not bad, "\n".join(bad[:20])


# ---------------------------------------------------------------------------
# exp: correctly rounded, on every target


def _exp_cases() -> list[float]:
    rnd = random.Random(20261122)
    cases = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 10.0, math.nan, math.inf, -math.inf, 5e-324,
             2.0 ** -54, -(2.0 ** -54), 2.0 ** -53, -(2.0 ** -53), 1e-300,
             709.782712893384, math.nextafter(709.782712893384, math.inf), 709.0, -708.4,
             -745.1332191019411, -745.1332191019412, -745.0, -746.0, -1000.0, 1000.0]
    cases += [rnd.uniform(-30.0, 30.0) for _ in range(8000)]
    cases += [rnd.uniform(-746.0, 709.78) for _ in range(4000)]
    cases += [rnd.uniform(-746.0, -708.0) for _ in range(2000)]  # subnormal results
    # tiny arguments: exp(x) = 1 + x + x^2/2 lies just off a tie
    cases += [rnd.choice((-1, 1)) * rnd.uniform(1.0, 2.0) * 2.0 ** rnd.randint(-60, -20)
              for _ in range(3000)]
    cases += [rnd.choice((-1, 1)) * rnd.randint(1, 4096) * 2.0 ** rnd.randint(-66, -50)
              for _ in range(1000)]
    # near multiples of ln 2 / 64, where the reduction is tightest
    cases += [k * math.log(2) / 64 + rnd.uniform(-1e-9, 1e-9) for k in range(-4000, 4000, 7)]
    return cases


def _exact_exp(x: float) -> float:
    """exp(x) correctly rounded: decimal's exp is correctly rounded to 60 digits."""
    if math.isnan(x) or x == math.inf:
        return x
    if x > 710.0:
        return math.inf
    getcontext().prec = 60
    return float(Decimal(x).exp())


def _bits(f: float) -> str:
    return f"{struct.unpack('<Q', struct.pack('<d', f))[0]:016x}"


def test_exp_is_correctly_rounded(driver: Path) -> None:
    cases = _exp_cases()
    res = run(driver, "exp", stdin="".join(_bits(x) + "\n" for x in cases))
    assert res.returncode == 0, res.stderr
    got = res.stdout.split()
    assert len(got) == len(cases)
    bad = [f"exp({x!r}) = {g}, want {_bits(_exact_exp(x))}"
           for x, g in zip(cases, got, strict=True) if g != _bits(_exact_exp(x))]
    assert not bad, "\n".join(bad[:20])


# ---------------------------------------------------------------------------
# Text: every code point through case mapping, trim and quoting


def _text_cases() -> list[str]:
    """Every code point but surrogates and line ends, in runs of 48, plus
    white space and final-sigma cases."""
    cps = [c for c in range(1, 0x110000)
           if not 0xD800 <= c <= 0xDFFF and chr(c) not in "\n\r"]
    lines = ["".join(map(chr, cps[i:i + 48])) for i in range(0, len(cps), 48)]
    return lines + ["\u3000\t x y \x0b\x1c\xa0", "ΟΔΟΣ ΣΑ Σ aΣ. ΑΣΑ", "", "ß ŉ ǰ ﬁ İ"]


def test_text_matches_python_string_methods(driver: Path) -> None:
    cases = _text_cases()
    ends = ["\n", "\r\n"]  # both end a line, as in Python's text-mode stdin
    stdin = f"{len(cases)}\r\n" + "".join(s + ends[i % 2] for i, s in enumerate(cases))
    res = run(driver, "text", stdin=stdin)
    assert res.returncode == 0, res.stderr
    want = "".join(format_print_line([s.upper(), s.lower(), s.strip(), [s]]) + "\n" +
                   to_json(s) + "\n" for s in cases)
    got_lines, want_lines = res.stdout.split("\n"), want.split("\n")
    bad = [f"{i}: got {g!r}\n   want {w!r}" for i, (g, w) in
           enumerate(zip(got_lines, want_lines, strict=False)) if g != w]
    assert not bad, "\n".join(bad[:5])
    assert len(got_lines) == len(want_lines)


# ---------------------------------------------------------------------------
# bigint and bigrat: mochi_big.c against Python's ints and fractions

_LIMB_PATTERNS = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)


def _structured(rnd: random.Random, limbs: int) -> int:
    """A number of ``limbs`` base-2^32 digits, each a corner value or random, the
    top one never zero: the digits Knuth's division must correct for."""
    v = 0
    for i in range(limbs):
        d = rnd.choice(_LIMB_PATTERNS) if rnd.random() < 0.6 else rnd.getrandbits(32)
        if i == limbs - 1 and d == 0:
            d = 0x80000000
        v |= d << (32 * i)
    return v


def _big_values(rnd: random.Random) -> list[int]:
    vals = [0, 1, 2, 10, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64,
            10**9, 10**18, 10**19, 10**100, 3**200]
    for limbs in [*range(1, 12), 38, 39, 40, 41, 42, 79, 80, 81, 120, 200, 333]:
        bits = 32 * limbs
        vals += [rnd.getrandbits(bits) | 1 << (bits - 1), (1 << bits) - 1, 1 << (bits - 1),
                 (rnd.getrandbits(bits) | 1 << (bits - 1)) >> (bits // 2) << (bits // 2),
                 _structured(rnd, limbs)]
    return vals


def _trunc_divmod(a: int, b: int) -> tuple[int, int]:
    q = abs(a) // abs(b)
    q = q if (a < 0) == (b < 0) else -q
    return q, a - b * q


def _float_of(x: int | Fraction) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _bignum_cases() -> list[tuple[str, str, str, str]]:
    """(operation, operand a, operand b, expected line)."""
    rnd = random.Random(20261201)
    vals = _big_values(rnd)
    signed = vals + [-v for v in vals if v]
    cases: list[tuple[str, str, str, str]] = []

    def big(op: str, a: int, b: int) -> None:
        if op == "add":
            want = str(a + b)
        elif op == "sub":
            want = str(a - b)
        elif op == "mul":
            want = str(a * b)
        elif op in ("div", "rem"):
            q, r = _trunc_divmod(a, b)
            want = str(q if op == "div" else r)
        else:
            want = str((a > b) - (a < b))
        cases.append((op, str(a), str(b), want))

    for _ in range(1500):
        a, b = rnd.choice(signed), rnd.choice(signed)
        big(rnd.choice(("add", "sub", "cmp")), a, b)
        big("mul", a, b)
        if b:
            big(rnd.choice(("div", "rem")), a, b)
    # products on both sides of the Karatsuba threshold, balanced and not
    for na, nb in [(39, 39), (40, 40), (41, 40), (79, 80), (81, 81), (120, 41), (200, 41),
                   (333, 120), (333, 333), (100, 1), (97, 13), (160, 79), (41, 1000)]:
        for _ in range(3):
            a, b = _structured(rnd, na), rnd.getrandbits(32 * nb) | 1 << (32 * nb - 1)
            big("mul", a * rnd.choice((1, -1)), b * rnd.choice((1, -1)))
    # divisions: quotient limbs estimated too high, remainders of b - 1, 0 and 1
    for _ in range(2500):
        nb = rnd.choice((1, 2, 2, 3, 4, 7, 41))
        b = _structured(rnd, nb)
        q = _structured(rnd, rnd.randint(1, 12))
        r = rnd.choice((0, 1, b - 1, rnd.randrange(b)))
        a = q * b + r
        sa, sb = rnd.choice((1, -1)), rnd.choice((1, -1))
        big(rnd.choice(("div", "rem")), sa * a, sb * b)
    for v in signed[:120]:
        cases.append(("neg", str(v), "", str(-v)))
        cases.append(("f64", str(v), "", _bits(_float_of(v))))
        e = rnd.randint(-2, 40)
        cases.append(("pow", str(v % 10**30 - 10**29), str(e),
                      str((v % 10**30 - 10**29) ** e if e > 0 else 1)))
    for v in [2**53 + 1, 2**54 + 3, 2**1024 - 2**970, 2**1024 - 2**971, 2**1024,
              (2**53 + 1) << 100, ((2**53 + 1) << 100) + 1]:
        cases.append(("f64", str(v), "", _bits(_float_of(v))))
    for f in [0.0, -0.0, 1.5, -2.75, 1e300, -1e19, 2.0**63, 9.2e18, 5e-324, 123456.789]:
        cases.append(("fbig", _bits(f), "", str(int(f))))
        q = Fraction(f)
        cases.append(("frat", _bits(f), "", f"{q.numerator}/{q.denominator}"))

    def rat_text(q: Fraction) -> str:
        return f"{q.numerator}/{q.denominator}"

    rats = [Fraction(rnd.choice(signed[:300]), rnd.choice(vals[1:300])) for _ in range(400)]
    rats += [Fraction(0), Fraction(1, 3), Fraction(-7, 2), Fraction(10**40 + 1, 10**20)]
    for _ in range(800):
        x, y = rnd.choice(rats), rnd.choice(rats)
        op = rnd.choice(("radd", "rsub", "rmul", "rdiv", "rcmp"))
        if op == "rdiv" and y == 0:
            continue
        if op == "rcmp":
            want = str((x > y) - (x < y))
        else:
            want = rat_text(x + y if op == "radd" else x - y if op == "rsub" else
                            x * y if op == "rmul" else x / y)
        cases.append((op, rat_text(x), rat_text(y), want))
    tiny = [Fraction(1, 2**1075), Fraction(3, 2**1076), Fraction(1, 3 * 2**1070),
            Fraction(2**1024 - 1), Fraction(10**400, 3), Fraction(-1, 10**330),
            Fraction(2**53 + 1, 2**1100), Fraction(1, 2**1074), Fraction(-5, 2**1077)]
    for x in rats[:200] + tiny:
        cases.append(("rf64", rat_text(x), "", _bits(_float_of(x))))
        cases.append(("rnum", rat_text(x), "", str(x.numerator)))
        cases.append(("rden", rat_text(x), "", str(x.denominator)))
        cases.append(("rbig", rat_text(x), "", str(int(x))))
    for text in ["1.25", "-0.5e3", "3/4", "+7", "12e-5", ".5", "5.", " 6/4 ", "-10/4",
                 "0.000", "1E2", "123456789012345678901234567890.5"]:
        cases.append(("rstr", text, "", rat_text(-rt.rat_from_str(text))))
    return cases


@pytest.fixture
def long_int_text() -> object:
    """Python's int <-> str conversions of any length, as the interpreter allows them."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    yield
    sys.set_int_max_str_digits(limit)


def test_bignums_match_python(driver: Path, long_int_text: object) -> None:
    cases = _bignum_cases()
    stdin = f"{len(cases)}\n" + "".join(f"{op}\n{a}\n{b}\n" for op, a, b, _ in cases)
    res = run(driver, "bignums", stdin=stdin)
    assert res.returncode == 0, res.stderr
    got = res.stdout.split("\n")[:-1]
    assert len(got) == len(cases)
    bad = [f"{op}({a[:40]}, {b[:40]}): got {g[:60]}, want {w[:60]}"
           for (op, a, b, w), g in zip(cases, got, strict=True) if g != w]
    assert not bad, f"{len(bad)} of {len(cases)} wrong:\n" + "\n".join(bad[:20])


def test_big_decimal_text_of_many_digits(fast_driver: Path, long_int_text: object) -> None:
    """A number of 40,000 digits squared: parsed, multiplied and printed exactly."""
    n = 7 ** 47000
    res = run(fast_driver, "bignums", stdin=f"1\nmul\n{n}\n{n}\n")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(n * n)


# ---------------------------------------------------------------------------
# Checks: runtime_test.c's `checks`, mirrored here with the interpreter


PET = StructInfo("Pet", ("name", "age", "weight"))
ODD = StructInfo("Odd", ("zeta", "Label", "_x", "next"))


def pet(name: str, age: int, weight: float) -> StructVal:
    return StructVal(PET, [name, age, weight])


class Expected:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def p(self, tag: str, v) -> None:
        self.lines.append(format_print_line([tag, v]))

    def s(self, tag: str, v) -> None:
        self.p(tag, format_str(v))

    def raw(self, text: str) -> None:
        self.lines.append(text)

    def json(self, v) -> None:
        self.lines.append(to_json(v))


def _printing(e: Expected) -> None:
    m = {"six": 6}
    xs = [1, "two", 3.0, True, [4, 5], m, None]
    e.p("list", xs)
    e.s("list.str", xs)
    e.p("list.json", "below")
    e.json(xs)
    e.p("keys", {n: i for i, n in enumerate(["b", "a", "B", "aa", "1", ""])})
    ints = {k: k * 2 for k in [100, 20, 3, -1]}
    e.p("intkeys", ints)
    e.s("intkeys.str", ints)
    e.p("floatkeys", {2.0: True, 10.5: False})
    mixed: dict = {1: "int", "1": "str", 2.5: "float"}
    mixed[True] = "true is 1"
    mixed[1.0] = "1.0 is 1"
    e.p("mixedkeys", mixed)
    p = pet("rex", 3, 12.0)
    e.p("pet", p)
    e.s("pet.str", p)
    e.p("pets", [p, p])
    e.json(p)
    o = StructVal(ODD, [True, "L", -5, None])
    e.p("odd", o)
    e.s("odd.str", o)
    quotes = ['q"uote', "new\nline", "tab\t", "\x01\x7f", "é", "\xa0nbsp", "😀", "zw\u200b",
              "<&>\\"]
    e.p("quotes", quotes)
    e.s("quotes.str", quotes)
    e.json(quotes)
    floats = [2.0, 0.575, 1e21, 1e-7, -0.0, 123456789.0, 1e6]
    e.p("floats", floats)
    e.s("floats.str", floats)
    e.json(floats)
    floats.append(math.nan)
    e.p("nan", floats)
    e.p("nan.json", "below")
    e.json(floats)
    f = Closure(None, None)
    e.p("fun", f)
    e.p("funs", [f, None])
    e.s("funs.str", [f])
    cyc: list = [1]
    cyc.append(cyc)
    e.p("cycle", cyc)
    e.s("cycle.str", cyc)
    e.json(cyc)
    e.p("empty", [[], {}])
    e.json([[], {}])
    e.raw(format_print_line([1, "a", 1e6, None]))
    e.s("none.str", None)


def _strings(e: Expected) -> None:
    s, cafe, jp = "héllo wörld", "naïve café", "日本語"
    e.p("len", len(s))
    e.p("idx1", rt.str_index(s, 1))
    e.p("idx-1", rt.str_index(s, -1))
    e.p("idx7", rt.str_index(s, 7))
    e.p("slice", rt.seq_slice(cafe, 0, 5))
    e.p("slice-4", rt.seq_slice(cafe, -4, len(cafe)))
    e.p("clamp", rt.seq_slice(cafe, -100, 100))
    e.p("empty", rt.seq_slice(cafe, 5, 2))
    e.p("substr", rt.seq_slice(jp, 1, 3))
    e.p("contains", "語" in jp)
    e.p("indexof", jp.find("語"))
    e.p("indexof-no", jp.find("x"))
    e.p("upper", "abc àéî straße οδος ﬁ".upper())
    e.p("lower", "ABC ÀÉÎ ΟΔΟΣ ΣΑ İ".lower())
    e.p("trim", "\u3000 \t x y \n\xa0".strip())
    e.p("split", rt.split("a,b,,c,", ","))
    e.p("split-chars", rt.split(jp, ""))
    e.p("split-multi", rt.split("a<>b<><>c", "<>"))
    e.p("join", rt.str_join([1, "a", 2.5, None], "-"))
    e.p("repeat", "ab" * 3)
    e.p("repeat0", "")
    e.p("pad", rt.pad_start("é", 3, "·"))
    e.p("pad0", rt.pad_start("5", 3, "0"))
    e.p("padcut", rt.pad_start("x", 6, "ab"))
    e.p("padnone", rt.pad_start("abc", 2, "x"))
    e.p("reverse", jp[::-1])
    e.p("ord", rt.str_ord("€"))
    e.p("chr", rt.str_chr(128512))
    e.p("toint", rt.to_int(" 42 "))
    e.p("toint_", rt.to_int("-1_000"))
    e.p("toint-max", rt.to_int("9223372036854775807"))
    e.p("toint-min", rt.to_int("-9223372036854775808"))
    e.p("hex", rt.parse_int("ff", 16))
    e.p("hex0x", rt.parse_int("0x1F", 16))
    e.p("base0", rt.parse_int("0b101", 0))
    e.p("bad", rt.parse_int("z", 10))
    e.p("tofloat", rt.to_float(" 1_000.5 "))
    e.p("tofloat-e", rt.to_float("2.5e-3"))
    e.p("tofloat-inf", rt.to_float("-Infinity"))
    e.p("starts", s.startswith("hé"))
    e.p("ends", s.endswith("rld"))
    e.p("cmp", "é" > "e")
    e.p("cmp-prefix", "ab" < "abc")
    e.p("concat", s + "!")
    built = "hé"
    for i in range(40):
        built += "€" if i % 3 else "a"
    e.p("append-len", len(built))
    e.p("append", built)
    e.p("append-in-place", True)
    e.p("append-copied", True)
    e.p("append-shared", built + "z")
    e.p("append-self-len", len(built + "z!") * 2)
    e.p("append-self", (built + "z!") * 2)
    e.p("append-empty", "é")
    e.p("fromf", format_float_str(1234567.0))
    e.p("fromi", str(rt.MIN_I64))
    e.p("fromb", "false")


def _lists(e: Expected) -> None:
    xs = [0, 1, 2, 3]
    e.p("reuse-same", True)
    e.p("reuse-rc", 1)
    e.p("shared-copied", True)
    e.p("shared-orig", xs)
    e.p("shared-new", [*xs, 4])
    e.p("noreuse-copied", True)
    e.p("get-neg", rt.list_get(xs, -1))
    e.p("slice", rt.seq_slice(xs, -3, 100))
    e.p("slice-empty", rt.seq_slice(xs, 3, 1))
    e.p("reverse", xs[::-1])
    e.p("concat-mixed", xs + [2.5])
    e.p("conv-same", True)
    xs[0] = "zero"
    e.p("widened", xs)
    e.p("widened-get", 1)
    e.p("inline-widened", 2)
    li = [5, 6]
    li[1] = 7
    li[-2] = li[-1] + 1
    e.p("inline-ints", li)
    e.p("inline-strs", ["b!", "b"])
    li[0] = 0.5
    e.p("inline-widen", li)
    e.p("union", rt.distinct([1, True, 1.0] + [2, 2.0, "a"]))
    e.p("except", rt.distinct([x for x in [1, 2, 3, 2] if not rt.contains([3], x)]))
    e.p("intersect", rt.distinct([x for x in [3, 1, 3] if rt.contains([1, 3], x)]))
    e.p("distinct", rt.distinct([1, True, 1.0, 2, [1]]))
    e.p("contains", rt.contains([1, "a"], 1.0))
    e.p("contains-bool", rt.contains([1], True))
    e.p("indexof", rt.index_of(["a", "b", "c"], "c"))
    e.p("sort", rt.sort_by_keys(["b1", "none", "a", "b2"], ["b", None, "a", "b"]))
    e.p("sort-nums", rt.sort_by_keys([1, 2, 3], [2.5, -1, True]))
    e.p("min", rt.list_min_max(-1)([3, 1.5, 2]))
    e.p("max", rt.list_min_max(1)(["a", "c", "b"]))
    e.p("min-empty", rt.list_min_max(-1)([]))
    e.p("sum", rt.checked(sum([rt.MAX_I64, 1, -2])))  # in range once the -2 comes in
    e.p("sum-min", rt.checked(sum([rt.MIN_I64, -1, 2])))
    e.p("sumf", float(sum([2.5])))
    e.p("sumany", rt.list_sum_any([1, 0.5, 2]))
    e.p("avg", rt.list_avg([1, 2, 4]))
    e.p("range", rt.list_range(10, 0, -3))
    e.p("range-empty", rt.list_range(0, 10, -1))
    e.p("any-iter", rt.any_iter("abé"))
    groups = rt.group_by(["a", "b", "a", True, 1], ["a1", "b1", "a2", "t", "one"])
    e.p("groups", len(groups))
    for g in groups:
        e.p("group-key", g.key)
        e.p("group-items", g.items)


def _maps(e: Expected) -> None:
    m = {"b": 1, "a": 2}
    e.p("get", m.get("a", 0))
    e.p("get-absent", m.get("zz", 0))
    e.p("get-absent-ref", m.get("zz"))
    e.p("has", "b" in m)
    m["a"] = m.get("a", 0) + 1
    m.pop("b", None)
    m.pop("nope", None)
    e.p("has-deleted", "b" in m)
    m["c"] = 7
    e.p("after-del", m)
    e.p("len", len(m))
    e.p("keys", rt.sorted_keys(m))
    e.p("values", [m[k] for k in rt.sorted_keys(m)])
    m["s"] = "str"
    e.p("widened", m)
    e.p("widened-get", m["c"])
    big = {}
    for i in range(10000):
        big[(i * 7919) % 10000] = i
    for i in range(0, 10000, 2):
        big.pop(i, None)
    keys = rt.sorted_keys(big)
    e.p("big-len", len(big))
    e.p("big-first", keys[:5])
    e.p("big-last", keys[-3:])
    e.p("big-has", 9999 in big and 9998 not in big)
    e.p("key-1.0", 9999.0 in big)
    e.p("eq", rt.equal(m, m))
    bm = {True: "yes", False: "no"}
    bm[1] = "one is true"
    e.p("boolkeys", bm)
    e.p("boolkeys-has", False in bm and 0.0 in bm)
    e.p("field", rt.any_field("c")(m))
    e.p("index", rt.any_index(m, "zz"))


def _dynamic(e: Expected) -> None:
    add = rt.any_binop("+")
    p = pet("rex", 3, 12.0)
    e.p("add", add(2, 3))
    e.p("addf", add(2, 0.5))
    e.p("div", rt.any_binop("/")(-7, 2))
    e.p("rem", rt.any_binop("%")(-7, 2))
    e.p("remf", rt.any_binop("%")(-7.5, 2))
    e.p("divf0", rt.any_binop("/")(-1.0, 0))
    e.p("strcat", add("a", 1.5))
    e.p("listcat", add([1], ["x"]))
    e.p("abs", rt.any_binop("abs")(rt.MIN_I64 + 1, 0))
    e.p("neg", rt.any_neg(0.0))
    e.p("eq-1-1.0", rt.equal(1, 1.0))
    e.p("eq-true-1", rt.equal(True, 1))
    e.p("eq-nested", rt.equal([True], [1]))
    e.p("eq-big", rt.equal(9007199254740993, 9007199254740992.0))
    e.p("lt-none", rt.any_cmp("lt")(None, -5))
    e.p("lt-list", rt.any_cmp("lt")([1, 2], [1, 3]))
    e.p("lt-mixed", rt.any_cmp("lt")(2.5, 3))
    e.p("eq-struct", rt.equal(p, pet("rex", 3, 12.0)))
    e.p("ne-struct", not rt.equal(p, pet("rex", 4, 12.0)))
    e.p("toint", rt.any_to_int(-3.9))
    e.p("toint-str", rt.any_to_int("12"))
    e.p("tofloat", rt.any_to_float(True))
    e.p("field", rt.any_field("weight")(p))
    rt.any_set_index(p, "age", 4)
    e.p("set-field", p)
    e.p("len", rt.any_len("été"))
    e.p("in", rt.any_contains("team", "ea"))
    e.p("truthy", rt.truthy(True))
    e.p("div", rt.div_i64(-7, 2))
    e.p("rem", rt.rem_i64(-7, 2))
    e.p("div-min", rt.div_i64(rt.MIN_I64, 1))
    e.p("rem-min", rt.rem_i64(rt.MIN_I64, -1))
    e.p("f2i-min", rt.f2i(-9223372036854775808.0))
    e.p("f2i", rt.f2i(-3.9))
    e.p("pow", rt.pow_i64(-3, 39))
    e.p("pow-neg", rt.pow_i64(7, -2))
    e.p("add-edge", rt.checked(rt.MAX_I64 + rt.MIN_I64))
    e.p("mul-edge", rt.checked(-4611686018427387904 * 2))
    e.p("unbox-none", rt.unbox(rt.INT)(None))
    e.p("unbox-int-as-float", rt.unbox(rt.FLOAT)(2))
    e.p("unbox-none-str", rt.unbox(rt.STRING)(None))
    pet_info = types.StructInfo("Pet", {"name": rt.STRING, "age": rt.INT, "weight": rt.FLOAT})
    e.p("from-map", rt.unbox(types.StructT("Pet", pet_info), {"Pet": PET})({}))
    e.p("closure", 42)
    e.p("cell", 0)
    e.p("sqrt-neg", rt.MATH1["sqrt"](-1.0))
    e.p("floor-neg0", rt.MATH1["floor"](-0.0))
    e.p("ceil", rt.MATH1["ceil"](-0.5))
    e.p("floor-inf", rt.MATH1["floor"](-math.inf))
    e.p("log2-0", rt.MATH1["log2"](0.0))
    e.p("log-0", rt.MATH1["log"](0.0))
    e.p("sinh-ovf", rt.MATH1["sinh"](-1000.0))
    e.p("pow", rt.MATH2["pow"](2.0, 10.0))
    e.p("pow-0-neg", rt.MATH2["pow"](-0.0, -1.0))
    e.p("round", rt.go_round(-2.5))
    e.p("round-half", rt.go_round(0.49999999999999994))
    seeded = rt.Env.__new__(rt.Env)
    seeded.seed = 7
    e.p("now", seeded.now())
    e.p("now2", seeded.now())


def test_checks_match_the_interpreter(driver: Path) -> None:
    e = Expected()
    for part in (_printing, _strings, _lists, _maps, _dynamic):
        part(e)
    res = run(driver, "checks", env={"MOCHI_NOW_SEED": " 7 "})
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    want = "\n".join(e.lines) + "\n"
    got_lines, want_lines = res.stdout.split("\n"), want.split("\n")
    for i, (g, w) in enumerate(zip(got_lines, want_lines, strict=False)):
        assert g == w, f"line {i + 1}"
    assert res.stdout == want


def test_now_seed_is_parsed_like_the_interpreter(driver: Path) -> None:
    for seed in ["0", "-5", "99999999999999999999"]:
        res = run(driver, "checks", env={"MOCHI_NOW_SEED": seed})
        env = rt.Env.__new__(rt.Env)
        env.seed = int(seed)
        first = env.now()
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("now ")]
        assert lines == [f"now {first}"], seed


@pytest.mark.skipif(not _have_zig() or not sys.platform.startswith("linux") or
                    os.uname().machine != "x86_64", reason="needs zig and an x86-64 Linux host")
def test_a_musl_build_prints_the_same(driver: Path, tmp_path: Path) -> None:
    """Another C library (musl's printf and strtod, and zig's libm, through zig cc)
    gives the same floats, the same exp and the same checks."""
    exe = tmp_path / "runtime_test_musl"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86_64-linux-musl",
                    *WARNINGS, "-O2", f"-I{RUNTIME}", *map(str, SOURCES), str(DRIVER), "-o",
                    str(exe)], check=True, capture_output=True, text=True)
    cases = _float_cases()
    stdin = "".join(f"{struct.unpack('<Q', struct.pack('<d', f))[0]:016x}\n" for f in cases)
    exps = "".join(_bits(x) + "\n" for x in _exp_cases())
    for args, text in ((["floats"], stdin), (["exp"], exps), (["checks"], "")):
        want = run(driver, *args, stdin=text, env={"MOCHI_NOW_SEED": "1"})
        got = run(exe, *args, stdin=text, env={"MOCHI_NOW_SEED": "1"})
        assert got.stdout == want.stdout and got.returncode == 0


# ---------------------------------------------------------------------------
# Runtime errors


@pytest.mark.parametrize("name, line, message", [
    ("index", 3, "index 5 out of range for list of length 1"),
    ("negative", 4, "index -2 out of range for list of length 1"),
    ("string", 5, "index -4 out of range for string of length 3"),
    ("div", 6, "division by zero"),
    ("rem", 6, "division by zero"),
    ("cast", 8, "cannot cast string to int"),
    ("castref", 8, "cannot cast bool to string"),
    ("parse", 9, 'cannot parse "12x" as int'),
    ("expect", 10, "expect failed"),
    ("panic", 11, "n is too large: 3"),
    ("nil", 12, "nil dereference"),
    ("range", 13, "range step cannot be zero"),
    ("compare", 14, "cannot compare string with int"),
    ("binop", 15, "cannot apply '+' to bool and int"),
    ("field", 16, "Pet has no field 'owner'"),
    ("ord", 17, "ord expects a one-character string, got 2 characters"),
    *((name, 18, "integer overflow")
      for name in ("add", "sub", "mul", "neg", "divmin", "f2i", "pow", "toint", "sum")),
])
def test_runtime_errors(fast_driver: Path, name: str, line: int, message: str) -> None:
    res = run(fast_driver, "error", name)
    assert res.stdout == "before the error\n"  # flushed before the message
    assert res.stderr == f"t.mochi:{line}: runtime error: {message}\n"
    assert res.returncode == 1


# ---------------------------------------------------------------------------
# Memory


def test_churn_frees_everything_under_the_leak_checker(driver: Path) -> None:
    res = run(driver, "churn", "20000")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "churned\n"


def _peak_rss_kib(exe: Path, *args: str) -> int:
    proc = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB on Linux")
def test_a_million_dropped_values_do_not_grow_memory(fast_driver: Path) -> None:
    small = _peak_rss_kib(fast_driver, "churn", "1000")
    large = _peak_rss_kib(fast_driver, "churn", "1000000")
    assert large - small < 8 * 1024, (small, large)
