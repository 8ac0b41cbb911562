"""Framework configs of a layout: Megatron-LM arguments, DeepSpeed JSON, torchtitan TOML, vLLM engine arguments.

:func:`emit_config` writes the file a framework reads; :func:`check_config` reads such a file back
with a strict schema of the options written and the cross-field rules the framework itself enforces,
and returns readable problems that name the option. Each framework lives in its own module, whose
docstring cites the framework version and files the option names come from.

Policy for layouts a framework cannot express: :class:`UnsupportedLayout` names the framework and
the layout field, and nothing is silently substituted. Where a framework offers an equivalent that
is not literally the same mechanism (torchtitan's FSDP2 without resharding for ZeRO-2, its per-op
selective checkpointing, vLLM data-parallel engines for replicas), the config uses it and the
``summary`` of :class:`EmittedConfig` says so.
"""

from __future__ import annotations

from typing import Protocol

from tasks.configs.layout import ServeLayout, TrainLayout
from tasks.configs.model import SERVE_FRAMEWORKS, ConfigTask, Framework, ServeConfigTask, TrainConfigTask
from tasks.configs.specs import ModelSpec
from verifiers.configs.frameworks import deepspeed, megatron, torchtitan, vllm
from verifiers.configs.frameworks.base import EmittedConfig, UnsupportedLayout

__all__ = ["EmittedConfig", "UnsupportedLayout", "check_config", "emit_config", "inexpressible"]


class _Checker(Protocol):
    def __call__(self, text: str, *, model: ModelSpec | None = None, world_size: int | None = None) -> list[str]: ...


_TRAIN_EMITTERS = {
    Framework.megatron: megatron.emit,
    Framework.deepspeed: deepspeed.emit,
    Framework.torchtitan: torchtitan.emit,
}
_CHECKERS: dict[Framework, _Checker] = {
    Framework.megatron: megatron.check,
    Framework.deepspeed: deepspeed.check,
    Framework.torchtitan: torchtitan.check,
    Framework.vllm: vllm.check,
}


def emit_config(framework: Framework, task: ConfigTask, layout: TrainLayout | ServeLayout) -> EmittedConfig:
    """The config file of ``layout`` for ``task`` in ``framework``'s format.

    Raises:
        UnsupportedLayout: the framework cannot express a field of the layout.
        TypeError: the framework, task and layout are not all for training or all for serving.
    """
    if framework in SERVE_FRAMEWORKS:
        if not (isinstance(task, ServeConfigTask) and isinstance(layout, ServeLayout)):
            raise TypeError(f"{framework.value} configures serving: it needs a serve_config task and a ServeLayout")
        return vllm.emit(task, layout)
    if not (isinstance(task, TrainConfigTask) and isinstance(layout, TrainLayout)):
        raise TypeError(f"{framework.value} configures training: it needs a train_config task and a TrainLayout")
    return _TRAIN_EMITTERS[framework](task, layout)


def check_config(
    framework: Framework, text: str, *, model: ModelSpec | None = None, world_size: int | None = None
) -> list[str]:
    """Problems of a config file in ``framework``'s format; empty when it is valid.

    Args:
        framework: whose format ``text`` is in.
        text: the file's content.
        model: the model the config is for; rules on heads and experts that the file does not carry run only with it.
        world_size: GPUs of the layout; rules that need the world size (DeepSpeed's batch triple, torchtitan's
            mesh, the launcher's process count) run only with it or when the file itself fixes it.
    """
    return _CHECKERS[framework](text, model=model, world_size=world_size)


def inexpressible(task: ConfigTask, layout: TrainLayout | ServeLayout) -> list[str]:
    """Why frameworks of ``task.frameworks`` cannot express ``layout`` (empty when all of them can)."""
    reasons = []
    for framework in task.frameworks:
        try:
            emit_config(framework, task, layout)
        except UnsupportedLayout as exc:
            reasons.append(str(exc))
    return reasons
