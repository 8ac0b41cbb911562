"""``solve``: run (or resume) the solve graph for one task, with progress reported as it goes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from agents.graph.build import build_graph, run_config
from agents.graph.runtime import SolveRuntime
from agents.model_client import ModelClient
from agents.proposers import Proposer
from agents.proposers.directory import DirectoryProposer
from agents.proposers.llm import LLMProposer
from agents.proposers.offline import OfflineProposer
from agents.rundir import SUMMARY_FILE, RunDir
from agents.solve_config import ProposerKind, SolveConfig
from sandbox import Sandbox, open_sandbox
from tasks import resolve_task
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.verdict import Verdict

Progress = Callable[[str, dict[str, Any]], None]
"""Called after every node with the node's name and the run's whole state."""


def make_proposer(config: SolveConfig, run: RunDir) -> Proposer:
    """The proposer the config asks for."""
    if config.proposer is ProposerKind.llm:
        assert config.model is not None  # SolveConfig checks it
        return LLMProposer(ModelClient(config.model, cache_dir=run.responses))
    if config.proposer is ProposerKind.directory:
        assert config.candidates_dir is not None
        return DirectoryProposer(config.candidates_dir)
    return OfflineProposer()


def make_runtime(config: SolveConfig, run: RunDir, sandbox: Sandbox) -> SolveRuntime:
    """Everything the graph's nodes need besides state."""
    task = resolve_task(config.task)

    def verify(candidate: Candidate, best: Candidate | None, logs: Path) -> Verdict:
        return evaluate(task, candidate, sandbox, config=config.verify, best=best, logs_dir=logs)

    return SolveRuntime(
        config=config,
        task=task,
        proposer=make_proposer(config, run),
        sandbox=sandbox,
        run=run,
        verify=verify,
    )


def solve(
    config: SolveConfig | None,
    runs_root: Path,
    *,
    resume: str | None = None,
    progress: Progress = lambda node, state: None,
    on_start: Callable[[RunDir], None] = lambda run: None,
) -> dict[str, Any]:
    """Run a new solve (``config``) or continue run ``resume``; returns the run's summary."""
    if resume is not None:
        run = RunDir.open(runs_root, resume)
        config = run.config()
    else:
        assert config is not None
        resolve_task(config.task)  # a bad task fails before a run directory is made
        run = RunDir.create(runs_root, config)
    on_start(run)
    sandbox = open_sandbox(config.backend)
    try:
        runtime = make_runtime(config, run, sandbox)
        with closing(sqlite3.connect(run.checkpoints, check_same_thread=False)) as connection:
            graph = build_graph(runtime, connection)
            settings = run_config(run.run_id, config.workers)
            started = graph.get_state(settings).values
            if resume is not None and not graph.get_state(settings).next and started:
                return json.loads((run.path / SUMMARY_FILE).read_text())
            for update in graph.stream(None if started else {}, settings, stream_mode="updates"):
                for node in update:
                    progress(node, graph.get_state(settings).values)
    finally:
        sandbox.close()
    return json.loads((run.path / SUMMARY_FILE).read_text())
