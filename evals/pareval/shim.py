"""The C-ABI shim: a ``void f_c(const T* x, int64_t n, R* out)`` that calls ParEval's ``std::vector`` function.

The shim copies each array argument into a ``std::vector`` (or ``std::array``), calls the function, copies
the outputs and inouts back and stores a returned value in ``out[0]``. The same shim wraps ParEval's
baseline (the task's reference) and every recorded model output (a candidate), so both are measured
with the same copies around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from evals.pareval.signature import Container, CppType
from tasks.model import Signature


class ArgKind(StrEnum):
    """How the shim produces one argument of the ParEval call."""

    array_in = "array_in"
    """Copied from the C array into a container; not copied back."""
    array_inout = "array_inout"
    """Copied in and back out."""
    array_out = "array_out"
    """A zero-filled container (as ParEval's driver leaves it), copied back out."""
    scalar = "scalar"
    """A C parameter passed on by value."""
    size = "size"
    """A size parameter, converted to the type ParEval's function takes."""


@dataclass(frozen=True)
class ShimArg:
    """One argument of the call of ParEval's function."""

    kind: ArgKind
    name: str
    """The C parameter it comes from."""
    type: CppType
    length: str = ""
    """The element count as a C expression over the size parameters (arrays only)."""


@dataclass(frozen=True)
class Shim:
    """Everything needed to write the C-ABI wrapper of one ParEval function."""

    signature: Signature
    """The task's C-ABI signature (the wrapper's prototype)."""
    args: tuple[ShimArg, ...]
    """The arguments of the ParEval call, in ParEval's order."""
    result: str | None = None
    """The C output parameter receiving the returned value (shape 1), if the function returns one."""

    def render(self, callee: str) -> str:
        """The wrapper's definition, calling ``callee`` (the baseline's name, or the prompt's function)."""
        taken = {p.name for p in self.signature.params} | {callee}
        locals_ = {arg.name: _local(arg.name, taken) for arg in self.args}
        lines = [f"{self.signature.prototype()} {{"]
        call_args = []
        for arg in self.args:
            local = locals_[arg.name]
            if arg.kind is ArgKind.scalar:
                call_args.append(arg.name)
            elif arg.kind is ArgKind.size:
                call_args.append(f"static_cast<{arg.type.element}>({arg.name})")
            else:
                lines.append(f"    {_declare(arg, local)}")
                call_args.append(local)
        call = f"::{callee}({', '.join(call_args)})"  # global scope: a parameter may share the function's name
        lines.append(f"    {self.result}[0] = {call};" if self.result else f"    {call};")
        for arg in self.args:
            if arg.kind in (ArgKind.array_inout, ArgKind.array_out):
                local = locals_[arg.name]
                count = f"std::min<size_t>({local}.size(), static_cast<size_t>({arg.length}))"
                lines.append(f"    std::copy_n({local}.begin(), {count}, {arg.name});")
        lines.append("}")
        return "\n".join(lines)


def _local(name: str, taken: set[str]) -> str:
    local = f"{name}_vec"
    while local in taken:
        local += "_"
    taken.add(local)
    return local


def _declare(arg: ShimArg, local: str) -> str:
    count = f"static_cast<size_t>({arg.length})"
    if arg.type.container is Container.array:
        declaration = f"{arg.type.cpp} {local}{{}};"
        if arg.kind is ArgKind.array_out:
            return declaration
        return f"{declaration} std::copy_n({arg.name}, {local}.size(), {local}.begin());"
    if arg.kind is ArgKind.array_out:
        return f"{arg.type.cpp} {local}({count});"
    return f"{arg.type.cpp} {local}({arg.name}, {arg.name} + {count});"


def c_expression(shape: str) -> str:
    """A shape expression (``n``, ``M * (M // 4)``) in C (integer division is ``/`` there)."""
    return shape.replace("//", "/")
