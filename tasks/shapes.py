"""Integer expressions over size symbols: ``n``, ``n+1``, ``rows*cols``, ``max(n-1, 0)``.

Shape expressions are parsed once with :mod:`ast` into a restricted tree (names, integer
constants, ``+ - * // % **``, unary minus, ``min``/``max``) and evaluated against a mapping of
symbol values. Nothing else is accepted, so a task file can never execute code through a shape.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

_BINARY: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[..., int]] = {"min": min, "max": max}
_MAX_EXPONENT = 64
"""Largest exponent ``**`` accepts: a negative one gives a fraction, a huge one a number too big to compute."""


class ShapeError(ValueError):
    """A shape expression that cannot be parsed or evaluated."""


class ShapeExpr:
    """A parsed integer expression over size symbols."""

    def __init__(self, text: str | int) -> None:
        self.text = str(text).strip()
        try:
            tree = ast.parse(self.text, mode="eval")
        except SyntaxError as exc:
            raise ShapeError(f"cannot parse shape expression {self.text!r}: {exc.msg}") from None
        self._check(tree.body)
        self._tree = tree.body

    def _check(self, node: ast.AST) -> None:
        match node:
            case ast.Constant(value=int() as value) if not isinstance(value, bool):
                return
            case ast.Name(id=name) if name not in _FUNCTIONS:
                return
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
                self._check(left)
                self._check(right)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                self._check(operand)
            case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in _FUNCTIONS and args:
                for arg in args:
                    self._check(arg)
            case _:
                raise ShapeError(
                    f"shape expression {self.text!r} may only use size symbols, integers, + - * // % ** and min()/max()"
                )

    @cached_property
    def symbols(self) -> frozenset[str]:
        """The size symbols the expression refers to."""
        return frozenset(
            node.id for node in ast.walk(self._tree) if isinstance(node, ast.Name) and node.id not in _FUNCTIONS
        )

    def evaluate(self, values: Mapping[str, int]) -> int:
        """The expression's value with ``values`` bound to the symbols."""
        missing = self.symbols - values.keys()
        if missing:
            raise ShapeError(f"shape {self.text!r} needs unknown size symbol(s) {sorted(missing)}")
        try:
            return int(self._eval(self._tree, values))
        except ZeroDivisionError:
            raise ShapeError(f"shape {self.text!r} divides by zero at {dict(values)}") from None

    def _eval(self, node: ast.AST, values: Mapping[str, int]) -> int:
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id=name):
                return int(values[name])
            case ast.BinOp(left=left, op=op, right=right):
                lhs, rhs = self._eval(left, values), self._eval(right, values)
                if isinstance(op, ast.Pow) and not 0 <= rhs <= _MAX_EXPONENT:
                    raise ShapeError(f"shape {self.text!r}: exponent {rhs} is outside 0..{_MAX_EXPONENT}")
                return _BINARY[type(op)](lhs, rhs)
            case ast.UnaryOp(operand=operand):
                return -self._eval(operand, values)
            case ast.Call(func=ast.Name(id=name), args=args):
                return _FUNCTIONS[name]([self._eval(arg, values) for arg in args])  # also right for one argument
        raise AssertionError(f"unchecked node {node!r}")  # pragma: no cover - _check rejects it

    def __eq__(self, other: object) -> bool:
        """Same expression tree (spacing aside), so that two loads of one task file compare equal."""
        if not isinstance(other, ShapeExpr):
            return NotImplemented
        return ast.dump(self._tree) == ast.dump(other._tree)

    def __hash__(self) -> int:
        return hash(ast.dump(self._tree))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"ShapeExpr({self.text!r})"


def _to_shape(value: Any) -> ShapeExpr:
    if isinstance(value, ShapeExpr):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected a shape expression such as 'n' or 'n+1', got {value!r}")
    try:
        return ShapeExpr(value)
    except ShapeError as exc:
        raise ValueError(str(exc)) from None


Shape = Annotated[
    ShapeExpr,
    PlainValidator(_to_shape),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "description": "integer expression over size symbols"}),
]
"""A pydantic field type: an integer expression over size symbols, e.g. ``n+1`` or ``rows*cols``."""
