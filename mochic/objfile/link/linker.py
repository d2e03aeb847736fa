"""The static linker's core: objects in, a laid-out, relocated image out.

The steps, in order (`link` runs them):

1. **Load.** The objects given are linked whole; libraries (archives,
   `library.py`) are searched for what is still undefined, and a member is
   read only when it defines such a symbol (as ELF linkers do, whatever the
   order of the archives).  A
   symbol defined twice (neither definition weak) is an error naming both
   objects; a symbol that stays undefined is an error naming the object and
   the section that use it; undefined weak symbols are 0.
2. **Collect garbage.** From the entry point and the sections that must
   stay (constructor arrays), every section a kept section's relocations
   reach is kept; the rest is dropped.
3. **Scan.** Every relocation of a kept section is looked up in its ISA's
   table (an unknown kind is an error naming the object, section, symbol
   and kind), to find the GOT entries it needs and the words that, in a
   position-independent executable, the loader must rebase (a read-only
   input section holding such a word moves to `.data.rel.ro`).  An absolute
   address where a PIE cannot have one (in code) is an error.
4. **Lay out.** Input sections are merged by kind and name into output
   sections, and those into three segments: read-only (after the file's
   headers), read+execute, read+write (thread-local template first, then
   the constructor arrays, `.data.rel.ro`, the GOT, data, zero-filled
   data).  Each segment starts on a new page in memory but not in the file:
   its address is congruent to its file offset modulo the page size, as lld
   lays files out without `-z separate-code`.  No segment is both writable
   and executable.
5. **Relocate.** Each relocation is written into its output section's bytes
   by its field writer (`objfile/fields.py`), after the ISA's rewrite where
   the rule has one (a relaxed GOT load, a TLS descriptor call).

The result, an `Image`, is format-neutral; `objfile/elfexec.py` writes it
as an ELF executable.  The loaded tables a format needs (ELF's `.rela.dyn`
and `.dynamic`) are sized and placed through `Format`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from mochic.objfile.fields import WRITERS, FieldError
from mochic.objfile.link.library import Library
from mochic.objfile.link.rules import How, Isa, Rule
from mochic.objfile.model import (
    ABSOLUTE,
    Binding,
    ObjectFile,
    Relocation,
    Section,
    SectionKind,
    Symbol,
    SymbolKind,
)


class LinkError(Exception):
    """A link that cannot be made; the message names what and where."""


# the symbols the linker defines (ELF's names), each at a place in the image
LINKER_SYMBOLS = (
    "_DYNAMIC", "__ehdr_start", "__executable_start", "__init_array_start",
    "__init_array_end", "__fini_array_start", "__fini_array_end", "__preinit_array_start",
    "__preinit_array_end", "_etext", "etext", "_edata", "edata", "_end", "end",
    "__bss_start", "__global_pointer$",
)

# output sections in the order they are laid out, each with its segment
OUTPUTS = (
    (".rodata", "r"), (".text", "rx"),
    (".tdata", "rw"), (".tbss", "rw"), (".preinit_array", "rw"), (".init_array", "rw"),
    (".fini_array", "rw"), (".data.rel.ro", "rw"), (".got", "rw"), (".data", "rw"),
    (".bss", "rw"),
)
SEGMENTS = ("r", "rx", "rw")
ARRAYS = (".preinit_array", ".init_array", ".fini_array")
GOT_WORD = 8

# (what, the defining input's index or -1, the symbol): a GOT entry's key
GotKey = tuple[str, int, str]


def output_name(sec: Section, moved: bool, places: tuple[tuple[str, str], ...] = ()) -> str:
    """The output section an input section goes to (``moved``: read-only data that
    holds words the loader rebases; ``places``: a format's (name prefix, output) pairs,
    tried first)."""
    kind, name = sec.kind, sec.name
    for prefix, out in places:
        if name.startswith(prefix):
            return out
    if kind is SectionKind.TEXT:
        return ".text"
    if kind is SectionKind.RODATA:
        return ".data.rel.ro" if moved else ".rodata"
    if kind is SectionKind.BSS:
        return ".tbss" if sec.tls else ".bss"
    if sec.tls:
        return ".tdata"
    for array in ARRAYS:
        if name == array or name.startswith(array + "."):
            return array
    return ".data.rel.ro" if name.startswith(".data.rel.ro") else ".data"


@dataclass
class Input:
    """One object in the link, with what the linker learns about it."""

    index: int
    obj: ObjectFile
    relocations: dict[str, list[Relocation]] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)
    moved: set[str] = field(default_factory=set)
    placed: dict[str, tuple[OutputSection, int]] = field(default_factory=dict)

    followers: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.obj.relocations:
            self.relocations.setdefault(r.section, []).append(r)
        for s in self.obj.sections.values():
            if s.follows is not None:
                self.followers.setdefault(s.follows, []).append(s.name)

    @property
    def name(self) -> str:
        return self.obj.name or "the program"


@dataclass
class OutputSection:
    name: str
    kind: SectionKind
    segment: str  # r, rx, rw; "" when not loaded
    align: int = 1
    size: int = 0
    addr: int = 0
    offset: int = 0  # in the file
    data: bytearray = field(default_factory=bytearray)
    pieces: list[tuple[Input, Section, int]] = field(default_factory=list)
    tls: bool = False

    @property
    def nobits(self) -> bool:
        return self.kind is SectionKind.BSS


@dataclass
class Segment:
    permissions: str  # r, rx, rw
    sections: list[OutputSection]
    addr: int = 0
    offset: int = 0
    filesz: int = 0
    memsz: int = 0


@dataclass(frozen=True)
class Table:
    """A loaded table a format needs, placed after a segment's sections."""

    name: str
    segment: str
    size: int
    align: int


@dataclass
class Format:
    """What the file format decides: the bytes of headers at the start of the first
    segment (given whether the image has thread-local storage), and the tables it
    loads, sized from the number of rebased words."""

    headers: Callable[[bool], int]
    tables: Callable[[int], list[Table]]
    outputs: tuple[tuple[str, str], ...] = OUTPUTS  # output sections in order, each's segment
    places: tuple[tuple[str, str], ...] = ()  # input name prefix -> output, before the kinds
    grouped: bool = False  # COFF: pieces sorted by the name after `$` within an output
    symbols: tuple[str, ...] = LINKER_SYMBOLS  # names the linker defines
    fixed: dict[str, int] = field(default_factory=dict)  # more of them, at image offsets


@dataclass
class Image:
    """A linked program, ready for a format's writer."""

    machine: str
    pie: bool
    page: int
    entry: int
    segments: list[Segment]
    sections: dict[str, OutputSection]  # every output section, tables included
    debug: list[OutputSection]  # not loaded, after the loaded ones in the file
    rebases: list[tuple[int, int]]  # (address, value) of words the loader adds its base to
    tls: tuple[int, int, int, int] | None  # address, template size, size, alignment
    symbols: list[tuple[str, int, int, Binding, SymbolKind, str]]  # + output section


@dataclass(frozen=True)
class Defined:
    input: Input
    symbol: Symbol


class Linker:
    """One link; `link` below runs its steps."""

    def __init__(self, isa: Isa, pie: bool, entry: str,
                 symbols: tuple[str, ...] = LINKER_SYMBOLS) -> None:
        self.isa = isa
        self.own = symbols
        self.pie = pie
        self.entry = entry
        self.inputs: list[Input] = []
        self.defs: dict[str, Defined] = {}
        self.undefined: dict[str, Input] = {}  # -> the first input that uses it
        self.pulled: set[tuple[int, int]] = set()
        self.got: dict[GotKey, int] = {}
        self.nrebases = 0
        self.outputs: dict[str, OutputSection] = {}
        self.debug: dict[str, OutputSection] = {}
        self.linker_symbols: dict[str, int] = {}

    # ------------------------------------------------------------ 1. load

    def add(self, obj: ObjectFile) -> None:
        if obj.machine != self.isa.name:
            raise LinkError(f"{obj.name or 'the program'} is for {obj.machine}, not "
                            f"{self.isa.name}")
        inp = Input(len(self.inputs), obj)
        self.inputs.append(inp)
        for s in obj.symbols.values():
            if s.binding is Binding.LOCAL:
                continue
            if s.defined:
                self._define(inp, s)
            elif s.binding is not Binding.WEAK and s.name not in self.defs:
                self.undefined.setdefault(s.name, inp)

    def _define(self, inp: Input, s: Symbol) -> None:
        old = self.defs.get(s.name)
        if old is not None:
            if s.binding is Binding.WEAK:
                return
            if old.symbol.binding is not Binding.WEAK:
                raise LinkError(f"duplicate symbol {s.name}: defined in {old.input.name} "
                                f"(section {old.symbol.section}) and in {inp.name} "
                                f"(section {s.section})")
        self.defs[s.name] = Defined(inp, s)
        self.undefined.pop(s.name, None)

    def pull(self, libraries: list[Library]) -> None:
        """Add the library members that define what is undefined, until nothing more is;
        then every symbol left undefined (but the linker's own) is an error."""
        progress = True
        while progress:
            progress = False
            for name in list(self.undefined):
                if name not in self.undefined:
                    continue
                for k, lib in enumerate(libraries):
                    at = lib.index.get(name)
                    if at is None or (k, at) in self.pulled:
                        continue
                    self.pulled.add((k, at))
                    self.add(lib.load(at))
                    progress = True
                    break
        missing = [n for n in self.undefined if n not in self.own]
        if missing:
            lines = [f"undefined symbol {n}, used by {self.undefined[n].name} in "
                     f"{_user(self.undefined[n], n)}" for n in missing[:20]]
            if len(missing) > 20:
                lines.append(f"... and {len(missing) - 20} more")
            raise LinkError("\n".join(lines))

    # ------------------------------------------------------------ resolution

    def resolve(self, inp: Input, name: str) -> Defined | None:
        """Where ``name``, as ``inp`` uses it, is defined (None: an undefined weak
        symbol, or one the linker defines)."""
        s = inp.obj.symbols.get(name)
        if s is not None and s.binding is Binding.LOCAL:
            return Defined(inp, s)
        if s is None and name in inp.obj.sections:  # a section symbol
            return Defined(inp, Symbol(name, name, binding=Binding.LOCAL))
        return self.defs.get(name)

    def _key(self, what: str, inp: Input, name: str) -> GotKey:
        d = self.resolve(inp, name)
        return (what, -1, name) if d is None else (what, d.input.index, d.symbol.name)

    def _moves(self, d: Defined | None, name: str) -> bool:
        """Does the address of this symbol move with the image (not a number, not an
        undefined weak 0)?"""
        if d is None:
            return name in self.own
        return d.symbol.section != ABSOLUTE

    # ------------------------------------------------------------ 2. garbage

    def collect(self) -> None:
        start = self.defs.get(self.entry)
        if start is None:
            raise LinkError(f"no entry point: nothing defines {self.entry}")
        work: list[tuple[Input, str | None]] = [(start.input, start.symbol.section)]
        for inp in self.inputs:
            work += [(inp, s.name) for s in inp.obj.sections.values()
                     if s.kind.loaded and s.retain]
        while work:
            inp, sec = work.pop()
            if sec is None or sec == ABSOLUTE or sec in inp.live:
                continue
            inp.live.add(sec)
            work += [(inp, f) for f in inp.followers.get(sec, ())]
            for r in inp.relocations.get(sec, ()):
                d = self.resolve(inp, r.symbol)
                if d is not None and d.symbol.section not in d.input.live:
                    work.append((d.input, d.symbol.section))

    # ------------------------------------------------------------ 3. scan

    def rule(self, inp: Input, sec: str, r: Relocation) -> Rule:
        rule = self.isa.rules.get(r.kind)
        if rule is None:
            raise LinkError(f"{inp.name}: section {sec}, offset {r.offset:#x}: relocation "
                            f"{r.kind} against {r.symbol} is not one the linker applies "
                            f"for {self.isa.name}")
        return rule

    def scan(self) -> None:
        for inp in self.inputs:
            for sec in sorted(inp.live):
                section = inp.obj.sections[sec]
                for r in inp.relocations.get(sec, ()):
                    self._scan(inp, sec, section, r, self.rule(inp, sec, r))

    def _scan(self, inp: Input, sec: str, section: Section, r: Relocation, rule: Rule) -> None:
        how = rule.how
        if how in (How.GOT, How.GOT_ABS):
            d = self.resolve(inp, r.symbol)
            if rule.rewrite is None or d is None or d.symbol.section == ABSOLUTE:
                self._got(self._key("addr", inp, r.symbol), self._moves(d, r.symbol))
        elif how in (How.GOT_TPOFF, How.GOT_TPOFF_ABS):
            self._got(self._key("tpoff", inp, r.symbol), False)
        elif how is How.TLSGD:
            key = self._key("tlsgd", inp, r.symbol)
            self._got(key, False)
            self._got(("tlsgd+", key[1], key[2]), False)
        elif how is How.TLSLD:
            self._got(("tlsld", -1, ""), False)
            self._got(("tlsld+", -1, ""), False)
        elif self.pie and (how is How.WORD or not rule.pic) and \
                self._moves(self.resolve(inp, r.symbol), r.symbol):
            if how is not How.WORD or section.kind is SectionKind.TEXT:
                raise LinkError(
                    f"{inp.name}: section {sec}, offset {r.offset:#x}: relocation {r.kind} "
                    f"against {r.symbol} is an absolute address in "
                    f"{'code' if section.kind is SectionKind.TEXT else 'data'}, which a "
                    f"position-independent executable cannot have")
            self.nrebases += 1
            if section.kind is SectionKind.RODATA:
                inp.moved.add(sec)

    def _got(self, key: GotKey, rebased: bool) -> None:
        if key not in self.got:
            self.got[key] = len(self.got)
            if rebased and self.pie:
                self.nrebases += 1

    # ------------------------------------------------------------ 4. lay out

    def layout(self, fmt: Format) -> tuple[list[Segment], list[OutputSection]]:
        order = {name: k for k, (name, _) in enumerate(fmt.outputs)}
        for name, seg in fmt.outputs:
            kind = {".text": SectionKind.TEXT, ".rodata": SectionKind.RODATA,
                    ".bss": SectionKind.BSS, ".tbss": SectionKind.BSS}.get(name,
                                                                       SectionKind.DATA)
            self.outputs[name] = OutputSection(name, kind, seg, tls=name in (".tdata", ".tbss"))
        debug = self.debug
        placing: list[tuple[OutputSection, Input, Section]] = []
        for inp in self.inputs:
            for sec in inp.obj.sections.values():
                if sec.kind.loaded and sec.name in inp.live:
                    out = self.outputs[output_name(sec, sec.name in inp.moved, fmt.places)]
                elif sec.kind is SectionKind.DEBUG and sec.size:  # read with its bytes
                    out = debug.setdefault(sec.name, OutputSection(sec.name, sec.kind, ""))
                else:
                    continue
                placing.append((out, inp, sec))
        if fmt.grouped:  # stable: same-named pieces keep the input order
            placing.sort(key=lambda p: p[2].name.partition("$")[2].partition("#")[0])
        for out, inp, sec in placing:
            out.align = max(out.align, sec.align)
            at = out.size + -out.size % sec.align
            out.pieces.append((inp, sec, at))
            inp.placed[sec.name] = (out, at)
            out.size = at + sec.size
        got = self.outputs[".got"]
        if self.got:
            got.align = max(got.align, GOT_WORD)
            got.size = GOT_WORD * len(self.got)
        tables: dict[str, list[OutputSection]] = {seg: [] for seg in SEGMENTS}
        for t in fmt.tables(self.nrebases):
            out = self.outputs[t.name] = OutputSection(t.name, SectionKind.RODATA
                                                       if t.segment == "r" else SectionKind.DATA,
                                                       t.segment, t.align, t.size)
            tables[t.segment].append(out)
        segments = []
        has_tls = bool(self.outputs[".tdata"].size or self.outputs[".tbss"].size)
        offset = addr = fmt.headers(has_tls)
        page = self.isa.page
        for seg in SEGMENTS:
            members = [o for name, o in self.outputs.items()
                       if o.segment == seg and name in order and o.size] + tables[seg]
            members.sort(key=lambda o: order.get(o.name, len(order)) if o.name in order
                         else len(order))
            if seg != "r":
                addr = addr + -addr % page + offset % page
            segment = Segment(seg, members, addr, offset)
            for o in members:
                offset += -offset % o.align
                addr += -addr % o.align
                o.offset, o.addr = offset, addr
                if o.name == ".tbss":  # takes room in each thread's block, not here
                    continue
                addr += o.size
                if not o.nobits:
                    offset += o.size
            if seg == "r":
                segment.addr = segment.offset = 0
            segment.filesz = offset - segment.offset
            segment.memsz = addr - segment.addr
            segments.append(segment)
        debug_out = list(debug.values())
        for o in debug_out:
            offset += -offset % o.align
            o.offset = offset
            offset += o.size
        self._linker_symbols(segments)
        self.linker_symbols.update(fmt.fixed)
        return segments, debug_out

    def _linker_symbols(self, segments: list[Segment]) -> None:
        out = self.outputs
        text, data, bss = out[".text"], out[".data"], out[".bss"]
        end = max(s.addr + s.memsz for s in segments)
        values = {
            "__ehdr_start": 0, "__executable_start": 0,
            "_etext": text.addr + text.size, "etext": text.addr + text.size,
            "_edata": bss.addr if bss.size else data.addr + data.size,
            "edata": bss.addr if bss.size else data.addr + data.size,
            "__bss_start": bss.addr if bss.size else data.addr + data.size,
            "_end": end, "end": end,
            "__global_pointer$": data.addr + 0x800,
        }
        for array in ARRAYS:
            o = out[array]
            values[f"__{array[1:]}_start"] = o.addr
            values[f"__{array[1:]}_end"] = o.addr + o.size
        if ".dynamic" in out:
            values["_DYNAMIC"] = out[".dynamic"].addr
        self.linker_symbols = values

    # ------------------------------------------------------------ 5. relocate

    def address(self, d: Defined | None, name: str) -> int:
        if d is None:
            return self.linker_symbols.get(name, 0)
        s = d.symbol
        if s.section == ABSOLUTE:
            return s.offset
        assert s.section is not None
        placed = d.input.placed.get(s.section)
        if placed is None:
            return 0  # in a dropped section: only debug information refers to it
        out, at = placed
        return out.addr + at + s.offset

    def relocate(self) -> list[tuple[int, int]]:
        """Fill every output section's bytes and apply every relocation; the words the
        loader must rebase."""
        rebases: list[tuple[int, int]] = []
        for out in [*self.outputs.values(), *self.debug.values()]:
            if not out.nobits:
                out.data = bytearray(out.size)
                for _, sec, at in out.pieces:
                    out.data[at:at + sec.size] = sec.data
        tls = self.tls_block()
        for inp in self.inputs:
            for name, (out, at) in inp.placed.items():
                section = inp.obj.sections[name]
                for r in inp.relocations.get(name, ()):
                    self._apply(inp, section, out, at, r, tls, rebases)
        self._fill_got(tls, rebases)
        rebases.sort()
        return rebases

    def tls_block(self) -> tuple[int, int, int]:
        """(address, size, alignment) of the TLS block (.tdata + .tbss)."""
        tdata, tbss = self.outputs[".tdata"], self.outputs[".tbss"]
        start = tdata.addr if tdata.size else tbss.addr
        end = max(tdata.addr + tdata.size, tbss.addr + tbss.size)
        return start, end - start, max(tdata.align, tbss.align)

    def _tpoff(self, value: int, tls: tuple[int, int, int]) -> int:
        start, size, align = tls
        return self.isa.tls.tpoff(value - start, size, align)

    def _apply(self, inp: Input, section: Section, out: OutputSection, at: int, r: Relocation,
               tls: tuple[int, int, int], rebases: list[tuple[int, int]]) -> None:
        rule = self.rule(inp, section.name, r)
        how = rule.how
        loaded = bool(out.segment)
        if not loaded and how not in (How.ABS, How.WORD, How.NONE, How.PCREL, How.SIZE):
            raise LinkError(f"{inp.name}: debug section {section.name}: relocation {r.kind} "
                            f"against {r.symbol} is not one debug information can use")
        d = self.resolve(inp, r.symbol)
        off = at + r.offset
        place = out.addr + off
        if rule.rewrite is not None:
            moved = self._moves(d, r.symbol)
            how = rule.rewrite(out.data, off, moved and d is not None) or how
        if how is How.NONE:
            return
        s = self.address(d, r.symbol)
        if how in (How.GOT, How.GOT_ABS):
            s = self._got_address(self._key("addr", inp, r.symbol))
        elif how in (How.GOT_TPOFF, How.GOT_TPOFF_ABS):
            s = self._got_address(self._key("tpoff", inp, r.symbol))
        elif how is How.TLSGD:
            s = self._got_address(self._key("tlsgd", inp, r.symbol))
        elif how is How.TLSLD:
            s = self._got_address(("tlsld", -1, ""))
        elif how is How.TPOFF:
            s = self._tpoff(s, tls)
        elif how is How.DTPOFF:
            s = s - tls[0] - self.isa.tls.dtp_offset
        elif how is How.SIZE:
            s = d.symbol.size if d is not None else 0
        elif how is How.PCREL_LO:
            s, place = self._pcrel_hi(inp, section, r, out, at, s)
        elif how is How.WORD and self.pie and loaded and self._moves(d, r.symbol):
            rebases.append((place, s + r.addend))
        try:
            WRITERS[rule.field or r.kind](out.data, off, s + r.addend, place)
        except FieldError as e:
            raise LinkError(f"{inp.name}: section {section.name}, offset {r.offset:#x}: "
                            f"relocation {r.kind} against {r.symbol}: {e}") from None

    def _pcrel_hi(self, inp: Input, section: Section, r: Relocation, out: OutputSection,
                  at: int, label: int) -> tuple[int, int]:
        """RISC-V `%pcrel_lo(label)`: the value of the high-part relocation at ``label``
        and the label's address (the P its low part is relative to)."""
        d = self.resolve(inp, r.symbol)
        hi_at = d.symbol.offset if d is not None else -1
        for h in inp.relocations.get(section.name, ()):
            if h.offset == hi_at and h.kind in HI_PARTS:
                hd = self.resolve(inp, h.symbol)
                how = HI_PARTS[h.kind]
                if how is How.GOT:
                    target = self._got_address(self._key("addr", inp, h.symbol))
                elif how is How.GOT_TPOFF:
                    target = self._got_address(self._key("tpoff", inp, h.symbol))
                elif how is How.TLSGD:
                    target = self._got_address(self._key("tlsgd", inp, h.symbol))
                else:
                    target = self.address(hd, h.symbol) + h.addend
                return target - r.addend, out.addr + at + hi_at
        raise LinkError(f"{inp.name}: section {section.name}, offset {r.offset:#x}: "
                        f"{r.kind} against {r.symbol} has no high-part relocation at its label")

    def _got_address(self, key: GotKey) -> int:
        index = self.got.get(key)
        if index is None:  # a relaxed load that still needs the entry: cannot happen
            raise LinkError(f"no GOT entry for {key[2]}")
        return self.outputs[".got"].addr + GOT_WORD * index

    def _fill_got(self, tls: tuple[int, int, int], rebases: list[tuple[int, int]]) -> None:
        got = self.outputs[".got"]
        for (what, index, name), k in self.got.items():
            d = None
            if index >= 0:
                inp = self.inputs[index]
                d = self.resolve(inp, name)
            value = self.address(d, name)
            if what == "addr":
                if self.pie and self._moves(d, name):
                    rebases.append((got.addr + GOT_WORD * k, value))
            elif what == "tpoff":
                value = self._tpoff(value, tls)
            elif what in ("tlsgd", "tlsld"):
                value = 1  # the executable is module 1
            elif what == "tlsgd+":
                value = value - tls[0] - self.isa.tls.dtp_offset
            else:
                value = -self.isa.tls.dtp_offset
            struct.pack_into("<q" if value < 0 else "<Q", got.data, GOT_WORD * k, value)

    # ------------------------------------------------------------ the image

    def symbols(self) -> list[tuple[str, int, int, Binding, SymbolKind, str]]:
        out = []
        for inp in self.inputs:
            for s in inp.obj.symbols.values():
                if not s.defined or s.section == ABSOLUTE or "#" in s.name:
                    continue
                placed = inp.placed.get(s.section)  # type: ignore[arg-type]
                if placed is None or not placed[0].segment:
                    continue
                if s.binding is not Binding.LOCAL and self.defs[s.name].input is not inp:
                    continue
                out.append((s.name, placed[0].addr + placed[1] + s.offset, s.size, s.binding,
                            s.kind, placed[0].name))
        return out


HI_PARTS = {"R_RISCV_PCREL_HI20": How.PCREL, "R_RISCV_GOT_HI20": How.GOT,
            "R_RISCV_TLS_GOT_HI20": How.GOT_TPOFF, "R_RISCV_TLS_GD_HI20": How.TLSGD}


def _user(inp: Input, name: str) -> str:
    """Where in ``inp`` ``name`` is first used: a section and a relocation kind."""
    for sec, relocs in inp.relocations.items():
        for r in relocs:
            if r.symbol == name:
                return f"section {sec} ({r.kind})"
    return "its symbol table"


def link(isa: Isa, objects: list[ObjectFile], libraries: list[Library], fmt: Format,
         pie: bool = True, entry: str = "_start", symbols: bool = True) -> Image:
    """Link ``objects`` (whole) with what they need from ``libraries`` into an image
    laid out for ``fmt`` (with its symbol table, unless ``symbols`` is false); raise
    LinkError."""
    lk = Linker(isa, pie, entry, fmt.symbols)
    for obj in objects:
        lk.add(obj)
    lk.pull(libraries)
    lk.collect()
    lk.scan()
    segments, debug = lk.layout(fmt)
    rebases = lk.relocate()
    tls = None
    start, size, align = lk.tls_block()
    if size:
        tls = (start, lk.outputs[".tdata"].size, size, align)
    entry_def = lk.defs[entry]
    return Image(isa.name, pie, isa.page, lk.address(entry_def, entry), segments, lk.outputs,
                 debug, rebases, tls, lk.symbols() if symbols else [])
