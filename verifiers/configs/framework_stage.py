"""The ``framework`` stage of config verification: every framework config the task asks for is written and valid."""

from __future__ import annotations

import time

from tasks.configs.layout import ServeLayout, TrainLayout
from tasks.configs.model import ConfigTask
from verifiers.configs.frameworks import EmittedConfig, UnsupportedLayout, check_config, emit_config
from verifiers.configs.verdict import ConfigStage, ConfigStageResult
from verifiers.verdict import StageStatus


def check_frameworks(task: ConfigTask, layout: TrainLayout | ServeLayout) -> ConfigStageResult:
    """Emit the config of every framework in ``task.frameworks`` for ``layout`` and check each one.

    The stage fails when a framework cannot express the layout (``framework.unsupported_layout``) or
    when an emitted config breaks one of its framework's rules (``framework.invalid_config``); the
    feedback names the framework and the option. ``details["configs"]`` holds every config emitted.
    """
    start = time.perf_counter()
    emitted: list[EmittedConfig] = []
    unsupported: list[str] = []
    invalid: list[str] = []
    try:
        for framework in task.frameworks:
            try:
                config = emit_config(framework, task, layout)
            except UnsupportedLayout as error:
                unsupported.append(str(error))
                continue
            emitted.append(config)
            problems = check_config(framework, config.text, model=task.model, world_size=layout.world_size)
            invalid += [f"{framework.value} ({config.filename}): {problem}" for problem in problems]
    except TypeError as error:
        return ConfigStageResult(
            stage=ConfigStage.framework,
            status=StageStatus.error,
            reason="framework.layout_kind",
            feedback=str(error),
            seconds=time.perf_counter() - start,
        )
    reason = "framework.unsupported_layout" if unsupported else "framework.invalid_config" if invalid else ""
    return ConfigStageResult(
        stage=ConfigStage.framework,
        status=StageStatus.failed if reason else StageStatus.passed,
        reason=reason,
        feedback="\n".join(unsupported + invalid),
        seconds=time.perf_counter() - start,
        details={"configs": [config.model_dump(mode="json") for config in emitted]},
    )
