"""The Ray executor: one Ray task per verification or solve, resources declared.

``address=None`` starts a local cluster (or joins the one this process already started with
``ray.init``); ``auto`` joins the cluster of this node (``ray start --head`` ran here); anything else
(``HOST:PORT`` or ``ray://HOST:PORT``) joins that cluster. Every node needs ParaForge installed, the
sandbox image (or the local toolchain) and the same Python. Units that measure take the node's
machine lock (a file lock shared by every worker process of the node), so one timing run at a time
holds each node.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from evals.executors import ExecutorUnavailable, Resources

_Result = TypeVar("_Result")


class RayExecutor:
    """Units of work as Ray tasks."""

    name = "ray"

    def __init__(self, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ExecutorUnavailable("the ray executor needs Ray: pip install 'paraforge[ray]'") from None
        self._ray = ray
        self._owns_cluster = False
        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a new local cluster"
                raise ExecutorUnavailable(f"cannot reach a Ray cluster at {where}: {exc}") from None
            self._owns_cluster = address is None
        self._remote: dict[Callable[..., Any], Any] = {}

    def submit(self, fn: Callable[..., _Result], *args: Any, resources: Resources | None = None) -> Future[_Result]:
        """``fn(*args)`` as one Ray task needing ``resources``."""
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(fn)
        resources = resources or Resources()
        options = {"num_cpus": resources.num_cpus, "num_gpus": resources.num_gpus, "max_retries": 0}
        ref = remote.options(**options).remote(*args)
        return ref.future()

    def describe(self) -> str:
        nodes = [node for node in self._ray.nodes() if node.get("Alive")]
        cpus = self._ray.cluster_resources().get("CPU", 0)
        return f"ray ({len(nodes)} node(s), {cpus:g} CPUs)"

    def close(self) -> None:
        if self._owns_cluster:
            self._ray.shutdown()
