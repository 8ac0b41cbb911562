"""Shape expressions: integer arithmetic over size symbols, and nothing else."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from tasks.shapes import Shape, ShapeError, ShapeExpr


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("n", {"n": 5}, 5),
        ("n+1", {"n": 5}, 6),
        ("n - 1", {"n": 0}, -1),
        ("rows*cols", {"rows": 3, "cols": 4}, 12),
        ("n//2", {"n": 7}, 3),
        ("n % 3", {"n": 7}, 1),
        ("2**k", {"k": 10}, 1024),
        ("-n + 10", {"n": 3}, 7),
        ("max(n-1, 0)", {"n": 0}, 0),
        ("min(a, b, c)", {"a": 4, "b": 2, "c": 9}, 2),
        ("min(n)", {"n": 4}, 4),
        ("max(n - 3)", {"n": 1}, -2),
        ("max(min(n, 10), 2) * (n + 1)", {"n": 20}, 210),
        ("  n  ", {"n": 1}, 1),
        ("8*n + 16", {"n": 1_000_000_000}, 8_000_000_016),
        ("1", {}, 1),
        ("0", {"n": 9}, 0),
    ],
)
def test_evaluate(text: str, values: dict[str, int], expected: int) -> None:
    value = ShapeExpr(text).evaluate(values)
    assert value == expected
    assert type(value) is int


def test_integer_literal_is_a_shape() -> None:
    shape = ShapeExpr(7)
    assert shape.evaluate({}) == 7
    assert str(shape) == "7"
    assert shape.symbols == frozenset()


@pytest.mark.parametrize(
    ("text", "symbols"),
    [
        ("n", {"n"}),
        ("rows*cols + rows", {"rows", "cols"}),
        ("max(n, m) - min(k, 1)", {"n", "m", "k"}),
        ("3*4", set()),
    ],
)
def test_symbols(text: str, symbols: set[str]) -> None:
    assert ShapeExpr(text).symbols == symbols


def test_unknown_symbol_is_named() -> None:
    with pytest.raises(ShapeError, match=r"unknown size symbol\(s\) \['cols'\]"):
        ShapeExpr("rows*cols").evaluate({"rows": 2})


def test_extra_symbols_are_ignored() -> None:
    assert ShapeExpr("n").evaluate({"n": 3, "m": 4}) == 3


@pytest.mark.parametrize(
    "text",
    [
        "n.real",
        "len(n)",
        "abs(n)",
        "__import__('os').system('true')",
        "x[0]",
        "n / 2",
        "1.5",
        "True",
        "'n'",
        "n if n else 1",
        "lambda: 1",
        "n < 3",
        "n == 1",
        "n and 1",
        "~n",
        "+n",
        "n << 2",
        "n & 1",
        "[n]",
        "(n, 1)",
        "{n}",
        "(n := 3)",
        "min()",
        "max(*n)",
        "min(n, key=n)",
        "min",
        "max + 1",
        "min(n)(1)",
        "f'{n}'",
        "n.__class__",
        "None",
    ],
)
def test_anything_outside_the_grammar_is_rejected(text: str) -> None:
    with pytest.raises(ShapeError, match="may only use size symbols, integers"):
        ShapeExpr(text)


@pytest.mark.parametrize("text", ["", "n +", "(n", "n n", "n;n", "import os"])
def test_unparsable(text: str) -> None:
    with pytest.raises(ShapeError, match="cannot parse shape expression"):
        ShapeExpr(text)


@pytest.mark.parametrize("text", ["n // 0", "n % (n - n)", "1 // max(n - 5, 0)"])
def test_division_by_zero_is_a_shape_error(text: str) -> None:
    with pytest.raises(ShapeError, match="divides by zero"):
        ShapeExpr(text).evaluate({"n": 5})


@pytest.mark.parametrize("text", ["2 ** -1", "n ** (0 - n)", "2 ** 10 ** 10"])
def test_exponent_out_of_range_is_a_shape_error(text: str) -> None:
    """A negative exponent gives a fraction; a huge one a number that takes forever to compute."""
    with pytest.raises(ShapeError, match="exponent"):
        ShapeExpr(text).evaluate({"n": 3})


class _Holder(BaseModel):
    shape: Shape


@pytest.mark.parametrize("value", ["n+1", 4])
def test_pydantic_field_accepts_text_and_integers(value: str | int) -> None:
    holder = _Holder(shape=value)
    assert isinstance(holder.shape, ShapeExpr)
    assert holder.model_dump() == {"shape": str(value)}


@pytest.mark.parametrize("value", [True, 1.0, None, ["n"], {"n": 1}])
def test_pydantic_field_rejects_other_types(value: object) -> None:
    with pytest.raises(ValidationError, match="expected a shape expression"):
        _Holder(shape=value)


def test_pydantic_field_reports_grammar_errors() -> None:
    with pytest.raises(ValidationError, match="may only use size symbols"):
        _Holder(shape="n.bit_length()")


# --- Property: within the grammar, a shape evaluates exactly as Python does. ---

_SYMBOLS = ("a", "b", "c")
_PYTHON_FUNCTIONS = {"min": lambda *args: min(args), "max": lambda *args: max(args)}


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(st.sampled_from(_SYMBOLS), st.integers(0, 50).map(str))

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        )
        divide = st.tuples(children, st.sampled_from(["//", "%"]), children).map(
            lambda t: f"({t[0]} {t[1]} max({t[2]}, 1))"
        )
        call = st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        )
        return st.one_of(binary, divide, call, children.map(lambda e: f"-{e}"))

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=50, deadline=None, database=None)
@given(text=_expressions(), values=st.fixed_dictionaries({s: st.integers(0, 1000) for s in _SYMBOLS}))
def test_evaluates_like_python(text: str, values: dict[str, int]) -> None:
    shape = ShapeExpr(text)
    assert shape.evaluate(values) == eval(text, _PYTHON_FUNCTIONS, dict(values))
    assert shape.symbols <= set(_SYMBOLS)
    assert shape.symbols == set(re.findall(r"\b[abc]\b", text))


def test_equality_is_structural() -> None:
    assert ShapeExpr("n + 1") == ShapeExpr("n+1")
    assert hash(ShapeExpr("n + 1")) == hash(ShapeExpr("n+1"))
    assert ShapeExpr("n + 1") != ShapeExpr("1 + n")
    assert ShapeExpr("n") != "n"
