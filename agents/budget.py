"""Budgets of a run and the usage counted against them."""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field


class BudgetExhausted(Exception):
    """A budget ran out; the run stops cleanly and publishes its best."""


class Budget(BaseModel):
    """Limits of one solve run."""

    model_config = ConfigDict(extra="forbid")

    max_cost: float | None = Field(default=None, ge=0)
    """US dollars of model usage."""
    max_candidates: int | None = Field(default=None, ge=1)
    """Candidates verified."""
    generations: int = Field(default=3, ge=1)
    time_limit_s: float | None = Field(default=None, gt=0)


class Usage(BaseModel):
    """What a run has spent so far."""

    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    requests: int = 0
    cached_requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{name: getattr(self, name) + getattr(other, name) for name in Usage.model_fields})


def exhausted(budget: Budget, usage: Usage, candidates: int, generation: int, started: float) -> str | None:
    """Which budget is spent, in words, or None while all have room."""
    if budget.max_cost is not None and usage.cost >= budget.max_cost:
        return f"cost budget of ${budget.max_cost:g} reached (${usage.cost:.4f} spent)"
    if budget.max_candidates is not None and candidates >= budget.max_candidates:
        return f"candidate budget of {budget.max_candidates} reached"
    if generation >= budget.generations:
        return f"{budget.generations} generation(s) done"
    if budget.time_limit_s is not None and time.time() - started >= budget.time_limit_s:
        return f"time limit of {budget.time_limit_s:g} s reached"
    return None
