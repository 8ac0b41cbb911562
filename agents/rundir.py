"""The run directory ``runs/RUN_ID/``: config, every candidate with its verdict and logs, the winner."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from agents.solve_config import SolveConfig
from verifiers import Candidate, Verdict

CONFIG_FILE = "config.json"
CHECKPOINTS_FILE = "checkpoints.sqlite"
SUMMARY_FILE = "summary.json"


def new_run_id() -> str:
    """A sortable, unique run id: ``YYYYmmdd-HHMMSS-xxxx``."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


class RunDir:
    """Files of one run."""

    def __init__(self, root: Path, run_id: str) -> None:
        self.run_id = run_id
        self.path = root / run_id

    @classmethod
    def create(cls, root: Path, config: SolveConfig) -> RunDir:
        """A new run directory holding ``config``."""
        run = cls(root, new_run_id())
        run.path.mkdir(parents=True)
        (run.path / CONFIG_FILE).write_text(config.model_dump_json(indent=2))
        return run

    @classmethod
    def open(cls, root: Path, run_id: str) -> RunDir:
        """An existing run, or FileNotFoundError naming what is missing."""
        run = cls(root, run_id)
        if not (run.path / CONFIG_FILE).is_file():
            raise FileNotFoundError(f"no run {run_id!r} under {root} (missing {run.path / CONFIG_FILE})")
        return run

    def config(self) -> SolveConfig:
        return SolveConfig.model_validate_json((self.path / CONFIG_FILE).read_text())

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS_FILE

    @property
    def responses(self) -> Path:
        """Cached model replies."""
        return self.path / "responses"

    def candidate_dir(self, candidate: Candidate) -> Path:
        return self.path / "candidates" / candidate.digest[:16]

    def record(
        self, candidate: Candidate, verdict: Verdict | None, problem: str | None = None, *, final: bool = False
    ) -> Path:
        """Write a candidate's source and verdict (or the problem that stopped it) under the run.

        A finalist's verdict at the bench size (``final``) goes to ``final-verdict.json``, beside its
        tournament verdict.
        """
        where = self.candidate_dir(candidate)
        where.mkdir(parents=True, exist_ok=True)
        (where / "source.cpp").write_text(candidate.source)
        meta = {"origin": candidate.origin, "digest": candidate.digest, "problem": problem}
        (where / "candidate.json").write_text(json.dumps(meta, indent=2))
        if verdict is not None:
            (where / ("final-verdict.json" if final else "verdict.json")).write_text(verdict.model_dump_json(indent=2))
        return where

    def write_summary(self, summary: dict) -> Path:
        path = self.path / SUMMARY_FILE
        path.write_text(json.dumps(summary, indent=2))
        return path
