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
    """``source`` with a pragma before every planned loop, ``omp atomic`` before indirect updates, and
    loop conditions put in the canonical form OpenMP requires."""
    data = source.encode()
    edits: list[tuple[int, int, bytes]] = []
    for plan in plans:
        edits.append(_pragma_edit(data, plan.loop.start_byte, loop_pragma(plan, style)))
        edits += [_pragma_edit(data, statement.start_byte, "#pragma omp atomic") for statement in plan.atomics]
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
