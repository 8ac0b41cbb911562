"""Fixtures for the library tests: a private library per test, synthetic verdicts, published references."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

import kernels_library
from kernels_library import Provenance
from kernels_library._entry import EntryRecord
from tasks import resolve_task
from tasks.model import KernelTask
from verifiers.cascade import default_stages
from verifiers.hardware import hardware_fingerprint
from verifiers.verdict import Stage, StageResult, StageStatus, Timing, Verdict

HAS_TIMING = any(stage.stage is Stage.timing for stage in default_stages())


@pytest.fixture
def timing_stage() -> None:
    """Skip unless the cascade times candidates: for tests that verify for real and need a measured speed."""
    if not HAS_TIMING:
        pytest.skip("the verification cascade has no timing stage yet (it lands with the timing merge)")


@pytest.fixture(autouse=True)
def library_home(monkeypatch, tmp_path: Path) -> Path:
    """A fresh, private ``$PARAFORGE_HOME`` (and verdict cache) for every test."""
    home = tmp_path / "home"
    monkeypatch.setenv("PARAFORGE_HOME", str(home))
    monkeypatch.setenv("PARAFORGE_CACHE_DIR", str(tmp_path / "cache"))
    return home


def make_verdict(task: KernelTask, source: str, speedup: float = 2.0, spread: float = 0.1) -> Verdict:
    """An accepted verdict for ``source`` with a timing of ``speedup`` (95% CI +- ``spread``), no verification run."""
    return Verdict(
        task=task.name,
        task_version=task.version,
        candidate=hashlib.sha256(source.encode()).hexdigest(),
        stages=[StageResult(stage=stage, status=StageStatus.passed) for stage in Stage],
        timing=Timing(
            size=task.sizes.bench[0],
            threads=2,
            candidate_s=1.0 / speedup,
            reference_s=1.0,
            speedup=speedup,
            speedup_low=speedup - spread,
            speedup_high=speedup + spread,
            samples=15,
            roofline_fraction=0.25,
        ),
    )


@pytest.fixture
def synthetic_verdict() -> Callable[..., Verdict]:
    """``synthetic_verdict(task, source, speedup=2.0, spread=0.1)``: see :func:`make_verdict`."""
    return make_verdict


Publish = Callable[..., EntryRecord]


@pytest.fixture
def publish() -> Publish:
    """``publish(task_or_name, source=None, speedup=2.0, hardware=None, **provenance)`` stores a synthetic entry.

    The source defaults to the task's own reference; ``hardware`` defaults to this machine's digest.
    """

    def publish(
        task: KernelTask | str,
        source: str | None = None,
        speedup: float = 2.0,
        hardware: str | None = None,
        **provenance: object,
    ) -> EntryRecord:
        task = resolve_task(task) if isinstance(task, str) else task
        source = task.reference.cpp if source is None else source
        machine = hardware_fingerprint()
        return kernels_library.store().publish(
            task=task,
            source=source,
            verdict=make_verdict(task, source, speedup),
            hardware=hardware or machine.digest,
            hardware_info=machine.model_dump(mode="json"),
            provenance=Provenance(origin="test", **provenance),
        )

    return publish
