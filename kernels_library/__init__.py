"""The library of evolved kernels: list them, look one up, load it and call it on arrays.

>>> import kernels_library
>>> entry = kernels_library.get("reduce-sum")
>>> entry.speedup, entry.provenance.model
>>> reduce_sum = entry.load()
>>> reduce_sum(np.random.rand(1000))          # sizes are worked out from the arrays
"""

from __future__ import annotations

import builtins

from kernels_library._binding import KernelCallError, KernelFunction, build_shared_library
from kernels_library._entry import EntryRecord, Provenance
from kernels_library._paths import library_root
from kernels_library._store import LibraryError, LibraryStore
from verifiers.hardware import hardware_fingerprint
from verifiers.verdict import Verdict

__all__ = [
    "Entry",
    "KernelCallError",
    "KernelFunction",
    "LibraryError",
    "Provenance",
    "get",
    "list",
    "store",
]


class Entry:
    """One library kernel: its source, speed, verdict and provenance, and a way to call it."""

    def __init__(self, record: EntryRecord, library: LibraryStore) -> None:
        self.record = record
        self._library = library

    @property
    def name(self) -> str:
        return self.record.task.name

    @property
    def target(self) -> str:
        return self.record.target

    @property
    def source(self) -> str:
        return self._library.source(self.record)

    @property
    def speedup(self) -> float:
        """Median speedup over the sequential reference, measured on the entry's hardware."""
        return self.record.speedup

    @property
    def verdict(self) -> Verdict:
        return self.record.verdict

    @property
    def provenance(self) -> Provenance:
        return self.record.provenance

    def load(self) -> KernelFunction:
        """The kernel as a Python callable (compiled once into the library's build cache)."""
        library = build_shared_library(self.record.task, self.source, self._library.builds)
        return KernelFunction(self.record.task, library)

    def __repr__(self) -> str:
        return f"<Entry {self.name} [{self.target}] {self.speedup:.2f}x #{self.record.id}>"


def store() -> LibraryStore:
    """The library at ``$PARAFORGE_HOME`` (default ``~/.paraforge``)."""
    return LibraryStore(library_root())


def list(task: str | None = None, hardware: str | None = None) -> builtins.list[Entry]:
    """Every entry (of ``task`` when given), fastest first; ``hardware="this"`` keeps this machine's."""
    library = store()
    machine = hardware_fingerprint().digest if hardware == "this" else hardware
    return [Entry(record, library) for record in library.records(task=task, hardware=machine)]


def get(name: str, target: str | None = None, hardware: str = "this") -> Entry:
    """The fastest entry of task ``name`` (for ``target``) measured on matching hardware."""
    library = store()
    machine = hardware_fingerprint().digest if hardware == "this" else hardware
    records = library.records(task=name, target=target, hardware=None if hardware == "any" else machine)
    if not records:
        raise LibraryError(
            f"no library entry for {name!r}"
            + (f" [{target}]" if target else "")
            + ("" if hardware == "any" else " measured on this hardware (hardware='any' lists others)")
        )
    return Entry(records[0], library)
