"""Reading a ParEval ``cpu.cc`` driver: the context's sizes, how inputs are drawn, the call and the tolerance.

A driver defines ``struct Context``, ``init()`` (sizes from ``DRIVER_PROBLEM_SIZE``, constants),
``reset()`` (random inputs, zeroed outputs), ``compute()`` (the call of the function under test) and
``validate()`` (the comparison with the baseline, with its tolerance). :func:`read_driver` reads
those parts into a :class:`Driver`; every statement that fills a context field becomes a
:class:`Fill`, and a statement the reader does not recognise is kept as an opaque fill, so that a
field filled in an unknown way is skipped rather than guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from evals.pareval.cpp import angle_includes, call_arguments, function_body, statements, strip_comments, struct_body

PROBLEM_SIZE_MACRO = "DRIVER_PROBLEM_SIZE"

_IGNORED = re.compile(r"^(?:BCAST|BCAST_PTR|SYNC|bcast\w*|GET_RANK)\s*\(|^\(void\)|^return\b|^reset\s*\(\s*ctx\s*\)")
"""MPI broadcasts and synchronisation (no-ops outside MPI), returns and the init's call of reset."""
_WRITE = re.compile(r"ctx->(\w+)\s*(?:\[[^\]]*\]\s*)*(?:\.\w+\s*)?(?:[-+*/%|&^]|<<|>>)?=(?!=)")
_MUTATE = re.compile(r"ctx->(\w+)\s*\.\s*(?:push_back|emplace_back|resize|assign|fill|clear|insert|reserve)\s*\(")
_FIELD = re.compile(r"ctx->(\w+)")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:[uUlLfF]*)$")
_TOLERANCE = (
    re.compile(r"\bfequal\s*\([^;]*?,\s*([0-9.]+(?:[eE][-+]?\d+)?)\s*\)"),
    re.compile(r"\b(?:std::)?f?abs\s*\([^;]*?\)\s*>\s*([0-9.]+(?:[eE][-+]?\d+)?)"),
)

KNOWN_HELPERS: dict[str, tuple[float, float]] = {
    "fillRandDirectedGraph": (0, 1),
}
"""Driver helpers whose result a uniform draw reproduces exactly: each fills its first argument with
independent values in ``[low, high]`` (``fillRandDirectedGraph``: every adjacency entry is ``rand() % 2``)."""


class FillKind(StrEnum):
    """How a statement fills a context field."""

    random = "random"
    """Independent uniform values (``fillRand``, ``x[i] = rand() % 2``, ``alpha = rand() / ...``)."""
    constant = "constant"
    """One value everywhere (``std::fill(..., 0)``, ``bins.fill(0)``, ``alpha = 2.0``)."""
    opaque = "opaque"
    """Anything else: a helper, a post-processing loop, a value drawn relative to the size."""


@dataclass(frozen=True)
class Fill:
    """One statement's effect on one context field."""

    kind: FillKind
    statement: str
    low: float = 0.0
    high: float = 0.0
    """Inclusive bounds for integers, ``[low, high)`` for floats; ``low == high`` for a constant."""
    high_exclusive: bool = False
    """``high`` itself is never drawn (``fillRand``: ``rand() % (high - low) + low``, or a double below ``high``)."""
    integer_draw: bool = False
    """The values are drawn as integers (``rand() % k``) even when the field holds floats."""
    note: str = ""
    """Why an opaque fill is opaque, when the reader knows."""


@dataclass
class Driver:
    """What the importer needs from one ``cpu.cc``."""

    fields: dict[str, str] = field(default_factory=dict)
    """Context field -> its C++ type as declared."""
    values: dict[str, str] = field(default_factory=dict)
    """Context field -> the expression ``init()`` assigns it (``DRIVER_PROBLEM_SIZE / 4``)."""
    lengths: dict[str, str] = field(default_factory=dict)
    """Context field -> the expression ``init()`` resizes it to."""
    locals: dict[str, str] = field(default_factory=dict)
    """Local variables of ``init()`` -> their expressions (``nVals = ctx->N * ctx->N * ...``)."""
    fills: dict[str, list[Fill]] = field(default_factory=dict)
    """Context field -> the statements of ``init()`` then ``reset()`` that fill it, in order."""
    compute: str = ""
    """The body of ``compute()``."""
    best: str = ""
    """The body of ``best()``, which calls the baseline."""
    tolerance: float | None = None
    """The largest absolute tolerance ``validate()`` compares floats with, if it states one."""
    includes: list[str] = field(default_factory=list)
    """Headers the driver includes with ``<...>``."""

    def baseline_function(self, function: str) -> str | None:
        """The function ``best()`` calls with the same arguments as ``compute()`` calls ``function``."""
        wanted = self._arguments(self.compute, function)
        if wanted is None:
            return None
        for statement in statements(self.best):
            for match in re.finditer(r"(?<![\w.>])([A-Za-z_]\w*)\s*\(", statement):
                if call_arguments(statement, match.group(1)) == wanted:
                    return match.group(1)
        return None

    def call_fields(self, function: str) -> list[str] | None:
        """The context field passed at each position of the call of ``function`` in ``compute()``.

        Returns None when ``compute()`` does not call it; an argument that is not a plain ``ctx->field``
        is returned as its text prefixed with ``?``.
        """
        args = self._arguments(self.compute, function)
        if args is None:
            return None
        return [m.group(1) if (m := re.fullmatch(r"ctx->(\w+)", a)) else f"?{a}" for a in args]

    @staticmethod
    def _arguments(body: str, function: str) -> list[str] | None:
        for statement in statements(body):
            args = call_arguments(statement, function)
            if args is not None:
                return args
        return None


def read_driver(source: str) -> Driver:
    """Read the parts of a ``cpu.cc`` driver the importer uses.

    Raises:
        ValueError: the driver lacks ``struct Context``, ``init()``, ``reset()`` or ``compute()``.
    """
    text = strip_comments(source)
    context = struct_body(text, "Context")
    init = function_body(text, "init")
    reset = function_body(text, "reset")
    compute = function_body(text, "compute")
    parts = {"struct Context": context, "init()": init, "reset()": reset, "compute()": compute}
    missing = [name for name, part in parts.items() if part is None]
    if missing:
        raise ValueError(f"the driver has no {', '.join(missing)}")
    assert context is not None and init is not None and reset is not None and compute is not None
    best = function_body(text, "best") or ""
    driver = Driver(fields=_fields(context), compute=compute, best=best, includes=angle_includes(source))
    for statement in statements(init):
        _init_statement(driver, statement)
    for statement in statements(reset):
        _fill_statement(driver, statement)
    validate = function_body(text, "validate") or ""
    found = [float(m.group(1)) for pattern in _TOLERANCE for m in pattern.finditer(validate)]
    driver.tolerance = max(found) if found else None
    return driver


def _fields(context: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for declaration in statements(context):
        declaration = declaration.rstrip(";").strip()
        match = re.match(r"^(.*?[\w>*&])\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)$", declaration)
        if match is None:
            continue
        for name in match.group(2).split(","):
            fields[name.strip()] = " ".join(match.group(1).split())
    return fields


def _init_statement(driver: Driver, statement: str) -> None:
    if re.match(r"^Context\s*\*\s*ctx\s*=", statement) or _IGNORED.match(statement):
        return
    if match := re.fullmatch(r"ctx->(\w+)\s*\.\s*resize\s*\((.*)\)\s*;", statement, flags=re.DOTALL):
        driver.lengths[match.group(1)] = " ".join(match.group(2).split())
        return
    if match := re.fullmatch(r"ctx->(\w+)\s*\.\s*reserve\s*\(.*\)\s*;", statement, flags=re.DOTALL):
        return
    if match := re.fullmatch(r"(?:const\s+)?[\w:]+\s+(\w+)\s*=\s*(.*);", statement, flags=re.DOTALL):
        driver.locals[match.group(1)] = " ".join(match.group(2).split())
        return
    if match := re.fullmatch(r"ctx->(\w+)\s*=\s*(.*);", statement, flags=re.DOTALL):
        name, expr = match.group(1), " ".join(match.group(2).split())
        if "rand" not in expr and not _NUMBER.match(expr):
            driver.values[name] = expr
            return
    _fill_statement(driver, statement)


def _fill_statement(driver: Driver, statement: str) -> None:
    if _IGNORED.match(statement):
        return
    for name, fill in _fills(statement):
        driver.fills.setdefault(name, []).append(fill)


def _fills(statement: str) -> list[tuple[str, Fill]]:
    flat = " ".join(statement.split())
    if match := re.fullmatch(r"fillRand\s*\(\s*ctx->(\w+)\s*,\s*([^,]+),\s*([^,]+)\)\s*;", flat):
        low, high = _number(match.group(2)), _number(match.group(3))
        if low is not None and high is not None:
            integer = not _is_float_literal(match.group(2)) and not _is_float_literal(match.group(3))
            # rand() % (max - min) + min for integer bounds; a double in [min, max] otherwise
            fill = Fill(FillKind.random, flat, low, high, high_exclusive=True, integer_draw=integer)
            return [(match.group(1), fill)]
        return [(match.group(1), Fill(FillKind.opaque, flat, note="its bounds depend on the problem size"))]
    if match := re.fullmatch(r"std::fill\s*\(\s*ctx->(\w+)\.begin\(\)\s*,\s*ctx->\1\.end\(\)\s*,\s*(.+)\)\s*;", flat):
        return _constant(match.group(1), match.group(2), flat)
    if match := re.fullmatch(r"ctx->(\w+)\s*\.\s*fill\s*\((.+)\)\s*;", flat):
        return _constant(match.group(1), match.group(2), flat)
    if match := re.fullmatch(r"ctx->(\w+)\s*=\s*(.+);", flat):
        return [(match.group(1), _scalar_fill(match.group(2), flat))]
    if match := re.fullmatch(
        r"for\s*\(\s*(?:int|size_t|auto|unsigned)?\s*(\w+)\s*=\s*0\s*;\s*\1\s*<\s*ctx->(\w+)\.size\(\)\s*;[^)]*\)\s*"
        r"\{?\s*ctx->\2\s*\[\s*\1\s*\]\s*=\s*([^;{}]+);\s*\}?",
        flat,
    ):
        return [(match.group(2), _scalar_fill(match.group(3), flat))]
    helper = re.match(r"^([\w:]+)\s*\(", flat)
    if helper and helper.group(1) in KNOWN_HELPERS:
        args = call_arguments(flat, helper.group(1)) or []
        target = re.fullmatch(r"ctx->(\w+)", args[0]) if args else None
        if target:
            low, high = KNOWN_HELPERS[helper.group(1)]
            return [(target.group(1), Fill(FillKind.random, flat, low, high, integer_draw=True))]
    written = {m.group(1) for pattern in (_WRITE, _MUTATE) for m in pattern.finditer(flat)}
    if helper and helper.group(1) not in ("if", "for", "while", "switch"):
        written |= set(_FIELD.findall(flat))  # a call (a helper, std::sort) may change any field it is given
    return [(name, Fill(FillKind.opaque, flat)) for name in sorted(written)]


def _constant(name: str, value: str, statement: str) -> list[tuple[str, Fill]]:
    number = _number(value)
    if number is None:
        return [(name, Fill(FillKind.opaque, statement))]
    return [(name, Fill(FillKind.constant, statement, number, number))]


def _scalar_fill(expr: str, statement: str) -> Fill:
    """A value assigned to a field (or to each element): a literal, or one of the drivers' ``rand()`` forms."""
    compact = re.sub(r"\s+", "", expr)
    number = _number(compact)
    if number is not None:
        return Fill(FillKind.constant, statement, number, number)
    if "rand()" in compact and ("ctx->" in compact or ".size()" in compact):
        return Fill(FillKind.opaque, statement, note="it is drawn relative to the problem size")
    if "ctx->" in compact:
        return Fill(FillKind.opaque, statement, note="it is computed from values drawn earlier")
    if modulo := re.fullmatch(r"\(?rand\(\)%(\d+)\)?(?:([-+])(\d+))?", compact):
        offset = int(modulo[3] or 0) * (-1 if modulo[2] == "-" else 1)
        return Fill(FillKind.random, statement, offset, int(modulo[1]) - 1 + offset, integer_draw=True)
    real = re.fullmatch(r"\(?\(?rand\(\)/\(double\)RAND_MAX\)?\*([0-9.]+)\)?(?:([-+])([0-9.]+))?", compact)
    if real:
        scale = float(real[1])
        offset = float(real[3] or 0) * (-1 if real[2] == "-" else 1)
        return Fill(FillKind.random, statement, offset, scale + offset)
    return Fill(FillKind.opaque, statement)


def _number(text: str) -> float | None:
    text = text.strip()
    if text in ("true", "false"):
        return float(text == "true")
    if not _NUMBER.match(text):
        return None
    value = float(re.sub(r"[uUlLfF]+$", "", text))
    return value if math.isfinite(value) else None


def _is_float_literal(text: str) -> bool:
    body = re.sub(r"[uUlL]+$", "", text.strip())
    return any(c in body for c in ".eEfF")
