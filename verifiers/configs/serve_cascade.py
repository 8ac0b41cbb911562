"""The config cascade of a serving layout: layout, memory, performance; the first failure stops it.

Later stages (framework, dry_run) are appended by their own modules; this one decides whether a layout
is valid, fits and meets the latency targets, and sets the verdict's objective value.
"""

from __future__ import annotations

import time

from tasks.configs.layout import ServeLayout
from tasks.configs.model import ServeConfigTask
from verifiers.configs.problems import layout_stage_result, timed
from verifiers.configs.serve_layout_check import check_serve_layout
from verifiers.configs.serve_memory_model import ServeMemory, serve_memory
from verifiers.configs.serve_perf import ServingPrediction, predict_serving
from verifiers.configs.verdict import ConfigStage, ConfigStageResult, ConfigVerdict
from verifiers.verdict import StageStatus


def _memory_stage(memory: ServeMemory) -> ConfigStageResult:
    details = memory.model_dump()
    if memory.fits:
        return ConfigStageResult(stage=ConfigStage.memory, status=StageStatus.passed, details=details)
    weights_alone = memory.weights_bytes > memory.budget_bytes
    hint = (
        "the weights alone exceed the budget: raise tp or pp"
        if weights_alone
        else "one longest sequence does not fit in the KV cache: raise tp or pp, lower max_num_batched_tokens "
        "or max_num_seqs, or raise gpu_memory_utilization"
    )
    return ConfigStageResult(
        stage=ConfigStage.memory,
        status=StageStatus.failed,
        reason="memory.weights_do_not_fit" if weights_alone else "memory.does_not_fit",
        feedback=f"{memory.summary()}\n{hint}",
        details=details,
    )


def _performance_reason(prediction: ServingPrediction) -> str:
    if not prediction.stable:
        return "performance.unstable"
    if not prediction.meets_ttft and not prediction.meets_tpot:
        return "performance.misses_ttft_and_tpot"
    return "performance.misses_ttft" if not prediction.meets_ttft else "performance.misses_tpot"


def _performance_stage(prediction: ServingPrediction) -> ConfigStageResult:
    details = prediction.model_dump()
    if prediction.meets_targets:
        return ConfigStageResult(
            stage=ConfigStage.performance, status=StageStatus.passed, feedback=prediction.summary(), details=details
        )
    return ConfigStageResult(
        stage=ConfigStage.performance,
        status=StageStatus.failed,
        reason=_performance_reason(prediction),
        feedback=prediction.summary(),
        details=details,
    )


def verify_serve_layout(task: ServeConfigTask, layout: ServeLayout) -> ConfigVerdict:
    """Layout, memory and performance stages of ``layout`` for ``task``; stages after a failure are skipped."""
    started = time.perf_counter()
    stages = [timed(layout_stage_result(check_serve_layout(task, layout)), started)]
    objective_value = None
    if stages[-1].status is StageStatus.passed:
        started = time.perf_counter()
        memory = serve_memory(task, layout)
        stages.append(timed(_memory_stage(memory), started))
        if memory.fits:
            started = time.perf_counter()
            prediction = predict_serving(task, layout, memory)
            stages.append(timed(_performance_stage(prediction), started))
            objective_value = prediction.objective_value(task.objective)
    ran = {stage.stage for stage in stages}
    skipped = [
        ConfigStageResult(stage=stage, status=StageStatus.skipped, reason="skipped.earlier_stage_failed")
        for stage in (ConfigStage.layout, ConfigStage.memory, ConfigStage.performance)
        if stage not in ran
    ]
    return ConfigVerdict(
        task=task.name,
        layout=layout.model_dump(),
        stages=[*stages, *skipped],
        objective_value=objective_value,
    )
