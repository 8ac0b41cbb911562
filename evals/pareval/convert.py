"""One ParEval problem -> one ParaForge task: signature, inputs, sizes, shimmed reference, comparisons.

:func:`convert_problem` reads the prompt's function head and the problem's driver, decides each
parameter's role, dtype and shape, maps the driver's random inputs to ParaForge generators, wraps
ParEval's sequential baseline in the C-ABI shim as the reference, and validates the result with
ParaForge's own task model. Anything it cannot express raises
:class:`~evals.pareval.skips.Unconvertible` with the reason.
"""

from __future__ import annotations

import keyword
import math
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from evals.pareval.cpp import angle_includes
from evals.pareval.driver import Driver, Fill, FillKind, read_driver
from evals.pareval.shim import ArgKind, Shim, ShimArg, c_expression
from evals.pareval.signature import Container, CppFunction, CppParam, PromptParts, parse_head, parse_prompt
from evals.pareval.sizes import SizeModel
from evals.pareval.skips import SkipReason, Unconvertible
from evals.pareval.source import Checkout, PromptRecord, problem_size_value
from tasks.dtypes import DType
from tasks.loader import TaskFileError, parse_task
from tasks.model import Family, KernelTask, Param, Role, Signature
from tasks.shapes import ShapeExpr

DEFAULT_TOLERANCE = 1e-6
"""ParEval's ``fequal`` default, for float results whose ``validate()`` states no tolerance."""
TAGS = ["pareval"]
TASK_PREFIX = "pareval-"
SHIM_HEADERS = ("algorithm", "array", "cstddef", "cstdint", "vector")
"""Headers the shim itself needs."""


@dataclass(frozen=True)
class Conversion:
    """A converted problem: the task, its file text and what is needed to complete recorded outputs."""

    record: PromptRecord
    task: KernelTask
    yaml_text: str
    function: CppFunction
    """ParEval's function, as the prompt declares it."""
    shim: Shim
    prelude: str
    """The ``#include`` block both the reference and the candidates start with."""


def task_name(problem: str) -> str:
    """The ParaForge task name of a ParEval problem: ``03_dense_la_axpy`` -> ``pareval-03-dense-la-axpy``."""
    slug = re.sub(r"[^a-z0-9]+", "-", problem.lower()).strip("-")
    return f"{TASK_PREFIX}{slug}"[:64].rstrip("-")


def convert_problem(checkout: Checkout, record: PromptRecord, model: str) -> Conversion:
    """Convert one ParEval problem.

    Args:
        checkout: the ParEval checkout holding the problem's driver and baseline.
        record: the problem's prompt for ``model``.
        model: the ParEval execution model the prompt belongs to (``omp`` or ``serial``).

    Raises:
        Unconvertible: the problem cannot become a task; the reason says why.
    """
    try:
        family = Family(record.problem_type)
    except ValueError:
        raise Unconvertible(
            SkipReason.driver_unreadable, f"problem type '{record.problem_type}' is not one of ParEval's 12"
        ) from None
    parts = parse_prompt(record.prompt)
    function = parse_head(parts.head)
    files = checkout.problem_files(record)
    for path in (files.driver, files.baseline):
        if not path.is_file():
            raise Unconvertible(SkipReason.driver_missing, f"{path.relative_to(checkout.root)} is missing")
    driver_text = files.driver.read_text(encoding="utf-8", errors="replace")
    baseline_text = files.baseline.read_text(encoding="utf-8", errors="replace")
    try:
        driver = read_driver(driver_text)
    except ValueError as exc:
        raise Unconvertible(SkipReason.driver_unreadable, f"cpu.cc: {exc}") from None
    fields = _call_fields(driver, function)
    baseline = driver.baseline_function(function.name)
    if baseline is None:
        raise Unconvertible(SkipReason.driver_unreadable, "best() does not call a baseline with compute()'s arguments")
    try:
        plan = _Plan(function, fields, driver)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise Unconvertible(SkipReason.invalid_task, f"the signature is not valid: {problems}") from None
    problem_size = checkout.problem_size(record.name, model)
    try:
        problem_value = problem_size_value(problem_size)
    except ValueError as exc:
        raise Unconvertible(SkipReason.problem_size, str(exc)) from None
    bench = plan.sizes.at(problem_value)
    headers = [*checkout.utility_headers(), *driver.includes, *angle_includes(baseline_text), *SHIM_HEADERS]
    prelude = _prelude(headers, omp=model == "omp")
    reference = _reference(prelude, parts, baseline_text, plan.shim.render(baseline))
    data = {
        "name": task_name(record.name),
        "family": family.value,
        "description": _description(record, model, parts, function, plan),
        "targets": ["cpp-openmp"],
        "tags": TAGS,
        "signature": _signature_data(plan.signature),
        "inputs": plan.generators,
        "sizes": {"test": plan.sizes.test_sizes(plan.shapes.values(), problem_value), "bench": [bench]},
        "reference": {"cpp": reference},
        "compare": plan.compare(driver.tolerance),
        "work": plan.work(),
    }
    text = _header(record, model, problem_size) + _dump(data)
    try:
        task = parse_task(text, source=f"{data['name']}.yaml")
    except TaskFileError as exc:
        raise Unconvertible(SkipReason.invalid_task, str(exc)) from None
    assert isinstance(task, KernelTask)
    return Conversion(record=record, task=task, yaml_text=text, function=function, shim=plan.shim, prelude=prelude)


def _signature_data(signature: Signature) -> dict[str, Any]:
    data = signature.model_dump(mode="json", exclude_none=True)
    for param in data["params"]:
        if str(param.get("shape", "")).isdigit():
            param["shape"] = int(param["shape"])  # `shape: 1`, not `shape: '1'`
    return data


def _call_fields(driver: Driver, function: CppFunction) -> list[str]:
    fields = driver.call_fields(function.name)
    if fields is None:
        raise Unconvertible(SkipReason.driver_unreadable, f"compute() does not call {function.name}()")
    if len(fields) != len(function.params):
        raise Unconvertible(
            SkipReason.driver_unreadable,
            f"compute() passes {len(fields)} argument(s); {function.name}() takes {len(function.params)}",
        )
    for param, field in zip(function.params, fields, strict=True):
        if field.startswith("?"):
            raise Unconvertible(
                SkipReason.driver_unreadable, f"compute() passes `{field[1:]}` as '{param.name}', not a context field"
            )
    return fields


class _Plan:
    """The signature, generators and shim of one problem, decided parameter by parameter."""

    def __init__(self, function: CppFunction, fields: list[str], driver: Driver) -> None:
        self.function = function
        self.driver = driver
        self.c_names = _c_names([p.name for p in function.params])
        """ParEval's parameter name -> the C parameter's (the same unless it is a Python keyword)."""
        size_fields = {
            field: self.c_names[param.name]
            for param, field in zip(function.params, fields, strict=True)
            if param.type.container is Container.scalar and param.type.dtype.is_integer and field in driver.values
        }
        self.sizes = SizeModel(driver, size_fields, taken=set(self.c_names.values()))
        self.params: list[Param] = []
        self.generators: list[dict[str, Any]] = []
        self.shapes: dict[str, ShapeExpr] = {}
        args: list[ShimArg] = []
        for param, field in zip(function.params, fields, strict=True):
            args.append(self._add(self.c_names[param.name], param, field, field in size_fields))
        if self.sizes.extra_symbol is not None:
            self._insert_extra(self.sizes.extra_symbol)
        result = None
        if function.returns is not None:
            taken = set(self.c_names.values()) | {self.sizes.extra_symbol}
            result = next(n for n in ("out", "result", "out_", "result_") if n not in taken)
            self.params.append(Param(name=result, dtype=function.returns.dtype, role=Role.output, shape=ShapeExpr(1)))
            self.shapes[result] = ShapeExpr(1)
        c_name = f"{function.name}_c"
        while c_name in {p.name for p in self.params}:
            c_name += "_"
        self.signature = Signature(function=c_name, params=self.params)
        self.shim = Shim(signature=self.signature, args=tuple(args), result=result)

    def _add(self, name: str, param: CppParam, field: str, is_size: bool) -> ShimArg:
        ctype = param.type
        if is_size:
            self.params.append(Param(name=name, dtype=DType.int64, role=Role.size))
            return ShimArg(ArgKind.size, name, ctype)
        fills = self.driver.fills.get(field, [])
        if ctype.container is Container.scalar:
            self.params.append(Param(name=name, dtype=ctype.dtype, role=Role.input))
            self.generators.append(_generator(name, ctype.dtype, field, fills))
            return ShimArg(ArgKind.scalar, name, ctype)
        shape = ShapeExpr(ctype.extent) if ctype.container is Container.array else self.sizes.shape(field)
        role = Role.input if ctype.const or not ctype.reference else _written_role(fills)
        self.params.append(Param(name=name, dtype=ctype.dtype, role=role, shape=shape))
        self.shapes[name] = shape
        if role is not Role.output:
            self.generators.append(_generator(name, ctype.dtype, field, fills))
        kind = {Role.input: ArgKind.array_in, Role.inout: ArgKind.array_inout, Role.output: ArgKind.array_out}[role]
        return ShimArg(kind, name, ctype, length=c_expression(str(shape)))

    def _insert_extra(self, symbol: str) -> None:
        """Put the macro's own size parameter right after the first array it sizes (``x, n``)."""
        position = next(
            (i + 1 for i, p in enumerate(self.params) if p.shape is not None and symbol in p.shape.symbols),
            len(self.params),
        )
        self.params.insert(position, Param(name=symbol, dtype=DType.int64, role=Role.size))

    def compare(self, tolerance: float | None) -> dict[str, dict[str, Any]]:
        """Float results within ParEval's tolerance (absolute, and the same relative), the rest exactly."""
        tol = tolerance if tolerance is not None else DEFAULT_TOLERANCE
        rules: dict[str, dict[str, Any]] = {}
        for param in self.params:
            if param.role in (Role.output, Role.inout):
                rules[param.name] = (
                    {"mode": "close", "rtol": tol, "atol": tol} if param.dtype.is_float else {"mode": "exact"}
                )
        return rules

    def work(self) -> dict[str, str]:
        """Bytes: every array read or written once (the shim's copies make every call move them). Operations:
        one per element, a lower bound for any of these kernels."""
        by_shape: dict[str, int] = defaultdict(int)
        elements: dict[str, int] = defaultdict(int)
        for param in self.params:
            if param.shape is not None:
                by_shape[str(param.shape)] += param.dtype.itemsize
                elements[str(param.shape)] += 1
        return {"bytes": _sum(by_shape), "flops": _sum(elements)}


def _sum(terms: dict[str, int]) -> str:
    parts = []
    for shape, factor in terms.items():
        wrapped = shape if re.fullmatch(r"\w+", shape) else f"({shape})"
        parts.append(wrapped if factor == 1 else f"{factor}*{wrapped}")
    return " + ".join(parts) or "1"


def _c_names(names: list[str]) -> dict[str, str]:
    """C parameter names: ParEval's, with ``_`` appended to one that is a Python keyword (``in``, ``from``)."""
    renamed: dict[str, str] = {}
    for name in names:
        c_name = name
        while keyword.iskeyword(c_name) or c_name in renamed.values() or (c_name != name and c_name in names):
            c_name += "_"
        renamed[name] = c_name
    return renamed


def _written_role(fills: list[Fill]) -> Role:
    """Inout when the driver puts data in the container before the call; output when it leaves it zeroed."""
    full = [f for f in fills if f.kind is not FillKind.opaque]
    if len(full) != len(fills):
        return Role.inout  # _generator reports the opaque fill
    if full and not (full[-1].kind is FillKind.constant and full[-1].low == 0):
        return Role.inout
    return Role.output


def _generator(name: str, dtype: DType, field: str, fills: list[Fill]) -> dict[str, Any]:
    opaque = next((f for f in fills if f.kind is FillKind.opaque), None)
    if opaque is not None:
        note = f" ({opaque.note})" if opaque.note else ""
        raise Unconvertible(
            SkipReason.input_generator, f"the driver fills '{field}' with `{_short(opaque.statement)}`{note}"
        )
    fill = fills[-1] if fills else Fill(FillKind.constant, "", 0.0, 0.0)
    if dtype is DType.bool:
        if fill.kind is FillKind.constant:
            raise Unconvertible(
                SkipReason.input_generator, f"'{field}' is a constant bool; generators draw bools at random"
            )
        return {"kind": "uniform", "param": name}
    if fill.kind is FillKind.constant:
        value = fill.low if dtype.is_float else int(fill.low)
        return {"kind": "uniform", "param": name, "low": value, "high": value}
    if dtype.is_float:
        if fill.integer_draw:
            raise Unconvertible(
                SkipReason.input_generator,
                f"the driver draws whole numbers into '{field}' (`{_short(fill.statement)}`)",
            )
        return {"kind": "uniform", "param": name, "low": fill.low, "high": fill.high}
    low = math.ceil(fill.low)
    high = math.ceil(fill.high) - 1 if fill.high_exclusive else math.floor(fill.high)
    info = _int_range(dtype)
    if high < low or low < info[0] or high > info[1]:
        raise Unconvertible(SkipReason.input_generator, f"cannot draw '{field}' as {dtype} in [{low}, {high}]")
    return {"kind": "uniform", "param": name, "low": low, "high": high}


def _int_range(dtype: DType) -> tuple[int, int]:
    bits = dtype.itemsize * 8
    return (0, 2**bits - 1) if dtype.value.startswith("u") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _short(statement: str, limit: int = 120) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _prelude(headers: list[str], *, omp: bool) -> str:
    standard = sorted({h for h in headers if re.fullmatch(r"[a-z_]+", h)})
    lines = [f"#include <{h}>" for h in standard]
    if omp:
        lines.append("#include <omp.h>")
    return "\n".join(lines)


def _without_includes(text: str, prelude: str) -> str:
    """``text`` without the ``#include`` lines ``prelude`` already has."""
    present = set(angle_includes(prelude))
    kept = [line for line in text.splitlines() if not (m := angle_includes(line)) or m[0] not in present]
    return "\n".join(kept).strip()


def _clean_cpp(text: str) -> str:
    text = re.sub(r"^\s*#\s*pragma\s+once\s*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"\bNO_INLINE\b\s*", "", text)
    lines = [line.expandtabs(4).rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _reference(prelude: str, parts: PromptParts, baseline: str, shim: str) -> str:
    preamble = _without_includes(_clean_cpp(parts.preamble), prelude)
    pieces = [
        "// ParEval's sequential baseline (its speedup reference), called through a C-ABI shim that copies\n"
        "// the arrays into std::vector and back. Generated by `agent import pareval`.",
        prelude,
        *([preamble] if preamble else []),
        _clean_cpp(baseline),
        shim,
    ]
    return "\n\n".join(pieces) + "\n"


def _description(record: PromptRecord, model: str, parts: PromptParts, function: CppFunction, plan: _Plan) -> str:
    lines = [_clean_cpp(parts.docstring), ""]
    lines.append(f"Imported from ParEval problem {record.name} ({model} prompt), whose function is")
    lines.append(f"    {function.head}")
    lines.append(f"It is called here through the C ABI `{plan.signature.prototype()}`:")
    lines.append("each std::vector or std::array arrives as a pointer whose length the size parameters give.")
    for param in plan.params:
        if param.shape is None:
            continue
        count = "1 element" if str(param.shape) == "1" else f"{param.shape} elements"
        if param.name == plan.shim.result:
            what = "receives the value the function returns"
        elif param.role is Role.input:
            what = "read only"
        elif param.role is Role.inout:
            what = "read and updated in place"
        else:
            what = ("an output with garbage initial contents: write every element (ParEval passes it zero-filled, "
                    "so a result that accumulates starts from 0)")  # fmt: skip
        lines.append(textwrap.fill(f"- {param.name}: {count}, {what}.", width=100, subsequent_indent="  "))
    return "\n".join(lines).strip() + "\n"


def _header(record: PromptRecord, model: str, problem_size: str) -> str:
    return (
        f"# Imported from ParEval {record.problem_type}/{record.name} ({model} prompt; "
        f"benchmark at DRIVER_PROBLEM_SIZE={problem_size}) by `agent import pareval`.\n"
    )


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, short mappings of scalars inline."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=120, allow_unicode=True)
