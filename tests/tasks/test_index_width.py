"""Loop counters and indices narrower than the sizes they run over (tree-sitter only, no compiler)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks import suite_tasks
from tasks.codeanalysis.index_width import NarrowIndex, Role, narrow_indices
from tasks.codeanalysis.integer_types import int_type, literal_type
from tasks.codeanalysis.syntax import parse_cpp

PARAMS = "const int64_t* row_ptr, const int32_t* col_idx, const double* x, int64_t n, int32_t m, size_t s, double* y"
CANDIDATES = Path(__file__).parents[1] / "verifiers" / "candidates"
HONEST = Path(__file__).parents[1] / "verifiers" / "honest"


def findings(body: str) -> list[NarrowIndex]:
    return narrow_indices(parse_cpp(f"#include <cstdint>\nvoid k({PARAMS}) {{\n{body}\n}}\n").root_node)


@pytest.mark.parametrize(
    ("body", "variable", "size", "role"),
    [
        ("for (int i = 0; i < n; ++i) y[i] = x[i];", "i", "n", Role.bound),
        ("#pragma omp parallel for\nfor (int i = 0; i < n; ++i) y[i] = x[i];", "i", "n", Role.bound),
        ("for (unsigned i = 0; i < n; ++i) y[i] = x[i];", "i", "n", Role.bound),
        ("for (int32_t i = 0; i < s; ++i) y[i] = x[i];", "i", "s", Role.bound),
        ("for (std::int32_t i = 0; n > i; i++) y[i] = x[i];", "i", "n", Role.bound),
        ("for (int i = 0; i < n * m; ++i) y[i] = x[i];", "i", "n * m", Role.bound),
        ("for (int i = 0; i + 1 < n && x[i] > 0; ++i) y[i] = x[i];", "i", "n", Role.bound),
        ("for (int i = 0; i < (int)n; ++i) y[i] = x[i];", "i", "(int)n", Role.bound),
        ("for (int i = 0; i < static_cast<int>(n); ++i) y[i] = x[i];", "i", "static_cast<int>(n)", Role.bound),
        ("for (auto i = 0; i < n; ++i) y[i] = x[i];", "i", "n", Role.bound),
        ("int i; for (i = 0; i < n; ++i) y[i] = x[i];", "i", "n", Role.bound),
        ("for (int i = n - 1; i >= 0; --i) y[i] = x[i];", "i", "n - 1", Role.start),
        ("const int64_t end = n / 2;\nfor (int i = 0; i < end; ++i) y[i] = x[i];", "i", "end", Role.bound),
        (
            "for (int64_t r = 0; r < n; ++r) for (int k = row_ptr[r]; k < row_ptr[r + 1]; ++k) y[r] += x[k];",
            "k",
            "row_ptr[r + 1]",
            Role.bound,
        ),
        ("for (int i = 0; i < std::max<int64_t>(n, 1); ++i) y[i] = x[i];", "i", "std::max<int64_t>(n, 1)", Role.bound),
        ("auto f = [&](int64_t lo, int64_t hi) { for (int i = lo; i < hi; ++i) y[i] = x[i]; };", "i", "hi", Role.bound),
        (
            "for (int64_t i = 0; i < n; ++i) for (int64_t j = 0; j < n; ++j) { int idx = i * n + j; y[idx] = x[idx]; }",
            "idx",
            "i * n + j",
            Role.value,
        ),
        ("int64_t lo = 0, hi = n;\nint mid = (lo + hi) / 2;\ny[mid] = 1;", "mid", "(lo + hi) / 2", Role.value),
        ("int len = n;\nfor (int i = 0; i < len; ++i) y[i] = x[i];", "len", "n", Role.value),
        (
            "for (int64_t r = 0; r < n; ++r) { const int start = row_ptr[r]; const double* p = x + start; y[r] = *p; }",
            "start",
            "row_ptr[r]",
            Role.value,
        ),
    ],
)
def test_a_counter_or_index_narrower_than_its_size_is_found(body: str, variable: str, size: str, role: Role) -> None:
    [found] = findings(body)
    assert (found.variable, found.size, found.role) == (variable, size, role)
    assert int_type(found.type).narrower_than(int_type(found.size_type))


def test_the_finding_names_the_line_and_both_types() -> None:
    [found] = findings("double t = 0;\nfor (int i = 0; i < n; ++i) t += x[i];\ny[0] = t;")
    assert found == NarrowIndex(line=4, variable="i", type="int", size="n", size_type="int64_t", role=Role.bound)


@pytest.mark.parametrize(
    "body",
    [
        "for (int b = 0; b < 256; ++b) y[b] = 0;",  # a constant bound
        "const int64_t block = 4096;\nfor (int b = 0; b < block; ++b) y[b] = 0;",  # a constant local
        "for (int i = 0; i < m; ++i) y[i] = x[i];",  # an int over an int32 size
        "for (int64_t i = 0; i < n; ++i) y[i] = x[i];",
        "for (std::int64_t i = 0; i < n; ++i) y[i] = x[i];",
        "for (long i = 0; i < n; ++i) y[i] = x[i];",
        "for (size_t i = 0; i < n; ++i) y[i] = x[i];",
        "for (std::size_t i = 0; i < s; ++i) y[i] = x[i];",
        "for (ptrdiff_t i = 0; i < n; ++i) y[i] = x[i];",
        "for (int64_t i = 0; i < s; ++i) y[i] = x[i];",  # signed 64-bit over size_t: sizes stay below 2^63
        "for (auto i = n - n; i < n; ++i) y[i] = x[i];",  # auto from a 64-bit expression
        "for (auto i = 0L; i < n; ++i) y[i] = x[i];",
        "for (int t = 0; t < omp_get_num_threads(); ++t) y[t] = 0;",
        "const int threads = omp_get_max_threads();\nfor (int t = 0; t < threads; ++t) y[t] = 0;",
        "const int64_t threads = omp_get_max_threads();\nfor (int t = 0; t < threads; ++t) y[t] = 0;",
        "for (int t = 0; t < std::min<int64_t>(n, 64); ++t) y[t] = 0;",  # no more than a constant
        "std::vector<double> v(n);\nfor (int i = 0; i < (int)v.size(); ++i) v[i] = 0;",  # unknown length
        "for (int64_t i = 0; i < n; ++i) { const int32_t c = col_idx[i]; y[c] += x[i]; }",  # int32 elements
        "for (int64_t i = 0; i < n; ++i) { int d = row_ptr[i + 1] - row_ptr[i]; y[i] = d; }",  # not an index
        "for (int64_t i = 0; i < n; ++i) { int lane = i % 8; y[lane] += x[i]; }",  # a remainder by a constant
        "for (int64_t i = 0; i < n; ++i) { int lane = i & 7; y[lane] += x[i]; }",
        "for (int64_t i = 0; i < n; ++i) { const int32_t label = int32_t(i); y[label] = 0; }",  # an explicit cast
        "for (int64_t i = 0; i < n; i += 64) { int t = i / n; y[t] = 0; }",  # a size over a size
        "for (double v = 0; v < n; v += 1) y[0] += v;",  # not an integer
        "for (int i = 0; i < 10; ++i) for (int64_t j = 0; j < n; ++j) y[j] += i;",
    ],
)
def test_good_loops_and_indices_are_not_reported(body: str) -> None:
    assert findings(body) == []


def test_a_size_of_unknown_type_is_not_judged() -> None:
    source = "template <class T> void h(T count, double* y) { for (int i = 0; i < count; ++i) y[i] = 0; }"
    assert narrow_indices(parse_cpp(source).root_node) == []


def test_a_local_shadowing_a_size_is_resolved_by_scope() -> None:
    assert findings("{ const int n = 16; for (int i = 0; i < n; ++i) y[i] = 0; }") == []
    assert findings("{ const int n = 16; }\nfor (int i = 0; i < n; ++i) y[i] = 0;")[0].size == "n"


@pytest.mark.parametrize(
    ("spelling", "bits", "signed"),
    [
        ("int", 32, True),
        ("unsigned", 32, False),
        ("std::uint32_t", 32, False),
        ("long", 64, True),
        ("unsigned long int", 64, False),
        ("long long", 64, True),
        ("std::size_t", 64, False),
        ("ptrdiff_t", 64, True),
        ("short", 16, True),
        ("unsigned char", 8, False),
    ],
)
def test_integer_types_follow_lp64(spelling: str, bits: int, signed: bool) -> None:
    type_ = int_type(spelling)
    assert type_ is not None and (type_.bits, type_.signed) == (bits, signed)


def test_non_integer_types_and_literals_are_not_integers() -> None:
    assert [int_type(s) for s in ("double", "bool", "T", "std::vector<int>")] == [None] * 4
    assert literal_type("1.5") is None
    assert (literal_type("0").spelling, literal_type("0u").spelling, literal_type("1L").bits) == ("int", "unsigned", 64)
    assert literal_type("3000000000").bits == 64


def test_int32_over_uint32_is_narrower_and_int64_over_size_t_is_not() -> None:
    assert int_type("int").narrower_than(int_type("unsigned"))
    assert not int_type("unsigned").narrower_than(int_type("int"))
    assert not int_type("int64_t").narrower_than(int_type("size_t"))


def test_suite_references_and_good_candidates_are_clean() -> None:
    sources = {task.name: task.reference.cpp for task in suite_tasks() if hasattr(task, "reference")}
    good = [*CANDIDATES.glob("*/good_*.cpp"), *HONEST.glob("*/*.cpp")]
    sources |= {str(path): path.read_text() for path in good}
    assert len(sources) >= 20
    reported = {name: narrow_indices(parse_cpp(source).root_node) for name, source in sources.items()}
    assert {name: found for name, found in reported.items() if found} == {}
