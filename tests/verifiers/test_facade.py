"""The verifiers' public API: a facade that callers use, and arrows that point one way."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import verifiers
import verifiers.configs

ROOT = Path(__file__).resolve().parents[2]
FACADES = {"verifiers", "verifiers.configs"}


def _imports(package: str) -> list[tuple[Path, str]]:
    """Every module that a file of ``package`` imports, with the file."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.append((path.relative_to(ROOT), node.module))
            elif isinstance(node, ast.Import):
                found.extend((path.relative_to(ROOT), alias.name) for alias in node.names)
    return found


@pytest.mark.parametrize("facade", [verifiers, verifiers.configs], ids=lambda m: m.__name__)
def test_every_public_name_resolves(facade) -> None:
    for name in facade.__all__:
        assert getattr(facade, name) is not None
    assert set(facade.__all__) <= set(dir(facade))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'evaluat'"):
        _ = verifiers.evaluat


@pytest.mark.parametrize("package", ["agents", "evals", "kernels_library"])
def test_callers_import_only_the_facade(package: str) -> None:
    private = [
        f"{path}: {module}"
        for path, module in _imports(package)
        if module.startswith("verifiers.") and module not in FACADES
    ]
    assert private == [], "import these from the `verifiers` (or `verifiers.configs`) facade"


@pytest.mark.parametrize("package", ["verifiers", "tasks", "sandbox"])
def test_lower_layers_never_import_the_agents(package: str) -> None:
    upward = [f"{path}: {module}" for path, module in _imports(package) if module.split(".")[0] in {"agents", "evals"}]
    assert upward == []


@pytest.mark.parametrize("facade", [verifiers, verifiers.configs], ids=lambda m: m.__name__)
def test_no_public_name_is_also_a_submodule(facade) -> None:
    """Importing a submodule binds its name on the package, which would hide a public name spelled the same."""
    submodules = {module.name for module in pkgutil.iter_modules(facade.__path__)}
    assert sorted(set(facade.__all__) & submodules) == []


def test_verify_workers_keeps_one_candidate_more_in_flight_than_cores(monkeypatch):
    from verifiers import verify_workers
    from verifiers.hardware import hardware_fingerprint

    three_cores = hardware_fingerprint().model_copy(update={"cores": 3})
    monkeypatch.setattr("verifiers.concurrency.hardware_fingerprint", lambda: three_cores)
    assert verify_workers() == 4
