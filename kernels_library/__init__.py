"""The library of evolved kernels: list them, look one up, load it and call it on arrays.

>>> import kernels_library
>>> entry = kernels_library.get("reduce-sum")   # the fastest entry measured on this machine
>>> entry.speedup, entry.provenance.model
>>> reduce_sum = entry.load()
>>> reduce_sum(np.random.rand(1000))            # sizes are worked out from the arrays
"""

from __future__ import annotations

import builtins
import logging

from kernels_library._binding import KernelBuildError, KernelCallError, KernelFunction, load_kernel
from kernels_library._entry import EntryRecord, Provenance
from kernels_library._paths import library_root
from kernels_library._store import LibraryError, LibraryStore
from verifiers import Verdict, hardware_fingerprint

__all__ = [
    "Entry",
    "KernelBuildError",
    "KernelCallError",
    "KernelFunction",
    "LibraryError",
    "Provenance",
    "get",
    "list",
    "store",
]
log = logging.getLogger(__name__)


class Entry:
    """One library kernel: its source, speed, verdict and provenance, and a way to call it."""

    def __init__(self, record: EntryRecord, library: LibraryStore) -> None:
        self.record = record
        self._library = library
        self._kernel: KernelFunction | None = None

    @property
    def name(self) -> str:
        return self.record.task.name

    @property
    def target(self) -> str:
        return self.record.target

    @property
    def source(self) -> str:
        """The kernel's C++ source, checked against its digest (LibraryError when missing or altered)."""
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
        """The kernel as a Python callable, compiled once into the library's build cache.

        Raises:
            LibraryError: the source object is missing or altered, or it does not build
                (KernelBuildError, with the compiler's message).
        """
        if self._kernel is None:
            try:
                self._kernel = load_kernel(self.record.task, self.source, self._library.builds)
            except KernelBuildError as exc:
                raise KernelBuildError(f"library entry #{self.record.id}: {exc}") from None
        return self._kernel

    def __repr__(self) -> str:
        return f"<Entry {self.name} [{self.target}] {self.speedup:.2f}x #{self.record.id}>"


def store() -> LibraryStore:
    """The library at ``$PARAFORGE_HOME`` (default ``~/.paraforge``)."""
    return LibraryStore(library_root())


def list(task: str | None = None, target: str | None = None, hardware: str | None = None) -> builtins.list[Entry]:
    """Every entry (of ``task``, for ``target`` when given), fastest first.

    ``hardware``: None or ``"any"`` lists entries measured anywhere, ``"this"`` only this machine's,
    anything else is a hardware fingerprint digest.
    """
    library = store()
    return [Entry(r, library) for r in library.records(task=task, target=target, hardware=_machine(hardware))]


def get(name: str, target: str | None = None, hardware: str = "this") -> Entry:
    """The fastest usable entry of task ``name`` (for ``target``) measured on matching hardware.

    Only entries of the newest task version stored are considered. An entry whose source object is
    missing or altered is skipped with a warning, and the next fastest is returned.

    Args:
        name: The task name.
        target: E.g. ``cpp-openmp``; any target when None.
        hardware: ``"this"`` (this machine's fingerprint), ``"any"``, or a fingerprint digest.

    Raises:
        LibraryError: no usable entry matches.
    """
    library = store()
    records = library.records(task=name, target=target, hardware=_machine(hardware))
    newest = max((r.task.version for r in records), default=None)
    problems = []
    for record in records:
        if record.task.version != newest:
            continue
        entry = Entry(record, library)
        try:
            entry.source  # noqa: B018 - reading it checks the stored object
        except LibraryError as exc:
            log.warning("%s; trying the next entry", exc)
            problems.append(str(exc))
            continue
        return entry
    where = (f" [{target}]" if target else "") + (" measured on this hardware" if hardware == "this" else "")
    hint = "; hardware='any' looks at entries measured elsewhere" if hardware == "this" else ""
    raise LibraryError(f"no usable library entry for {name!r}{where}" + "".join(f"; {p}" for p in problems) + hint)


def _machine(hardware: str | None) -> str | None:
    """The hardware digest a filter stands for (None: any hardware)."""
    if hardware is None or hardware == "any":
        return None
    return hardware_fingerprint().digest if hardware == "this" else hardware
