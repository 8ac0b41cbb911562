"""Comparing outputs: exact, close, unordered, NaN, lengths, and outputs never written."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tasks.compare import Mismatch, compare_array, compare_outputs
from tasks.dtypes import DType
from tasks.instance import POISON_BYTE, poisoned
from tasks.model import CompareMode, Comparison, KernelTask

EXACT = Comparison()
UNORDERED = Comparison(mode=CompareMode.unordered)


def close(rtol: float = 0.0, atol: float = 0.0) -> Comparison:
    return Comparison(mode=CompareMode.close, rtol=rtol, atol=atol)


# --- exact ---


def test_exact_equal_is_none() -> None:
    assert compare_array(np.array([1, 2, 3]), np.array([1, 2, 3]), EXACT) is None


def test_exact_reports_count_first_index_and_values() -> None:
    message = compare_array(np.array([1, 2, 3, 4]), np.array([1, 5, 3, 6]), EXACT)
    assert message is not None
    assert message.startswith("2 of 4 elements differ; first at index 1: ")
    assert "expected np.int64(2), got np.int64(5)" in message
    assert "never written" not in message


def test_exact_on_floats_is_bitwise_strict() -> None:
    assert compare_array(np.array([0.1 + 0.2]), np.array([0.3]), EXACT) is not None


def test_shapes_are_flattened() -> None:
    assert compare_array(np.arange(6).reshape(2, 3), np.arange(6), EXACT) is None


@pytest.mark.parametrize("rule", [EXACT, close(1e-3, 1e-3), UNORDERED], ids=["exact", "close", "unordered"])
@pytest.mark.parametrize(("want", "got"), [(3, 4), (4, 3), (0, 1), (1, 0)])
def test_length_mismatch(rule: Comparison, want: int, got: int) -> None:
    message = compare_array(np.zeros(want), np.zeros(got), rule)
    assert message == f"expected {want} elements, got {got}"


def test_empty_outputs_match() -> None:
    for rule in (EXACT, close(1e-6), UNORDERED):
        assert compare_array(np.zeros(0), np.zeros(0), rule) is None


# --- close ---


def test_close_within_relative_tolerance() -> None:
    expected = np.array([1000.0, -2000.0, 1e-3])
    assert compare_array(expected, expected * (1 + 0.9e-6), close(rtol=1e-6)) is None
    message = compare_array(expected, expected * (1 + 1.1e-6), close(rtol=1e-6))
    assert message is not None and message.startswith("3 of 3 elements differ")


def test_close_uses_the_expected_value_for_the_relative_part() -> None:
    """|a - b| <= atol + rtol * |b| with b the expected value: asymmetric on purpose."""
    rule = close(rtol=0.5)
    assert compare_array(np.array([2.0]), np.array([1.0]), rule) is None  # 1 <= 0.5 * 2
    assert compare_array(np.array([1.0]), np.array([2.0]), rule) is not None  # 1 > 0.5 * 1


def test_close_absolute_tolerance_near_zero() -> None:
    assert compare_array(np.array([0.0, 1e-12]), np.array([5e-10, -5e-10]), close(atol=1e-9)) is None
    assert compare_array(np.array([0.0]), np.array([2e-9]), close(atol=1e-9)) is not None


def test_close_on_float32() -> None:
    expected = np.array([1.0, 2.0], dtype=np.float32)
    actual = np.nextafter(expected, np.float32(3))
    assert compare_array(expected, actual, close(rtol=1e-6)) is None
    assert compare_array(expected, actual, EXACT) is not None


@pytest.mark.parametrize("rule", [EXACT, close(1e-6, 1e-9), UNORDERED], ids=["exact", "close", "unordered"])
def test_nan_matches_nan(rule: Comparison) -> None:
    expected = np.array([1.0, np.nan, 3.0])
    assert compare_array(expected, expected.copy(), rule) is None


@pytest.mark.parametrize("rule", [EXACT, close(1e-6, 1e-9), UNORDERED], ids=["exact", "close", "unordered"])
def test_nan_against_a_number_is_a_mismatch(rule: Comparison) -> None:
    assert compare_array(np.array([1.0, 2.0]), np.array([1.0, np.nan]), rule) is not None
    assert compare_array(np.array([1.0, np.nan]), np.array([1.0, 2.0]), rule) is not None


@pytest.mark.parametrize("rule", [EXACT, close(1e-6, 1e-9)], ids=["exact", "close"])
def test_infinities(rule: Comparison) -> None:
    expected = np.array([np.inf, -np.inf])
    assert compare_array(expected, expected.copy(), rule) is None
    assert compare_array(expected, expected[::-1].copy(), rule) is not None
    assert compare_array(expected, np.array([1e308, -np.inf]), rule) is not None


# --- unordered ---


def test_unordered_ignores_order() -> None:
    assert compare_array(np.array([3, 1, 2, 2]), np.array([2, 2, 3, 1]), UNORDERED) is None


def test_unordered_still_counts_multiplicity() -> None:
    message = compare_array(np.array([1, 2, 2]), np.array([1, 1, 2]), UNORDERED)
    assert message is not None and message.endswith("(after sorting both)")


def test_unordered_floats_with_tolerance() -> None:
    rule = Comparison(mode=CompareMode.unordered, rtol=1e-6)
    assert compare_array(np.array([2.0, 1.0]), np.array([1.0 + 1e-9, 2.0]), rule) is None
    assert compare_array(np.array([2.0, 1.0]), np.array([1.1, 2.0]), rule) is not None


# --- outputs never written (still poisoned) ---


def _unwritten_expected(dtype: DType, count: int) -> np.ndarray:
    """Plausible expected values that a never-written output must not pass for."""
    return np.ones(count, dtype=np.bool_) if dtype is DType.bool else np.zeros(count, dtype=dtype.numpy)


_RULES = {"exact": EXACT, "close": close(1e-6, 1e-9), "loose": close(1e-3, 1e-3), "unordered": UNORDERED}
_UNWRITTEN_CASES = [
    pytest.param(dtype, rule, id=f"{dtype}-{name}")
    for dtype in DType
    for name, rule in _RULES.items()
    if dtype.is_float or rule.mode is not CompareMode.close
]


@pytest.mark.parametrize(("dtype", "rule"), _UNWRITTEN_CASES)
def test_never_written_output_is_caught_for_every_dtype_and_rule(dtype: DType, rule: Comparison) -> None:
    """Float poison is a tiny number (about -2.5e-127 or -2.9e-16) and bool poison reads as true:
    neither may pass as "close to 0" or "equal to true"."""
    expected = _unwritten_expected(dtype, 4)
    message = compare_array(expected, poisoned(dtype.numpy, 4), rule)
    assert message is not None
    assert message.startswith("4 of 4 elements differ")
    assert "4 of them were never written (still hold the poison pattern)" in message


def test_partly_written_output_counts_the_unwritten() -> None:
    actual = poisoned(np.dtype(np.float64), 5)
    actual[[0, 2]] = [1.0, 3.0]
    message = compare_array(np.array([1.0, 2.0, 3.0, 0.0, 0.0]), actual, close(1e-6, 1e-9))
    assert message is not None
    assert message.startswith("3 of 5 elements differ; first at index 1")
    assert "3 of them were never written" in message


def test_wrong_but_written_values_are_not_called_unwritten() -> None:
    message = compare_array(np.array([1, 2]), np.array([7, 8]), EXACT)
    assert message is not None and "never written" not in message


def test_a_value_that_equals_the_poison_pattern_is_accepted_when_expected() -> None:
    """0xA5 is a legal uint8/int8 value: an output that is expected to hold it is correct."""
    expected = np.array([POISON_BYTE, 1], dtype=np.uint8)
    assert compare_array(expected, expected.copy(), EXACT) is None
    expected = np.array([POISON_BYTE - 256], dtype=np.int8)
    assert compare_array(expected, expected.copy(), UNORDERED) is None


# --- compare_outputs: the task's rules applied to each result ---


@pytest.fixture(scope="module")
def two_outputs(inline_task: Callable[..., KernelTask]) -> KernelTask:
    return inline_task(
        [
            {"name": "n", "dtype": "int64", "role": "size"},
            {"name": "total", "dtype": "float64", "role": "output", "shape": "1"},
            {"name": "ids", "dtype": "int32", "role": "output", "shape": "n"},
            {"name": "work", "dtype": "float32", "role": "inout", "shape": "n"},
        ],
        compare={"ids": {"mode": "unordered"}},
    )


def test_default_rules(two_outputs: KernelTask) -> None:
    """Floats without a rule are compared as close (rtol 1e-6, atol 1e-9); integers exactly."""
    assert two_outputs.comparison("total") == Comparison(mode=CompareMode.close, rtol=1e-6, atol=1e-9)
    assert two_outputs.comparison("ids").mode is CompareMode.unordered


def test_compare_outputs_passes_equal_results(two_outputs: KernelTask) -> None:
    expected = {"total": np.array([1.0]), "ids": np.array([1, 2, 3], np.int32), "work": np.ones(3, np.float32)}
    actual = {"total": np.array([1.0 + 1e-7]), "ids": np.array([3, 1, 2], np.int32), "work": np.ones(3, np.float32)}
    assert compare_outputs(two_outputs, expected, actual) == []


def test_compare_outputs_names_each_bad_output(two_outputs: KernelTask) -> None:
    expected = {"total": np.array([1.0]), "ids": np.array([1, 2, 3], np.int32), "work": np.ones(3, np.float32)}
    actual = {"total": np.array([1.1]), "ids": np.array([3, 1, 2], np.int32)}
    mismatches = compare_outputs(two_outputs, expected, actual)
    assert [m.output for m in mismatches] == ["total", "work"]
    assert mismatches[1] == Mismatch("work", "output missing")
    assert str(mismatches[0]).startswith("total: 1 of 1 elements differ")


def test_compare_outputs_reports_unwritten_outputs(two_outputs: KernelTask) -> None:
    expected = {"total": np.array([0.0]), "ids": np.array([0, 0], np.int32), "work": np.zeros(2, np.float32)}
    actual = {
        "total": poisoned(np.dtype(np.float64), 1),
        "ids": poisoned(np.dtype(np.int32), 2),
        "work": np.zeros(2, np.float32),
    }
    mismatches = compare_outputs(two_outputs, expected, actual)
    assert [m.output for m in mismatches] == ["total", "ids"]
    assert all("never written" in m.message for m in mismatches)
