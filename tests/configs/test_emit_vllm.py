"""vLLM commands: emitted scripts pass their checks, read back to the layout, and broken ones are caught."""

from __future__ import annotations

import pytest

import tasks
from tasks.configs.layout import ServeLayout
from tasks.configs.model import Framework, LengthDistribution, ServeConfigTask
from verifiers.configs.frameworks import UnsupportedLayout, check_config, emit_config
from verifiers.configs.frameworks.vllm import length_cap, parse

LLAMA70 = tasks.resolve_task("serve-llama3-70b")

VALID = [
    ServeLayout(tp=8),
    ServeLayout(tp=4, replicas=2, max_num_seqs=128, max_num_batched_tokens=4096, kv_block_size=32),
    ServeLayout(tp=4, pp=2, gpu_memory_utilization=0.85),
]


def _text(layout: ServeLayout, task: ServeConfigTask = LLAMA70) -> str:
    return emit_config(Framework.vllm, task, layout).text


@pytest.mark.parametrize("layout", VALID)
def test_emitted_command_passes_its_check(layout: ServeLayout) -> None:
    assert check_config(Framework.vllm, _text(layout), model=LLAMA70.model, world_size=layout.world_size) == []


@pytest.mark.parametrize("layout", VALID)
def test_command_reads_back_to_the_layout(layout: ServeLayout) -> None:
    args, problems = parse(_text(layout))
    assert problems == [] and args is not None
    assert (args.tensor_parallel_size, args.pipeline_parallel_size, args.data_parallel_size) == (
        layout.tp,
        layout.pp,
        layout.replicas,
    )
    assert (args.max_num_seqs, args.max_num_batched_tokens) == (layout.max_num_seqs, layout.max_num_batched_tokens)
    assert args.gpu_memory_utilization == layout.gpu_memory_utilization
    assert args.block_size == layout.kv_block_size
    assert args.model == "meta-llama/Meta-Llama-3-70B-Instruct"
    assert args.max_model_len == 8192 + 2048  # longest prompt + longest output of the task
    assert args.enable_chunked_prefill and args.dtype == "bfloat16"


def test_replicas_are_explained() -> None:
    summary = emit_config(Framework.vllm, LLAMA70, VALID[1]).summary
    assert "--data-parallel-size 2" in summary and "load balancer" in summary


def test_unknown_option_is_named() -> None:
    text = _text(VALID[0]).replace("--tensor-parallel-size", "--tensor-paralel-size")
    assert "--tensor-paralel-size: unknown option" in check_config(Framework.vllm, text)


def test_block_size_outside_vllm_choices_is_named() -> None:
    text = _text(VALID[0]).replace("--block-size 16", "--block-size 24")
    assert any(problem.startswith("--block-size:") for problem in check_config(Framework.vllm, text))


def test_batched_tokens_below_sequences_is_named() -> None:
    text = _text(VALID[0]).replace("--max-num-batched-tokens 8192", "--max-num-batched-tokens 100")
    assert "--max-num-batched-tokens (100) must be at least --max-num-seqs (256)" in check_config(Framework.vllm, text)


def test_batched_tokens_below_model_length_without_chunked_prefill_is_named() -> None:
    text = _text(VALID[0]).replace("--enable-chunked-prefill", "--no-enable-chunked-prefill")
    problems = check_config(Framework.vllm, text)
    assert any("below --max-model-len (10240) without --enable-chunked-prefill" in problem for problem in problems)


def test_heads_not_divisible_by_tp_are_named() -> None:
    text = _text(VALID[0]).replace("--tensor-parallel-size 8", "--tensor-parallel-size 3")
    problems = check_config(Framework.vllm, text, model=LLAMA70.model, world_size=8)
    assert "attention heads (64) is not divisible by --tensor-parallel-size (3)" in problems
    assert any("= 3 GPUs, not the layout's 8" in problem for problem in problems)


def test_kv_heads_must_split_or_replicate_evenly() -> None:
    text = _text(VALID[0]).replace("--tensor-parallel-size 8", "--tensor-parallel-size 16")
    assert check_config(Framework.vllm, text, model=LLAMA70.model) == []
    text = _text(VALID[0]).replace("--tensor-parallel-size 8", "--tensor-parallel-size 32")
    assert check_config(Framework.vllm, text, model=LLAMA70.model) == []
    text = _text(VALID[0]).replace("--tensor-parallel-size 8", "--tensor-parallel-size 4")
    assert check_config(Framework.vllm, text, model=LLAMA70.model) == []
    model = LLAMA70.model.model_copy(update={"heads": 48, "hidden": 48 * 128})
    text = _text(VALID[0]).replace("--tensor-parallel-size 8", "--tensor-parallel-size 12")
    assert check_config(Framework.vllm, text, model=model) == [
        "--tensor-parallel-size (12) is not divisible by key/value heads (8)"
    ]


def test_script_must_run_vllm_serve_with_a_model() -> None:
    (problem,) = check_config(Framework.vllm, "python -m something --tensor-parallel-size 2")
    assert "vllm serve" in problem
    assert check_config(Framework.vllm, "vllm serve --tensor-parallel-size 2") == ["model: required option is missing"]


def test_unsupported_block_size_is_unsupported() -> None:
    with pytest.raises(UnsupportedLayout) as caught:
        emit_config(Framework.vllm, LLAMA70, ServeLayout(tp=8, kv_block_size=24))
    assert caught.value.framework is Framework.vllm and caught.value.field == "kv_block_size"


def test_length_caps() -> None:
    assert length_cap(LengthDistribution(kind="fixed", mean=100.5)) == 101
    assert length_cap(LengthDistribution(kind="uniform", mean=10, low=5, high=20)) == 20
    assert length_cap(LengthDistribution(kind="lognormal", mean=10, max=50)) == 50
    assert length_cap(LengthDistribution(kind="lognormal", mean=10)) is None


def test_unbounded_lengths_leave_max_model_len_to_vllm() -> None:
    workload = LLAMA70.workload.model_copy(update={"prompt_tokens": LengthDistribution(kind="lognormal", mean=512)})
    task = LLAMA70.model_copy(update={"workload": workload})
    emitted = emit_config(Framework.vllm, task, VALID[0])
    assert "--max-model-len" not in emitted.text and "context length" in emitted.summary
    assert check_config(Framework.vllm, emitted.text) == []
