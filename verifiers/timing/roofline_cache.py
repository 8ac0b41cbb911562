"""The roofline, measured once per hardware fingerprint (and sandbox backend and thread count) and kept on disk.

Measurements live in ``$PARAFORGE_HOME/roofline/`` (default ``~/.cache/paraforge/roofline/``), one
JSON file per fingerprint, backend and thread count. Delete a file to measure again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from sandbox import Sandbox
from verifiers.hardware import hardware_fingerprint
from verifiers.timing.roofline import Roofline
from verifiers.timing.roofline_probe import measure_roofline

_memo: dict[Path, Roofline] = {}


def paraforge_home() -> Path:
    """ParaForge's cache dir: ``$PARAFORGE_HOME``, else ``~/.cache/paraforge``."""
    return Path(os.environ.get("PARAFORGE_HOME") or Path.home() / ".cache" / "paraforge")


def roofline_path(sandbox: Sandbox, threads: int) -> Path:
    """Where the roofline for this machine, backend and thread count is kept."""
    return paraforge_home() / "roofline" / f"{hardware_fingerprint().digest[:16]}-{sandbox.name}-{threads}t.json"


def machine_roofline(
    sandbox: Sandbox, threads: int, *, probe: Callable[[Sandbox, int], Roofline] = measure_roofline
) -> Roofline:
    """The cached roofline, or a fresh measurement by ``probe`` (then cached)."""
    path = roofline_path(sandbox, threads)
    if path in _memo:
        return _memo[path]
    try:
        roofline = Roofline.model_validate_json(path.read_text())
    except (OSError, ValidationError):
        roofline = probe(sandbox, threads)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            tmp.write(roofline.model_dump_json(indent=2))
        Path(tmp.name).replace(path)
    _memo[path] = roofline
    return roofline
