"""Fast eval settings, a one-task suite folder and recorded reduce-sum candidates for the eval-run tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from evals.config import EvalConfig
from tasks import SUITE_DIR
from verifiers.context import VerifyConfig
from verifiers.timing.settings import TimingSettings

QUICK_VERIFY = VerifyConfig(
    seeds=[0],
    hidden_seeds=1,
    thread_counts=[1],  # a racy sum is then right in correctness, and always the race stage's to reject
    timing=TimingSettings(size={"n": 400_000}, min_samples=10, max_samples=40, budget_s=1.5, resamples=1000),
)
"""Verification that judges a reduce-sum candidate in a few seconds."""

HEADER = "#include <cmath>\n#include <cstdint>\n"
LOOP = "for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);"
FAST = HEADER + (
    "void reduce_sum(const double* x, int64_t n, double* out) {\n    double total = 0.0;\n"
    f"    #pragma omp parallel for reduction(+:total)\n    {LOOP}\n    out[0] = total;\n}}\n"
)
RACY = HEADER + (
    "void reduce_sum(const double* x, int64_t n, double* out) {\n    double total = 0.0;\n"
    f"    #pragma omp parallel for\n    {LOOP}\n    out[0] = total;\n}}\n"
)
WRONG_SIGNATURE = "#include <cstdint>\nvoid reduce_sum(double* x, int64_t n, double* out) { out[0] = 0; }\n"


def suite_folder(root: Path, *names: str) -> Path:
    """A suite folder under ``root`` holding copies of the named built-in tasks."""
    folder = root / "suite"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SUITE_DIR / f"{name}.yaml", folder / f"{name}.yaml")
    return folder


def quick_eval(suite: Path, **overrides: object) -> EvalConfig:
    """Eval settings on the local backend with quick verification."""
    settings: dict[str, object] = {"suite": str(suite), "backend": "local", "workers": 2, "verify": QUICK_VERIFY}
    settings.update(overrides)
    return EvalConfig.model_validate(settings)


def fenced(source: str) -> str:
    """A model reply holding ``source`` in a code block."""
    return f"Here is the kernel.\n```cpp\n{source}```\n"
