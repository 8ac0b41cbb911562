"""The task model: kernel tasks loaded from YAML, their generated inputs, harness and comparisons."""

from tasks.loader import SUITE_DIR, TaskFileError, load_task, parse_task, resolve_task, suite_tasks
from tasks.model import KernelTask, Param, Role, Signature, Target

__all__ = [
    "SUITE_DIR",
    "KernelTask",
    "Param",
    "Role",
    "Signature",
    "Target",
    "TaskFileError",
    "load_task",
    "parse_task",
    "resolve_task",
    "suite_tasks",
]
