"""A run's metadata and headline metrics as labelled values, shared by the run and comparison pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evals.metrics import FAST_P_THRESHOLDS, SuiteMetrics
from evals.records import EvalMode, RunMeta
from evals.report import formatting as fmt

Kind = Literal["count", "fraction", "speedup", "money"]


@dataclass(frozen=True)
class Metric:
    """One headline figure: a label, its value (None when not measured) and how it reads."""

    label: str
    value: float | None
    kind: Kind
    low: float | None = None
    high: float | None = None
    """The confidence interval, for a speedup that has one."""

    @property
    def text(self) -> str:
        """The value as the report prints it."""
        if self.kind == "speedup":
            return fmt.speedup_interval(self.value, self.low, self.high)
        return _FORMAT[self.kind](self.value)

    def delta(self, other: Metric) -> str:
        """How ``other`` differs from this one: a ratio for speedups, a difference otherwise."""
        if self.value is None or other.value is None:
            return fmt.DASH
        if self.kind == "speedup":
            return f"{other.value / self.value:.2f}x" if self.value > 0 else fmt.DASH
        difference = other.value - self.value
        sign = "-" if difference < 0 else "+" if difference > 0 else ""
        if self.kind == "fraction":
            return f"{sign}{100 * abs(difference):.1f} pp"
        return sign + _FORMAT[self.kind](abs(difference))


_FORMAT = {"count": fmt.count, "fraction": fmt.percent, "money": fmt.money}


@dataclass(frozen=True)
class MetricGroup:
    """Headline metrics under one name (correctness, speed, spend)."""

    name: str
    metrics: list[Metric]


def headline_groups(metrics: SuiteMetrics) -> list[MetricGroup]:
    """Every headline metric of a run, in three groups."""
    n = metrics.threads if metrics.threads is not None else "n"
    correctness = [
        Metric("Tasks", metrics.tasks, "count"),
        Metric("Solved", metrics.solved, "count"),
        Metric("Errors", metrics.errors, "count"),
        *(Metric(f"pass@{k}", metrics.pass_at_k.get(k), "fraction") for k in metrics.ks),
        *(Metric(f"build@{k}", metrics.build_at_k.get(k), "fraction") for k in metrics.ks),
    ]
    speed = [
        _geomean(metrics),
        *(Metric(f"speedup_{n}@{k}", metrics.speedup_at_k.get(k), "speedup") for k in metrics.ks),
        *(Metric(f"efficiency_{n}@{k}", metrics.efficiency_at_k.get(k), "fraction") for k in metrics.ks),
        *(Metric(f"fast_{p:g}", metrics.fast_p.get(p), "fraction") for p in FAST_P_THRESHOLDS),
        *(Metric(f"verified fast_{p:g}", metrics.verified_fast_p.get(p), "fraction") for p in FAST_P_THRESHOLDS),
        Metric("Mean roofline fraction", metrics.mean_roofline_fraction, "fraction"),
    ]
    tokens = metrics.prompt_tokens + metrics.completion_tokens
    spend = [
        Metric("Tokens", tokens, "count"),
        Metric("Tokens per task", metrics.tokens_per_task, "count"),
        Metric("Tokens per solved task", metrics.tokens_per_solved, "count"),
        Metric("Cost", metrics.cost, "money"),
        Metric("Cost per task", metrics.cost_per_task, "money"),
        Metric("Cost per solved task", metrics.cost_per_solved, "money"),
    ]
    return [MetricGroup("Correctness", correctness), MetricGroup("Speed", speed), MetricGroup("Spend", spend)]


def headline_cards(metrics: SuiteMetrics) -> list[tuple[str, str]]:
    """The four figures a reader looks for first."""
    first_k = metrics.ks[0] if metrics.ks else 1
    return [
        ("Solved", f"{metrics.solved} / {metrics.tasks}"),
        ("Geomean speedup", _geomean(metrics).text),
        (f"pass@{first_k}", fmt.percent(metrics.pass_at_k.get(first_k))),
        ("Cost", fmt.money(metrics.cost)),
    ]


def _geomean(metrics: SuiteMetrics) -> Metric:
    """The geometric-mean speedup with its interval (never shown without it)."""
    geomean = metrics.geomean_speedup
    if geomean is None:
        return Metric("Geomean speedup", None, "speedup")
    return Metric("Geomean speedup", geomean.value, "speedup", geomean.low, geomean.high)


def proposer(meta: RunMeta) -> str:
    """The model that proposed the candidates, or where they came from when no model did."""
    if meta.model:
        return meta.model
    return "recorded candidates" if meta.mode == EvalMode.candidates else "offline proposer"


def meta_fields(meta: RunMeta) -> dict[str, list[tuple[str, str]]]:
    """What the run was (under ``Run``) and where it ran (under ``Machine``), as labelled lines."""
    return {
        "Run": [
            ("Run id", meta.run_id),
            ("Suite", meta.suite),
            ("Mode", str(meta.mode)),
            ("Model", proposer(meta)),
            ("Samples per task", str(meta.samples)),
            ("Threads", ", ".join(map(str, meta.threads)) or fmt.DASH),
            ("Started", meta.started or fmt.DASH),
            ("Finished", meta.finished or fmt.DASH),
        ],
        "Machine": [
            *((f"Hardware: {key}", value) for key, value in meta.hardware.items()),
            ("Toolchain", meta.toolchain or fmt.DASH),
            ("Backend", meta.backend or fmt.DASH),
            ("Executor", meta.executor),
        ],
    }
