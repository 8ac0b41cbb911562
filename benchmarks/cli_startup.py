"""Start-up time of the ``agent`` command line: ``agent --help`` end to end, and ``import agents.cli``.

Run: ``python benchmarks/cli_startup.py [--runs 5]``. Prints the median wall time of
``python -m agents.cli --help`` and the median import time of ``agents.cli`` (``-X importtime``'s
cumulative figure) over the runs, each in a fresh interpreter. Target: the import well under 0.4 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

ROOT = Path(__file__).resolve().parents[1]


def help_wall_s() -> float:
    """Wall time of one ``python -m agents.cli --help``."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "agents.cli", "--help"], cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - start


def import_s() -> float:
    """Cumulative import time of ``agents.cli`` as ``python -X importtime`` reports it."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import agents.cli"], cwd=ROOT,
                            capture_output=True, text=True, check=True)  # fmt: skip
    for line in result.stderr.splitlines():
        fields = [field.strip() for field in line.removeprefix("import time:").split("|")]
        if len(fields) == 3 and fields[2] == "agents.cli":
            return int(fields[1]) / 1e6
    raise RuntimeError("-X importtime did not report agents.cli")


def main(runs: Annotated[int, typer.Option(help="Fresh interpreters per measurement.")] = 5) -> None:
    helps = [help_wall_s() for _ in range(runs)]
    imports = [import_s() for _ in range(runs)]
    print(f"python -m agents.cli --help: median {statistics.median(helps):.3f} s over {runs} runs "
          f"(min {min(helps):.3f}, max {max(helps):.3f})")  # fmt: skip
    print(f"import agents.cli:           median {statistics.median(imports):.3f} s over {runs} runs "
          f"(min {min(imports):.3f}, max {max(imports):.3f})")  # fmt: skip


if __name__ == "__main__":
    typer.run(main)
