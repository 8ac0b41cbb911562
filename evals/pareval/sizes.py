"""ParEval's sizes in ParaForge's terms: size symbols, array shapes, test and benchmark sizes.

A ParEval driver sizes everything from one macro, ``DRIVER_PROBLEM_SIZE``: ``ctx->M = DRIVER_PROBLEM_SIZE;
ctx->K = DRIVER_PROBLEM_SIZE / 4; ctx->A.resize(ctx->M * ctx->K);``. Each integer size parameter of the
function (``M``, ``K``) becomes a size symbol of the same name, and a vector sized from the macro
directly gets the symbol of the parameter equal to it, or a symbol ``n`` of its own. Every size entry
(test and bench) evaluates the driver's own expressions at one value of the macro, so the relations
between the symbols stay those ParEval uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from evals.pareval.driver import PROBLEM_SIZE_MACRO, Driver
from evals.pareval.skips import SkipReason, Unconvertible
from tasks.shapes import ShapeError, ShapeExpr

PROBLEM = "problem_size"
"""The name ``DRIVER_PROBLEM_SIZE`` has inside symbol definitions."""
LINEAR_TESTS = (1, 2, 7, 13, 64, 1009)
"""Test values of the problem size when arrays grow linearly with it: 1 (degenerate), 2, odd primes, a
power of two and a prime above 1000."""
SUPERLINEAR_TESTS = (1, 2, 7, 13, 32)
"""Test values when some array grows faster (an N x N matrix)."""
LARGEST_TEST_ELEMENTS = 300_000
"""At most this many array elements in the largest test size, which is a prime problem size up to an eighth
of the benchmark's. The anti-cheat's repeat-timing probe runs at the largest test size: it must be big
enough that a branch predictor cannot learn a sort's input by heart (a 1009-element sort runs 4x faster
on a repeated input), and small enough for every stage to run it often."""

_TOKEN = re.compile(
    r"\s*(?:(?P<length>ctx->(?P<length_of>\w+)\s*\.\s*size\s*\(\s*\))|ctx->(?P<field>\w+)"
    r"|(?P<number>\d+)[uUlL]*(?![.\w])|(?P<name>[A-Za-z_]\w*)|(?P<op>[-+*/%()]))"
)


class SizeModel:
    """The size symbols of one problem and the shapes of its context fields."""

    def __init__(self, driver: Driver, size_params: dict[str, str], taken: Iterable[str]) -> None:
        """Model the sizes of ``driver``.

        Args:
            driver: the problem's driver.
            size_params: context field -> name of the integer size parameter it is passed as.
            taken: names already used by parameters (the symbol for the macro must differ).

        Raises:
            Unconvertible: a size parameter's value cannot be expressed.
        """
        self._driver = driver
        self.size_params = dict(size_params)
        self._taken = set(taken)
        self._definitions: dict[str, str] = {}
        for field in self.size_params:
            self._definition(field, ())
        self._macro_symbol = next(
            (self.size_params[f] for f in self.size_params if ShapeExpr(self._definitions[f]) == ShapeExpr(PROBLEM)),
            None,
        )
        self.extra_symbol: str | None = None
        """A symbol standing for the macro itself, added when no size parameter equals it."""

    def shape(self, field: str) -> ShapeExpr:
        """The number of elements ``init()`` gives context field ``field``, over the size symbols.

        Raises:
            Unconvertible: ``init()`` does not size the field, or sizes it with an expression the shape
                language cannot hold.
        """
        return ShapeExpr(self._shape_text(field, ()))

    @property
    def symbols(self) -> dict[str, ShapeExpr]:
        """Each size symbol with its value as an expression of the problem size."""
        found = {self.size_params[f]: ShapeExpr(self._definitions[f]) for f in self.size_params}
        if self.extra_symbol is not None:
            found[self.extra_symbol] = ShapeExpr(PROBLEM)
        return found

    def at(self, problem_size: int) -> dict[str, int]:
        """The value of every size symbol when ``DRIVER_PROBLEM_SIZE`` is ``problem_size``."""
        return {name: expr.evaluate({PROBLEM: problem_size}) for name, expr in self.symbols.items()}

    def test_sizes(self, shapes: Iterable[ShapeExpr], problem_size: int) -> list[dict[str, int]]:
        """Test sizes: the problem size at 1, 2, odd primes (up to 1009 when every array is linear), then at
        the largest prime up to an eighth of ``problem_size`` (the benchmark's) that keeps the arrays under
        :data:`LARGEST_TEST_ELEMENTS` elements."""
        shapes = list(shapes)
        values = list(SUPERLINEAR_TESTS if self._superlinear(shapes) else LINEAR_TESTS)
        top = _largest_prime_at_most(self._within_budget(shapes, problem_size // 8))
        if top > values[-1]:
            values.append(top)
        sizes: list[dict[str, int]] = []
        for value in values:
            size = self.at(value)
            if size not in sizes and all(v >= 0 for v in size.values()):
                sizes.append(size)
        return sizes

    def _elements(self, shapes: list[ShapeExpr], problem_size: int) -> int:
        symbols = self.at(problem_size)
        return sum(shape.evaluate(symbols) for shape in shapes)

    def _superlinear(self, shapes: list[ShapeExpr]) -> bool:
        return self._elements(shapes, 128) > 2.5 * max(self._elements(shapes, 64), 1)

    def _within_budget(self, shapes: list[ShapeExpr], limit: int) -> int:
        """The largest problem size up to ``limit`` whose arrays hold at most the budget's elements."""
        low, high = 0, max(limit, 0)
        while low < high:  # the element count never falls as the problem size grows
            middle = (low + high + 1) // 2
            if self._elements(shapes, middle) <= LARGEST_TEST_ELEMENTS:
                low = middle
            else:
                high = middle - 1
        return low

    def _definition(self, field: str, seen: tuple[str, ...]) -> str:
        """``field``'s value in init() as an expression of the problem size."""
        if field in self._definitions:
            return self._definitions[field]
        if field in seen:
            raise Unconvertible(SkipReason.problem_size, f"init() defines '{field}' in terms of itself")
        expr = self._driver.values.get(field)
        if expr is None:
            raise Unconvertible(SkipReason.problem_size, f"init() gives the size '{field}' no value")
        text = self._translate(
            expr,
            field=lambda name: f"({self._definition(name, (*seen, field))})",
            length=lambda name: f"({self._length_definition(name, (*seen, field))})",
            macro=PROBLEM,
            what=f"the value of '{field}'",
        )
        self._definitions[field] = text
        return text

    def _length_definition(self, field: str, seen: tuple[str, ...]) -> str:
        expr = self._driver.lengths.get(field)
        if expr is None:
            raise Unconvertible(SkipReason.problem_size, f"init() does not size '{field}'")
        return self._translate(
            expr,
            field=lambda name: f"({self._definition(name, seen)})",
            length=lambda name: f"({self._length_definition(name, (*seen, field))})",
            macro=PROBLEM,
            what=f"the length of '{field}'",
        )

    def _shape_text(self, field: str, seen: tuple[str, ...]) -> str:
        if field in seen:
            raise Unconvertible(SkipReason.problem_size, f"init() sizes '{field}' in terms of itself")
        expr = self._driver.lengths.get(field)
        if expr is None:
            raise Unconvertible(
                SkipReason.variable_output, f"init() does not size '{field}': its length is not known before the call"
            )
        return self._translate(
            expr,
            field=self._symbol_text,
            length=lambda name: f"({self._shape_text(name, (*seen, field))})",
            macro=self._macro_text(),
            what=f"the length of '{field}'",
        )

    def _symbol_text(self, field: str) -> str:
        if field in self.size_params:
            return self.size_params[field]
        definition = ShapeExpr(self._definition(field, ()))
        if definition.symbols - {PROBLEM}:
            raise Unconvertible(SkipReason.problem_size, f"cannot express '{field}' over the size symbols")
        return f"({definition.text.replace(PROBLEM, self._macro_text())})"

    def _macro_text(self) -> str:
        if self._macro_symbol is not None:
            return self._macro_symbol
        if self.extra_symbol is None:
            self.extra_symbol = next(n for n in ("n", "count", "length", "n_") if n not in self._taken)
        return self.extra_symbol

    def _translate(
        self, expr: str, *, field: Callable[[str], str], length: Callable[[str], str], macro: str, what: str
    ) -> str:
        parts: list[str] = []
        position = 0
        text = expr.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise Unconvertible(SkipReason.problem_size, f"{what} is `{expr}`, which a shape cannot express")
            position = match.end()
            if match["length"]:
                parts.append(length(match["length_of"]))
            elif match["field"]:
                parts.append(field(match["field"]))
            elif match["number"]:
                parts.append(match["number"])
            elif match["name"] == PROBLEM_SIZE_MACRO:
                parts.append(macro)
            elif match["name"] in self._driver.locals:
                local = self._driver.locals[match["name"]]
                parts.append(f"({self._translate(local, field=field, length=length, macro=macro, what=what)})")
            elif match["name"]:
                raise Unconvertible(
                    SkipReason.problem_size, f"{what} is `{expr}`: '{match['name']}' is not an integer size"
                )
            else:
                parts.append("//" if match["op"] == "/" else match["op"])
        result = " ".join(parts).replace("( ", "(").replace(" )", ")")
        try:
            ShapeExpr(result)
        except ShapeError as exc:
            raise Unconvertible(SkipReason.problem_size, f"{what} is `{expr}`: {exc}") from None
        return result


def _largest_prime_at_most(value: int) -> int:
    """The largest prime not above ``value`` (0 when there is none)."""
    for candidate in range(value, 1, -1):
        if all(candidate % d for d in range(2, int(candidate**0.5) + 1)):
            return candidate
    return 0
