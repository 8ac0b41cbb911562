"""Reading a job's exit status the way shells report it: above 128 means death by signal ``status - 128``."""

from __future__ import annotations

import signal

SIGNALLED = 128
"""Exit statuses above this one mean death by a signal (where a shell or init stands between job and host)."""


def death_signal(status: int) -> int | None:
    """The signal that ended a job with exit ``status``: negative statuses (Python's way) or shell-style ones."""
    if status < 0:
        return -status
    return status - SIGNALLED if status > SIGNALLED else None


def signal_name(number: int) -> str:
    """``SIGKILL`` for 9, the number itself for unknown signals."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
