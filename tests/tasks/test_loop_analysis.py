"""The syntactic loop analysis behind the offline proposer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tasks.codeanalysis.loops import parallel_loops
from tasks.codeanalysis.openmp import PragmaStyle, apply_plans
from tasks.codeanalysis.syntax import find_function, parse_cpp


def plans_for(body: str):
    source = f"void k(const double* x, const int* v, long n, double* out, long* hist, double* y) {{\n{body}\n}}"
    return source, parallel_loops(find_function(parse_cpp(source), "k"))


def test_sum_and_max_become_reductions_and_temporaries_private():
    _, plans = plans_for(
        "double s = 0, m = -1, t;\nfor (long i = 0; i < n; ++i) { t = 2 * x[i]; s += t; m = std::max(m, x[i]); }"
    )
    assert len(plans) == 1
    assert plans[0].reductions == {"s": "+", "m": "max"}
    assert plans[0].privates == ["t"]


@pytest.mark.parametrize(
    "loop",
    [
        "for (long i = 1; i < n; ++i) y[i] = y[i - 1] + x[i];",  # loop-carried through an array
        "double c = 0; for (long i = 0; i < n; ++i) { c = c * 0.5 + x[i]; y[i] = c; }",  # carried scalar
        "for (long i = 0; i < n; ++i) { if (x[i] < 0) break; y[i] = x[i]; }",  # early exit
        "for (long i = 0; i < n; ++i) { if (x[i] < 0) return; y[i] = x[i]; }",
        "for (long i = 0; i < n; i = i * 2) y[i] = x[i];",  # not canonical
    ],
)
def test_dependent_or_irregular_loops_are_left_alone(loop):
    _, plans = plans_for(loop)
    assert plans == []


def test_indirect_increment_is_made_atomic():
    source, plans = plans_for("for (long i = 0; i < n; ++i) hist[v[i]] += 1;")
    assert len(plans) == 1 and len(plans[0].atomics) == 1
    rewritten = apply_plans(source, plans, PragmaStyle())
    assert rewritten.index("#pragma omp parallel for") < rewritten.index("#pragma omp atomic")
    assert rewritten.index("#pragma omp atomic") < rewritten.index("hist[v[i]] += 1;")


def test_inner_loop_is_chosen_when_the_outer_one_carries_state():
    _, plans = plans_for(
        "for (int it = 0; it < 10; ++it) {\n"
        "  for (long i = 0; i < n; ++i) y[i] = 0.5 * y[i] + x[i];\n"
        "  double d = 0; for (long i = 0; i < n; ++i) d += y[i]; out[0] = d;\n"
        "}"
    )
    assert [p.var for p in plans] == ["i", "i"]
    assert plans[1].reductions == {"d": "+"}


def test_perfect_nest_with_independent_bounds_may_collapse():
    source, plans = plans_for("for (long i = 0; i < n; ++i)\n  for (long j = 0; j < n; ++j) y[i * n + j] = x[j];")
    assert plans[0].collapse == 2
    assert "collapse(2)" in apply_plans(source, plans, PragmaStyle(collapse=True))
    _, triangular = plans_for("for (long i = 0; i < n; ++i)\n  for (long j = 0; j < i; ++j) y[i * n + j] = x[j];")
    assert triangular[0].collapse == 1


def test_guarded_update_is_a_min_reduction():
    _, plans = plans_for(
        "double best = 1e300;\n"
        "for (long i = 0; i < n; ++i) {\n  const double d = x[i] * x[i];\n  if (d < best) best = d;\n}"
    )
    assert plans[0].reductions == {"best": "min"}


def test_offset_condition_is_rewritten_to_canonical_form():
    source, plans = plans_for("for (long i = 1; i + 1 < n; ++i) y[i] = x[i - 1] + x[i + 1];")
    rewritten = apply_plans(source, plans, PragmaStyle())
    assert "for (long i = 1; i < n - (1); ++i)" in rewritten


def test_row_pointers_follow_the_loop_variable():
    _, plans = plans_for(
        "for (long t = 0; t < 10; ++t) {\n"
        "  for (long i = 0; i < n; ++i) { double* row = y + i * n; for (long j = 0; j < n; ++j) row[j] = x[j]; }\n"
        "  std::swap(x, y);\n"
        "}"
    )
    assert [p.var for p in plans] == ["i"]  # the time loop swaps shared buffers; the row loop is independent
    _, shared = plans_for("for (long i = 0; i < n; ++i) { double* p = y; p[0] += x[i]; }")
    assert shared == []


@pytest.mark.skipif(shutil.which("clang++") is None, reason="needs clang++ with OpenMP")
def test_min_reduction_keeps_an_infinite_start_when_no_iteration_lowers_it(tmp_path: Path):
    # OpenMP's built-in min starts each thread at DBL_MAX, which would leak out as the result.
    source, plans = plans_for(
        "double best = __builtin_inf();\n"
        "for (long i = 0; i < n; ++i) {\n  const double d = x[i] * x[i];\n  if (d < best) best = d;\n}\n"
        "out[0] = best;"
    )
    main = (
        "\n#include <cstdio>\nint main() { double x[2] = {__builtin_inf(), 3.0}; double out[1];\n"
        '  k(x, nullptr, 1, out, nullptr, nullptr); std::printf("%g ", out[0]);\n'
        '  k(x, nullptr, 2, out, nullptr, nullptr); std::printf("%g\\n", out[0]); }\n'
    )
    (tmp_path / "k.cpp").write_text(apply_plans(source, plans, PragmaStyle()) + main)
    subprocess.run(["clang++", "-O2", "-fopenmp", "k.cpp", "-o", "k"], cwd=tmp_path, check=True)
    run = subprocess.run(["./k"], cwd=tmp_path, env={"OMP_NUM_THREADS": "2"}, capture_output=True, text=True)
    assert run.stdout.split() == ["inf", "9"]


@pytest.mark.skipif(shutil.which("clang++") is None, reason="needs clang++ with OpenMP")
def test_a_small_indirectly_updated_array_is_reduced_over_private_copies(tmp_path: Path):
    source, plans = plans_for("for (long i = 0; i < n; ++i) hist[v[i]] += 1;")
    assert plans[0].indirect["hist"][0] == "+"
    private = apply_plans(source, plans, PragmaStyle(private_arrays=True), {"hist": 4})
    assert "reduction(+:hist[:4])" in private and "omp atomic" not in private
    unknown_length = apply_plans(source, plans, PragmaStyle(private_arrays=True), {})
    assert "#pragma omp atomic" in unknown_length  # no length, no private copies
    main = (
        "\n#include <cstdio>\nint main() { int v[1000]; long hist[4] = {0, 0, 0, 0};\n"
        "  for (int i = 0; i < 1000; ++i) v[i] = i % 4;\n"
        "  k(nullptr, v, 1000, nullptr, hist, nullptr);\n"
        '  std::printf("%ld %ld %ld %ld\\n", hist[0], hist[1], hist[2], hist[3]); }\n'
    )
    (tmp_path / "k.cpp").write_text(private + main)
    subprocess.run(["clang++", "-O2", "-fopenmp", "k.cpp", "-o", "k"], cwd=tmp_path, check=True)
    run = subprocess.run(["./k"], cwd=tmp_path, env={"OMP_NUM_THREADS": "4"}, capture_output=True, text=True)
    assert run.stdout.split() == ["250", "250", "250", "250"]
