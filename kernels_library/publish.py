"""Where the library meets the verifiers: publishing winners, re-verifying entries, importing kernels."""

from __future__ import annotations

from dataclasses import dataclass

from kernels_library import Entry, LibraryError, store
from kernels_library._entry import EntryRecord, Provenance
from kernels_library._export import ExportedEntry
from sandbox import Sandbox
from tasks.loader import SUITE_DIR, load_task
from tasks.model import KernelTask
from verifiers import Candidate, Verdict, compiler_version, evaluate, hardware_fingerprint


def publish(
    task: KernelTask, candidate: Candidate, verdict: Verdict, provenance: Provenance, sandbox: Sandbox | None = None
) -> EntryRecord:
    """Store an accepted, timed candidate measured on this machine.

    With ``sandbox`` (the one that verified it), the provenance records that sandbox's compiler version.
    """
    machine = hardware_fingerprint()
    if sandbox is not None:
        provenance = provenance.model_copy(update={"toolchain": compiler_version(sandbox)})
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
    """``ok``; ``rejected`` (a stage fails now); ``regression`` (significantly slower than recorded on
    this hardware); ``broken`` (its stored source is missing or altered)."""
    speedup: float | None
    detail: str = ""


def reverify(entry: Entry, sandbox: Sandbox) -> Reverification:
    """Run the whole cascade on ``entry`` again, here, and compare with what was recorded.

    Speeds are compared only when the entry was measured on hardware like this machine's.
    """
    try:
        source = entry.source
    except LibraryError as exc:
        return Reverification("broken", None, str(exc))
    verdict = evaluate(entry.record.task, Candidate(source=source), sandbox)
    failure = verdict.failure
    if failure is not None:
        return Reverification("rejected", None, failure.reason or failure.stage.value)
    timing = verdict.timing
    if timing is None:
        return Reverification("ok", None, "correct; not timed (the cascade has no timing stage)")
    if entry.record.hardware != hardware_fingerprint().digest:
        return Reverification("ok", timing.speedup, "recorded on other hardware: speeds not compared")
    if timing.speedup_high < entry.record.speedup_low:
        detail = f"now {timing.speedup_low:.2f}-{timing.speedup_high:.2f}, recorded {entry.record.speedup_low:.2f}+"
        return Reverification("regression", timing.speedup, detail)
    return Reverification("ok", timing.speedup)


def import_kernel(
    task: KernelTask, source: str, facts: ExportedEntry | None, sandbox: Sandbox
) -> tuple[EntryRecord | None, Verdict]:
    """Verify an outside kernel here; publish it when accepted and timed.

    The recorded facts only fill provenance: the speed stored is the one measured here. A task
    definition that differs from the built-in or stored definition of the same task is refused
    (LibraryError), since an altered task (say, its reference) could make wrong code pass.
    """
    _check_known(task)
    verdict = evaluate(task, Candidate(source=source, origin="import"), sandbox)
    if not verdict.accepted or verdict.timing is None:
        return None, verdict
    provenance = facts.provenance if facts is not None else Provenance(origin="import")
    return publish(task, Candidate(source=source), verdict, provenance, sandbox), verdict


def _check_known(task: KernelTask) -> None:
    """LibraryError unless ``task`` equals the built-in task of its name and stored ones of its version."""
    builtin = SUITE_DIR / f"{task.name}.yaml"
    if builtin.is_file() and load_task(builtin) != task:
        raise LibraryError(
            f"the imported definition of task {task.name} differs from the built-in one ({builtin});"
            " an import is verified against the built-in task, so its task.yaml must match it"
        )
    for record in store().records(task=task.name):
        if record.task.version == task.version and record.task != task:
            raise LibraryError(
                f"the imported definition of task {task.name} v{task.version} differs from the one of"
                f" library entry #{record.id}; give the changed task a new version"
            )


def related_entries(task: KernelTask, limit: int = 3) -> list[Entry]:
    """Library entries to learn from: this task's fastest first, then tasks of the same family."""
    library = store()
    same = [Entry(r, library) for r in library.records(task=task.name)]
    related = [
        Entry(r, library) for r in library.records() if r.task.name != task.name and r.task.family is task.family
    ]
    return (same + related)[:limit]
