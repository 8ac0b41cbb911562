"""Wiring the nodes into the solve graph, checkpointed in the run's SQLite file."""

from __future__ import annotations

import sqlite3
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

from agents.graph.evolve import Evolve
from agents.graph.finals import Crown, Finalists, after_finalists
from agents.graph.gather import Gather
from agents.graph.plan import Plan
from agents.graph.propose import Propose
from agents.graph.publish import Publish
from agents.graph.recheck import Recheck
from agents.graph.review import Review
from agents.graph.runtime import SolveRuntime
from agents.graph.select import Select
from agents.graph.state import SolveState
from agents.graph.verify import Verify, verify_payloads

RECURSION_LIMIT = 100_000


def _proposals(state: SolveState) -> list[Send]:
    return [
        Send("propose", {"request": request, "round": state["round"], "generation": state["generation"]})
        for request in state.get("requests", [])
    ]


def after_plan(state: SolveState) -> list[Send] | str:
    return _proposals(state) or "gather"


def after_gather(state: SolveState) -> list[Send] | str:
    return [Send("verify", payload) for payload in verify_payloads(state)] or "review"


def after_review(state: SolveState) -> list[Send] | str:
    return _proposals(state) or "select"


def after_evolve(state: SolveState) -> list[Send] | str:
    return "finalists" if state.get("stop_reason") else _proposals(state)


def build_graph(runtime: SolveRuntime, connection: sqlite3.Connection) -> CompiledStateGraph:
    """The solve graph for ``runtime``, checkpointing into ``connection``."""
    graph = StateGraph(SolveState)
    graph.add_node("plan", Plan(runtime))
    graph.add_node("propose", Propose(runtime))
    graph.add_node("gather", Gather(runtime))
    graph.add_node("verify", Verify(runtime))
    graph.add_node("recheck", Recheck(runtime))
    graph.add_node("review", Review(runtime))
    graph.add_node("select", Select(runtime))
    graph.add_node("evolve", Evolve(runtime))
    graph.add_node("finalists", Finalists(runtime))
    graph.add_node("final", Verify(runtime, final=True))
    graph.add_node("final_recheck", Recheck(runtime, final=True))
    graph.add_node("crown", Crown(runtime))
    graph.add_node("publish", Publish(runtime))
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", after_plan, ["propose", "gather"])
    graph.add_edge("propose", "gather")
    graph.add_conditional_edges("gather", after_gather, ["verify", "review"])
    graph.add_edge("verify", "recheck")
    graph.add_edge("recheck", "review")
    graph.add_conditional_edges("review", after_review, ["propose", "select"])
    graph.add_edge("select", "evolve")
    graph.add_conditional_edges("evolve", after_evolve, ["propose", "finalists"])
    graph.add_conditional_edges("finalists", after_finalists, ["final", "publish"])
    graph.add_edge("final", "final_recheck")
    graph.add_edge("final_recheck", "crown")
    graph.add_edge("crown", "publish")
    graph.add_edge("publish", END)
    return graph.compile(checkpointer=SqliteSaver(connection))


def run_config(run_id: str, workers: int) -> dict[str, Any]:
    """The LangGraph config of a run: its thread id, the verification pool size, no step limit."""
    return {"configurable": {"thread_id": run_id}, "max_concurrency": workers, "recursion_limit": RECURSION_LIMIT}
