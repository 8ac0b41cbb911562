"""A minimal hardware fingerprint: what a roofline measurement is valid for.

Stands in until the shared ``verifiers.hardware`` module lands; the two are to be unified.
"""

from __future__ import annotations

import hashlib
import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name, as the kernel reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> int:
    """Installed memory in GiB, rounded."""
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    except (ValueError, OSError):
        return 0


def host_fingerprint() -> str:
    """A short stable hash of the CPU model, core count, memory size and architecture."""
    parts = [cpu_model(), str(os.cpu_count()), str(memory_gib()), platform.machine()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
