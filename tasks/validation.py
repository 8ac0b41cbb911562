"""Checks across fields of a kernel task that a single field's type cannot express."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tasks.dtypes import DType
from tasks.generators import CsrGraph, CsrMatrix, Normal, Permutation, Points, Sorted
from tasks.shapes import ShapeExpr

if TYPE_CHECKING:
    from tasks.model import KernelTask


def check_task(task: KernelTask) -> None:
    """Raise ``ValueError`` listing every inconsistency in ``task`` (one per line, each naming its field)."""
    problems = list(_problems(task))
    if problems:
        raise ValueError("\n".join(problems))


def _problems(task: KernelTask) -> Iterator[str]:
    yield from _size_problems(task)
    yield from _generator_problems(task)
    known = task.size_symbols | task.derived_symbols
    for i, param in enumerate(task.signature.params):
        for field, expr in (("shape", param.shape), ("value", param.value)):
            if expr is not None:
                yield from _unknown(f"signature.params[{i}].{field}", expr, known)
        if param.role.value == "size" and param.value is None and param.name not in known:
            yield (
                f"signature.params[{i}]: size parameter '{param.name}' is not a size symbol; "
                f"add it to the sizes or give it a value expression (symbols: {sorted(known)})"
            )
    for field in ("bytes", "flops"):
        yield from _unknown(f"work.{field}", getattr(task.work, field), known)
    results = {p.name: p for p in task.signature.results}
    for name, comparison in task.compare.items():
        if name not in results:
            yield f"compare.{name}: not an output or inout parameter (those are {sorted(results)})"
        elif comparison.mode.value == "close" and not results[name].dtype.is_float:
            yield f"compare.{name}: mode 'close' is for float outputs; '{name}' is {results[name].dtype}"
    yield from _reference_problems(task)
    yield from _knob_problems(task)


def _knob_problems(task: KernelTask) -> Iterator[str]:
    for name, values in task.knobs.items():
        if len(set(values)) != len(values):
            yield f"knobs.{name}: values repeat ({values})"
        if f"#ifndef {name}" not in task.reference.cpp:
            yield (
                f"knobs.{name}: the C++ reference never reads it; give it a default there with "
                f"'#ifndef {name}' / '#define {name} VALUE' / '#endif'"
            )


def _unknown(field: str, expr: ShapeExpr, known: frozenset[str] | set[str]) -> Iterator[str]:
    missing = expr.symbols - known
    if missing:
        yield f"{field}: '{expr}' uses unknown size symbol(s) {sorted(missing)} (known: {sorted(known)})"


def _size_problems(task: KernelTask) -> Iterator[str]:
    symbols = task.size_symbols
    for group in ("test", "bench", "screen"):
        for i, size in enumerate(getattr(task.sizes, group)):
            if set(size) != symbols:
                yield f"sizes.{group}[{i}]: gives symbols {sorted(size)}, expected exactly {sorted(symbols)}"
    clash = symbols & task.derived_symbols
    if clash:
        yield f"sizes: symbol(s) {sorted(clash)} are also defined by an input generator"
    values = [v for size in task.sizes.test for v in size.values()]
    wanted = {
        "0 or 1": any(v <= 1 for v in values),
        "an odd value above 1": any(v > 1 and v % 2 for v in values),
        "a prime": any(_is_prime(v) for v in values),
    }
    missing = [what for what, present in wanted.items() if not present]
    if missing:
        yield f"sizes.test: must include degenerate sizes; none has {', '.join(missing)} (got {values})"


def _is_prime(value: int) -> bool:
    return value >= 2 and all(value % d for d in range(2, int(value**0.5) + 1))


_DTYPE_RULES: tuple[tuple[type, str, str], ...] = (
    (Normal, "float", "a float"),
    (Points, "float", "a float"),
    (Permutation, "integer", "an integer"),
    (Sorted, "numeric", "a numeric"),
)


def _generator_problems(task: KernelTask) -> Iterator[str]:
    params = {p.name: p for p in task.signature.params}
    wanted = {p.name for p in task.signature.generated}
    filled: dict[str, int] = {}
    known = set(task.size_symbols)
    for i, gen in enumerate(task.inputs):
        where = f"inputs[{i}] ({gen.kind})"
        for expr in gen.shapes():
            yield from _unknown(where, expr, known)
        known.update(gen.defines())
        for name in gen.produces():
            if name not in params:
                yield f"{where}: fills '{name}', which is not a parameter (parameters: {sorted(params)})"
            elif name not in wanted:
                role = params[name].role
                yield f"{where}: fills '{name}', whose role is {role}; only inputs and inouts are generated"
            elif name in filled:
                yield f"{where}: fills '{name}', already filled by inputs[{filled[name]}]"
            else:
                filled[name] = i
                yield from _dtype_problem(where, gen, params[name].dtype, name)
        if isinstance(gen, CsrGraph | CsrMatrix):
            for name in (gen.row_ptr, gen.col_idx):
                if name in params and not params[name].dtype.is_integer:
                    yield f"{where}: '{name}' holds CSR indices and needs an integer dtype"
        if isinstance(gen, CsrGraph | CsrMatrix | Points | Permutation | Sorted):
            for name in gen.produces():
                if name in params and not params[name].is_array:
                    yield f"{where}: '{name}' is a scalar, but {gen.kind} produces an array"
    for name in sorted(wanted - filled.keys()):
        yield f"inputs: no generator fills parameter '{name}' (every input and inout needs one)"


def _dtype_problem(where: str, gen: object, dtype: DType, name: str) -> Iterator[str]:
    for kind, category, article in _DTYPE_RULES:
        if type(gen) is kind:
            ok = {"float": dtype.is_float, "integer": dtype.is_integer, "numeric": dtype is not DType.bool}[category]
            if not ok:
                yield f"{where}: '{name}' is {dtype}, but this generator needs {article} parameter"


def _reference_problems(task: KernelTask) -> Iterator[str]:
    if task.signature.function not in task.reference.cpp:
        yield f"reference.cpp: does not mention the function '{task.signature.function}'"
    if task.reference.numpy is not None:
        try:
            code = compile(task.reference.numpy, "<reference.numpy>", "exec")
        except SyntaxError as exc:
            yield f"reference.numpy: line {exc.lineno}: {exc.msg}"
            return
        if "oracle" not in code.co_names:
            yield "reference.numpy: must define a function 'oracle(**args)' returning the outputs"
