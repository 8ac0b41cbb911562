"""The Ray executor on a real local cluster started inside the test, and the node-wide machine lock."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
from eval_helpers import quick_eval, suite_folder

from evals.executors import open_executor
from evals.records import TaskStatus
from evals.runner import run_eval
from verifiers.machine_lock import NodeLock, SharedExclusiveLock

ray = pytest.importorskip("ray", reason="the ray executor needs Ray: pip install 'paraforge[ray]'")


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory):
    """A two-CPU Ray cluster on this machine, with its own verdict cache and library."""
    home = tmp_path_factory.mktemp("ray-home")
    env = {"PARAFORGE_HOME": str(home / "library"), "PARAFORGE_CACHE_DIR": str(home / "cache")}
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": env}, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.usefixtures("ray_cluster", "clang")
def test_candidates_are_verified_as_ray_tasks(tmp_path: Path):
    executor = open_executor("ray", workers=2)
    assert executor.describe().startswith("ray (1 node(s), 2 CPUs")
    executor.close()  # the cluster is the test's: closing leaves it running
    assert ray.is_initialized()
    results = run_eval(quick_eval(suite_folder(tmp_path, "reduce-sum"), samples=2, executor="ray"), tmp_path / "run")
    assert results.meta.executor.startswith("ray")
    (task,) = results.tasks
    assert task.status is TaskStatus.solved, task.error
    assert [row.accepted for row in results.candidates_of("reduce-sum")] == [True, True]


def _hold_exclusive(path: str, held: multiprocessing.Event, release: multiprocessing.Event) -> None:
    lock = SharedExclusiveLock()
    lock.span_node(Path(path))
    with lock.shared(), lock.exclusive():
        held.set()
        release.wait(30)


def test_a_measurement_in_one_process_holds_off_stages_of_another(tmp_path: Path):
    path = tmp_path / "machine.lock"
    held, release = multiprocessing.Event(), multiprocessing.Event()
    other = multiprocessing.get_context("fork").Process(target=_hold_exclusive, args=(str(path), held, release))
    other.start()
    try:
        assert held.wait(30)
        lock = SharedExclusiveLock()
        lock.span_node(path)
        entered: list[float] = []
        waiter = threading.Thread(target=_enter_shared, args=(lock, entered))
        waiter.start()
        time.sleep(0.5)
        assert entered == []  # the other process measures: no stage may start here
        release.set()
        waiter.join(30)
        assert len(entered) == 1
    finally:
        release.set()
        other.join(30)


def _enter_shared(lock: SharedExclusiveLock, entered: list[float]) -> None:
    with lock.shared():
        entered.append(time.monotonic())


def test_node_lock_shares_between_processes_and_excludes_a_writer(tmp_path: Path):
    first, second, writer = NodeLock(tmp_path / "l"), NodeLock(tmp_path / "l"), NodeLock(tmp_path / "l")
    first.acquire(exclusive=False)
    second.acquire(exclusive=False)  # two sharers at once
    probe = os.open(tmp_path / "l", os.O_RDWR)
    with pytest.raises(BlockingIOError):
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    first.release()
    second.release()
    writer.acquire(exclusive=True)
    assert writer.held
    writer.release()
    os.close(probe)
