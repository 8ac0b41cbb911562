"""The shared/exclusive lock that keeps timing runs alone on the machine."""

from __future__ import annotations

import threading

from verifiers.machine_lock import SharedExclusiveLock


def start_holding_sharer(
    lock: SharedExclusiveLock, order: list[str], name: str
) -> tuple[threading.Thread, threading.Event]:
    """A thread that holds ``lock`` shared until the returned event is set, then logs ``<name> out``."""
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock.shared():
            inside.set()
            release.wait(5)
            order.append(f"{name} out")

    thread = threading.Thread(target=hold)
    thread.start()
    inside.wait(5)
    return thread, release


def wait_for_a_queued_writer(lock: SharedExclusiveLock) -> None:
    while not lock._writers_waiting:
        threading.Event().wait(0.01)


def test_sharers_hold_the_lock_together() -> None:
    lock = SharedExclusiveLock()
    both_inside = threading.Barrier(2, timeout=5)

    def share() -> None:
        with lock.shared():
            both_inside.wait()  # breaks (raises) unless both threads are inside at once

    threads = [threading.Thread(target=share) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert not both_inside.broken


def test_an_exclusive_holder_is_alone_and_a_waiting_writer_goes_before_new_sharers() -> None:
    lock = SharedExclusiveLock()
    order: list[str] = []

    def writer() -> None:
        with lock.exclusive():
            order.append("writer in")
            order.append("writer out")

    def late_sharer() -> None:
        with lock.shared():
            order.append("sharer-2 in")

    first_sharer, release_sharer = start_holding_sharer(lock, order, "sharer-1")
    threads = [first_sharer, threading.Thread(target=writer)]
    threads[1].start()
    wait_for_a_queued_writer(lock)  # the writer queues behind the first sharer
    threads.append(threading.Thread(target=late_sharer))
    threads[2].start()
    release_sharer.set()
    for thread in threads:
        thread.join(5)
    assert order == ["sharer-1 out", "writer in", "writer out", "sharer-2 in"]


def test_a_sharer_steps_aside_to_measure_and_takes_its_place_back() -> None:
    """A stage holding the lock shared may run a measuring job exclusively: it waits for the other
    sharers to leave, not for itself, and afterwards holds its share again before any waiting writer."""
    lock = SharedExclusiveLock()
    order: list[str] = []

    def measuring_stage() -> None:
        with lock.shared():
            with lock.exclusive():
                order.append("measuring")
            order.append(f"share back: {lock._sharers == 1 and not lock._writing}")

    other, release_other = start_holding_sharer(lock, order, "other")
    measuring = threading.Thread(target=measuring_stage)
    measuring.start()
    wait_for_a_queued_writer(lock)
    release_other.set()
    for thread in (other, measuring):
        thread.join(5)
    assert order == ["other out", "measuring", "share back: True"]
    assert lock._sharers == 0 and lock.exclusive_s > 0
