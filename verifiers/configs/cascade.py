"""``verify_layout``: the whole cascade of a config candidate, for either kind of config task.

Layout, memory and performance come from the task kind's own cascade; the framework stage (every
config the task asks for is emitted and schema-checked) runs when those passed. The dry run is
not part of it: it trains real processes for seconds, so a solve runs it on the winner only.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from tasks.configs.layout import ServeLayout, TrainLayout
from tasks.configs.model import ConfigTask, TrainConfigTask
from verifiers.configs.framework_stage import check_frameworks
from verifiers.configs.serve_cascade import verify_serve_layout
from verifiers.configs.train_cascade import verify_train_layout
from verifiers.configs.verdict import ConfigStage, ConfigStageResult, ConfigVerdict
from verifiers.verdict import StageStatus

Layout = TrainLayout | ServeLayout


class LayoutError(ValueError):
    """A proposed layout is not even a layout: unknown or missing fields, wrong types."""


def parse_layout(task: ConfigTask, data: Any) -> Layout:
    """``data`` (a mapping from a proposer) as the layout type of ``task``; LayoutError names the fields."""
    model = TrainLayout if isinstance(task, TrainConfigTask) else ServeLayout
    if not isinstance(data, dict):
        raise LayoutError(f"expected a mapping of {model.__name__} fields, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'layout'}: {e['msg']}" for e in exc.errors())
        raise LayoutError(f"not a valid {model.__name__}: {problems}") from None


def verify_layout(task: ConfigTask, layout: Layout) -> ConfigVerdict:
    """Every stage but the dry run; stages after a failure are skipped."""
    if isinstance(task, TrainConfigTask):
        assert isinstance(layout, TrainLayout), "a training task takes a TrainLayout"
        verdict = verify_train_layout(task, layout)
    else:
        assert isinstance(layout, ServeLayout), "a serving task takes a ServeLayout"
        verdict = verify_serve_layout(task, layout)
    if verdict.accepted:
        framework = check_frameworks(task, layout)
    else:
        framework = ConfigStageResult(
            stage=ConfigStage.framework, status=StageStatus.skipped, reason="skipped.earlier_stage_failed"
        )
    accepted = framework.status is not StageStatus.failed and framework.status is not StageStatus.error
    return verdict.model_copy(
        update={
            "stages": [*verdict.stages, framework],
            "objective_value": verdict.objective_value if accepted else None,
        }
    )
