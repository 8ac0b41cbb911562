"""The local backend says which guarantees it cannot keep, depending on what the machine allows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import Guarantee
from sandbox.local import LocalSandbox, _Isolation


def test_the_unenforced_guarantees_are_named_from_the_shared_list() -> None:
    unenforced = LocalSandbox().unenforced
    assert Guarantee.filesystem in unenforced
    assert all(isinstance(gap, Guarantee) for gap in unenforced)


@pytest.mark.parametrize(
    ("isolation", "expected"),
    [
        (_Isolation(namespaces=True, drop_to_nobody=True), {"filesystem"}),
        (_Isolation(namespaces=True, drop_to_nobody=False), {"filesystem", "pids"}),
        (
            _Isolation(namespaces=False, drop_to_nobody=False),
            {"filesystem", "pids", "network", "host-processes", "process-tree", "private-shm"},
        ),
    ],
)
def test_each_missing_isolation_shows_in_unenforced(isolation: _Isolation, expected: set[str]) -> None:
    assert isolation.unenforced == expected


def test_without_namespaces_the_job_runs_bare() -> None:
    assert _Isolation(namespaces=False, drop_to_nobody=False).prefix(network=False) == []


def test_a_killed_parent_leaves_no_job_running(tmp_path) -> None:
    """SIGKILL of the process that started a job takes the job's whole process tree with it."""
    marker = f"sleep {1000 + os.getpid() % 1000}"
    script = (
        "from sandbox.local import LocalSandbox\nfrom sandbox import Job, Limits\n"
        f"LocalSandbox().run(Job(command=['sh', '-c', 'sh -c \"{marker}\" & {marker}'], limits=Limits(wall_s=120)))\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _running(marker):
        time.sleep(0.1)
    assert _running(marker), "the job never started"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(marker):
        time.sleep(0.1)
    assert not _running(marker)


def _running(pattern: str) -> bool:
    return subprocess.run(["pgrep", "-f", f"^{pattern}"], capture_output=True).returncode == 0
