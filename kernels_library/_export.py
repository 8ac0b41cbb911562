"""Standalone export of a library entry (C++ source, header, CMakeLists.txt) and its import back."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from kernels_library._entry import EntryRecord, Provenance
from tasks.loader import TaskFileError, parse_task
from tasks.model import KernelTask

TASK_FILE = "task.yaml"
ENTRY_FILE = "entry.json"

_CMAKE = """cmake_minimum_required(VERSION 3.16)
project({function} LANGUAGES CXX)

# {task}: {summary}
# Measured speedup over the sequential reference: {speedup:.2f}x on {cpu}.
find_package(OpenMP REQUIRED)
add_library({function} SHARED {function}.cpp)
target_compile_features({function} PRIVATE cxx_std_17)
target_compile_options({function} PRIVATE -O3 -march=native)
target_compile_options({function} PRIVATE "SHELL:-include ${{CMAKE_CURRENT_SOURCE_DIR}}/{function}.h")
target_include_directories({function} PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}})
target_link_libraries({function} PUBLIC OpenMP::OpenMP_CXX)
"""


class ExportedEntry(BaseModel):
    """What ``entry.json`` of an export holds besides the code."""

    model_config = ConfigDict(extra="forbid")

    task: str
    target: str
    speedup: float
    speedup_low: float
    speedup_high: float
    hardware_info: dict
    provenance: Provenance


def header(task: KernelTask) -> str:
    """A C/C++ header declaring the kernel with C linkage."""
    guard = f"{task.signature.function.upper()}_H"
    return (
        f"// {task.name} v{task.version}: {task.description.strip().splitlines()[0]}\n"
        f"#ifndef {guard}\n#define {guard}\n#include <stdint.h>\n#include <stdbool.h>\n\n"
        f'#ifdef __cplusplus\nextern "C" {{\n#endif\n\n{task.signature.prototype()};\n\n'
        f"#ifdef __cplusplus\n}}\n#endif\n#endif  // {guard}\n"
    )


def export_entry(record: EntryRecord, source: str, directory: Path) -> list[Path]:
    """Write a buildable folder for ``record`` into ``directory``; returns the files written."""
    task = record.task
    function = task.signature.function
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        f"{function}.cpp": source,
        f"{function}.h": header(task),
        "CMakeLists.txt": _CMAKE.format(
            function=function,
            task=task.name,
            summary=task.description.strip().splitlines()[0],
            speedup=record.speedup,
            cpu=record.hardware_info.get("cpu_model", "unknown CPU"),
        ),
        TASK_FILE: yaml.safe_dump(task.model_dump(mode="json"), sort_keys=False),
        ENTRY_FILE: ExportedEntry(
            task=task.name,
            target=record.target,
            speedup=record.speedup,
            speedup_low=record.speedup_low,
            speedup_high=record.speedup_high,
            hardware_info=record.hardware_info,
            provenance=record.provenance,
        ).model_dump_json(indent=2),
    }
    written = []
    for name, content in files.items():
        (directory / name).write_text(content)
        written.append(directory / name)
    return written


def read_export(path: Path) -> tuple[KernelTask, str, ExportedEntry | None]:
    """The task, source and recorded facts of an export folder (or of a single source file beside a task.yaml)."""
    folder = path if path.is_dir() else path.parent
    task_path = folder / TASK_FILE
    if not task_path.is_file():
        raise TaskFileError(task_path, [("", f"an import needs the task definition {TASK_FILE} beside the code")])
    task = parse_task(task_path.read_text(), source=task_path)
    source_path = path if path.is_file() else folder / f"{task.signature.function}.cpp"
    if not source_path.is_file():
        raise FileNotFoundError(f"no kernel source {source_path}")
    entry_path = folder / ENTRY_FILE
    facts = ExportedEntry.model_validate(json.loads(entry_path.read_text())) if entry_path.is_file() else None
    return task, source_path.read_text(), facts
