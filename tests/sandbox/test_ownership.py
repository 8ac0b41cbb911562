"""Owner marks on containers: ours is alive, a finished process's is not, another host's is left alone."""

from __future__ import annotations

import subprocess

from sandbox.ownership import owner_alive, owner_id


def test_our_own_mark_is_alive() -> None:
    assert owner_alive(owner_id())


def test_a_finished_process_is_dead() -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    host = owner_id().split(":")[0]
    assert not owner_alive(f"{host}:{finished.pid}:1")


def test_a_reused_pid_with_another_start_time_is_dead() -> None:
    host, pid, start = owner_id().split(":")
    assert not owner_alive(f"{host}:{pid}:{int(start) + 1}")


def test_marks_of_other_hosts_count_as_alive() -> None:
    assert owner_alive("some-other-host:1:1")
