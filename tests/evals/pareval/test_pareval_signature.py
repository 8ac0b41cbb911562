"""Reading ParEval prompts: preamble, docstring, head, and which C++ types a C ABI can carry."""

from __future__ import annotations

import pytest

from evals.pareval.signature import Container, cpp_type, parse_head, parse_prompt
from evals.pareval.skips import SkipReason, Unconvertible
from tasks.dtypes import DType

PROMPT = """#include <omp.h>

bool isSmall(int x) {
\treturn x < 10;
}

/* Count the small values of x.
   Use OpenMP to compute in parallel.
   Example:

   input: [1, 20, 3]
   output: 2
*/
 size_t countSmall(std::vector<int> const& x) {"""


def test_a_prompt_splits_into_preamble_docstring_and_head():
    parts = parse_prompt(PROMPT)
    assert parts.preamble.startswith("#include <omp.h>")
    assert "bool isSmall(int x)" in parts.preamble
    assert parts.docstring.splitlines()[0] == "Count the small values of x."
    assert "   input" not in parts.docstring  # dedented
    assert "input: [1, 20, 3]" in parts.docstring
    assert parts.head == "size_t countSmall(std::vector<int> const& x)"


def test_a_prompt_without_an_opening_brace_is_unreadable():
    with pytest.raises(Unconvertible) as caught:
        parse_prompt("/* nothing */\nint f(int x);")
    assert caught.value.reason is SkipReason.driver_unreadable


def test_a_head_gives_the_name_return_type_and_typed_parameters():
    function = parse_head(
        "void gemm(std::vector<double> const& A, const std::vector<float> &B, std::vector<size_t> &C, size_t M, "
        "double alpha, std::array<size_t, 26> &bins)"
    )
    assert function.name == "gemm"
    assert function.returns is None
    kinds = [(p.name, p.type.container, p.type.dtype, p.type.const, p.type.reference) for p in function.params]
    assert kinds == [
        ("A", Container.vector, DType.float64, True, True),
        ("B", Container.vector, DType.float32, True, True),
        ("C", Container.vector, DType.uint64, False, True),
        ("M", Container.scalar, DType.uint64, False, False),
        ("alpha", Container.scalar, DType.float64, False, False),
        ("bins", Container.array, DType.uint64, False, True),
    ]
    assert function.params[-1].type.extent == 26


def test_a_returned_scalar_is_kept_with_its_dtype():
    function = parse_head("bool contains(std::vector<int> const& x, int target)")
    assert function.returns is not None
    assert function.returns.dtype is DType.bool


@pytest.mark.parametrize(
    ("spelled", "reason"),
    [
        ("std::vector<Point> const&", SkipReason.struct_type),
        ("std::vector<COOElement> const&", SkipReason.struct_type),
        ("std::vector<std::complex<double>> &", SkipReason.complex_type),
        ("std::vector<std::string> const&", SkipReason.string_type),
        ("std::vector<std::vector<int>> const&", SkipReason.nested_vector),
        ("Kokkos::View<const double*> &", SkipReason.kokkos_view),
        ("const double *", SkipReason.raw_pointer),
        ("double &", SkipReason.unsupported_type),
        ("long double", SkipReason.unsupported_type),
    ],
)
def test_types_a_c_abi_cannot_carry_are_refused_with_their_reason(spelled: str, reason: SkipReason):
    with pytest.raises(Unconvertible) as caught:
        cpp_type(spelled, what="parameter 'x'")
    assert caught.value.reason is reason
    assert "parameter 'x'" in caught.value.detail


def test_a_function_returning_a_vector_is_refused():
    with pytest.raises(Unconvertible) as caught:
        parse_head("std::vector<int> evens(std::vector<int> const& x)")
    assert caught.value.reason is SkipReason.unsupported_type
