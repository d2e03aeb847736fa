"""The Wasm encoder: a typed IR module as one relocatable WebAssembly object.

The object holds:

- one function per IR function `main` reaches (`function.py`), named by a
  local symbol with its Mochi name (so the linked module's `name` section,
  and a trap's backtrace, show `Point.norm`, not a mangled C name);
- `__main_argc_argv`, which wasi-libc's start-up code calls with the
  command's arguments: `mochi_init(file, argc, argv)`, the IR `main`, then
  `mochi_exit(0)`;
- the program's static data, laid out by `runtime/statics.py` for wasm32
  (type and struct descriptors, immortal string constants, singletons) as
  data segments whose pointers are relocations;
- one mutable Wasm global per Mochi global, and the call-depth counter;
- imports (undefined symbols) of the runtime functions it calls, with the
  Wasm type each call uses; the linker checks them against the runtime's.

Symbols are numbered in the order of first use and functions in module
order, so the same program always gives the same bytes.
"""

from __future__ import annotations

from mochic.backends.wasm.code import Code
from mochic.backends.wasm.function import Emit, FunctionEncoder
from mochic.backends.wasm.opcodes import IR_VALTYPE, VALTYPES
from mochic.frontend.types import Type
from mochic.ir import ir
from mochic.objfile.model import ObjectFile, SectionKind
from mochic.objfile.wasm_model import (
    LOCAL,
    UNDEFINED,
    Function,
    FuncType,
    Global,
    Import,
    ImportKind,
    Reloc,
    RelocType,
    Segment,
    Symbol,
    SymKind,
    WasmObject,
)
from mochic.runtime.layout import MT_KINDS, WASM32
from mochic.runtime.statics import StaticData

MAIN = "__main_argc_argv"  # what wasi-libc's _start calls
PEEK = "mochi.list_peek"
_ZERO_INIT = {"i64": b"\x42\x00\x0b", "f64": b"\x44" + bytes(8) + b"\x0b", "i32": b"\x41\x00\x0b"}


class ModuleEncoder:
    def __init__(self, module: ir.Module) -> None:
        self.module = module
        self.obj = WasmObject(module.file)
        self.statics = StaticData(ObjectFile("wasm32", module.file), module.structs, WASM32)
        self.symbols: dict[tuple[SymKind, str], int] = {}
        self.defined: list[int] = []  # function symbols, in the order of obj.functions
        self.print_slots = 0
        self.need_peek = False

    # ------------------------------------------------------------ symbols

    def _symbol(self, kind: SymKind, name: str, flags: int, index: int = 0) -> int:
        key = (kind, name)
        got = self.symbols.get(key)
        if got is None:
            got = self.symbols[key] = len(self.obj.symbols)
            self.obj.symbols.append(Symbol(kind, flags, name, index))
        return got

    def import_function(self, name: str, ftype: FuncType) -> int:
        """The symbol of runtime (or C library) function ``name``, called as ``ftype``."""
        key = (SymKind.FUNCTION, name)
        got = self.symbols.get(key)
        functions = [i for i in self.obj.imports if i.kind == ImportKind.FUNCTION]
        if got is not None:
            imp = functions[self.obj.symbols[got].index]
            if self.obj.types[imp.type] != ftype:
                raise AssertionError(f"{name} called as two types")
            return got
        n = len(functions)
        self.obj.imports.append(Import("env", name, ImportKind.FUNCTION, self.obj.type_index(ftype)))
        return self._symbol(SymKind.FUNCTION, name, UNDEFINED, n)

    def function_symbol(self, name: str) -> int:
        """The symbol of IR function ``name`` (defined by `encode`)."""
        return self.symbols[(SymKind.FUNCTION, name)]

    def global_symbol(self, name: str) -> int:
        key = (SymKind.GLOBAL, name)
        if key not in self.symbols:
            vt = IR_VALTYPE[self.module.globals[name].ty] if name in self.module.globals else "i32"
            self.obj.globals.append(Global(vt, True, _ZERO_INIT[vt]))
            self._symbol(SymKind.GLOBAL, name, LOCAL, len(self.obj.globals) - 1)
        return self.symbols[key]

    def table_symbol(self) -> int:
        key = (SymKind.TABLE, "__indirect_function_table")
        if key not in self.symbols:
            self.obj.imports.append(Import("env", key[1], ImportKind.TABLE))
            self._symbol(SymKind.TABLE, key[1], UNDEFINED, 0)
        return self.symbols[key]

    def data_symbol(self, name: str) -> int:
        """A data symbol: one of the statics (defined when the object is finished) or
        the runtime's (`mochi_t_int` ...)."""
        return self._symbol(SymKind.DATA, name, UNDEFINED)

    def mtype(self, t: Type) -> int:
        return self.data_symbol(self.statics.mtype(t).symbol)

    def print_buffer(self, n: int) -> int:
        """Where `print` puts its boxed arguments for `mochi_print` (reused: a print
        calls no Mochi code)."""
        self.print_slots = max(self.print_slots, n)
        return self.data_symbol("mochi.print_args")

    def peek(self, e: FunctionEncoder, ins: ir.Instr) -> Emit:
        self.need_peek = True

        def emit() -> None:
            e.code.op("i32.const", ins.line)
            for a in ins.args:
                e.get(a)
            e.code.call(self._symbol(SymKind.FUNCTION, PEEK, LOCAL))
        return emit

    # ------------------------------------------------------------ functions

    def _define(self, name: str, flags: int, body: bytes, code: Code, ftype: FuncType) -> None:
        sym = self._symbol(SymKind.FUNCTION, name, flags)
        self.defined.append(sym)
        self.obj.functions.append(Function(self.obj.type_index(ftype), body, code.relocs,
                                           code.lines))

    def encode(self) -> WasmObject:
        fns = self.module.reachable()
        for fn in fns:  # name every function first: bodies refer to each other
            self._symbol(SymKind.FUNCTION, fn.name, LOCAL)
        for fn in fns:
            body, code = FunctionEncoder(self, fn).encode()
            params = ("i32", *(IR_VALTYPE[p.ty] for p in fn.params))  # the call depth first
            results = (IR_VALTYPE[fn.result],) if fn.result is not None else ()
            self._define(fn.name, LOCAL, body, code, (params, results))
        self._main()
        if self.need_peek:
            self._peek()
        self._finish()
        return self.obj

    def _main(self) -> None:
        c = Code()
        c.line(1)
        c.address(self.data_symbol(self.statics.cstring(self.module.file).symbol))
        c.op("local.get", 0)
        c.op("local.get", 1)
        c.call(self.import_function("mochi_init", (("i32", "i32", "i32"), ())))
        c.op("i32.const", 0)  # the depth of Mochi calls
        c.call(self.function_symbol(self.module.main))
        c.op("i32.const", 0)
        c.call(self.import_function("mochi_exit", (("i32",), ())))
        c.op("i32.const", 0)
        c.op("end")
        self._define(MAIN, 0, _no_locals(c), _shifted(c, 1), (("i32", "i32"), ("i32",)))

    def _peek(self) -> None:
        """mochi.list_peek(line, list, i): a list element without a reference of its
        own, for lists that store refs (mochi_c.h's mochi_c_list_peek)."""
        c = Code()
        line, lst, i, r = 0, 1, 2, 3
        c.op("block", "")
        c.op("local.get", lst)
        c.op("i32.eqz")
        c.op("br_if", 0)
        c.op("local.get", i)
        c.op("local.get", lst)
        c.mem("i64.load", WASM32.offset("MList", "len"))
        c.op("i64.lt_u")
        c.op("i32.eqz")
        c.op("br_if", 0)
        c.op("local.get", lst)
        c.mem("i32.load", WASM32.offset("MList", "elem"))
        c.mem("i32.load", WASM32.offset("MType", "kind"))
        c.op("i32.const", MT_KINDS["MT_BOOL"])
        c.op("i32.le_s")
        c.op("br_if", 0)
        c.op("local.get", lst)
        c.mem("i32.load", WASM32.offset("MList", "items"))
        c.op("local.get", i)
        c.op("i32.wrap_i64")
        c.op("i32.const", 3)
        c.op("i32.shl")
        c.op("i32.add")
        c.mem("i32.load", 0)
        c.op("return")
        c.op("end")
        c.op("local.get", line)
        c.op("local.get", lst)
        c.op("local.get", i)
        c.call(self.import_function("mochi_list_get_ref", (("i32", "i32", "i64"), ("i32",))))
        c.op("local.set", r)
        c.op("local.get", r)
        c.call(self.import_function("mochi_release", (("i32",), ())))
        c.op("local.get", r)
        c.op("end")
        prefix = b"\x01\x01" + bytes([VALTYPES["i32"]])  # one i32 local
        self._define(PEEK, LOCAL, prefix + bytes(c.data), _shifted(c, len(prefix)),
                     (("i32", "i32", "i64"), ("i32",)))

    # ------------------------------------------------------------ static data

    def _finish(self) -> None:
        obj, st = self.obj, self.statics
        if self.print_slots:
            self.data_symbol("mochi.print_args")
        segment_of: dict[str, int] = {}
        for sec in st.obj.sections.values():
            if not sec.size:
                continue
            data = bytes(sec.size) if sec.kind is SectionKind.BSS else bytes(sec.data)
            relocs = [Reloc(RelocType.MEMORY_ADDR_I32, r.offset, self.data_symbol(r.symbol),
                            r.addend) for r in st.obj.relocations if r.section == sec.name]
            segment_of[sec.name] = len(obj.segments)
            obj.segments.append(Segment(f"{sec.name}.mochi", sec.align.bit_length() - 1, data,
                                        relocs=relocs))
        if self.print_slots:
            segment_of["print"] = len(obj.segments)
            obj.segments.append(Segment(".bss.mochi.print_args", 2, bytes(4 * self.print_slots)))
        for sym in obj.symbols:
            if sym.kind == SymKind.DATA:
                if sym.name == "mochi.print_args":
                    sym.flags, sym.segment, sym.size = LOCAL, segment_of["print"], \
                        4 * self.print_slots
                    continue
                d = st.obj.symbols.get(sym.name)
                if d is not None and d.defined:
                    sym.flags = LOCAL
                    sym.segment = segment_of[d.section]  # type: ignore[index]
                    sym.offset, sym.size = d.offset, d.size
        imported = obj.imported(ImportKind.FUNCTION)
        for k, s in enumerate(self.defined):
            obj.symbols[s].index = imported + k


def _no_locals(c: Code) -> bytes:
    return b"\x00" + bytes(c.data)


def _shifted(c: Code, n: int) -> Code:
    """``c`` with its relocations and lines moved ``n`` bytes on (past the locals)."""
    return Code(c.data, [r._replace(offset=r.offset + n) for r in c.relocs],
                [(o + n, line) for o, line in c.lines])


def encode_module(module: ir.Module) -> WasmObject:
    return ModuleEncoder(module).encode()

