"""``solve_config_task``: run (or resume) the config solve graph of one run directory."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any

from agents.configsolve.graph import ConfigRuntime, build_config_graph
from agents.configsolve.proposals import LLMConfigProposer
from agents.model_client import ModelClient
from agents.rundir import SUMMARY_FILE, RunDir
from agents.solve_config import ProposerKind, SolveConfig
from tasks.configs.model import ConfigTask

SEARCH_KEEP = 8
"""Layouts of the analytical search that enter the tournament."""


def solve_config_task(
    task: ConfigTask,
    config: SolveConfig,
    run: RunDir,
    *,
    resuming: bool,
    progress: Callable[[str, dict[str, Any]], None],
) -> dict[str, Any]:
    """Search, propose, verify, select, dry-run and publish; returns the run's summary."""
    proposer = None
    if config.proposer is ProposerKind.llm:
        assert config.model is not None  # SolveConfig checks it
        proposer = LLMConfigProposer(ModelClient(config.model, cache_dir=run.responses))
    runtime = ConfigRuntime(task=task, config=config, run=run, proposer=proposer, keep=SEARCH_KEEP)
    with closing(sqlite3.connect(run.checkpoints, check_same_thread=False)) as connection:
        graph = build_config_graph(runtime, connection)
        settings = {"configurable": {"thread_id": run.run_id}, "recursion_limit": 10_000}
        started = graph.get_state(settings).values
        if resuming and started and not graph.get_state(settings).next:
            return json.loads((run.path / SUMMARY_FILE).read_text())
        for update in graph.stream(None if started else {}, settings, stream_mode="updates"):
            for node in update:
                progress(node, graph.get_state(settings).values)
    return json.loads((run.path / SUMMARY_FILE).read_text())
