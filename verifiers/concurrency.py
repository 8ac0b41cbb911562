"""How many candidates one process verifies at once."""

from __future__ import annotations

from verifiers.hardware import hardware_fingerprint


def verify_workers() -> int:
    """Candidates verified at once by default: one per core this process may use, plus one.

    A measuring run has the machine to itself (:data:`verifiers.machine_lock.MACHINE`), so while one
    candidate is timed the others wait, and when it ends, only the candidates already in flight can take
    the cores back. One candidate more than there are cores keeps them busy through those hand-overs
    (reduce-sum on 2 cores: 16.7 candidates per minute with 2 at once, 21.3 with 3 and 20.2 with 4;
    ``python -m benchmarks.verify_throughput --workers N``).
    """
    return max(1, hardware_fingerprint().cores) + 1
