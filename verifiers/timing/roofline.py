"""The machine's roofline: memory bandwidth by working-set size, and peak arithmetic rates.

The roofline bound of one call is ``max(bytes / bandwidth, flops / peak)`` for the work the task
declares (``work.bytes`` and ``work.flops``, evaluated at the instance's sizes). Bandwidth depends
on the working set: a set that fits in a cache streams faster than one that does not. The bound
therefore uses the bandwidth measured for the largest probed working set not bigger than the
task's bytes (a set at least that big cannot stream faster, bar measurement noise, hence the max
over it and all bigger ones), so it stays a lower bound on the time for in-cache sizes too.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from tasks.dtypes import DType
from tasks.model import KernelTask


class BandwidthPoint(BaseModel):
    """Triad bandwidth measured at one working-set size."""

    model_config = ConfigDict(extra="forbid")

    working_set_bytes: int = Field(gt=0)
    bytes_per_s: float = Field(gt=0)


class Roofline(BaseModel):
    """What the machine can do with all the threads the timing uses."""

    model_config = ConfigDict(extra="forbid")

    fingerprint: str
    threads: int
    bandwidth: list[BandwidthPoint] = Field(min_length=1)
    fp64_flops: float = Field(gt=0)
    """Peak double-precision FMA rate (2 flops per FMA), all threads."""
    fp32_flops: float = Field(gt=0)
    """Peak single-precision FMA rate, all threads."""

    def bandwidth_at(self, working_set_bytes: int) -> float:
        """The best bandwidth measured at the largest probed working set not bigger than ``working_set_bytes``
        or at any bigger one (all of them, for a set smaller than every probed one)."""
        sizes = [p.working_set_bytes for p in self.bandwidth]
        floor = max((size for size in sizes if size <= working_set_bytes), default=min(sizes))
        return max(p.bytes_per_s for p in self.bandwidth if p.working_set_bytes >= floor)

    def peak_flops(self, task: KernelTask) -> float:
        """The peak rate for the task's arithmetic: double precision when all its floats are doubles.

        Integer and single-precision tasks get the single-precision rate, which is at least the
        vector integer rate on current x86 cores, so the bound stays a lower bound.
        """
        floats = {p.dtype for p in task.signature.params if p.dtype.is_float}
        return self.fp64_flops if floats == {DType.float64} else self.fp32_flops

    def memory_bound_s(self, task: KernelTask, symbols: Mapping[str, int]) -> float:
        """The time to move the task's declared bytes once: no algorithm can take less."""
        moved = task.work.bytes.evaluate(symbols)
        return moved / self.bandwidth_at(max(moved, 1))

    def bound_s(self, task: KernelTask, symbols: Mapping[str, int]) -> float:
        """The roofline time of one call: the memory bound, or the compute bound of the declared operations."""
        flops = task.work.flops.evaluate(symbols)
        return max(self.memory_bound_s(task, symbols), flops / self.peak_flops(task))


def roofline_fraction(bound_s: float, time_s: float) -> float:
    """The achieved fraction of the roofline: bound time over measured time (above 1: impossible)."""
    return bound_s / time_s if time_s > 0 else float("inf")
