"""A one-line description of this machine for prompts: CPU, cores, caches, roofline."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from verifiers import hardware_fingerprint

_CACHE_DIR = Path("/sys/devices/system/cpu/cpu0/cache")


def cache_sizes() -> dict[str, str]:
    """Data and unified cache sizes by level, e.g. ``{"L1d": "48K", "L2": "2048K"}``."""
    sizes: dict[str, str] = {}
    for index in sorted(_CACHE_DIR.glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind != "Instruction":
            sizes[f"L{level}{'d' if kind == 'Data' else ''}"] = size
    return sizes


@cache
def describe_hardware(bandwidth_gbs: float | None = None, peak_gflops: float | None = None) -> str:
    """CPU model, usable cores, caches and, when measured, the roofline's two ceilings."""
    machine = hardware_fingerprint()
    caches = ", ".join(f"{level} {size}" for level, size in cache_sizes().items())
    text = f"{machine.cpu_model}, {machine.cores} cores available" + (f", caches {caches}" if caches else "")
    if bandwidth_gbs and peak_gflops:
        text += f"; measured memory bandwidth {bandwidth_gbs:.1f} GB/s, peak {peak_gflops:.1f} GFLOP/s"
    return text
