"""Loading task files, with errors that name the file, the field and what was expected."""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tasks.configs.model import ServeConfigTask, TrainConfigTask
from tasks.model import KernelTask, TaskKind

SUITE_DIR = Path(__file__).parent / "suite"
CONFIG_SUITE_DIR = SUITE_DIR / "configs"

Task = KernelTask | TrainConfigTask | ServeConfigTask
"""Any task a file may declare, told apart by ``kind``."""
"""Where the built-in task suite lives."""

_FIELD_LINE = re.compile(r"^(?P<field>[A-Za-z_][\w.\[\]]*(?: \(\w+\))?): (?P<message>.*)$")
"""A cross-field problem line, e.g. ``inputs[0] (csr_graph): ...`` or ``sizes.test[1]: ...``."""

_MODELS: dict[str, type[Task]] = {
    TaskKind.kernel.value: KernelTask,
    TaskKind.train_config.value: TrainConfigTask,
    TaskKind.serve_config.value: ServeConfigTask,
}


class TaskFileError(ValueError):
    """A task file that cannot be read or does not describe a valid task."""

    def __init__(self, path: Path | str, problems: list[tuple[str, str]]) -> None:
        self.path = Path(path)
        self.problems = problems
        lines = [f"{self.path}: invalid task file"]
        lines += [f"  {field}: {message}" if field else f"  {message}" for field, message in problems]
        super().__init__("\n".join(lines))


def load_task(path: Path | str) -> Task:
    """Read and validate the task file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskFileError(path, [("", f"cannot read the file: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise TaskFileError(path, [("", f"not UTF-8 text (byte {exc.start}): {exc.reason}")]) from None
    return parse_task(text, source=path)


def parse_task(text: str, source: Path | str = "<string>") -> Task:
    """Validate a task given as YAML text; ``source`` names it in errors."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        raise TaskFileError(source, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    if not isinstance(data, dict):
        raise TaskFileError(source, [("", f"expected a mapping of task fields, got {type(data).__name__}")])
    kind = data.get("kind", TaskKind.kernel.value)
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        supported = ", ".join(_MODELS)
        raise TaskFileError(source, [("kind", f"task kind {kind!r} is not supported here (supported: {supported})")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise TaskFileError(source, [problem for error in exc.errors() for problem in _describe(error)]) from None


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML silently keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _describe(error: Any) -> list[tuple[str, str]]:
    field = ".".join(_loc_part(part) for part in error["loc"]).replace(".[", "[")
    message = error["msg"].removeprefix("Value error, ")
    if not field and error["type"] == "value_error":
        # Cross-field checks (tasks.validation) report one problem a line, each as "field.path: what".
        return [_split_field(line) for line in message.splitlines() if line.strip()]
    if error["type"] == "extra_forbidden":
        message = "unknown field (check its spelling)"
    elif error["type"] == "missing":
        message = "required field is missing"
    elif "input" in error and error["type"] not in ("value_error", "assertion_error"):
        message = f"{message} (got {error['input']!r})"
    return [(field, message)]


def _split_field(line: str) -> tuple[str, str]:
    match = _FIELD_LINE.match(line)
    return (match["field"], match["message"]) if match else ("", line)


def _loc_part(part: str | int) -> str:
    return f"[{part}]" if isinstance(part, int) else str(part)


def suite_tasks() -> list[KernelTask]:
    """All kernel tasks of the built-in suite, sorted by name."""
    tasks = (load_task(path) for path in SUITE_DIR.glob("*.yaml"))
    return sorted((task for task in tasks if isinstance(task, KernelTask)), key=lambda task: task.name)


def config_suite_tasks() -> list[TrainConfigTask | ServeConfigTask]:
    """The built-in training and serving config tasks, sorted by name."""
    tasks = (load_task(path) for path in CONFIG_SUITE_DIR.glob("*.yaml"))
    return sorted((task for task in tasks if not isinstance(task, KernelTask)), key=lambda task: task.name)


def resolve_task(name_or_path: str | Path) -> Task:
    """A task given by file path, or by the name of a built-in kernel or config task."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_task(path)
    for folder in (SUITE_DIR, CONFIG_SUITE_DIR):
        candidate = folder / f"{name_or_path}.yaml"
        if candidate.exists():
            return load_task(candidate)
    names = ", ".join(task.name for task in [*suite_tasks(), *config_suite_tasks()])
    raise TaskFileError(name_or_path, [("", f"no task file and no built-in task of that name (built-in: {names})")])
