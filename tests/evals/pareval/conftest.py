"""Fixtures for the ParEval importer: a miniature checkout in ParEval's layout, imported once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pareval_paths import CHECKOUT, GENERATED_OUTPUTS

from evals.pareval import ImportReport, import_pareval


@pytest.fixture
def checkout_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture checkout, for tests that break it."""
    target = tmp_path / "ParEval"
    shutil.copytree(CHECKOUT, target)
    return target


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportReport]:
    """The fixture checkout's omp prompts imported with the generated outputs: (output folder, report)."""
    out = tmp_path_factory.mktemp("imported")
    return out, import_pareval(CHECKOUT, "omp", out, outputs=GENERATED_OUTPUTS)
