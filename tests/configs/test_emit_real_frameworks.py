"""Emitted configs read by the frameworks themselves, where they are installed (skipped otherwise).

DeepSpeed's own ``DeepSpeedConfig`` and torchtitan 0.2's own ``ConfigManager`` must accept what we
emit and read the same values; DeepSpeed must reject a batch we would reject.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import tasks
from tasks.configs.layout import TrainLayout
from tasks.configs.model import Framework
from verifiers.configs.frameworks import emit_config

GPT3 = tasks.resolve_task("train-gpt3-175b")
LLAMA8 = tasks.resolve_task("train-llama3-8b")


@pytest.fixture(scope="module")
def deepspeed_comm() -> Iterator[None]:
    """A one-process gloo group, which DeepSpeed's config needs to ask the data-parallel size."""
    pytest.importorskip("deepspeed", reason="DeepSpeed is not installed")
    import deepspeed.comm
    import torch.distributed as dist

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")
    dist.init_process_group("gloo", rank=0, world_size=1)
    deepspeed.comm.init_distributed(dist_backend="gloo")
    yield
    dist.destroy_process_group()


@pytest.mark.parametrize(
    "layout",
    [
        TrainLayout(tp=8, pp=8, micro_batch=1, recompute="full", zero_stage=1),
        TrainLayout(tp=8, dp=8, micro_batch=2, recompute="selective", zero_stage=3),
    ],
)
def test_deepspeed_reads_the_emitted_config(deepspeed_comm: None, layout: TrainLayout) -> None:
    from deepspeed.runtime.config import DeepSpeedConfig

    class DataParallel:
        def get_data_parallel_world_size(self) -> int:
            return layout.dp

    emitted = json.loads(emit_config(Framework.deepspeed, GPT3, layout).text)
    config = DeepSpeedConfig(emitted, mpu=DataParallel())
    assert (config.train_batch_size, config.train_micro_batch_size_per_gpu) == (64, layout.micro_batch)
    assert config.zero_optimization_stage == layout.zero_stage
    assert config.tensor_parallel_config.autotp_size == layout.tp
    with pytest.raises(AssertionError, match="train_batch_size is not equal"):
        DeepSpeedConfig({**emitted, "train_batch_size": 65}, mpu=DataParallel())


def test_torchtitan_reads_the_emitted_config(tmp_path: Path) -> None:
    manager = pytest.importorskip("torchtitan.config.manager", reason="torchtitan is not installed")
    version = importlib.metadata.version("torchtitan")
    if not version.startswith("0.2"):
        pytest.skip(f"torchtitan {version} is configured in Python; the emitted TOML is torchtitan 0.2's format")
    layout = TrainLayout(tp=2, cp=2, dp=2, micro_batch=1, sequence_parallel=True, zero_stage=2)
    path = tmp_path / "torchtitan.toml"
    path.write_text(emit_config(Framework.torchtitan, LLAMA8, layout).text)
    config = manager.ConfigManager().parse_args([f"--job.config_file={path}"])
    assert (config.model.name, config.model.flavor) == ("llama3", "8B")
    parallelism = config.parallelism
    assert (parallelism.tensor_parallel_degree, parallelism.context_parallel_degree) == (2, 2)
    assert (parallelism.data_parallel_shard_degree, parallelism.fsdp_reshard_after_forward) == (2, "never")
    assert (config.training.local_batch_size, config.training.global_batch_size) == (1, 128)
