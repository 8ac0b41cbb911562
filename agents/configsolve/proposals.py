"""Where config candidates come from: the analytical search, a model, or layout files written elsewhere.

Every proposal is only a layout and where it came from; the config verifiers decide. A reply or
file that holds no usable layout becomes a proposal with a ``problem``, never an exception.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from agents.budget import Usage
from agents.configsearch.serve_search import NoFeasibleServeLayout, search_serve_layouts
from agents.configsearch.train_search import NoFeasibleLayout, search_train_layouts
from agents.model_client import ModelClient, ModelError
from agents.prompts import render
from tasks.configs.layout import ServeLayout, TrainLayout
from tasks.configs.model import ConfigTask, Objective, TrainConfigTask
from verifiers.configs import LayoutError, parse_layout

PROMPTS = "configs"
LAYOUT_SUFFIXES = (".json", ".yaml", ".yml")
BEST = "the analytical search's best predicted layout"
_JSON_BLOCK = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


class ConfigProposal(BaseModel):
    """One proposed layout (as plain data), or the problem that kept a source from giving one."""

    model_config = ConfigDict(extra="forbid")

    layout: dict[str, Any] | None = None
    origin: str
    rationale: str = ""
    problem: str | None = None

    @property
    def digest(self) -> str:
        """Content hash of the layout (its rationale aside), so the same layout is verified once."""
        fields = {key: value for key, value in (self.layout or {}).items() if key != "rationale"}
        return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


class NoFeasibleConfig(Exception):
    """No layout of the task fits or meets its targets; the message has the numbers."""


def _layout_data(layout: TrainLayout | ServeLayout) -> dict[str, Any]:
    return layout.model_dump(mode="json", exclude={"rationale"})


def search_proposals(task: ConfigTask, keep: int) -> tuple[list[ConfigProposal], dict[str, Any]]:
    """The search's best layout and runners-up as proposals, plus a summary of the search (``ranked``:
    each proposal's layout with its objective value).

    Raises:
        NoFeasibleConfig: nothing fits the cluster (or, for serving, nothing meets the targets).
    """
    try:
        if isinstance(task, TrainConfigTask):
            train = search_train_layouts(task, keep=keep)
            ranked = [train.best, *train.alternatives]
            proposals = [
                ConfigProposal(layout=_layout_data(entry.layout), origin="search", rationale=entry.reason or BEST)
                for entry in ranked
            ]
            summary = {"evaluated": train.evaluated, "feasible": train.feasible, "seconds": train.seconds}
            values = [entry.objective_value for entry in ranked]
            summary["rejected"] = [{"layout": _layout_data(r.layout), "reason": r.reason} for r in train.rejected]
        else:
            serve = search_serve_layouts(task, keep=keep)
            best = ConfigProposal(layout=_layout_data(serve.best), origin="search", rationale=BEST)
            proposals = [best] + [
                ConfigProposal(layout=_layout_data(alt.layout), origin="search", rationale=alt.reason)
                for alt in serve.alternatives
            ]
            summary = {"evaluated": serve.considered, "feasible": serve.considered - serve.invalid - serve.too_large}
            values = [serve.objective_value] + [alt.objective_value for alt in serve.alternatives]
    except (NoFeasibleLayout, NoFeasibleServeLayout) as exc:
        raise NoFeasibleConfig(str(exc)) from None
    summary["ranked"] = [{"layout": p.layout, "value": value} for p, value in zip(proposals, values, strict=True)]
    return proposals, summary


def directory_proposals(folder: Path) -> list[ConfigProposal]:
    """One proposal per ``*.json`` / ``*.yaml`` file of ``folder`` (a layout mapping, or a list of them)."""
    proposals = []
    for path in sorted(p for p in folder.iterdir() if p.suffix in LAYOUT_SUFFIXES):
        origin = f"file {path.name}"
        try:
            data = yaml.safe_load(path.read_text())  # JSON is YAML
        except (OSError, yaml.YAMLError) as exc:
            proposals.append(ConfigProposal(origin=origin, problem=f"cannot read {path}: {exc}"))
            continue
        proposals += _from_data(data, origin)
    return proposals


def _from_data(data: Any, origin: str) -> list[ConfigProposal]:
    items = data if isinstance(data, list) else [data]
    proposals = []
    for index, item in enumerate(items):
        where = origin if len(items) == 1 else f"{origin} #{index + 1}"
        if not isinstance(item, dict):
            proposals.append(ConfigProposal(origin=where, problem=f"expected a layout mapping, got {item!r:.80}"))
            continue
        layout = {key: value for key, value in item.items() if key != "rationale"}
        proposals.append(ConfigProposal(layout=layout, origin=where, rationale=str(item.get("rationale", ""))))
    return proposals


def parse_reply(text: str, origin: str) -> list[ConfigProposal]:
    """The layouts of a model's reply: the first JSON block (or the whole reply) as a list of layouts."""
    match = _JSON_BLOCK.search(text)
    body = match.group(1) if match else text
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return [ConfigProposal(origin=origin, problem=f"the reply holds no JSON list of layouts ({exc.msg})")]
    return _from_data(data, origin)


def check_proposal(task: ConfigTask, proposal: ConfigProposal) -> TrainLayout | ServeLayout | str:
    """The proposal's layout, validated, or the problem that keeps it from being one."""
    if proposal.problem is not None:
        return proposal.problem
    try:
        return parse_layout(task, proposal.layout)
    except LayoutError as exc:
        return str(exc)


class LLMConfigProposer:
    """Layouts proposed (and explained) by a model, given the search's findings and earlier feedback."""

    def __init__(self, client: ModelClient) -> None:
        self.client = client

    def propose(
        self, task: ConfigTask, searched: list[dict[str, Any]], feedback: list[str], count: int, sample: int
    ) -> tuple[list[ConfigProposal], Usage]:
        """``count`` layouts at most; a failed call or a malformed reply becomes one proposal with a problem."""
        prompt = render(PROMPTS, "propose", count=count, **_task_fields(task, searched, feedback))
        messages = [{"role": "system", "content": render(PROMPTS, "system")}, {"role": "user", "content": prompt}]
        origin = self.client.config.model
        try:
            reply = self.client.complete(messages, temperature=0.7, sample=sample)
        except ModelError as exc:
            return [ConfigProposal(origin=origin, problem=f"model call failed: {exc}")], Usage()
        return parse_reply(reply.text, origin)[:count], reply.usage


def _task_fields(task: ConfigTask, searched: list[dict[str, Any]], feedback: list[str]) -> dict[str, object]:
    layout_model = TrainLayout if isinstance(task, TrainConfigTask) else ServeLayout
    fields = "\n".join(
        f"- {name}: {info.description or info.annotation} [{info.default}]"
        for name, info in layout_model.model_fields.items()
        if name != "rationale"
    )
    throughput = task.objective is Objective.throughput
    unit = "tokens/s" if isinstance(task, TrainConfigTask) else "output tokens/s within the latency targets"
    unit = unit if throughput else "GPU-seconds per token, lower is better"
    search = "\n".join(f"- {json.dumps(entry['layout'])}: {entry['value']}" for entry in searched) or "(none)"
    notes = "Feedback on earlier proposals:\n" + "\n".join(f"- {line}" for line in feedback) + "\n" if feedback else ""
    return {
        "name": task.name,
        "kind": task.kind.value,
        "description": task.description.strip() or "(none)",
        "model": task.model.model_dump_json(exclude_none=True),
        "cluster": task.cluster.model_dump_json(exclude_none=True),
        "workload": task.workload.model_dump_json(exclude_none=True),
        "frameworks": ", ".join(framework.value for framework in task.frameworks),
        "objective": task.objective.value,
        "objective_unit": unit,
        "fields": fields,
        "search": search,
        "feedback": notes,
    }
