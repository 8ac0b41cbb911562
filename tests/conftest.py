"""Shared fixtures. Tests never reach a real model endpoint."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import open_sandbox


@pytest.fixture(scope="session")
def local_sandbox():
    """The local subprocess backend."""
    sandbox = open_sandbox("local")
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="session")
def clang() -> str:
    """Path of clang++, or skip: the compile paths need it."""
    path = shutil.which("clang++")
    if path is None:
        pytest.skip("clang++ is not installed (apt-get install clang libomp-dev)")
    return path


@pytest.fixture
def bin_without_compiler() -> Iterator[Path]:
    """A folder of links to every tool of the usual PATH but clang, readable by a sandbox's job user:
    a job whose PATH is this folder has a system without the compiler."""
    folder = Path(tempfile.mkdtemp(prefix="paraforge-nocc-"))
    folder.chmod(0o755)
    for tool in (t for d in ("/usr/local/bin", "/usr/bin", "/bin") for t in Path(d).iterdir()):
        if not tool.name.startswith("clang") and not (folder / tool.name).exists():
            os.symlink(tool, folder / tool.name)
    yield folder
    shutil.rmtree(folder)
