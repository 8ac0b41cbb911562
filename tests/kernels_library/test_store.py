"""The store: what an entry keeps, how the best version is chosen, and concurrent publishers."""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kernels_library
from kernels_library import LibraryError, Provenance
from kernels_library._entry import EntryRecord
from tasks import resolve_task
from verifiers.hardware import hardware_fingerprint
from verifiers.verdict import Verdict

Publish = Callable[..., EntryRecord]
SyntheticVerdict = Callable[..., Verdict]

GELU = resolve_task("gelu")
OTHER_MACHINE = "0" * 64


def test_an_entry_keeps_everything_it_was_published_with(publish: Publish) -> None:
    record = publish(
        GELU,
        run_id="run-1",
        model="some-model",
        prompt_tokens=1200,
        completion_tokens=300,
        cost=0.02,
        parents=["abc", "def"],
        toolchain="clang version 14",
    )
    (stored,) = kernels_library.store().records()
    assert stored == record
    assert (stored.task, stored.task.version, stored.target) == (GELU, 1, "cpp-openmp")
    assert stored.hardware == hardware_fingerprint().digest
    assert {"cpu_model", "cores", "flags"} <= stored.hardware_info.keys()
    assert stored.verdict.accepted and stored.verdict.timing is not None
    assert (stored.speedup, stored.speedup_low, stored.speedup_high, stored.roofline_fraction) == (2.0, 1.9, 2.1, 0.25)
    assert stored.provenance == Provenance(
        origin="test", run_id="run-1", model="some-model", prompt_tokens=1200, completion_tokens=300, cost=0.02,
        parents=["abc", "def"], toolchain="clang version 14",
    )  # fmt: skip
    entry = kernels_library.get("gelu")
    assert entry.source == GELU.reference.cpp
    assert (entry.speedup, entry.verdict, entry.provenance) == (2.0, stored.verdict, stored.provenance)


def test_get_picks_the_fastest_version_measured_on_this_hardware(publish: Publish) -> None:
    publish(GELU, GELU.reference.cpp + "\n// v1", speedup=1.5)
    fastest = publish(GELU, GELU.reference.cpp + "\n// v2", speedup=3.0)
    publish(GELU, GELU.reference.cpp + "\n// v3", speedup=2.0)
    elsewhere = publish(GELU, GELU.reference.cpp + "\n// other machine", speedup=9.0, hardware=OTHER_MACHINE)
    assert kernels_library.get("gelu").record.id == fastest.id
    assert kernels_library.get("gelu", target="cpp-openmp").record.id == fastest.id
    assert kernels_library.get("gelu", hardware="any").record.id == elsewhere.id
    assert kernels_library.get("gelu", hardware=OTHER_MACHINE).record.id == elsewhere.id
    with pytest.raises(LibraryError, match="no usable library entry for 'gelu' \\[cuda\\]"):
        kernels_library.get("gelu", target="cuda")


def test_list_shows_every_hardware_unless_asked(publish: Publish) -> None:
    publish(GELU, speedup=1.5)
    publish(GELU, GELU.reference.cpp + "\n// elsewhere", speedup=4.0, hardware=OTHER_MACHINE)
    publish("reduce-sum", speedup=3.0)
    assert [(e.name, e.speedup) for e in kernels_library.list()] == [("gelu", 4.0), ("reduce-sum", 3.0), ("gelu", 1.5)]
    assert len(kernels_library.list(hardware="any")) == 3
    assert [e.speedup for e in kernels_library.list(hardware="this")] == [3.0, 1.5]
    assert [e.speedup for e in kernels_library.list("gelu", hardware=OTHER_MACHINE)] == [4.0]
    assert [e.name for e in kernels_library.list(task="reduce-sum")] == ["reduce-sum"]


def test_only_the_newest_task_version_is_chosen(publish: Publish) -> None:
    newer = GELU.model_copy(update={"version": 2})
    publish(GELU, speedup=5.0)
    v2 = publish(newer, speedup=1.2)
    assert kernels_library.get("gelu").record.id == v2.id
    assert len(kernels_library.list("gelu")) == 2


def test_get_with_no_entry_says_so() -> None:
    with pytest.raises(LibraryError, match="no usable library entry for 'gelu' measured on this hardware"):
        kernels_library.get("gelu")


def test_only_accepted_timed_verdicts_for_this_very_source_are_published(synthetic_verdict: SyntheticVerdict) -> None:
    library = kernels_library.store()
    machine = hardware_fingerprint()
    source = GELU.reference.cpp
    verdict = synthetic_verdict(GELU, source)
    common = {"task": GELU, "source": source, "hardware": machine.digest, "hardware_info": {}}
    with pytest.raises(LibraryError, match="only accepted, timed"):
        library.publish(**common, verdict=verdict.model_copy(update={"timing": None}))
    with pytest.raises(LibraryError, match="not for this source"):
        library.publish(**{**common, "source": source + "// changed"}, verdict=verdict)
    with pytest.raises(LibraryError, match="not for this source"):
        library.publish(**{**common, "task": resolve_task("reduce-sum")}, verdict=verdict)
    assert library.records() == []


def test_identical_sources_share_one_object(publish: Publish) -> None:
    publish(GELU, speedup=1.0)
    publish(GELU, speedup=2.0)
    library = kernels_library.store()
    assert len(list(library.objects.glob("*/*.cpp"))) == 1
    assert len(list(library.records_dir.glob("*/*.json"))) == 2


def _publish_many(start: Any, worker: int, count: int, synthetic_verdict: SyntheticVerdict) -> None:
    """One concurrent publisher: ``count`` entries, every other one with a source all workers share."""
    library = kernels_library.store()
    machine = hardware_fingerprint()
    start.wait()
    for i in range(count):
        source = GELU.reference.cpp + (f"\n// shared {i}" if i % 2 else f"\n// worker {worker} entry {i}")
        library.publish(
            task=GELU,
            source=source,
            verdict=synthetic_verdict(GELU, source, speedup=1.0 + worker + i / 100),
            hardware=machine.digest,
            hardware_info=machine.model_dump(mode="json"),
            provenance=Provenance(origin=f"worker-{worker}", run_id=f"{worker}-{i}"),
        )


def test_concurrent_publishers_never_corrupt_the_store(synthetic_verdict: SyntheticVerdict) -> None:
    workers, count = 4, 10
    context = multiprocessing.get_context("fork")
    start = context.Barrier(workers + 1)
    processes = [
        context.Process(target=_publish_many, args=(start, w, count, synthetic_verdict)) for w in range(workers)
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.monotonic()
    for process in processes:
        process.join(timeout=120)
    elapsed = time.monotonic() - began
    assert [p.exitcode for p in processes] == [0] * workers
    print(f"{workers * count} concurrent publishes in {elapsed:.2f} s: {workers * count / elapsed:.0f}/s")

    library = kernels_library.store()
    records = library.records()
    assert len(records) == workers * count
    assert len({r.id for r in records}) == workers * count
    assert {r.provenance.run_id for r in records} == {f"{w}-{i}" for w in range(workers) for i in range(count)}
    for entry in kernels_library.list():
        assert hashlib.sha256(entry.source.encode()).hexdigest() == entry.record.source_digest
    objects = list(library.objects.glob("*/*.cpp"))
    assert len(objects) == workers * count // 2 + count // 2  # the shared sources are stored once
    assert not list(library.root.rglob("*.tmp"))
    assert library.rebuild_index() == workers * count


def test_a_store_is_created_on_first_use(library_home: Path) -> None:
    assert kernels_library.list() == []
    assert (library_home / "library" / "index.sqlite").is_file()
