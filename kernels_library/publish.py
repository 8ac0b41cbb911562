"""Where the library meets the verifiers: publishing winners, re-verifying entries, importing kernels."""

from __future__ import annotations

from dataclasses import dataclass

from kernels_library import Entry, store
from kernels_library._entry import EntryRecord, Provenance
from kernels_library._export import ExportedEntry
from sandbox import Sandbox
from tasks.model import KernelTask
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.hardware import hardware_fingerprint
from verifiers.verdict import Verdict


def publish(task: KernelTask, candidate: Candidate, verdict: Verdict, provenance: Provenance) -> EntryRecord:
    """Store an accepted, timed candidate measured on this machine."""
    machine = hardware_fingerprint()
    return store().publish(
        task=task,
        source=candidate.source,
        verdict=verdict,
        hardware=machine.digest,
        hardware_info=machine.model_dump(mode="json"),
        target=candidate.target.value,
        provenance=provenance,
    )


@dataclass(frozen=True)
class Reverification:
    """What re-verifying an entry on this machine found."""

    status: str
    """``ok``, ``rejected`` (a stage fails now) or ``regression`` (significantly slower than recorded)."""
    speedup: float | None
    detail: str = ""


def reverify(entry: Entry, sandbox: Sandbox) -> Reverification:
    """Run the whole cascade on ``entry`` again, here, and compare with what was recorded."""
    verdict = evaluate(entry.record.task, Candidate(source=entry.source), sandbox)
    if not verdict.accepted or verdict.timing is None:
        failure = verdict.failure
        return Reverification("rejected", None, f"{failure.stage}: {failure.reason}" if failure else "not timed")
    timing = verdict.timing
    if timing.speedup_high < entry.record.speedup_low:
        detail = f"now {timing.speedup_low:.2f}-{timing.speedup_high:.2f}, recorded {entry.record.speedup_low:.2f}+"
        return Reverification("regression", timing.speedup, detail)
    return Reverification("ok", timing.speedup)


def import_kernel(
    task: KernelTask, source: str, facts: ExportedEntry | None, sandbox: Sandbox
) -> tuple[EntryRecord | None, Verdict]:
    """Verify an outside kernel here; publish it when accepted (the recorded facts only fill provenance)."""
    candidate = Candidate(source=source, origin="import")
    verdict = evaluate(task, candidate, sandbox)
    if not verdict.accepted or verdict.timing is None:
        return None, verdict
    provenance = facts.provenance if facts is not None else Provenance(origin="import")
    return publish(task, candidate, verdict, provenance), verdict


def related_entries(task: KernelTask, limit: int = 3) -> list[Entry]:
    """Library entries to learn from: this task's fastest first, then tasks of the same family."""
    library = store()
    same = [Entry(r, library) for r in library.records(task=task.name)]
    related = [
        Entry(r, library) for r in library.records() if r.task.name != task.name and r.task.family is task.family
    ]
    return (same + related)[:limit]
