"""The serving model's predictions beside published vLLM measurements and first-principles bounds.

Published measurement (the only citable absolute figure found offline):

* J. Musgrave, "vLLM throughput-latency sweep on NVIDIA A100" (johnmusgrave.com/p/vllm-throughput-latency-sweep-on):
  Llama-3.1-8B-Instruct in BF16 on one A100 40GB, vLLM 0.23.0, fixed 1024 prompt / 128 output tokens,
  ``vllm bench serve --max-concurrency C``. At C=1 decode runs "at about 75 tokens/sec" (TPOT about 13.3 ms);
  at C=8 throughput is "a 6.6x gain with almost no latency cost" (about 495 tok/s, so a step of about 16 ms
  including prefill interference: derived from the post's wording, not a table).

For Llama-3 70B on 8 x H100 (the suite task) no citable absolute TPOT or TTFT was found offline (the vLLM
v0.6.0 blog of 2024-09-05 gives only ratios in its text; its figures are not stored here). The script prints
the model's predictions with the bounds they must respect: a decode step cannot beat reading the weight
shard at the datasheet HBM bandwidth, and a prefill cannot beat its FLOPs at the datasheet BF16 peak.

No constant was fitted to any of these figures.

    python -m benchmarks.serving_model_check
"""

from __future__ import annotations

from tasks import resolve_task
from tasks.configs.layout import ServeLayout
from tasks.configs.model import ServeConfigTask
from verifiers.configs.params import active_params
from verifiers.configs.serve_memory_model import serve_memory
from verifiers.configs.serve_perf import decode_step_seconds, predict_serving, prefill_seconds

MUSGRAVE_TPOT_MS = {1: 1000 / 75, 8: 8 * 1000 / (6.6 * 75)}
"""Concurrency -> time per output token (ms) from the A100 sweep above (C=8 derived from "6.6x")."""


def a100_llama8b_task() -> ServeConfigTask:
    """The sweep's setting as a task: Llama-3 8B shapes, one A100 40GB, fixed 1024/128 tokens."""
    return ServeConfigTask.model_validate(
        {
            "kind": "serve_config",
            "name": "musgrave-a100-llama3-8b",
            "model": "llama3-8b",
            "cluster": {"gpu": "a100-40gb", "gpus_per_node": 1, "nodes": 1},
            "workload": {
                "prompt_tokens": {"kind": "fixed", "mean": 1024},
                "output_tokens": {"kind": "fixed", "mean": 128},
                "arrival_rate": 0.1,
                "ttft_ms": 1000,
                "tpot_ms": 100,
            },
        }
    )


def compare_with_published() -> None:
    """Decode step of Llama-3 8B on one A100 40GB at the sweep's concurrencies."""
    task, layout = a100_llama8b_task(), ServeLayout()
    context = 1024 + 128 / 2
    weights = serve_memory(task, layout).weights_bytes
    bound_ms = weights / (task.cluster.gpu_spec.hbm_gbps * 1e9) * 1e3
    print("Llama-3.1-8B BF16, 1 x A100 40GB, vLLM 0.23.0, 1024 in / 128 out (Musgrave sweep)")
    print(f"{'concurrency':>11} {'measured TPOT ms':>17} {'predicted step ms':>18} {'error':>7} {'bound ms':>9}")
    for concurrency, measured in MUSGRAVE_TPOT_MS.items():
        predicted = decode_step_seconds(task, layout, concurrency, context) * 1e3
        error = (predicted - measured) / measured
        print(f"{concurrency:>11} {measured:>17.1f} {predicted:>18.1f} {error:>+7.1%} {bound_ms:>9.1f}")
    print("  (C=8 measured figure derived from '6.6x' and includes prefill interference; the prediction does not)")


def suite_predictions() -> None:
    """The suite task's predictions per shape, each beside its first-principles bounds."""
    task = resolve_task("serve-llama3-70b")
    assert isinstance(task, ServeConfigTask)
    gpu = task.cluster.gpu_spec
    prompt = 1024
    print(f"\n{task.name}: {task.model.name} on {task.cluster.world_size} x {task.cluster.gpu}; no citable measurement")
    print(
        f"{'tp':>3} {'pp':>3} {'rep':>4} {'step@1 ms':>10} {'HBM bound':>10} {'prefill@1024 ms':>16} "
        f"{'FLOP bound':>11} {'TTFT ms':>8} {'TPOT ms':>8} {'goodput tok/s':>14}"
    )
    for tp, pp, replicas in [(8, 1, 1), (4, 1, 2), (4, 2, 1), (2, 2, 2), (2, 1, 4)]:
        layout = ServeLayout(tp=tp, pp=pp, replicas=replicas)
        weights = serve_memory(task, layout).weights_bytes
        hbm_bound = weights * pp / (gpu.hbm_gbps * 1e9) * 1e3
        flop_bound = 2 * active_params(task.model) * prompt / (tp * gpu.bf16_tflops * 1e12) * 1e3
        step = decode_step_seconds(task, layout, 1, prompt) * 1e3
        prefill = prefill_seconds(task, layout, prompt) * 1e3
        prediction = predict_serving(task, layout)
        assert step > hbm_bound and prefill > flop_bound, "a prediction beats its first-principles bound"
        print(
            f"{tp:>3} {pp:>3} {replicas:>4} {step:>10.2f} {hbm_bound:>10.2f} {prefill:>16.1f} {flop_bound:>11.1f} "
            f"{prediction.ttft_ms:>8.1f} {prediction.tpot_ms:>8.2f} {prediction.goodput_output_tokens_per_s:>14.0f}"
        )
    print("\nTPOT of tp=8 against the arrival rate (req/s):")
    for rate in (1, 4, 8, 16, 20):
        prediction = predict_serving(task, ServeLayout(tp=8), arrival_rate=rate)
        print(f"  {rate:>3}: {prediction.summary()}")


def main() -> None:
    """Print both comparisons."""
    compare_with_published()
    suite_predictions()


if __name__ == "__main__":
    main()
