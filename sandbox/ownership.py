"""Labels that mark the containers of this process, and telling whether their owner still lives."""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path

ROLE_LABEL = "paraforge.role"
ROLE = "sandbox"
OWNER_LABEL = "paraforge.owner"
"""``host:pid:start`` of the process that made the container (start: its start time in clock ticks)."""


def _start_ticks(pid: int) -> str | None:
    """The start time of process ``pid`` (field 22 of ``/proc/PID/stat``), or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def owner_id() -> str:
    """This process's owner mark (a forked child gets its own)."""
    return _owner_of(os.getpid())


@cache
def _owner_of(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def sandbox_labels() -> dict[str, str]:
    """The labels put on every container and volume this process makes."""
    return {ROLE_LABEL: ROLE, OWNER_LABEL: owner_id()}


def owner_alive(owner: str) -> bool:
    """Whether the process named by an owner mark still runs; marks from other hosts count as alive."""
    host, _, rest = owner.partition(":")
    pid, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    return _start_ticks(int(pid)) == start
