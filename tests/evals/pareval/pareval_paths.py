"""Where the importer's test fixtures are: a miniature checkout in ParEval's layout and recorded outputs."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
CHECKOUT = FIXTURES / "pareval"
GENERATED_OUTPUTS = FIXTURES / "outputs" / "generated-outputs.json"
"""Outputs as ParEval's generate scripts write them: strings."""
RESULTS = FIXTURES / "outputs" / "results.json"
"""Outputs as ParEval's run-all.py writes them: objects with its build, validity and timing verdicts."""
