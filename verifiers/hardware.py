"""The hardware fingerprint: which machine a verdict or a timing was obtained on."""

from __future__ import annotations

import hashlib
import os
import platform
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

CPUINFO = Path("/proc/cpuinfo")


class Hardware(BaseModel):
    """What identifies a machine for verification and timing purposes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    machine: str
    """Architecture, e.g. ``x86_64``."""
    cpu_model: str
    """The CPU's model name, e.g. ``AMD EPYC 9654 96-Core Processor``."""
    cores: int
    """Logical CPUs this process may run on."""
    flags: tuple[str, ...]
    """ISA feature flags (``avx2``, ``avx512f``, ...), sorted."""
    memory_gib: int
    """Installed memory, rounded to GiB."""

    @property
    def digest(self) -> str:
        """SHA-256 of the fingerprint: equal digests mean interchangeable machines."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


@cache
def hardware_fingerprint() -> Hardware:
    """The fingerprint of this machine (read once per process)."""
    fields = _cpuinfo_fields(CPUINFO.read_text() if CPUINFO.exists() else "")
    return Hardware(
        machine=platform.machine(),
        cpu_model=fields.get("model name") or fields.get("cpu model") or platform.processor() or "unknown",
        cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
        flags=tuple(sorted(set((fields.get("flags") or fields.get("features") or "").split()))),
        memory_gib=round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
    )


def _cpuinfo_fields(text: str) -> dict[str, str]:
    """The ``key: value`` lines of the first processor block of ``/proc/cpuinfo``."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    return fields
