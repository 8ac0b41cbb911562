"""The run's results in SQLite: every judged candidate and finished task is committed as soon as it is known.

A run killed at any point (even with SIGKILL) keeps everything committed before; a second run with the
same run directory reads it back and does only what is missing.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from evals.records import CandidateResult, EvalResults, RunMeta, TaskResult

RESULTS_FILE = "results.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (task TEXT PRIMARY KEY, status TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
    task TEXT NOT NULL, idx INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (task, idx)
);
"""


class ResultStore:
    """Task and candidate results of one run, safe to use from many threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def put_meta(self, meta: RunMeta) -> None:
        self._write("INSERT OR REPLACE INTO meta (id, record) VALUES (1, ?)", (meta.model_dump_json(),))

    def meta(self) -> RunMeta | None:
        row = self._read_one("SELECT record FROM meta WHERE id = 1", ())
        return RunMeta.model_validate_json(row[0]) if row else None

    def put_candidate(self, result: CandidateResult) -> None:
        self._write(
            "INSERT OR REPLACE INTO candidates (task, idx, record) VALUES (?, ?, ?)",
            (result.task, result.index, result.model_dump_json()),
        )

    def candidates(self, task: str | None = None) -> list[CandidateResult]:
        """Candidates of ``task`` (of every task when None), in task and index order."""
        query, args = "SELECT record FROM candidates ORDER BY task, idx", ()
        if task is not None:
            query, args = "SELECT record FROM candidates WHERE task = ? ORDER BY idx", (task,)
        return [CandidateResult.model_validate_json(row[0]) for row in self._read_all(query, args)]

    def put_task(self, result: TaskResult) -> None:
        self._write(
            "INSERT OR REPLACE INTO tasks (task, status, record) VALUES (?, ?, ?)",
            (result.task, result.status.value, result.model_dump_json()),
        )

    def task(self, name: str) -> TaskResult | None:
        row = self._read_one("SELECT record FROM tasks WHERE task = ?", (name,))
        return TaskResult.model_validate_json(row[0]) if row else None

    def tasks(self) -> list[TaskResult]:
        return [TaskResult.model_validate_json(row[0]) for row in self._read_all("SELECT record FROM tasks", ())]

    def results(self) -> EvalResults:
        """Everything recorded, as one value (tasks in name order)."""
        meta = self.meta()
        if meta is None:
            raise LookupError(f"{self.path} holds no run")
        return EvalResults(meta=meta, tasks=sorted(self.tasks(), key=lambda t: t.task), candidates=self.candidates())

    def _write(self, query: str, args: tuple[object, ...]) -> None:
        with self._lock:
            self._db.execute(query, args)

    def _read_one(self, query: str, args: tuple[object, ...]) -> tuple[str] | None:
        with self._lock:
            return self._db.execute(query, args).fetchone()

    def _read_all(self, query: str, args: tuple[object, ...]) -> list[tuple[str]]:
        with self._lock:
            return self._db.execute(query, args).fetchall()
