"""Task suites: the built-in ones by name, or a folder of task files (an imported benchmark's too)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tasks import CONFIG_SUITE_DIR, SUITE_DIR, Task, TaskFileError, load_task

BUILTIN_SUITES = {"builtin": SUITE_DIR, "configs": CONFIG_SUITE_DIR}
"""Suite names and their folders: ``builtin`` holds the kernel tasks, ``configs`` the config tasks."""

TASK_SUFFIXES = (".yaml", ".yml")


class SuiteError(ValueError):
    """A suite that names nothing usable."""


@dataclass(frozen=True)
class SuiteEntry:
    """One task file of a suite: its task, or why it could not be read (recorded, never fatal)."""

    name: str
    path: Path
    task: Task | None = None
    error: str | None = None


def load_suite(suite: str) -> list[SuiteEntry]:
    """The tasks of ``suite`` in name order; a task file that does not load becomes an entry with its error.

    Raises:
        SuiteError: ``suite`` is neither a built-in suite nor a folder holding task files.
    """
    folder = BUILTIN_SUITES.get(suite) or Path(suite)
    if not folder.is_dir():
        known = ", ".join(BUILTIN_SUITES)
        raise SuiteError(f"suite {suite!r} is neither a built-in suite ({known}) nor a folder of task files")
    files = sorted(p for p in folder.iterdir() if p.suffix in TASK_SUFFIXES and p.is_file())
    if not files:
        raise SuiteError(f"no task files ({', '.join(TASK_SUFFIXES)}) in {folder}")
    entries = [_entry(path.resolve()) for path in files]
    _check_unique(entries)
    return sorted(entries, key=lambda entry: entry.name)


def _entry(path: Path) -> SuiteEntry:
    try:
        task = load_task(path)
    except TaskFileError as exc:
        return SuiteEntry(name=path.stem, path=path, error=str(exc))
    return SuiteEntry(name=task.name, path=path, task=task)


def _check_unique(entries: list[SuiteEntry]) -> None:
    seen: dict[str, Path] = {}
    for entry in entries:
        if entry.name in seen:
            raise SuiteError(f"two task files name the task {entry.name!r}: {seen[entry.name]} and {entry.path}")
        seen[entry.name] = entry.path
