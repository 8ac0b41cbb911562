"""The in-memory cache of build products: eviction order, build-once across threads, failures."""

from __future__ import annotations

import threading
import time

from verifiers.build_cache import BuildCache


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: BuildCache[bytes] = BuildCache(2)
    cache.put("a", b"A")
    cache.put("b", b"B")
    assert cache.get("a") == b"A"  # now "b" is the least recently used
    cache.put("c", b"C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"A", None, b"C")


def test_a_key_is_built_once_when_threads_ask_at_the_same_time() -> None:
    cache: BuildCache[str] = BuildCache(4)
    calls: list[int] = []

    def build() -> str:
        calls.append(1)
        time.sleep(0.05)
        return "built"

    results: list[str | None] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_build("k", build, remember_failures=True)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["built"] * 4
    assert len(calls) == 1


def test_a_remembered_failure_is_not_built_again_and_a_forgotten_one_is() -> None:
    calls: list[str] = []

    def failing(name: str):
        def build() -> None:
            calls.append(name)

        return build

    cache: BuildCache[bytes] = BuildCache(4)
    for _ in range(2):
        assert cache.get_or_build("kept", failing("kept"), remember_failures=True) is None
        assert cache.get_or_build("retried", failing("retried"), remember_failures=False) is None
    assert calls == ["kept", "retried", "retried"]
    assert cache.get("kept") is None
