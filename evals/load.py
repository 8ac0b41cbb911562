"""Reading any run directory back as evaluation records: a batch run's, or a single solve's."""

from __future__ import annotations

from pathlib import Path

from evals.records import EvalResults
from evals.solve_results import is_solve_run, results_from_solve_run
from evals.store import RESULTS_FILE, ResultStore


class NotARunError(ValueError):
    """A path that holds neither an eval run nor a finished solve run."""


def load_results(path: Path) -> EvalResults:
    """The records of the run in ``path`` (``agent eval``'s or ``agent solve``'s)."""
    if (path / RESULTS_FILE).is_file():
        store = ResultStore(path / RESULTS_FILE)
        try:
            return store.results()
        except LookupError as exc:
            raise NotARunError(str(exc)) from None
        finally:
            store.close()
    if is_solve_run(path):
        return results_from_solve_run(path)
    raise NotARunError(
        f"{path} is not a run directory (no {RESULTS_FILE} of agent eval, no summary.json of agent solve)"
    )
