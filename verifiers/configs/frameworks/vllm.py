"""vLLM: a ``vllm serve`` command for a serving layout, and its checks.

Option names come from vLLM main (2025): ``vllm/engine/arg_utils.py`` (``EngineArgs``; a flag is its
field name with dashes, booleans as ``--x`` / ``--no-x``). Rules come from ``vllm/config/scheduler.py``
(``max_num_batched_tokens >= max_num_seqs``; without chunked prefill ``max_num_batched_tokens >=
max_model_len``), ``vllm/config/cache.py`` (``block_size`` one of 1, 8, 16, 32, 64, 128, 256;
``gpu_memory_utilization`` in (0, 1]) and ``vllm/config/model.py`` with the QKV projection (attention
heads divisible by ``tensor_parallel_size``; key/value heads split evenly over TP ranks, or replicated
evenly when there are fewer of them than ranks).

Replicas become ``--data-parallel-size``: vLLM starts that many engines, each over ``tp x pp`` GPUs,
behind one API server that spreads requests over them. Running ``replicas`` separate servers behind
a load balancer is equivalent for a dense model.
"""

from __future__ import annotations

from math import ceil
from typing import Literal, cast, get_args

from pydantic import Field, PositiveInt

from tasks.configs.layout import ServeLayout
from tasks.configs.model import Framework, LengthDistribution, ServeConfigTask
from tasks.configs.specs import ModelSpec
from verifiers.configs.frameworks.base import EmittedConfig, FrameworkOptions, UnsupportedLayout, divisibility_problem
from verifiers.configs.frameworks.command_line import command_tokens, parse_options, render_command

FILENAME = "vllm_engine_args.sh"
PROGRAM = ["vllm", "serve"]
POSITIONAL = ("model",)
HF_MODELS = {
    "llama3-8b": "meta-llama/Meta-Llama-3-8B-Instruct",
    "llama3-70b": "meta-llama/Meta-Llama-3-70B-Instruct",
    "mixtral-8x7b": "mistralai/Mixtral-8x7B-Instruct-v0.1",
}
"""Hugging Face repositories of our presets; other models are named by their spec name (a local path)."""

BlockSize = Literal[1, 8, 16, 32, 64, 128, 256]


class VllmEngineArgs(FrameworkOptions):
    """The engine arguments this module writes (``model`` is the positional argument of ``vllm serve``)."""

    model: str
    tensor_parallel_size: PositiveInt = 1
    pipeline_parallel_size: PositiveInt = 1
    data_parallel_size: PositiveInt = 1
    max_num_seqs: PositiveInt | None = None
    max_num_batched_tokens: PositiveInt | None = None
    gpu_memory_utilization: float = Field(0.9, gt=0.0, le=1.0)
    block_size: BlockSize | None = None
    max_model_len: PositiveInt | None = None
    enable_chunked_prefill: bool = True
    dtype: Literal["auto", "half", "float16", "bfloat16", "float", "float32"] = "auto"

    @property
    def world_size(self) -> int:
        """GPUs of the whole deployment."""
        return self.tensor_parallel_size * self.pipeline_parallel_size * self.data_parallel_size


def length_cap(lengths: LengthDistribution) -> int | None:
    """The longest request length a distribution allows, or ``None`` when it has no bound (lognormal without max)."""
    if lengths.max is not None:
        return lengths.max
    if lengths.kind == "uniform":
        return lengths.high
    if lengths.kind == "fixed":
        return ceil(lengths.mean)
    return None


def _max_model_len(task: ServeConfigTask) -> dict[str, int]:
    prompt, output = length_cap(task.workload.prompt_tokens), length_cap(task.workload.output_tokens)
    return {} if prompt is None or output is None else {"max_model_len": prompt + output}


def engine_args(task: ServeConfigTask, layout: ServeLayout) -> VllmEngineArgs:
    """The engine arguments of ``layout`` for ``task``."""
    if layout.kv_block_size not in get_args(BlockSize):
        raise UnsupportedLayout(
            Framework.vllm, "kv_block_size", f"{layout.kv_block_size} is not a vLLM block size {get_args(BlockSize)}"
        )
    return VllmEngineArgs(
        model=HF_MODELS.get(task.model.name, task.model.name),
        tensor_parallel_size=layout.tp,
        pipeline_parallel_size=layout.pp,
        data_parallel_size=layout.replicas,
        max_num_seqs=layout.max_num_seqs,
        max_num_batched_tokens=layout.max_num_batched_tokens,
        gpu_memory_utilization=layout.gpu_memory_utilization,
        block_size=cast(BlockSize, layout.kv_block_size),
        **_max_model_len(task),
        enable_chunked_prefill=True,
        dtype="bfloat16",
    )


def emit(task: ServeConfigTask, layout: ServeLayout) -> EmittedConfig:
    """The ``vllm serve`` script of ``layout`` for ``task``."""
    args = engine_args(task, layout)
    notes = [
        f"{task.name}: {layout.replicas} replica(s) x tp {layout.tp} x pp {layout.pp} = {layout.world_size} GPUs.",
        "Option names: vLLM vllm/engine/arg_utils.py (EngineArgs, 2025).",
    ]
    length = (
        f"max_model_len {args.max_model_len} (longest prompt + longest output)"
        if args.max_model_len
        else "max_model_len left to the model's context length (the workload gives no length bound)"
    )
    summary = (
        f"vLLM with --data-parallel-size {layout.replicas}: {layout.replicas} engine(s) of tp {layout.tp} x pp "
        f"{layout.pp} GPUs behind one API server that spreads requests over them (separate servers behind a load "
        f"balancer are equivalent); chunked prefill on, {length}."
    )
    text = render_command(PROGRAM, args, notes, positional=POSITIONAL, negatable_flags=True)
    return EmittedConfig(framework=Framework.vllm, filename=FILENAME, text=text, summary=summary)


def parse(text: str) -> tuple[VllmEngineArgs | None, list[str]]:
    """Read a ``vllm serve`` script back: the arguments (``None`` if they do not validate) and every problem."""
    tokens = command_tokens(text)
    if tokens[: len(PROGRAM)] != PROGRAM:
        return None, [f"the script must run {' '.join(PROGRAM)} (found {' '.join(tokens[:2])!r})"]
    return parse_options(VllmEngineArgs, tokens[len(PROGRAM) :], positional=POSITIONAL, negatable_flags=True)


def _scheduler_problems(args: VllmEngineArgs) -> list[str]:
    problems = []
    tokens, seqs = args.max_num_batched_tokens, args.max_num_seqs
    if tokens is not None and seqs is not None and tokens < seqs:
        problems.append(f"--max-num-batched-tokens ({tokens}) must be at least --max-num-seqs ({seqs})")
    if not args.enable_chunked_prefill and tokens is not None and args.max_model_len and tokens < args.max_model_len:
        problems.append(
            f"--max-num-batched-tokens ({tokens}) is below --max-model-len ({args.max_model_len}) without "
            "--enable-chunked-prefill"
        )
    return problems


def _head_problems(args: VllmEngineArgs, model: ModelSpec) -> list[str]:
    tp = args.tensor_parallel_size
    problems = divisibility_problem("attention heads", model.heads, "--tensor-parallel-size", tp)
    kv = model.query_groups
    if tp >= kv:
        return problems + divisibility_problem("--tensor-parallel-size", tp, "key/value heads", kv)
    return problems + divisibility_problem("key/value heads", kv, "--tensor-parallel-size", tp)


def check(text: str, *, model: ModelSpec | None = None, world_size: int | None = None) -> list[str]:
    """Problems of a ``vllm serve`` script (empty: valid); head rules need ``model``."""
    args, problems = parse(text)
    if args is None:
        return problems
    problems += _scheduler_problems(args)
    if world_size is not None and args.world_size != world_size:
        problems.append(
            f"--tensor-parallel-size x --pipeline-parallel-size x --data-parallel-size = {args.world_size} GPUs, "
            f"not the layout's {world_size}"
        )
    return problems + (_head_problems(args, model) if model is not None else [])
