"""The Wasm linker: relocatable WebAssembly objects and archives in, one
module out, importing only WASI preview-1 functions.

It does what `wasm-ld` does for a static wasm32-wasi command, in the same
order of passes:

1. **Resolve.** Every global symbol gets one definition (a strong one beats
   a weak one); a symbol still undefined pulls in the archive member whose
   index defines it, until nothing more can be pulled.  Functions imported
   from a module other than `env` (`wasi_snapshot_preview1`) stay imports;
   the linker defines its own symbols (`__stack_pointer`, `__heap_base`,
   `__wasm_call_ctors`, the function table ...); anything else undefined is
   an error naming it.
2. **Mark.** Only what the entry point (`_start`) and the initialisation
   functions reach through relocations is kept: functions, data segments,
   globals, imports, table slots (as `--gc-sections`).
3. **Lay out.** The function index space (imports, then kept functions in
   object order), one global per kept global after `__stack_pointer`, one
   table slot per function whose address is taken, and linear memory:
   the stack first (so a linear stack overflow traps at address 0 instead of
   overwriting data), then read-only data, data, and zero-filled data, each
   segment at its alignment, then the heap.
4. **Relocate and write.** Each kept function body and segment is copied
   with its relocations applied (five-byte LEB128s rewritten in place,
   addresses as four bytes), into the sections of `sections.Module`, with
   a `name` section giving every function its symbol's name.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from mochic.backends.wasm import sections as S
from mochic.backends.wasm.leb128 import sleb, sleb5, uleb, uleb5
from mochic.objfile.wasm_model import (
    Function,
    FuncType,
    ImportKind,
    Reloc,
    RelocType,
    Symbol,
    SymKind,
    WasmObject,
)
from mochic.objfile.wasm_read import Archive

WASM_PAGE = 65536
ENV = "env"

# Symbols the linker defines, by kind: addresses in linear memory, the one
# mutable global, the function table, the constructor-calling function.
LINKER_DATA = ("__heap_base", "__heap_end", "__data_end", "__global_base", "__dso_handle",
               "__stack_low", "__stack_high")
STACK_POINTER = "__stack_pointer"
FUNCTION_TABLE = "__indirect_function_table"
CALL_CTORS = "__wasm_call_ctors"

_LEB = {RelocType.FUNCTION_INDEX_LEB, RelocType.TYPE_INDEX_LEB, RelocType.GLOBAL_INDEX_LEB,
        RelocType.MEMORY_ADDR_LEB, RelocType.TABLE_NUMBER_LEB, RelocType.TAG_INDEX_LEB}
_SLEB = {RelocType.TABLE_INDEX_SLEB, RelocType.MEMORY_ADDR_SLEB}
_I32 = {RelocType.TABLE_INDEX_I32, RelocType.MEMORY_ADDR_I32, RelocType.GLOBAL_INDEX_I32,
        RelocType.FUNCTION_INDEX_I32}
_FUNCTION = {RelocType.FUNCTION_INDEX_LEB, RelocType.FUNCTION_INDEX_I32}
_TABLE = {RelocType.TABLE_INDEX_SLEB, RelocType.TABLE_INDEX_I32}
_MEMORY = {RelocType.MEMORY_ADDR_LEB, RelocType.MEMORY_ADDR_SLEB, RelocType.MEMORY_ADDR_I32}
_GLOBAL = {RelocType.GLOBAL_INDEX_LEB, RelocType.GLOBAL_INDEX_I32}

# where zero-filled and initialised data go, in memory order
_MEMORY_ORDER = (".rodata", ".data", ".bss")


class LinkError(Exception):
    """Objects that do not link: an undefined or doubly defined symbol, a
    signature mismatch, a relocation this linker does not know."""


@dataclass(frozen=True)
class Def:
    """A definition: symbol ``sym`` of object ``obj``."""

    obj: int
    sym: int


@dataclass(frozen=True)
class Synthetic:
    name: str


@dataclass(frozen=True)
class WasiImport:
    module: str
    field: str
    type: FuncType


@dataclass(frozen=True)
class TrapStub:
    """An undefined weak function: calling it traps, as wasm-ld makes it."""

    name: str
    type: FuncType


Target = Def | Synthetic | WasiImport | TrapStub | None  # None: an undefined weak datum


@dataclass
class Config:
    entry: str = "_start"
    stack_size: int = 8 << 20
    exports: tuple[str, ...] = ()  # further functions to export by symbol name


@dataclass
class Linked:
    """The linked module's sections, and where each function body landed (its
    offset in the code section's payload) for debug information."""

    module: S.Module
    code_offsets: dict[int, int]  # id(Function) -> offset of the body in the code payload
    # id(Function) -> (offset in the input body, bytes saved before it): the five-byte
    # LEB128s of relocations are written at their shortest, so code after one moves
    shrunk: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def address(self, fn: Function, offset: int) -> int:
        """The code-section offset of what lies at ``offset`` in ``fn``'s input body."""
        saved = 0
        for at, total in self.shrunk.get(id(fn), ()):
            if at > offset:
                break
            saved = total
        return self.code_offsets[id(fn)] + offset - saved


@dataclass
class _State:
    funcs: dict[tuple[int, int], None] = field(default_factory=dict)  # kept, in order marked
    segments: set[tuple[int, int]] = field(default_factory=set)
    globals: dict[tuple[int, int], None] = field(default_factory=dict)
    imports: dict[tuple[str, str], FuncType] = field(default_factory=dict)
    stubs: dict[str, FuncType] = field(default_factory=dict)
    table: dict[object, int] = field(default_factory=dict)  # function key -> slot
    synthetic: set[str] = field(default_factory=set)


class Linker:
    def __init__(self, objects: list[WasmObject], archives: list[Archive],
                 config: Config | None = None) -> None:
        self.objects = list(objects)
        self.archives = archives
        self.config = config or Config()
        self.defs: dict[str, Def] = {}
        self.state = _State()

    # ------------------------------------------------------------ 1. resolve

    def resolve(self) -> None:
        for i in range(len(self.objects)):
            self._define(i)
        while True:
            pulled = False
            for name in self._unresolved():
                for ar in self.archives:
                    offset = ar.index.get(name)
                    if offset is None:
                        continue
                    member = ar.member(offset)
                    if member is not None:
                        self.objects.append(member)
                        self._define(len(self.objects) - 1)
                        pulled = True
                    break
            if not pulled:
                return

    def _define(self, i: int) -> None:
        obj = self.objects[i]
        for s, sym in enumerate(obj.symbols):
            if sym.undefined or sym.local or sym.kind == SymKind.SECTION:
                continue
            old = self.defs.get(sym.name)
            if old is None:
                self.defs[sym.name] = Def(i, s)
                continue
            prev = self.objects[old.obj].symbols[old.sym]
            if prev.weak and not sym.weak:
                self.defs[sym.name] = Def(i, s)
            elif not prev.weak and not sym.weak:
                raise LinkError(f"duplicate symbol {sym.name}: in {self.objects[old.obj].name} "
                                f"and in {obj.name}")

    def _unresolved(self) -> list[str]:
        out = []
        for obj in self.objects:
            for sym in obj.symbols:
                if sym.undefined and sym.name not in self.defs and \
                        sym.kind != SymKind.SECTION and sym.name not in out:
                    out.append(sym.name)
        return out

    def target(self, i: int, s: int) -> Target:
        """What symbol ``s`` of object ``i`` refers to."""
        obj = self.objects[i]
        sym = obj.symbols[s]
        if not sym.undefined:
            return Def(i, s) if sym.local else self.defs[sym.name]
        found = self.defs.get(sym.name)
        if found is not None:
            return found
        if sym.kind == SymKind.FUNCTION:
            imp = [m for m in obj.imports if m.kind == ImportKind.FUNCTION][sym.index]
            ftype = obj.types[imp.type]
            if imp.module != ENV:
                return WasiImport(imp.module, imp.field, ftype)
            if sym.name == CALL_CTORS:
                return Synthetic(sym.name)
            if sym.weak:
                return TrapStub(sym.name, ftype)
        elif sym.kind == SymKind.DATA and sym.name in LINKER_DATA:
            return Synthetic(sym.name)
        elif sym.kind == SymKind.GLOBAL and sym.name == STACK_POINTER:
            return Synthetic(sym.name)
        elif sym.kind == SymKind.TABLE and sym.name == FUNCTION_TABLE:
            return Synthetic(sym.name)
        elif sym.kind == SymKind.DATA and sym.weak:
            return None
        raise LinkError(f"undefined symbol: {sym.name} (referenced by {obj.name})")

    # ------------------------------------------------------------ 2. mark

    def mark(self) -> None:
        entry = self.defs.get(self.config.entry)
        if entry is None:
            raise LinkError(f"undefined entry symbol: {self.config.entry}")
        work: list[tuple[str, int, int]] = []
        roots = [entry] + [self.defs[n] for n in self.config.exports]
        for d in roots:
            self._keep(self.objects[d.obj].symbols[d.sym], d.obj, work)
        while work:
            kind, i, k = work.pop()
            obj = self.objects[i]
            relocs = obj.functions[k].relocs if kind == "func" else obj.segments[k].relocs
            for r in relocs:
                self._reloc_target(i, r, work)

    def _keep(self, sym: Symbol, i: int, work: list[tuple[str, int, int]]) -> None:
        obj = self.objects[i]
        st = self.state
        if sym.kind == SymKind.FUNCTION:
            key = (i, sym.index - obj.imported(ImportKind.FUNCTION))
            if key not in st.funcs:
                st.funcs[key] = None
                work.append(("func", *key))
        elif sym.kind == SymKind.DATA:
            key = (i, sym.segment)
            if key not in st.segments:
                st.segments.add(key)
                work.append(("seg", *key))
        elif sym.kind == SymKind.GLOBAL:
            st.globals[(i, sym.index - obj.imported(ImportKind.GLOBAL))] = None

    def _reloc_target(self, i: int, r: Reloc, work: list[tuple[str, int, int]]) -> Target:
        if r.type == RelocType.TYPE_INDEX_LEB:
            return None
        t = self.target(i, r.index)
        st = self.state
        if isinstance(t, Def):
            self._keep(self.objects[t.obj].symbols[t.sym], t.obj, work)
        elif isinstance(t, WasiImport):
            st.imports.setdefault((t.module, t.field), t.type)
        elif isinstance(t, TrapStub):
            st.stubs.setdefault(t.name, t.type)
        elif isinstance(t, Synthetic) and t.name not in st.synthetic:
            st.synthetic.add(t.name)
            if t.name == CALL_CTORS:
                for j, obj in enumerate(self.objects):
                    for _, s in obj.init_funcs:
                        self._keep(obj.symbols[s], j, work)
        if r.type in _TABLE:
            key = self._function_key(t)
            if key not in st.table:
                st.table[key] = len(st.table) + 1  # slot 0 stays null
        return t

    def _function_key(self, t: Target) -> object:
        if isinstance(t, Def):
            obj = self.objects[t.obj]
            return (t.obj, obj.symbols[t.sym].index - obj.imported(ImportKind.FUNCTION))
        return t

    # ------------------------------------------------------------ 3. lay out

    def layout(self) -> None:
        st = self.state
        self.func_index: dict[object, int] = {}
        for key in st.imports:
            self.func_index[("import", *key)] = len(self.func_index)
        self.import_count = len(self.func_index)
        if CALL_CTORS in st.synthetic:
            self.func_index[Synthetic(CALL_CTORS)] = len(self.func_index)
        for name in st.stubs:
            self.func_index[("stub", name)] = len(self.func_index)
        for key in sorted(st.funcs):
            self.func_index[key] = len(self.func_index)
        self.global_index = {(None, STACK_POINTER): 0}
        for key in sorted(st.globals):
            self.global_index[key] = len(self.global_index)
        # memory: the stack, then the segments by kind, in object order
        stack_top = self.config.stack_size + -self.config.stack_size % 16
        self.seg_addr: dict[tuple[int, int], int] = {}
        addr = stack_top
        for prefix in _MEMORY_ORDER:
            for key in sorted(st.segments):
                seg = self.objects[key[0]].segments[key[1]]
                if _memory_kind(seg.name) != prefix:
                    continue
                align = 1 << seg.align
                addr += -addr % align
                self.seg_addr[key] = addr
                addr += len(seg.data)
        self.data_end = addr
        heap_base = addr + -addr % 16
        self.pages = max(1, -(-heap_base // WASM_PAGE))
        self.synthetic_addr = {
            "__heap_base": heap_base, "__heap_end": self.pages * WASM_PAGE,
            "__data_end": addr, "__global_base": stack_top, "__dso_handle": 0,
            "__stack_low": 0, "__stack_high": stack_top}
        self.stack_top = stack_top

    def address(self, t: Target, addend: int) -> int:
        if t is None:
            return 0
        if isinstance(t, Synthetic):
            return self.synthetic_addr[t.name] + addend
        assert isinstance(t, Def)
        sym = self.objects[t.obj].symbols[t.sym]
        return self.seg_addr[(t.obj, sym.segment)] + sym.offset + addend

    def function(self, t: Target) -> int:
        if isinstance(t, WasiImport):
            return self.func_index[("import", t.module, t.field)]
        if isinstance(t, TrapStub):
            return self.func_index[("stub", t.name)]
        return self.func_index[self._function_key(t)]

    def global_(self, t: Target) -> int:
        if isinstance(t, Synthetic):
            return 0
        assert isinstance(t, Def)
        obj = self.objects[t.obj]
        return self.global_index[(t.obj, obj.symbols[t.sym].index -
                                  obj.imported(ImportKind.GLOBAL))]

    # ------------------------------------------------------------ 4. relocate and write

    def relocated(self, i: int, data: bytes, relocs: list[Reloc], types: dict[FuncType, int],
                  shrink: list[tuple[int, int]] | None = None) -> bytes:
        """``data`` with its relocations applied.  With ``shrink`` (code), each LEB128
        is written at its shortest and the moves are recorded there as (offset in
        ``data`` after the LEB128, bytes saved so far)."""
        out = bytearray(data)
        pieces: list[bytes] = []
        done = saved = 0
        for r in sorted(relocs, key=lambda r: r.offset):
            value = self._value(i, r, types)
            if shrink is not None and (r.type in _LEB or r.type in _SLEB):
                pieces.append(data[done:r.offset])
                short = uleb(value) if r.type in _LEB else sleb(_signed(value))
                pieces.append(short)
                done = r.offset + 5
                saved += 5 - len(short)
                shrink.append((done, saved))
            elif r.type in _LEB:
                out[r.offset:r.offset + 5] = uleb5(value)
            elif r.type in _SLEB:
                out[r.offset:r.offset + 5] = sleb5(value)
            else:
                out[r.offset:r.offset + 4] = struct.pack("<I", value & 0xFFFFFFFF)
        if shrink is None:
            return bytes(out)
        pieces.append(bytes(out[done:]))
        return b"".join(pieces)

    def _value(self, i: int, r: Reloc, types: dict[FuncType, int]) -> int:
        obj = self.objects[i]
        if r.type == RelocType.TYPE_INDEX_LEB:
            return types[obj.types[r.index]]
        t = self.target(i, r.index)
        if r.type in _FUNCTION:
            return self.function(t)
        if r.type in _TABLE:
            return self.state.table[self._function_key(t)]
        if r.type in _MEMORY:
            return self.address(t, r.addend)
        if r.type in _GLOBAL:
            return self.global_(t)
        if r.type == RelocType.TABLE_NUMBER_LEB:
            return 0
        raise LinkError(f"{obj.name}: relocation {r.type.name} is not supported")

    def check_signatures(self) -> None:
        """A function called through an import of another type would trap at run
        time (or not validate): refuse it here, naming both."""
        for obj in self.objects:
            funcs = [m for m in obj.imports if m.kind == ImportKind.FUNCTION]
            for sym in obj.symbols:
                if sym.kind != SymKind.FUNCTION or not sym.undefined:
                    continue
                d = self.defs.get(sym.name)
                if d is None:
                    continue
                dobj = self.objects[d.obj]
                dsym = dobj.symbols[d.sym]
                want = obj.types[funcs[sym.index].type]
                have = dobj.types[dobj.functions[dsym.index -
                                                 dobj.imported(ImportKind.FUNCTION)].type]
                if want != have and _kept(self, d):
                    raise LinkError(f"function signature mismatch: {sym.name} is "
                                    f"{_sig(have)} in {dobj.name} but {obj.name} calls it as "
                                    f"{_sig(want)}")

    def write(self) -> Linked:
        st = self.state
        mod = S.Module()
        types: dict[FuncType, int] = {}

        def tindex(t: FuncType) -> int:
            return types.setdefault(t, len(types))

        bodies: list[tuple[int, bytes, Function | None]] = []
        imports = []
        for (module, fld), ftype in st.imports.items():
            imports.append(S.name(module) + S.name(fld) + b"\x00" + uleb(tindex(ftype)))
        func_decls = []
        names: list[tuple[int, str]] = [(self.func_index[("import", m, f)], f)
                                        for m, f in st.imports]
        if CALL_CTORS in st.synthetic:
            calls = bytearray(b"\x00")
            inits = sorted((prio, j, s) for j, obj in enumerate(self.objects)
                           for prio, s in obj.init_funcs)  # by priority, as wasm-ld
            for _, j, s in inits:
                calls += b"\x10" + uleb(self.function(Def(j, s)))
            calls += b"\x0b"
            func_decls.append(uleb(tindex(((), ()))))
            bodies.append((-1, bytes(calls), None))
            names.append((self.func_index[Synthetic(CALL_CTORS)], CALL_CTORS))
        for name, ftype in st.stubs.items():
            func_decls.append(uleb(tindex(ftype)))
            bodies.append((-1, b"\x00\x00\x0b", None))
            names.append((self.func_index[("stub", name)], name))
        fnames = self._function_names()
        for key in sorted(st.funcs):
            i, k = key
            fn = self.objects[i].functions[k]
            func_decls.append(uleb(tindex(self.objects[i].types[fn.type])))
            bodies.append((i, b"", fn))
            names.append((self.func_index[key], fnames.get(key, f"f{k}")))
        # relocated bodies need every type index settled: types of indirect calls too
        for i, k in st.funcs:
            obj = self.objects[i]
            for r in obj.functions[k].relocs:
                if r.type == RelocType.TYPE_INDEX_LEB:
                    tindex(obj.types[r.index])
        mod.section("type").extend(S.vector([S.functype(*t) for t in types]))
        mod.section("import").extend(S.vector(imports))
        mod.section("function").extend(S.vector(func_decls))
        slots = len(st.table) + 1
        mod.section("table").extend(S.vector([b"\x70\x01" + uleb(slots) + uleb(slots)]))
        mod.section("memory").extend(S.vector([b"\x00" + uleb(self.pages)]))
        glob = [b"\x7f\x01\x41" + sleb(self.stack_top) + b"\x0b"]
        for key in sorted(st.globals):
            g = self.objects[key[0]].globals[key[1]]
            glob.append(S.valtype(g.valtype) + bytes([g.mutable]) + g.init)
        mod.section("global").extend(S.vector(glob))
        exports = [S.name("memory") + b"\x02\x00",
                   S.name(self.config.entry) + b"\x00" +
                   uleb(self.function(self.defs[self.config.entry]))]
        for n in self.config.exports:
            exports.append(S.name(n) + b"\x00" + uleb(self.function(self.defs[n])))
        mod.section("export").extend(S.vector(exports))
        if st.table:
            order = sorted(st.table.items(), key=lambda kv: kv[1])
            elems = [uleb(self._slot_function(key)) for key, _ in order]
            mod.section("elem").extend(S.vector([b"\x00\x41\x01\x0b" + S.vector(elems)]))
        code = mod.section("code")
        code.extend(uleb(len(bodies)))
        offsets: dict[int, int] = {}
        shrunk: dict[int, list[tuple[int, int]]] = {}
        for i, body, fn in bodies:
            if fn is not None:
                shrunk[id(fn)] = []
                body = self.relocated(i, fn.body, fn.relocs, types, shrunk[id(fn)])
                code.extend(uleb(len(body)))
                offsets[id(fn)] = len(code)
            else:
                code.extend(uleb(len(body)))
            code.extend(body)
        mod.section("data").extend(self._data())
        sub = S.vector([uleb(i) + S.name(n) for i, n in sorted(names)])
        mod.custom("name", b"\x01" + uleb(len(sub)) + sub)
        return Linked(mod, offsets, shrunk)

    def _slot_function(self, key: object) -> int:
        if isinstance(key, tuple):
            return self.func_index[key]
        return self.function(key)  # type: ignore[arg-type]

    def _function_names(self) -> dict[tuple[int, int], str]:
        """Each kept function's name: a global symbol's if it has one."""
        out: dict[tuple[int, int], str] = {}
        for i, obj in enumerate(self.objects):
            n = obj.imported(ImportKind.FUNCTION)
            for sym in obj.symbols:
                if sym.kind == SymKind.FUNCTION and not sym.undefined and sym.name:
                    key = (i, sym.index - n)
                    if key not in out or not sym.local:
                        out[key] = sym.name
        return out

    def _data(self) -> bytes:
        """One active segment for the initialised memory (zero-filled data needs none)."""
        placed = sorted((addr, key) for key, addr in self.seg_addr.items()
                        if not self.objects[key[0]].segments[key[1]].bss)
        if not placed:
            return S.vector([])
        start = placed[0][0]
        blob = bytearray()
        for addr, (i, k) in placed:
            seg = self.objects[i].segments[k]
            blob.extend(bytes(addr - start - len(blob)))
            blob.extend(self.relocated(i, seg.data, seg.relocs, {}))
        return S.vector([b"\x00\x41" + sleb(start) + b"\x0b" + uleb(len(blob)) + bytes(blob)])


def _signed(value: int) -> int:
    """An address or table slot (a 32-bit value) as the `i32.const` immediate it is."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _memory_kind(name: str) -> str:
    for prefix in _MEMORY_ORDER:
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    raise LinkError(f"data segment {name} is of no kind this linker lays out")


def _kept(linker: Linker, d: Def) -> bool:
    obj = linker.objects[d.obj]
    key = (d.obj, obj.symbols[d.sym].index - obj.imported(ImportKind.FUNCTION))
    return key in linker.state.funcs


def _sig(t: FuncType) -> str:
    return f"({', '.join(t[0])}) -> ({', '.join(t[1])})"


def link(objects: list[WasmObject], archives: list[Archive], config: Config | None = None) \
        -> Linked:
    linker = Linker(objects, archives, config)
    linker.resolve()
    linker.mark()
    linker.check_signatures()
    linker.layout()
    return linker.write()
