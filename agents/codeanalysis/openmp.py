"""Rewriting a kernel's source with OpenMP pragmas for the loops a plan marks parallel."""

from __future__ import annotations

from dataclasses import dataclass

from agents.codeanalysis.loops import LoopPlan


@dataclass(frozen=True)
class PragmaStyle:
    """The knobs of one rewrite."""

    schedule: str = "static"
    """An OpenMP schedule: ``static``, ``dynamic,64``, ``guided``..."""
    collapse: bool = False
    """Collapse perfectly nested loops where the plan allows it."""
    simd: bool = False
    """Use ``parallel for simd`` (vectorize each thread's chunk)."""

    @property
    def label(self) -> str:
        parts = [f"schedule({self.schedule})"]
        parts += ["collapse"] if self.collapse else []
        parts += ["simd"] if self.simd else []
        return " ".join(parts)


def loop_pragma(plan: LoopPlan, style: PragmaStyle) -> str:
    """The ``#pragma omp parallel for ...`` line for one loop."""
    clauses = ["parallel for simd" if style.simd else "parallel for", f"schedule({style.schedule})"]
    if style.collapse and plan.collapse > 1:
        clauses.append(f"collapse({plan.collapse})")
    by_op: dict[str, list[str]] = {}
    for name, op in sorted(plan.reductions.items()):
        by_op.setdefault(op, []).append(name)
    clauses += [f"reduction({op}:{','.join(names)})" for op, names in by_op.items()]
    if plan.privates:
        clauses.append(f"private({','.join(plan.privates)})")
    return "#pragma omp " + " ".join(clauses)


def apply_plans(source: str, plans: list[LoopPlan], style: PragmaStyle) -> str:
    """``source`` with a pragma before every planned loop and ``omp atomic`` before indirect updates."""
    data = source.encode()
    insertions: list[tuple[int, str]] = []
    for plan in plans:
        insertions.append((plan.loop.start_byte, loop_pragma(plan, style)))
        insertions += [(statement.start_byte, "#pragma omp atomic") for statement in plan.atomics]
    for offset, pragma in sorted(insertions, reverse=True):
        line_start = data.rfind(b"\n", 0, offset) + 1
        indent = data[line_start:offset]
        if indent.strip():  # the statement shares its line with other code: break the line
            data = data[:offset] + b"\n" + pragma.encode() + b"\n" + data[offset:]
        else:
            data = data[:line_start] + indent + pragma.encode() + b"\n" + data[line_start:]
    return data.decode()
