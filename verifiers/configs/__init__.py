"""Verifiers of config tasks: memory per GPU, predicted speed, framework configs, and a real dry run.

This module is their public API.

Every name is imported on first use, so that importing a light part (the verdict model, the
hardware fingerprint) does not pull in the compiler driver, tree-sitter or the sandbox client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifiers._lazy import lazy_exports

if TYPE_CHECKING:
    from verifiers.configs.cascade import LayoutError, parse_layout, verify_layout
    from verifiers.configs.dryrun import dry_run
    from verifiers.configs.dryrun_stage import dry_run_stage
    from verifiers.configs.frameworks import UnsupportedLayout, emit_config, inexpressible
    from verifiers.configs.memory import TrainMemory, gib, train_memory
    from verifiers.configs.params import active_params, total_params
    from verifiers.configs.serve_layout_check import check_serve_layout
    from verifiers.configs.serve_memory_model import ServeMemory, serve_memory
    from verifiers.configs.serve_perf import ServingPrediction, decode_step_seconds, predict_serving, prefill_seconds
    from verifiers.configs.train_hardware import TrainAssumptions
    from verifiers.configs.train_layout_check import check_train_layout
    from verifiers.configs.training_perf import TrainStepPrediction, predict_train_step
    from verifiers.configs.verdict import ConfigVerdict

_HOMES: dict[str, str] = {
    "ConfigVerdict": "verifiers.configs.verdict",
    "LayoutError": "verifiers.configs.cascade",
    "parse_layout": "verifiers.configs.cascade",
    "verify_layout": "verifiers.configs.cascade",
    "dry_run": "verifiers.configs.dryrun",
    "dry_run_stage": "verifiers.configs.dryrun_stage",
    "UnsupportedLayout": "verifiers.configs.frameworks",
    "emit_config": "verifiers.configs.frameworks",
    "inexpressible": "verifiers.configs.frameworks",
    "TrainMemory": "verifiers.configs.memory",
    "gib": "verifiers.configs.memory",
    "train_memory": "verifiers.configs.memory",
    "active_params": "verifiers.configs.params",
    "total_params": "verifiers.configs.params",
    "check_serve_layout": "verifiers.configs.serve_layout_check",
    "ServeMemory": "verifiers.configs.serve_memory_model",
    "serve_memory": "verifiers.configs.serve_memory_model",
    "ServingPrediction": "verifiers.configs.serve_perf",
    "decode_step_seconds": "verifiers.configs.serve_perf",
    "predict_serving": "verifiers.configs.serve_perf",
    "prefill_seconds": "verifiers.configs.serve_perf",
    "TrainAssumptions": "verifiers.configs.train_hardware",
    "check_train_layout": "verifiers.configs.train_layout_check",
    "TrainStepPrediction": "verifiers.configs.training_perf",
    "predict_train_step": "verifiers.configs.training_perf",
}
"""Where each public name is defined."""

__all__ = [
    "ConfigVerdict",
    "LayoutError",
    "ServeMemory",
    "ServingPrediction",
    "TrainAssumptions",
    "TrainMemory",
    "TrainStepPrediction",
    "UnsupportedLayout",
    "active_params",
    "check_serve_layout",
    "check_train_layout",
    "decode_step_seconds",
    "dry_run",
    "dry_run_stage",
    "emit_config",
    "gib",
    "inexpressible",
    "parse_layout",
    "predict_serving",
    "predict_train_step",
    "prefill_seconds",
    "serve_memory",
    "total_params",
    "train_memory",
    "verify_layout",
]

__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
