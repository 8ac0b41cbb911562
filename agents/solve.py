"""``solve``: run (or resume) the solve graph for one task (kernel or config), with progress reported as it goes."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import kernels_library
from agents.configsolve.solve import solve_config_task
from agents.graph.build import build_graph, run_config
from agents.graph.runtime import SolveRuntime, Verify
from agents.model_client import ModelClient
from agents.proposers import Elite, Proposer
from agents.proposers.directory import DirectoryProposer
from agents.proposers.llm import LLMProposer
from agents.proposers.offline import OfflineProposer
from agents.rundir import SUMMARY_FILE, RunDir
from agents.solve_config import ProposerKind, SolveConfig
from kernels_library import Entry, LibraryError, Provenance
from kernels_library import publish as library
from sandbox import Sandbox, open_sandbox
from tasks import Task, resolve_task
from tasks.model import KernelTask
from verifiers import Candidate, Verdict, VerdictCache, VerifierStage, VerifyConfig, evaluate, preflight, timed_stages

log = logging.getLogger(__name__)

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


def make_runtime(config: SolveConfig, task: KernelTask, run: RunDir, sandbox: Sandbox) -> SolveRuntime:
    """Everything the graph's nodes need besides state."""

    cache = VerdictCache()

    def verifier(settings: VerifyConfig, stages: Callable[[], list[VerifierStage]] | None = None) -> Verify:
        def verify(candidate: Candidate, best: Candidate | None, logs: Path) -> Verdict:
            chosen = stages() if stages is not None else None
            return evaluate(
                task, candidate, sandbox, config=settings, best=best, logs_dir=logs, cache=cache, stages=chosen
            )

        return verify

    def publish(candidate: Candidate, verdict: Verdict, provenance: Provenance) -> str:
        record = library.publish(task, candidate, verdict, provenance, sandbox)
        return f"{kernels_library.store().root} (entry #{record.id})"

    entries = _library_entries(task)
    return SolveRuntime(
        config=config,
        task=task,
        proposer=make_proposer(config, run),
        sandbox=sandbox,
        run=run,
        verify=verifier(config.verify_settings()),
        verify_final=verifier(config.verify_settings(final=True), stages=timed_stages),
        inspirations=[_elite(entry) for entry in entries],
        seeds=[Candidate(source=e.source, origin=f"library #{e.record.id}") for e in entries if e.name == task.name],
        publish=publish,
        check_environment=lambda: preflight(sandbox, task.targets, again=True),
    )


def _library_entries(task: KernelTask) -> list[Entry]:
    """Library entries to learn from; a damaged library is reported and skipped, never fatal."""
    try:
        entries = library.related_entries(task)
    except LibraryError as exc:
        log.warning("library not used: %s", exc)
        return []
    usable = []
    for entry in entries:
        try:
            entry.source  # noqa: B018 - reading it checks the stored object
        except LibraryError as exc:
            log.warning("library entry skipped: %s", exc)
            continue
        usable.append(entry)
    return usable


def _elite(entry: Entry) -> Elite:
    record = entry.record
    return Elite(
        candidate=Candidate(source=entry.source, origin=f"library #{record.id} ({record.task.name})"),
        speedup=record.speedup,
        speedup_low=record.speedup_low,
        speedup_high=record.speedup_high,
    )


def solve(
    config: SolveConfig | None,
    runs_root: Path,
    *,
    resume: str | None = None,
    progress: Progress = lambda node, state: None,
    on_start: Callable[[RunDir, Task], None] = lambda run, task: None,
) -> dict[str, Any]:
    """Run a new solve (``config``) or continue run ``resume``; returns the run's summary."""
    if resume is not None:
        run = RunDir.open(runs_root, resume)
        config = run.config()
    else:
        assert config is not None
        resolve_task(config.task)  # a bad task fails before a run directory is made
        run = RunDir.create(runs_root, config)
    task = resolve_task(config.task)
    on_start(run, task)
    if not isinstance(task, KernelTask):
        return solve_config_task(task, config, run, resuming=resume is not None, progress=progress)
    sandbox = open_sandbox(config.backend)
    try:
        preflight(sandbox, task.targets)  # before any candidate: a missing tool is not the candidates' fault
        runtime = make_runtime(config, task, run, sandbox)
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
