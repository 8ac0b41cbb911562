"""Verifiers: build, run and judge candidates inside a sandbox. This module is their public API.

Kernels: ``evaluate(task, candidate, sandbox, config) -> Verdict`` runs the cascade (parse, compile,
correctness, race, memcheck, timing, anti-cheat); :func:`preflight` checks a sandbox's toolchain first.
Config tasks (training and serving layouts) have their own facade, :mod:`verifiers.configs`.

Every name is imported on first use, so that importing a light part (the verdict model, the
hardware fingerprint) does not pull in the compiler driver, tree-sitter or the sandbox client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifiers._lazy import lazy_exports

if TYPE_CHECKING:
    from verifiers.cache import VerdictCache, default_cache_path
    from verifiers.candidate import Candidate
    from verifiers.cascade import default_stages, evaluate, timed_stages
    from verifiers.concurrency import verify_workers
    from verifiers.context import VerifyConfig
    from verifiers.hardware import hardware_fingerprint
    from verifiers.machine_lock import MACHINE
    from verifiers.reference_check import TaskCheck, check_reference
    from verifiers.stages import VerifierStage
    from verifiers.stages.anticheat import AntiCheatStage
    from verifiers.stages.timing import TimingStage
    from verifiers.toolchain_preflight import ToolchainMissing, preflight
    from verifiers.toolchain_version import compiler_version
    from verifiers.verdict import Stage, StageStatus, Timing, Verdict

_HOMES: dict[str, str] = {
    "default_stages": "verifiers.cascade",
    "evaluate": "verifiers.cascade",
    "timed_stages": "verifiers.cascade",
    "Candidate": "verifiers.candidate",
    "Stage": "verifiers.verdict",
    "StageStatus": "verifiers.verdict",
    "Timing": "verifiers.verdict",
    "Verdict": "verifiers.verdict",
    "VerifyConfig": "verifiers.context",
    "verify_workers": "verifiers.concurrency",
    "VerdictCache": "verifiers.cache",
    "default_cache_path": "verifiers.cache",
    "hardware_fingerprint": "verifiers.hardware",
    "compiler_version": "verifiers.toolchain_version",
    "MACHINE": "verifiers.machine_lock",
    "ToolchainMissing": "verifiers.toolchain_preflight",
    "preflight": "verifiers.toolchain_preflight",
    "TaskCheck": "verifiers.reference_check",
    "check_reference": "verifiers.reference_check",
    "VerifierStage": "verifiers.stages",
    "TimingStage": "verifiers.stages.timing",
    "AntiCheatStage": "verifiers.stages.anticheat",
}
"""Where each public name is defined."""

__all__ = [
    "MACHINE",
    "AntiCheatStage",
    "Candidate",
    "Stage",
    "StageStatus",
    "TaskCheck",
    "Timing",
    "TimingStage",
    "ToolchainMissing",
    "Verdict",
    "VerdictCache",
    "VerifierStage",
    "VerifyConfig",
    "check_reference",
    "compiler_version",
    "default_cache_path",
    "default_stages",
    "evaluate",
    "hardware_fingerprint",
    "preflight",
    "timed_stages",
    "verify_workers",
]

__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
