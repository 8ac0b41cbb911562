"""Problems found in a layout, naming the field at fault, and the layout stage result they make."""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict

from verifiers.configs.verdict import ConfigStage, ConfigStageResult
from verifiers.verdict import StageStatus


class LayoutProblem(BaseModel):
    """One reason a layout is invalid: the field at fault and what is wrong, with the numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def layout_stage_result(problems: list[LayoutProblem]) -> ConfigStageResult:
    """The ``layout`` stage: passed without problems, else failed on the first field with every problem listed."""
    if not problems:
        return ConfigStageResult(stage=ConfigStage.layout, status=StageStatus.passed)
    return ConfigStageResult(
        stage=ConfigStage.layout,
        status=StageStatus.failed,
        reason=f"layout.bad_{problems[0].field}",
        feedback="\n".join(f"- {problem}" for problem in problems),
        details={"problems": [problem.model_dump() for problem in problems]},
    )


def timed(result: ConfigStageResult, started: float) -> ConfigStageResult:
    """``result`` with the seconds since ``started`` (a ``time.perf_counter()`` value)."""
    return result.model_copy(update={"seconds": time.perf_counter() - started})
