"""The properties a sandbox backend promises; a backend lists those it cannot keep in ``unenforced``."""

from enum import StrEnum


class Guarantee(StrEnum):
    """One checkable promise of a sandbox, each exercised by the conformance suite."""

    wall_time = "wall-time"
    """A job past its wall time is stopped and reported as a timeout."""
    process_tree = "process-tree"
    """Every process a job started is gone when the job ends (timeout or not), background ones included."""
    pids = "pids"
    """A job cannot run more processes and threads than its limit (a fork bomb is contained)."""
    memory = "memory"
    """A job cannot use more memory than its limit."""
    disk = "disk"
    """A job cannot write more than its file-size limit."""
    output = "output"
    """Output past the cap is dropped from the middle, keeping head and tail."""
    network = "network"
    """A job without network access reaches neither the internet nor the host's loopback services."""
    filesystem = "filesystem"
    """A job cannot write outside its work dir."""
    environment = "environment"
    """A job sees only its own environment, never the host's (no API keys)."""
    host_processes = "host-processes"
    """A job cannot see the host's processes."""
    private_shm = "private-shm"
    """A job gets an empty /dev/shm of its own; what it leaves there no other job sees."""
