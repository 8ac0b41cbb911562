"""The local backend says which guarantees it cannot keep, depending on what the machine allows."""

from __future__ import annotations

import pytest

from sandbox import Guarantee
from sandbox.local import LocalSandbox, _Isolation


def test_the_unenforced_guarantees_are_named_from_the_shared_list() -> None:
    unenforced = LocalSandbox().unenforced
    assert Guarantee.filesystem in unenforced
    assert all(isinstance(gap, Guarantee) for gap in unenforced)


@pytest.mark.parametrize(
    ("isolation", "expected"),
    [
        (_Isolation(namespaces=True, drop_to_nobody=True), {"filesystem"}),
        (_Isolation(namespaces=True, drop_to_nobody=False), {"filesystem", "pids"}),
        (
            _Isolation(namespaces=False, drop_to_nobody=False),
            {"filesystem", "pids", "network", "host-processes", "process-tree"},
        ),
    ],
)
def test_each_missing_isolation_shows_in_unenforced(isolation: _Isolation, expected: set[str]) -> None:
    assert isolation.unenforced == expected


def test_without_namespaces_the_job_runs_bare() -> None:
    assert _Isolation(namespaces=False, drop_to_nobody=False).prefix(network=False) == []
