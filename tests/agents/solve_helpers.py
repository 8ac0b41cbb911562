"""Fast solve settings, reduce-sum candidates and reply helpers for the scripted-model solve tests."""

from __future__ import annotations

from agents.solve_config import SolveConfig
from verifiers.context import VerifyConfig
from verifiers.timing.settings import TimingSettings

RACY = """#include <cmath>
#include <cstdint>
void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    #pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
"""

FAST = """#include <cmath>
#include <cstdint>
void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    #pragma omp parallel for reduction(+:total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
"""

SLOW_FIX = """#include <cmath>
#include <cstdint>
// Correct, but computes every term three times.
void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    for (int round = 0; round < 3; ++round) {
        double partial = 0.0;
        for (int64_t i = 0; i < n; ++i) partial += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        total = partial;
    }
    out[0] = total;
}
"""

WRONG_SIGNATURE = """#include <cstdint>
void reduce_sum(double* x, int64_t n, double* out) { out[0] = 0; }
"""


def fenced(source: str) -> str:
    """A model reply holding ``source`` in a code block."""
    return f"Here is the kernel.\n```cpp\n{source}```\n"


def quick_config(**overrides: object) -> SolveConfig:
    """Solve settings that verify a reduce-sum candidate in a few seconds on the local backend."""
    verify = VerifyConfig(
        seeds=[0],
        hidden_seeds=1,
        thread_counts=[1, 2],
        timing=TimingSettings(size={"n": 400_000}, min_samples=10, max_samples=40, budget_s=2.0, resamples=1000),
    )
    settings: dict[str, object] = {
        "task": "reduce-sum",
        "backend": "local",
        "population": 2,
        "islands": 1,
        "workers": 2,
        "verify": verify,
        "budget": {"generations": 1},
    }
    settings.update(overrides)
    return SolveConfig.model_validate(settings)
