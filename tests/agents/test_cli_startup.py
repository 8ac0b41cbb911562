"""The ``agent`` command line starts without importing the solver, the verifiers or their dependencies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agents import sandbox_cli
from sandbox.constants import DEFAULT_IMAGE
from sandbox.images.spec import DEFAULT_MIRROR

ROOT = Path(__file__).resolve().parents[2]

HEAVY = [
    "langgraph",
    "langchain_core",
    "litellm",
    "numpy",
    "docker",
    "ray",
    "torch",
    "matplotlib",
    "tree_sitter",
    "kernels_library",
    "verifiers.cascade",
]
"""Modules that only the commands which run something need (each takes a noticeable part of a second)."""


def _modules_after(statement: str) -> set[str]:
    """The names in ``sys.modules`` after ``statement`` runs in a fresh interpreter."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_module() -> None:
    loaded = _modules_after("import agents.cli")
    assert "agents.cli" in loaded
    heavy = sorted(name for name in loaded if any(name == h or name.startswith(f"{h}.") for h in HEAVY))
    assert heavy == [], f"`import agents.cli` imports {heavy}; import them inside the commands that use them"


def test_sandbox_defaults_in_the_help_match_the_sandbox() -> None:
    """``agent sandbox build`` spells out its defaults (to keep the sandbox out of ``--help``); they must agree."""
    assert sandbox_cli.DEFAULT_IMAGE == DEFAULT_IMAGE
    assert sandbox_cli.DEFAULT_MIRROR == DEFAULT_MIRROR
