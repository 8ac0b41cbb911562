"""A scaled-down dry run of a training layout with torch.distributed (gloo, CPU).

``scale_down`` and the result types import without torch; ``dry_run`` starts worker processes that
import it.
"""

from verifiers.configs.dryrun.runner import DryRunResult, dry_run
from verifiers.configs.dryrun.scale import ScaledLayout, TinyModelShape, scale_down
from verifiers.configs.dryrun.spec import InjectedFault

__all__ = ["DryRunResult", "InjectedFault", "ScaledLayout", "TinyModelShape", "dry_run", "scale_down"]
