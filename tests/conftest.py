"""Shared fixtures. Tests never reach a real model endpoint."""

from __future__ import annotations

import shutil

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
