"""The store: an SQLite index (WAL) plus content-addressed files, safe for concurrent publishers.

Layout under the library root::

    index.sqlite                    the index: one row per entry, for lookups
    objects/<aa>/<digest>.cpp       sources, named by the SHA-256 of their text
    records/<aa>/<digest>.json      every entry's full record, from which the index can be rebuilt
    builds/                         shared libraries built from the sources (see ``_binding``)

Files are written atomically (temp file + rename), so a reader never sees half a file; an index row
is inserted in its own transaction after its files exist. Several processes may publish at once:
SQLite serialises the writers, and identical sources share one object. A damaged index is moved
aside and rebuilt from the records by :meth:`LibraryStore.rebuild_index`.
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
from verifiers import Verdict

INDEX_FILE = "index.sqlite"
REBUILD_HINT = "run `agent library rebuild` (or kernels_library.store().rebuild_index()) to rebuild it"
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
_COLUMNS = (
    "task, task_version, target, hardware, hardware_info, source_digest, task_json, verdict, speedup, speedup_low,"
    " speedup_high, roofline_fraction, provenance, created"
)
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
"""SQLite error names that mean the index file itself is damaged (not merely busy or read-only)."""


class LibraryError(RuntimeError):
    """A library that cannot be read, or an entry that cannot be used; names what and where."""


class LibraryStore:
    """The library under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.index = root / INDEX_FILE
        self.objects = root / "objects"
        self.records_dir = root / "records"
        self.builds = root / "builds"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection to the index; any SQLite failure becomes a LibraryError naming the file."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(self.index, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            yield connection
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        finally:
            connection.close()

    def _unusable(self, exc: sqlite3.Error) -> LibraryError:
        if getattr(exc, "sqlite_errorname", "") in _DAMAGED:
            return LibraryError(
                f"library index {self.index} is damaged ({exc}); {REBUILD_HINT} from the entry records under"
                f" {self.records_dir} (the damaged file is kept as {INDEX_FILE}.damaged-*)"
            )
        return LibraryError(f"library index {self.index} cannot be used: {exc}")

    def object_path(self, digest: str) -> Path:
        return self.objects / digest[:2] / f"{digest}.cpp"

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
        """Add an accepted, timed kernel as a new version of its key (task, target, hardware)."""
        if not verdict.accepted or verdict.timing is None:
            raise LibraryError(f"only accepted, timed kernels are published (task {task.name})")
        digest = _digest(source)
        if (verdict.task, verdict.task_version, verdict.candidate) != (task.name, task.version, digest):
            raise LibraryError(
                f"the verdict is for {verdict.task} v{verdict.task_version} candidate {verdict.candidate[:12]},"
                f" not for this source of {task.name} v{task.version} ({digest[:12]})"
            )
        timing = verdict.timing
        record = EntryRecord(
            task=task,
            target=target,
            hardware=hardware,
            hardware_info=hardware_info,
            source_digest=digest,
            verdict=verdict,
            speedup=timing.speedup,
            speedup_low=timing.speedup_low,
            speedup_high=timing.speedup_high,
            roofline_fraction=timing.roofline_fraction,
            provenance=provenance or Provenance(),
            created=time.time(),
        )
        _write_atomic(self.object_path(digest), source)
        record_json = record.model_dump_json()
        _write_atomic(self._record_path(_digest(record_json)), record_json)
        with self._connect() as connection:
            entry_id = _insert(connection, record)
        return record.model_copy(update={"id": entry_id})

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
        what = f"library entry #{record.id} ({record.task.name})"
        try:
            source = path.read_text()
        except FileNotFoundError:
            raise LibraryError(f"{what}: source object {path} is missing") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise LibraryError(f"{what}: source object {path} is unreadable ({exc})") from None
        if _digest(source) != record.source_digest:
            raise LibraryError(f"{what}: source object {path} was altered (its SHA-256 no longer matches)")
        return source

    def rebuild_index(self) -> int:
        """Move the index aside and build a fresh one from the entry records; returns the entries restored.

        Entry ids change. Records that cannot be read are skipped with a warning. Run it while nothing publishes.
        """
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            old = self.index.with_name(INDEX_FILE + suffix)
            if old.exists():
                old.replace(self.index.with_name(f"{INDEX_FILE}.damaged-{stamp}{suffix}"))
        records = []
        for path in sorted(self.records_dir.glob("*/*.json")):
            try:
                records.append(EntryRecord.model_validate_json(path.read_text()))
            except (OSError, ValueError) as exc:
                log.warning("library record %s is unreadable and skipped: %s", path, exc)
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            for record in sorted(records, key=lambda r: r.created):
                _insert(connection, record)
            connection.execute("COMMIT")
        return len(records)

    def _record_path(self, digest: str) -> Path:
        return self.records_dir / digest[:2] / f"{digest}.json"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    """Write a content-addressed file unless an intact copy is already there (an altered one is replaced)."""
    try:
        if _digest(path.read_text()) == path.stem:
            return
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _insert(connection: sqlite3.Connection, record: EntryRecord) -> int:
    cursor = connection.execute(
        f"INSERT INTO entries ({_COLUMNS}) VALUES ({', '.join('?' * 14)})",
        (
            record.task.name,
            record.task.version,
            record.target,
            record.hardware,
            json.dumps(record.hardware_info),
            record.source_digest,
            record.task.model_dump_json(),
            record.verdict.model_dump_json(),
            record.speedup,
            record.speedup_low,
            record.speedup_high,
            record.roofline_fraction,
            record.provenance.model_dump_json(),
            record.created,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


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
    except (ValidationError, ValueError, TypeError) as exc:
        log.warning("library entry #%s is unreadable and skipped: %s", entry_id, exc)
        return None
