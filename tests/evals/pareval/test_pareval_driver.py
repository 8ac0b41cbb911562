"""Reading ParEval ``cpu.cc`` drivers: sizes, fills, the call, the baseline and the tolerance."""

from __future__ import annotations

import pytest
from pareval_paths import CHECKOUT

from evals.pareval.cpp import statements
from evals.pareval.driver import FillKind, read_driver

BENCHMARKS = CHECKOUT / "drivers" / "cpp" / "benchmarks"


def _driver(
    body_reset: str, body_init: str = "ctx->x.resize(DRIVER_PROBLEM_SIZE);", fields: str = "std::vector<int> x;"
):
    return read_driver(
        f"""
        struct Context {{ {fields} }};
        void reset(Context *ctx) {{ {body_reset} }}
        Context *init() {{ Context *ctx = new Context(); {body_init} reset(ctx); return ctx; }}
        void NO_OPTIMIZE compute(Context *ctx) {{ f(ctx->x); }}
        void NO_OPTIMIZE best(Context *ctx) {{ correctF(ctx->x); }}
        """
    )


def test_a_fixture_driver_gives_sizes_fills_call_baseline_and_tolerance():
    driver = read_driver((BENCHMARKS / "stencil" / "02_stencil_blur_2d" / "cpu.cc").read_text())
    assert driver.fields == {"input": "std::vector<double>", "output": "std::vector<double>", "N": "size_t"}
    assert driver.values == {"N": "DRIVER_PROBLEM_SIZE"}
    assert driver.lengths == {"input": "ctx->N * ctx->N", "output": "ctx->N * ctx->N"}
    [random] = driver.fills["input"]
    assert (random.kind, random.low, random.high, random.high_exclusive) == (FillKind.random, 0.0, 1.0, True)
    [zero] = driver.fills["output"]
    assert (zero.kind, zero.low) == (FillKind.constant, 0.0)
    assert driver.call_fields("blur2D") == ["input", "output", "N"]
    assert driver.baseline_function("blur2D") == "correctBlur2D"
    assert driver.tolerance == pytest.approx(1e-5)
    assert "vector" in driver.includes


def test_the_drivers_random_scalar_forms_become_inclusive_integer_ranges():
    driver = _driver(
        "ctx->a = rand() % 50 + 25; ctx->b = (rand() % 200) - 100; ctx->c = rand() % 1000;"
        " ctx->d = (rand() / (double) RAND_MAX) * 2.0 - 1.0;",
        fields="std::vector<int> x; int a, b, c; double d;",
    )
    bounds = {name: (fills[0].low, fills[0].high) for name, fills in driver.fills.items()}
    assert bounds == {"a": (25, 74), "b": (-100, 99), "c": (0, 999), "d": (-1.0, 1.0)}
    assert all(driver.fills[n][0].kind is FillKind.random for n in "abcd")


def test_a_literal_in_init_is_a_constant_and_an_expression_is_a_size():
    driver = _driver("", "ctx->alpha = 2.0; ctx->K = DRIVER_PROBLEM_SIZE / 4; ctx->x.resize(ctx->K);",
                     fields="std::vector<int> x; double alpha; size_t K;")  # fmt: skip
    assert driver.values == {"K": "DRIVER_PROBLEM_SIZE / 4"}
    assert driver.fills["alpha"][0].kind is FillKind.constant
    assert driver.fills["alpha"][0].low == 2.0


def test_an_element_loop_of_rand_is_a_random_fill():
    driver = _driver("for (int i = 0; i < ctx->x.size(); i += 1) { ctx->x[i] = rand() % 2; }",
                     fields="std::vector<bool> x;")  # fmt: skip
    [fill] = driver.fills["x"]
    assert (fill.kind, fill.low, fill.high) == (FillKind.random, 0, 1)


@pytest.mark.parametrize(
    ("reset", "note"),
    [
        ("fillRandNearlySorted(ctx->x);", ""),
        (
            "fillRand(ctx->x, 1, 20); for (int i = 0; i < ctx->x.size(); i += 1) { ctx->x[i] = 2 * ctx->x[i] + 1; }",
            "computed from values drawn earlier",
        ),
        ("ctx->k = rand() % ctx->x.size();", "relative to the problem size"),
        ("fillRand(ctx->x, 0, 9); std::sort(ctx->x.begin(), ctx->x.end());", ""),
        ("do { ctx->k = rand() % 7; } while (ctx->k == 3);", ""),
    ],
)
def test_unrecognised_fills_are_opaque_never_guessed(reset: str, note: str):
    driver = _driver(reset, fields="std::vector<int> x; int k;")
    opaque = [f for fills in driver.fills.values() for f in fills if f.kind is FillKind.opaque]
    assert opaque, driver.fills
    assert note in opaque[0].note


def test_a_known_helper_is_a_uniform_fill_of_its_first_argument():
    init = "ctx->N = DRIVER_PROBLEM_SIZE; ctx->x.resize(ctx->N * ctx->N);"
    driver = _driver("fillRandDirectedGraph(ctx->x, ctx->N);", init, fields="std::vector<int> x; size_t N;")
    [fill] = driver.fills["x"]
    assert (fill.kind, fill.low, fill.high, fill.high_exclusive) == (FillKind.random, 0, 1, False)


def test_a_driver_without_init_is_refused():
    with pytest.raises(ValueError, match="init"):
        read_driver("struct Context { int x; }; void reset(Context *ctx) {} void compute(Context *ctx) {}")


def test_statements_keep_compound_statements_whole():
    body = "a = 1; for (int i = 0; i < 3; i++) { b(i); } if (c) { d(); } else { e(); } do { f(); } while (g); h();"
    assert statements(body) == [
        "a = 1;", "for (int i = 0; i < 3; i++) { b(i); }", "if (c) { d(); } else { e(); }",
        "do { f(); } while (g);", "h();",
    ]  # fmt: skip
