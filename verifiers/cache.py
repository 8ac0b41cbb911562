"""The verdict cache: the same code is never verified twice for the same task, toolchain and machine.

A verdict is stored under the SHA-256 of everything it depends on: the candidate's source, the
task (name, version and a hash of its whole definition), the compiler's ``--version`` text as
seen in the sandbox, the hardware fingerprint, the verification settings, the stages run, the
candidate timed alongside, and the verifier itself (a digest of the code of ``verifiers`` and of the
generated drivers in ``tasks``), so a verifier that judges differently never reuses an older verdict.
Verdicts in which the verifier itself failed (a stage with status ``error``) are not stored. SQLite in
WAL mode, so several processes may share one file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from functools import cache
from pathlib import Path
from types import TracebackType

from tasks.model import KernelTask
from verifiers.candidate import Candidate
from verifiers.context import VerifyConfig
from verifiers.verdict import StageStatus, Verdict

CACHE_ENV = "PARAFORGE_CACHE_DIR"
"""Environment variable naming the cache directory (default ``~/.cache/paraforge``)."""
CACHE_FILE = "verdicts.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    key TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    candidate TEXT NOT NULL,
    created REAL NOT NULL,
    verdict TEXT NOT NULL
)
"""


def default_cache_path() -> Path:
    """Where verdicts are cached unless told otherwise."""
    root = os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "paraforge"
    return Path(root) / CACHE_FILE


def task_digest(task: KernelTask) -> str:
    """SHA-256 of the task's whole definition."""
    return hashlib.sha256(task.model_dump_json().encode()).hexdigest()


def cache_key(
    *,
    task: KernelTask,
    candidate: Candidate,
    toolchain: str,
    hardware: str,
    config: VerifyConfig,
    stages: list[str],
    best: Candidate | None = None,
) -> str:
    """The key of ``candidate``'s verdict for ``task`` under these conditions."""
    parts = {
        "candidate": candidate.digest,
        "task": [task.name, task.version, task_digest(task)],
        "toolchain": toolchain,
        "hardware": hardware,
        "config": config.model_dump(mode="json"),
        "stages": stages,
        "best": best.digest if best else None,
        "verifier": verifier_digest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def code_digest(root: Path, packages: tuple[str, ...]) -> str:
    """SHA-256 of the Python modules of ``packages`` under ``root`` (their paths and contents)."""
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def verifier_digest() -> str:
    """The digest of the verifier's code: ``verifiers`` and ``tasks`` (drivers, inputs, comparisons)."""
    return code_digest(Path(__file__).resolve().parents[1], ("verifiers", "tasks"))


def cacheable(verdict: Verdict) -> bool:
    """Whether ``verdict`` is worth keeping: the verifier did not fail on its own account."""
    return all(stage.status is not StageStatus.error for stage in verdict.stages)


def _set_wal(db: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch ``db`` to WAL; the switch needs the file alone and SQLite does not wait for it, so retry a while
    (processes opening a new cache at once, e.g. Ray workers, would otherwise see "database is locked")."""
    for attempt in range(attempts):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


class VerdictCache:
    """Verdicts by cache key, in one SQLite file."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.hits = 0
        """Verdicts served from the cache so far."""
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        with self._lock, self._db:
            _set_wal(self._db)
            self._db.execute(_SCHEMA)

    def get(self, key: str) -> Verdict | None:
        """The verdict stored under ``key``, if any."""
        with self._lock:
            row = self._db.execute("SELECT verdict FROM verdicts WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        self.hits += 1
        return Verdict.model_validate_json(row[0])

    def put(self, key: str, verdict: Verdict) -> None:
        """Store ``verdict`` under ``key`` (replacing any earlier one)."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO verdicts (key, task, candidate, created, verdict) VALUES (?, ?, ?, ?, ?)",
                (key, verdict.task, verdict.candidate, time.time(), verdict.model_dump_json()),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> VerdictCache:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
