"""Types of unannotated parameters and results, inferred by checking to a fixed point.

Mochi lets a function leave its parameter and result types out.  The
reference implementation then types them `any`; mochic infers a precise type
where that cannot change what the program does, so unannotated code runs at
typed speed:

* a result is the type every `return` agrees on (`none` added when the end
  of the body can be reached), `any` when they disagree;
* a parameter is the type that every value reaching it has: each argument of
  every direct call and each value assigned to it inside the body.  They must
  agree exactly (an `int` here and a `float` there gives `any`: converting the
  int would change `x / 2`), and a function used as a value, whose callers
  cannot all be seen, keeps `any` parameters.

A call's type depends on the callee's result and an argument's on the caller's
parameters, through recursion and mutual recursion, so the whole program is
checked in rounds.  Each round starts from the previous round's answers
(``UNKNOWN`` at first: a type not known yet, which every rule lets through)
and observes what the program does with them; the round that observes exactly
the answers it started from is a fixed point and is the one whose annotations
and diagnostics are kept.  Answers that still change after ``SETTLE_ROUNDS``
are fixed to `any`, which can only end the iteration sooner, so it always ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mochic.frontend.types import (
    ANY,
    NONE,
    UNKNOWN,
    VOID,
    FunT,
    GroupT,
    ListT,
    MapT,
    OptionT,
    StructInfo,
    StructT,
    SumInfo,
    SumT,
    Type,
    ir_type,
)

SETTLE_ROUNDS = 6  # rounds after which answers still changing become `any`

# What an answer is about: ("param", id of the declaration, index) or ("ret", id).
Key = tuple


def has_unknown(t: Type) -> bool:
    if t == UNKNOWN:
        return True
    if isinstance(t, ListT | OptionT):
        return has_unknown(t.elem if isinstance(t, ListT) else t.inner)
    if isinstance(t, MapT):
        return has_unknown(t.key) or has_unknown(t.value)
    if isinstance(t, FunT):
        return has_unknown(t.ret) or any(has_unknown(p) for p in t.params)
    if isinstance(t, GroupT):
        return has_unknown(t.key) or has_unknown(t.elem)
    return False


def agree(types: list[Type]) -> Type:
    """The one type all of ``types`` are (ignoring those not known yet), else `any`."""
    known = [t for t in types if not has_unknown(t)]
    if not known:
        return UNKNOWN
    first = known[0]
    if first in (NONE, VOID) or any(t != first for t in known):
        return ANY
    return first


def join_results(types: list[Type]) -> Type:
    """A function's result from its returns' types: one type, or an option of
    one type when some paths return `none`, else `any`."""
    known = [t for t in types if not has_unknown(t)]
    if not known:
        return UNKNOWN
    values = [t for t in known if t != NONE]
    if not values:
        return ANY
    inner = values[0].inner if isinstance(values[0], OptionT) else values[0]
    if any((t.inner if isinstance(t, OptionT) else t) != inner for t in values):
        return _common_sum(values)
    optional = len(values) < len(known) or any(isinstance(t, OptionT) for t in values)
    if optional and ir_type(inner) != "ref":
        return OptionT(inner)
    return inner


def _common_sum(types: list[Type]) -> Type:
    """Variants of one sum type are that sum type (the same reference); else `any`."""
    sums = {t.info.parent.name if isinstance(t, StructT) and t.info.parent else
            t.name if isinstance(t, SumT) else None for t in types}
    if len(sums) == 1 and None not in sums:
        t = next(t for t in types if isinstance(t, StructT | SumT))
        info = t.info.parent if isinstance(t, StructT) else t.info
        assert info is not None
        return SumT(info.name, info)
    return ANY


@dataclass
class Inference:
    """The answers carried from round to round, and what the current round saw."""

    answers: dict[Key, Type] = field(default_factory=dict)
    fixed: set[Key] = field(default_factory=set)  # answers that stay `any`
    escaped: set[int] = field(default_factory=set)  # functions used as values
    rounds: int = 0
    # observed in the current round
    seen: dict[Key, list[Type]] = field(default_factory=dict)
    called: set[Key] = field(default_factory=set)  # parameters passed to from outside
    reads: dict[Key, list[Type]] = field(default_factory=dict)
    results: dict[Key, Type] = field(default_factory=dict)

    def start_round(self) -> None:
        self.rounds += 1
        self.seen, self.reads, self.results, self.called = {}, {}, {}, set()

    # ------------------------------------------------------------ answers

    def param(self, decl: object, index: int) -> Type:
        key = ("param", id(decl), index)
        self.seen.setdefault(key, [])
        if id(decl) in self.escaped or key in self.fixed:
            return ANY
        return self.answers.get(key, UNKNOWN)

    def result(self, decl: object) -> Type:
        key = ("ret", id(decl))
        return ANY if key in self.fixed else self.answers.get(key, UNKNOWN)

    # ------------------------------------------------------------ observations

    def observe(self, key: Key, t: Type, inside: bool = False) -> None:
        """A value of type ``t`` reaches the parameter ``key`` (from a call or an
        assignment ``inside`` the function itself, or from elsewhere)."""
        self.seen.setdefault(key, []).append(t)
        if not inside:
            self.called.add(key)

    def read(self, decl: object, t: Type) -> None:
        """The result of ``decl`` was used as ``t`` (its answer, or its result if known)."""
        self.reads.setdefault(("ret", id(decl)), []).append(t)

    def finished(self, decl: object, t: Type) -> Type:
        """The body of ``decl`` has been checked and its returns give result ``t``:
        the result to give it (`any` once its answer is fixed)."""
        key = ("ret", id(decl))
        t = ANY if key in self.fixed else t
        self.results[key] = t
        return t

    def escape(self, decl: object) -> None:
        self.escaped.add(id(decl))

    # ------------------------------------------------------------ the fixed point

    def settle(self) -> bool:
        """Compute the next round's answers; True when this round was a fixed point."""
        new: dict[Key, Type] = {}
        for key, types in self.seen.items():
            if key not in self.called:  # only the function itself passes it anything
                self.fixed.add(key)
            new[key] = ANY if key[1] in self.escaped or key in self.fixed else agree(types)
        new.update(self.results)
        changed = [k for k, t in new.items() if t != self.answers.get(k, UNKNOWN)]
        misread = any(t != self.results.get(k, UNKNOWN)
                      for k, used in self.reads.items() for t in used)
        self.answers = new
        if not changed and not misread:
            unknown = [k for k, t in new.items() if has_unknown(t)]
            for k in unknown:  # nothing reaches it, or nothing but itself
                self.fixed.add(k)
                new[k] = ANY
            return not unknown
        if self.rounds >= SETTLE_ROUNDS:
            for k in changed:
                self.fixed.add(k)
                new[k] = ANY
        return False


def rebind(t: Type, structs: dict[str, StructInfo], sums: dict[str, SumInfo]) -> Type:
    """``t`` with its named types referring to this round's declarations."""
    if isinstance(t, StructT):
        info = structs.get(t.name)
        return StructT(t.name, info) if info is not None else ANY
    if isinstance(t, SumT):
        sinfo = sums.get(t.name)
        return SumT(t.name, sinfo) if sinfo is not None else ANY
    if isinstance(t, ListT):
        return ListT(rebind(t.elem, structs, sums))
    if isinstance(t, MapT):
        return MapT(rebind(t.key, structs, sums), rebind(t.value, structs, sums))
    if isinstance(t, OptionT):
        return OptionT(rebind(t.inner, structs, sums))
    if isinstance(t, FunT):
        return FunT(tuple(rebind(p, structs, sums) for p in t.params),
                    rebind(t.ret, structs, sums))
    if isinstance(t, GroupT):
        return GroupT(rebind(t.key, structs, sums), rebind(t.elem, structs, sums))
    return t
