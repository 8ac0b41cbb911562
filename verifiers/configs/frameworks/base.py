"""What every framework module shares: the emitted config, the unsupported-layout error, strict option
schemas, and the translation of schema errors into problems that name the option."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tasks.configs.layout import TrainLayout
from tasks.configs.model import Framework, TrainConfigTask


class EmittedConfig(BaseModel):
    """One framework's config for one layout: the file a user would run with, and what it means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    framework: Framework
    filename: str
    """Suggested file name, e.g. ``megatron_args.sh`` or ``ds_config.json``."""
    text: str
    """The file's content, exactly as the framework reads it."""
    summary: str
    """One paragraph: the layout in the framework's words, and every approximation made."""


class UnsupportedLayout(ValueError):
    """The framework cannot express one field of the layout (no silent substitution is made)."""

    def __init__(self, framework: Framework, field: str, reason: str) -> None:
        self.framework = framework
        self.field = field
        self.reason = reason
        super().__init__(f"{framework.value} cannot express layout field {field!r}: {reason}")


class FrameworkOptions(BaseModel):
    """Base of the option schemas: strict types, unknown options are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


OptionsT = TypeVar("OptionsT", bound=FrameworkOptions)
OptionNamer = Callable[[tuple[int | str, ...]], str]


def dotted_name(location: tuple[int | str, ...]) -> str:
    """``('zero_optimization', 'stage')`` -> ``zero_optimization.stage`` (JSON and TOML keys)."""
    return ".".join(str(part) for part in location)


def flag_name(location: tuple[int | str, ...]) -> str:
    """``('tensor_model_parallel_size',)`` -> ``--tensor-model-parallel-size`` (command-line options)."""
    return "--" + str(location[0]).replace("_", "-") if location else "(arguments)"


def schema_problems(
    schema: type[OptionsT], data: dict[str, Any], name: OptionNamer
) -> tuple[OptionsT | None, list[str]]:
    """Validate ``data`` against ``schema``; return the options, or ``None`` and one problem per error."""
    try:
        return schema.model_validate(data), []
    except ValidationError as error:
        problems = []
        for item in error.errors():
            option = name(item["loc"])
            if item["type"] == "extra_forbidden":
                problems.append(f"{option}: unknown option")
            elif item["type"] == "missing":
                problems.append(f"{option}: required option is missing")
            else:
                problems.append(f"{option}: {item['msg']} (got {item.get('input')!r})")
        return None, problems


def micro_batches_per_replica(framework: Framework, task: TrainConfigTask, layout: TrainLayout) -> int:
    """Micro-batches each data-parallel replica runs per step: ``global batch / (micro_batch * dp)``."""
    batch = task.workload.batch_sequences
    per_pass = layout.micro_batch * layout.dp
    if batch % per_pass:
        raise UnsupportedLayout(
            framework,
            "micro_batch",
            f"the global batch of {batch} sequences is not a multiple of micro_batch ({layout.micro_batch}) "
            f"x dp ({layout.dp}) = {per_pass}",
        )
    return batch // per_pass


def divisibility_problem(option: str, value: int, divisor_option: str, divisor: int) -> list[str]:
    """``["option (value) is not divisible by divisor_option (divisor)"]`` or nothing."""
    if value % divisor:
        return [f"{option} ({value}) is not divisible by {divisor_option} ({divisor})"]
    return []
