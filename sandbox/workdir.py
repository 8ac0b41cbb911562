"""Placing a job's files into a work dir and collecting its outputs, refusing anything that leaves it."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from sandbox.job import Job, JobError, check_relative_path


def populate(workdir: Path, job: Job) -> None:
    """Write ``job.files`` under ``workdir``; a host file given as a symlink is refused."""
    for rel, content in job.files.items():
        target = workdir / check_relative_path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            check_host_file(rel, content)
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)
    for rel in job.executable:
        (workdir / check_relative_path(rel)).chmod(0o755)


def check_host_file(rel: str, path: Path) -> None:
    """Refuse a host file given as job content unless it is a regular file reached without a final symlink."""
    if path.is_symlink():
        raise JobError(f"job file {rel!r} is a symlink ({path} -> {os.readlink(path)}); refusing it")
    if not path.is_file():
        raise JobError(f"job file {rel!r}: {path} is not a regular file")


def collect(workdir: Path, patterns: list[str], max_bytes: int) -> dict[str, bytes]:
    """Read back the requested files (directories recursively), skipping symlinks and special files."""
    found: dict[str, bytes] = {}
    total = 0
    root = workdir.resolve()
    for rel in patterns:
        start = workdir / check_relative_path(rel)
        candidates = [start] if not start.is_dir() or start.is_symlink() else sorted(start.rglob("*"))
        for path in candidates:
            info = path.lstat() if os.path.lexists(path) else None
            if info is None or not stat.S_ISREG(info.st_mode):
                continue
            if not path.resolve().is_relative_to(root):
                continue
            total += info.st_size
            if total > max_bytes:
                raise JobError(f"collected files exceed {max_bytes} bytes")
            found[path.relative_to(workdir).as_posix()] = path.read_bytes()
    return found
