"""Running a task's NumPy oracle (trusted task code) on an instance."""

from __future__ import annotations

import numpy as np

from tasks.instance import Instance


class OracleError(RuntimeError):
    """The oracle failed or returned something other than the task's outputs."""


def run_oracle(instance: Instance) -> dict[str, np.ndarray]:
    """The outputs the task's oracle expects for ``instance``."""
    task = instance.task
    if task.reference.numpy is None:
        raise OracleError(f"task {task.name} has no NumPy oracle")
    namespace: dict = {"np": np, "numpy": np}
    try:
        exec(compile(task.reference.numpy, f"<{task.name} oracle>", "exec"), namespace)
    except Exception as exc:  # the oracle is task code: report whatever it raised
        raise OracleError(f"oracle of {task.name} failed to load: {type(exc).__name__}: {exc}") from exc
    oracle = namespace.get("oracle")
    if not callable(oracle):
        raise OracleError(f"oracle of {task.name} does not define a function 'oracle'")
    try:
        result = oracle(**instance.oracle_args())
    except Exception as exc:  # the oracle is task code: report whatever it raised
        raise OracleError(f"oracle of {task.name} raised {type(exc).__name__}: {exc}") from exc
    results = task.signature.results
    if not isinstance(result, dict):
        if len(results) != 1:
            raise OracleError(f"oracle of {task.name} must return a dict of {[p.name for p in results]}")
        result = {results[0].name: result}
    expected = {}
    for param in results:
        if param.name not in result:
            raise OracleError(f"oracle of {task.name} did not return output '{param.name}'")
        expected[param.name] = np.asarray(result[param.name]).astype(param.dtype.numpy).reshape(-1)
    return expected
