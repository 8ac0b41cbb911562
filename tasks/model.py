"""The task model: what a kernel task file declares, as strict pydantic models.

A task file is YAML; :func:`tasks.loader.load_task` turns it into a :class:`KernelTask`. Every
model forbids unknown keys so that a typo never silently changes a task.
"""

from __future__ import annotations

import keyword
import re
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from tasks.dtypes import DType
from tasks.generators import Generator
from tasks.shapes import Shape, ShapeExpr

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CPP_KEYWORDS = frozenset(
    """
    alignas alignof and asm auto bool break case catch char class const constexpr continue decltype
    default delete do double else enum explicit export extern false float for friend goto if inline
    int long mutable namespace new noexcept not nullptr operator or private protected public
    register return short signed sizeof static struct switch template this throw true try typedef
    typename union unsigned using virtual void volatile while main
    """.split()
)


def _to_identifier(value: Any) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ValueError(f"expected a C identifier (letters, digits, _), got {value!r}")
    if value in _CPP_KEYWORDS or keyword.iskeyword(value):
        raise ValueError(f"{value!r} is a reserved word in C++ or Python")
    return value


Identifier = Annotated[str, BeforeValidator(_to_identifier)]
"""A name usable as both a C++ and a Python identifier."""


class StrictModel(BaseModel):
    """Base of every task-file model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskKind(StrEnum):
    """What a task asks for."""

    kernel = "kernel"
    train_config = "train_config"
    serve_config = "serve_config"


class Target(StrEnum):
    """A language/runtime a kernel may be written for."""

    cpp_openmp = "cpp-openmp"
    cuda = "cuda"
    triton = "triton"


class Family(StrEnum):
    """The ParEval problem families."""

    dense_la = "dense_la"
    fft = "fft"
    geometry = "geometry"
    graph = "graph"
    histogram = "histogram"
    reduce = "reduce"
    scan = "scan"
    search = "search"
    sort = "sort"
    sparse_la = "sparse_la"
    stencil = "stencil"
    transform = "transform"


class Role(StrEnum):
    """How the kernel uses a parameter."""

    input = "input"
    """Read only; passed as ``const T*`` (array) or ``T`` (scalar)."""
    output = "output"
    """Written only; pre-filled with a poison pattern by the harness."""
    inout = "inout"
    """Read and written in place."""
    size = "size"
    """An integer size, computed from the size symbols."""


class Param(StrictModel):
    """One parameter of the kernel's C-ABI signature."""

    name: Identifier
    dtype: DType
    role: Role
    shape: Shape | None = None
    """Number of elements, for arrays; absent for a scalar passed by value."""
    value: Shape | None = None
    """For ``size`` parameters: the value as an expression (default: the symbol of the same name)."""

    @model_validator(mode="after")
    def _role_fits(self) -> Param:
        if self.role is Role.size:
            if not self.dtype.is_integer:
                raise ValueError(f"size parameter '{self.name}' must have an integer dtype, not {self.dtype}")
            if self.shape is not None:
                raise ValueError(f"size parameter '{self.name}' is a scalar: remove its shape")
        elif self.value is not None:
            raise ValueError(f"only size parameters take a value expression ('{self.name}' is {self.role})")
        if self.role in (Role.output, Role.inout) and self.shape is None:
            raise ValueError(f"{self.role} parameter '{self.name}' needs a shape: outputs are arrays")
        return self

    @property
    def is_array(self) -> bool:
        return self.shape is not None

    @property
    def size_expr(self) -> ShapeExpr:
        """The expression giving a size parameter's value."""
        return self.value or ShapeExpr(self.name)

    def c_declaration(self) -> str:
        """The parameter as written in the C prototype, e.g. ``const double* x``."""
        if not self.is_array:
            return f"{self.dtype.c_type} {self.name}"
        const = "const " if self.role is Role.input else ""
        return f"{const}{self.dtype.c_type}* {self.name}"


class Signature(StrictModel):
    """The kernel's C-ABI signature. The function returns ``void``; results go to outputs."""

    function: Identifier
    params: list[Param] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_unique(self) -> Signature:
        seen: set[str] = set()
        for param in self.params:
            if param.name in seen:
                raise ValueError(f"parameter name '{param.name}' is used twice")
            seen.add(param.name)
        if param := next((p for p in self.params if p.name == self.function), None):
            raise ValueError(f"parameter '{param.name}' has the same name as the function")
        if not any(p.role in (Role.output, Role.inout) for p in self.params):
            raise ValueError("the signature has no output or inout parameter: the kernel would compute nothing")
        return self

    def param(self, name: str) -> Param:
        """The parameter called ``name``."""
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)

    def prototype(self) -> str:
        """The C prototype, e.g. ``void sum(const double* x, int64_t n, double* out)``."""
        return f"void {self.function}({', '.join(p.c_declaration() for p in self.params)})"

    @property
    def generated(self) -> list[Param]:
        """Parameters whose values come from input generators (inputs and inouts)."""
        return [p for p in self.params if p.role in (Role.input, Role.inout)]

    @property
    def results(self) -> list[Param]:
        """Parameters whose final contents are compared (outputs and inouts)."""
        return [p for p in self.params if p.role in (Role.output, Role.inout)]


Size = dict[Identifier, Annotated[int, Field(ge=0)]]
"""Values of the free size symbols for one problem instance, e.g. ``{n: 1000}``."""


def size_text(size: Size) -> str:
    """``size`` as people write it: ``rows=2000, cols=2000``."""
    return ", ".join(f"{symbol}={value}" for symbol, value in size.items())


class Sizes(StrictModel):
    """Problem sizes for testing and for benchmarking."""

    test: list[Size] = Field(min_length=1)
    """Small sizes run for correctness; must include degenerate ones (0 or 1, odd, prime)."""
    bench: list[Size] = Field(min_length=1)
    """Large sizes used for timing and speedups."""
    screen: list[Size] = Field(default_factory=list)
    """Smaller sizes (about a tenth of the bench work) at which a tournament times every candidate;
    its finalists are timed again at the first bench size. Empty: candidates are timed at the bench size."""

    def timed(self, screen: bool = False) -> Size:
        """The size a candidate is timed at: the first screen size when ``screen`` and there is one, else
        the first bench size."""
        return self.screen[0] if screen and self.screen else self.bench[0]


class Reference(StrictModel):
    """The trusted sequential implementation (the speedup baseline) and an optional oracle."""

    cpp: str = Field(min_length=1)
    """C++ source defining the task's function; compiled with the generated driver."""
    numpy: str | None = None
    """Python source defining ``oracle(**args) -> dict[str, array]`` (``np`` is in scope)."""


class CompareMode(StrEnum):
    """How an output is compared with the expected one."""

    exact = "exact"
    close = "close"
    unordered = "unordered"
    """Compared after sorting both sides: for set-like outputs whose order is free."""


class Comparison(StrictModel):
    """How one output is compared; floats use ``|a-b| <= atol + rtol*|b|``."""

    mode: CompareMode = CompareMode.exact
    rtol: float = Field(default=0.0, ge=0)
    atol: float = Field(default=0.0, ge=0)


class TimeLimits(StrictModel):
    """Wall-clock limits, in seconds, for each kind of job a task causes."""

    compile_s: float = Field(default=120, gt=0)
    test_s: float = Field(default=20, gt=0)
    """One run of the driver on one test size."""
    bench_s: float = Field(default=120, gt=0)
    """One run of the driver on one benchmark size, all repeats included."""


class Work(StrictModel):
    """The work one call does, for roofline figures."""

    bytes: Shape
    """Bytes that must move between memory and the cores at least once."""
    flops: Shape
    """Arithmetic operations (integer operations count for integer kernels)."""


class KernelTask(StrictModel):
    """A kernel to parallelize: signature, inputs, sizes, reference and checks."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$")]
    version: int = Field(default=1, ge=1)
    kind: Literal[TaskKind.kernel] = TaskKind.kernel
    family: Family
    description: str = Field(min_length=10)
    targets: list[Target] = Field(min_length=1)
    tags: list[str] = []
    signature: Signature
    inputs: list[Generator]
    sizes: Sizes
    reference: Reference
    compare: dict[Identifier, Comparison] = {}
    limits: TimeLimits = TimeLimits()
    work: Work
    knobs: dict[Identifier, Annotated[list[int], Field(min_length=1)]] = {}
    """Compile-time constants that change speed, not results (a tile size, say), with the values worth
    trying. The reference reads each as a macro with a default (``#ifndef NAME``); a candidate gets
    ``#define NAME value`` in front of its code."""

    @model_validator(mode="after")
    def _consistent(self) -> KernelTask:
        from tasks.validation import check_task

        check_task(self)
        return self

    @cached_property
    def size_symbols(self) -> frozenset[str]:
        """The free size symbols: those a size entry must give."""
        return frozenset(self.sizes.test[0])

    @cached_property
    def derived_symbols(self) -> frozenset[str]:
        """Symbols defined by generators (e.g. ``nnz`` of a generated graph)."""
        return frozenset(symbol for gen in self.inputs for symbol in gen.defines())

    def comparison(self, name: str) -> Comparison:
        """How output ``name`` is compared: as declared, else exact for integers, close for floats."""
        if name in self.compare:
            return self.compare[name]
        if self.signature.param(name).dtype.is_float:
            return Comparison(mode=CompareMode.close, rtol=1e-6, atol=1e-9)
        return Comparison()

    @property
    def is_irregular(self) -> bool:
        return "irregular" in self.tags
