"""The verifier cascade of a training layout: shapes, then memory per GPU, then predicted step time.

Each stage runs only when the one before passed; the feedback of a failed stage carries the numbers
a proposer needs (which field, which sizes, which memory term is too large).
"""

from __future__ import annotations

import time

from tasks.configs.layout import TrainLayout
from tasks.configs.model import TrainConfigTask
from verifiers.configs.memory import TrainMemory, gib, train_memory
from verifiers.configs.problems import layout_stage_result, timed
from verifiers.configs.train_hardware import TrainAssumptions
from verifiers.configs.train_layout_check import check_train_layout
from verifiers.configs.training_perf import TrainStepPrediction, predict_train_step
from verifiers.configs.verdict import ConfigStage, ConfigStageResult, ConfigVerdict
from verifiers.verdict import StageStatus


def memory_feedback(memory: TrainMemory) -> str:
    """What a proposer reads about a layout's memory: the total, the capacity, every term, the dominant one."""
    text = f"Most loaded GPU: {memory.describe()}."
    if not memory.fits:
        text += (
            f" Over by {gib(memory.total - memory.capacity):.1f} GiB; the largest term is {memory.dominant} "
            f"({gib(getattr(memory, memory.dominant)):.1f} GiB)."
        )
    return text


def _memory_stage(memory: TrainMemory) -> ConfigStageResult:
    return ConfigStageResult(
        stage=ConfigStage.memory,
        status=StageStatus.passed if memory.fits else StageStatus.failed,
        reason="" if memory.fits else "memory.does_not_fit",
        feedback=memory_feedback(memory),
        details=memory.model_dump(),
    )


def prediction_feedback(prediction: TrainStepPrediction) -> str:
    """The predicted step time, MFU and throughput, with every component in seconds."""
    parts = ", ".join(f"{name.removesuffix('_s')} {seconds:.3f}" for name, seconds in prediction.components().items())
    return (
        f"Predicted step {prediction.step_time_s:.3f} s ({parts}); MFU {prediction.mfu:.1%}, "
        f"{prediction.tokens_per_s:,.0f} tokens/s, bubble {prediction.bubble_fraction:.1%}."
    )


def _performance_stage(prediction: TrainStepPrediction) -> ConfigStageResult:
    return ConfigStageResult(
        stage=ConfigStage.performance,
        status=StageStatus.passed,
        feedback=prediction_feedback(prediction),
        details=prediction.model_dump(),
    )


def _skipped(stage: ConfigStage) -> ConfigStageResult:
    return ConfigStageResult(stage=stage, status=StageStatus.skipped, reason="skipped.earlier_stage_failed")


def verify_train_layout(
    task: TrainConfigTask, layout: TrainLayout, assumptions: TrainAssumptions | None = None
) -> ConfigVerdict:
    """Run the layout, memory and performance stages on ``layout``; ``objective_value`` is set when all pass.

    The objective is tokens/s for ``throughput`` and GPU-seconds per token for ``cost``.
    """
    started = time.perf_counter()
    stages = [timed(layout_stage_result(check_train_layout(task, layout)), started)]
    objective_value = None
    if stages[0].status is not StageStatus.passed:
        stages += [_skipped(ConfigStage.memory), _skipped(ConfigStage.performance)]
    else:
        started = time.perf_counter()
        memory = train_memory(task, layout, assumptions)
        stages.append(timed(_memory_stage(memory), started))
        if not memory.fits:
            stages.append(_skipped(ConfigStage.performance))
        else:
            started = time.perf_counter()
            prediction = predict_train_step(task, layout, assumptions)
            stages.append(timed(_performance_stage(prediction), started))
            objective_value = prediction.objective_value(task.objective)
    return ConfigVerdict(
        task=task.name,
        layout=layout.model_dump(mode="json"),
        stages=stages,
        objective_value=objective_value,
    )
