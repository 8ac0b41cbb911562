"""Rewriting a kernel's source with OpenMP pragmas for the loops a plan marks parallel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tasks.codeanalysis.loops import LoopPlan

IDENTITY_START = {"min": "pf_min", "max": "pf_max"}
"""min/max reductions whose private copies start from the operator's true identity.

OpenMP's built-in ``min`` starts each thread's copy of a ``double`` at ``DBL_MAX``, not at
infinity, so a ``best = INFINITY`` that no iteration lowers would come out as ``DBL_MAX``."""
_IDENTITIES = {  # type: (identity of min, identity of max)
    "float": ("__builtin_inff()", "-__builtin_inff()"),
    "double": ("__builtin_inf()", "-__builtin_inf()"),
    "int": ("__INT_MAX__", "(-__INT_MAX__ - 1)"),
    "long": ("__LONG_MAX__", "(-__LONG_MAX__ - 1L)"),
    "long long": ("__LONG_LONG_MAX__", "(-__LONG_LONG_MAX__ - 1LL)"),
    "unsigned": ("~0u", "0u"),
    "unsigned long": ("~0ul", "0ul"),
    "unsigned long long": ("~0ull", "0ull"),
}
_DECLARED_REDUCTIONS = "".join(  # one type per directive: clang 14 rejects this combiner with a type list
    f"#pragma omp declare reduction({name} : {type_name} : omp_out = omp_in {'<' if op == 'min' else '>'} omp_out"
    f" ? omp_in : omp_out) initializer(omp_priv = {identities[op == 'max']})\n"
    for op, name in IDENTITY_START.items()
    for type_name, identities in _IDENTITIES.items()
)


@dataclass(frozen=True)
class PragmaStyle:
    """The knobs of one rewrite."""

    schedule: str = "static"
    """An OpenMP schedule: ``static``, ``dynamic,64``, ``guided``..."""
    collapse: bool = False
    """Collapse perfectly nested loops where the plan allows it."""
    simd: bool = False
    """Use ``parallel for simd`` (vectorize each thread's chunk)."""
    private_arrays: bool = False
    """Give each thread its own copy of a small array updated through indirect indices (an array-section
    reduction such as ``reduction(+:counts[:256])``) instead of making every update atomic."""

    @property
    def label(self) -> str:
        parts = [f"schedule({self.schedule})"]
        parts += ["collapse"] if self.collapse else []
        parts += ["simd"] if self.simd else []
        parts += ["private arrays"] if self.private_arrays else []
        return " ".join(parts)


MAX_PRIVATE_ELEMENTS = 1 << 16
"""Largest array given a private copy per thread (the copies live on each thread's stack)."""


def private_arrays(plan: LoopPlan, style: PragmaStyle, lengths: Mapping[str, int]) -> dict[str, tuple[str, int]]:
    """Arrays of ``plan`` reduced over private copies under ``style``: name -> (operator, length)."""
    if not style.private_arrays:
        return {}
    return {
        name: (op, lengths[name])
        for name, (op, _) in plan.indirect.items()
        if op is not None and 0 < lengths.get(name, 0) <= MAX_PRIVATE_ELEMENTS
    }


def loop_pragma(plan: LoopPlan, style: PragmaStyle, arrays: Mapping[str, tuple[str, int]] | None = None) -> str:
    """The ``#pragma omp parallel for ...`` line for one loop (``arrays``: array-section reductions)."""
    clauses = ["parallel for simd" if style.simd else "parallel for", f"schedule({style.schedule})"]
    if style.collapse and plan.collapse > 1:
        clauses.append(f"collapse({plan.collapse})")
    by_op: dict[str, list[str]] = {}
    for name, op in sorted(plan.reductions.items()):
        by_op.setdefault(IDENTITY_START.get(op, op), []).append(name)
    for name, (op, length) in sorted((arrays or {}).items()):
        by_op.setdefault(op, []).append(f"{name}[:{length}]")
    clauses += [f"reduction({op}:{','.join(names)})" for op, names in by_op.items()]
    if plan.privates:
        clauses.append(f"private({','.join(plan.privates)})")
    return "#pragma omp " + " ".join(clauses)


def apply_plans(
    source: str, plans: list[LoopPlan], style: PragmaStyle, lengths: Mapping[str, int] | None = None
) -> str:
    """``source`` with a pragma before every planned loop, ``omp atomic`` before indirect updates (or
    array-section reductions, for arrays of known ``lengths`` under ``style.private_arrays``), and
    loop conditions put in the canonical form OpenMP requires (plus the min/max reductions it uses)."""
    data = source.encode()
    edits: list[tuple[int, int, bytes]] = []
    if any(op in IDENTITY_START for plan in plans for op in plan.reductions.values()):
        edits.append((0, 0, _DECLARED_REDUCTIONS.encode()))
    for plan in plans:
        arrays = private_arrays(plan, style, lengths or {})
        edits.append(_pragma_edit(data, plan.loop.start_byte, loop_pragma(plan, style, arrays)))
        atomics = [statement for name, (_, statements) in plan.indirect.items() if name not in arrays
                   for statement in statements]  # fmt: skip
        edits += [_pragma_edit(data, statement.start_byte, "#pragma omp atomic") for statement in atomics]
        if plan.condition is not None:
            condition, rewrite = plan.condition
            edits.append((condition.start_byte, condition.end_byte, rewrite.encode()))
    for start, end, replacement in sorted(edits, key=lambda edit: edit[0], reverse=True):
        data = data[:start] + replacement + data[end:]
    return data.decode()


def _pragma_edit(data: bytes, offset: int, pragma: str) -> tuple[int, int, bytes]:
    """An insertion of ``pragma`` on its own line before the statement starting at ``offset``."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    indent = data[line_start:offset]
    if indent.strip():  # the statement shares its line with other code: break the line
        return offset, offset, b"\n" + pragma.encode() + b"\n"
    return line_start, line_start, indent + pragma.encode() + b"\n"
