"""Fixtures for agent tests: a private library and verdict cache for every test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every solve test publishes into its own library and verdict cache."""
    home = tmp_path / "home"
    monkeypatch.setenv("PARAFORGE_HOME", str(home))
    monkeypatch.setenv("PARAFORGE_CACHE_DIR", str(tmp_path / "cache"))
    return home
