"""A library entry: one verified kernel with everything needed to trust, rebuild and call it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tasks.model import KernelTask
from verifiers import Verdict


class Provenance(BaseModel):
    """Where an entry came from."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = None
    origin: str = ""
    """Who proposed the code: a model name, ``offline``, a file path."""
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    parents: list[str] = []
    """Source digests of the candidates it was derived from."""
    toolchain: str = ""
    """Compiler version text of the build that was verified."""


class EntryRecord(BaseModel):
    """What the store keeps for one entry."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    task: KernelTask
    target: str
    hardware: str
    """Digest of the hardware fingerprint the entry was measured on."""
    hardware_info: dict
    """The fingerprint itself (CPU model, cores, ISA flags)."""
    source_digest: str
    verdict: Verdict
    speedup: float
    speedup_low: float
    speedup_high: float
    roofline_fraction: float | None = None
    provenance: Provenance = Provenance()
    created: float = 0.0
