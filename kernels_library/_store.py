"""The store: an SQLite index (WAL) plus content-addressed sources, safe for concurrent publishers.

Sources live in ``objects/<aa>/<digest>.cpp``, written atomically (temp file + rename) so that a
reader never sees half a file; the index row is inserted in its own transaction after the object
exists. Several processes may publish at once: SQLite serialises the writers, and identical
sources share one object.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from kernels_library._entry import EntryRecord, Provenance
from tasks.model import KernelTask
from verifiers.verdict import Verdict

INDEX_FILE = "index.sqlite"
log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL,
    task_version INTEGER NOT NULL,
    target TEXT NOT NULL,
    hardware TEXT NOT NULL,
    hardware_info TEXT NOT NULL,
    source_digest TEXT NOT NULL,
    task_json TEXT NOT NULL,
    verdict TEXT NOT NULL,
    speedup REAL NOT NULL,
    speedup_low REAL NOT NULL,
    speedup_high REAL NOT NULL,
    roofline_fraction REAL,
    provenance TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_key ON entries (task, target, hardware);
"""


class LibraryError(RuntimeError):
    """A library that cannot be read, or an entry that cannot be used; names what and where."""


class LibraryStore:
    """The library under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.builds = root / "builds"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / INDEX_FILE
        try:
            connection = sqlite3.connect(path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=30000")
            connection.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise LibraryError(f"library index {path} is unreadable ({exc}); move it aside to start afresh") from None
        try:
            yield connection
        finally:
            connection.close()

    def object_path(self, digest: str) -> Path:
        return self.objects / digest[:2] / f"{digest}.cpp"

    def _write_object(self, source: str) -> str:
        digest = hashlib.sha256(source.encode()).hexdigest()
        path = self.object_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{time.monotonic_ns()}.tmp")
            tmp.write_text(source)
            tmp.replace(path)
        return digest

    def publish(
        self,
        *,
        task: KernelTask,
        source: str,
        verdict: Verdict,
        hardware: str,
        hardware_info: dict,
        target: str = "cpp-openmp",
        provenance: Provenance | None = None,
    ) -> EntryRecord:
        """Add an accepted, timed kernel as a new version of its key."""
        if not verdict.accepted or verdict.timing is None:
            raise LibraryError(f"only accepted, timed kernels are published (task {task.name})")
        timing = verdict.timing
        record = EntryRecord(
            task=task,
            target=target,
            hardware=hardware,
            hardware_info=hardware_info,
            source_digest=self._write_object(source),
            verdict=verdict,
            speedup=timing.speedup,
            speedup_low=timing.speedup_low,
            speedup_high=timing.speedup_high,
            roofline_fraction=timing.roofline_fraction,
            provenance=provenance or Provenance(),
            created=time.time(),
        )
        with self._connect() as connection:
            cursor = connection.execute(
                "INSERT INTO entries (task, task_version, target, hardware, hardware_info, source_digest, task_json,"
                " verdict, speedup, speedup_low, speedup_high, roofline_fraction, provenance, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task.name,
                    task.version,
                    target,
                    hardware,
                    json.dumps(hardware_info),
                    record.source_digest,
                    task.model_dump_json(),
                    verdict.model_dump_json(),
                    record.speedup,
                    record.speedup_low,
                    record.speedup_high,
                    record.roofline_fraction,
                    record.provenance.model_dump_json(),
                    record.created,
                ),
            )
        return record.model_copy(update={"id": cursor.lastrowid})

    def records(
        self, task: str | None = None, target: str | None = None, hardware: str | None = None
    ) -> list[EntryRecord]:
        """Every readable entry matching the filters, fastest first. Unreadable rows are skipped with a warning."""
        clauses, args = [], []
        for column, value in (("task", task), ("target", target), ("hardware", hardware)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT id, task_json, target, hardware, hardware_info, source_digest, verdict, speedup, speedup_low,"
                f" speedup_high, roofline_fraction, provenance, created FROM entries{where}"
                " ORDER BY speedup DESC, id ASC",
                args,
            ).fetchall()
        return [record for row in rows if (record := _record(row)) is not None]

    def source(self, record: EntryRecord) -> str:
        """The entry's source code, or LibraryError when its object is missing or altered."""
        path = self.object_path(record.source_digest)
        try:
            source = path.read_text()
        except OSError:
            raise LibraryError(f"entry {record.id} ({record.task.name}): source object {path} is missing") from None
        if hashlib.sha256(source.encode()).hexdigest() != record.source_digest:
            raise LibraryError(f"entry {record.id} ({record.task.name}): source object {path} was altered")
        return source


def _record(row: tuple) -> EntryRecord | None:
    (entry_id, task_json, target, hardware, hardware_info, digest, verdict, speedup, low, high, roofline, provenance,
     created) = row  # fmt: skip
    try:
        return EntryRecord(
            id=entry_id,
            task=KernelTask.model_validate_json(task_json),
            target=target,
            hardware=hardware,
            hardware_info=json.loads(hardware_info),
            source_digest=digest,
            verdict=Verdict.model_validate_json(verdict),
            speedup=speedup,
            speedup_low=low,
            speedup_high=high,
            roofline_fraction=roofline,
            provenance=Provenance.model_validate_json(provenance),
            created=created,
        )
    except (ValidationError, ValueError) as exc:
        log.warning("library entry %s is unreadable and skipped: %s", entry_id, exc)
        return None
