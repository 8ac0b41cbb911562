"""The task model: kernel and config tasks loaded from YAML, generated inputs, harnesses, comparisons, and
code analysis of kernels (:mod:`tasks.codeanalysis`)."""

from tasks.loader import (
    CONFIG_SUITE_DIR,
    SUITE_DIR,
    Task,
    TaskFileError,
    config_suite_tasks,
    load_task,
    parse_task,
    resolve_task,
    suite_tasks,
)
from tasks.model import KernelTask, Param, Role, Signature, Target

__all__ = [
    "CONFIG_SUITE_DIR",
    "SUITE_DIR",
    "KernelTask",
    "Param",
    "Role",
    "Signature",
    "Target",
    "Task",
    "TaskFileError",
    "config_suite_tasks",
    "load_task",
    "parse_task",
    "resolve_task",
    "suite_tasks",
]
