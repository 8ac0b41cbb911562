"""Config task files: presets, the GPU table, and one-mistake files rejected with the field named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks import TaskFileError, config_suite_tasks, load_task
from tasks.configs.model import ServeConfigTask, TrainConfigTask

TRAIN: dict[str, Any] = {
    "kind": "train_config",
    "name": "t",
    "model": "llama3-8b",
    "cluster": {"gpu": "h100-sxm", "nodes": 2},
    "workload": {"seq_len": 4096, "global_batch_sequences": 256},
}


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_built_in_config_tasks_load() -> None:
    kinds = {type(task) for task in config_suite_tasks()}
    assert kinds == {TrainConfigTask, ServeConfigTask}


def test_a_preset_expands_and_may_be_overridden(tmp_path: Path) -> None:
    task = load_task(write(tmp_path, {**TRAIN, "model": {"preset": "llama3-8b", "layers": 16}}))
    assert isinstance(task, TrainConfigTask)
    assert (task.model.layers, task.model.hidden, task.model.kv_heads) == (16, 4096, 8)
    assert task.cluster.world_size == 16 and task.cluster.intra_bandwidth == 450


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"cluster": {"gpu": "v100"}}, "cluster.gpu", "unknown GPU type 'v100'"),
        ({"model": "gpt5"}, "model", "unknown model preset 'gpt5'"),
        ({"model": {"preset": "llama3-8b", "heads": 30}}, "model", "hidden (4096) is not divisible by heads (30)"),
        ({"model": {"preset": "llama3-8b", "kv_heads": 5}}, "model", "not a multiple of kv_heads (5)"),
        (
            {"workload": {"seq_len": 4096, "global_batch_sequences": 8, "global_batch_tokens": 32768}},
            "workload",
            "exactly one of global_batch_sequences and global_batch_tokens",
        ),
        ({"workload": {"seq_len": 4096, "global_batch_tokens": 5000}}, "workload", "not a multiple of seq_len"),
        ({"frameworks": ["vllm"]}, "frameworks", "not a training framework: vllm"),
        ({"cluster": {"gpu": "h100-sxm", "nodes": 0}}, "cluster.nodes", "greater than 0"),
    ],
)
def test_one_mistake_names_the_field(tmp_path: Path, change: dict[str, Any], field: str, expected: str) -> None:
    with pytest.raises(TaskFileError) as caught:
        load_task(write(tmp_path, {**TRAIN, **change}))
    assert any(f == field and expected in message for f, message in caught.value.problems), caught.value.problems
