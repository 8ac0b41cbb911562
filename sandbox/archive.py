"""Tar archives in and out of a container: a job's files going in, its collected outputs coming back."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path, PurePosixPath

from sandbox.job import Job, JobError, check_relative_path
from sandbox.workdir import check_host_file


def pack_job(job: Job, uid: int) -> bytes:
    """A tar of ``job.files`` at their relative paths, every entry owned by ``uid``.

    Parent directories get their own entries so that the job's user owns them too, and the paths in
    ``job.executable`` get mode 0755 (the others 0644).
    """
    executable = {check_relative_path(rel) for rel in job.executable}
    files = {check_relative_path(rel): content for rel, content in job.files.items()}
    if missing := executable - files.keys():
        raise JobError(f"executable paths {sorted(map(str, missing))} are not among the job's files")
    now = time.time()

    def entry(name: PurePosixPath, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
        info = tarfile.TarInfo(str(name))
        info.type, info.mode, info.size, info.mtime = kind, mode, size, now
        info.uid = info.gid = uid
        return info

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({parent for path in files for parent in path.parents if parent != PurePosixPath(".")})
        for directory in dirs:
            tar.addfile(entry(directory, tarfile.DIRTYPE, 0o755))
        for path, content in files.items():
            if isinstance(content, Path):
                check_host_file(str(path), content)
                content = content.read_bytes()
            mode = 0o755 if path in executable else 0o644
            tar.addfile(entry(path, tarfile.REGTYPE, mode, len(content)), io.BytesIO(content))
    return buffer.getvalue()


def unpack_collected(archive: bytes, collect: list[str], max_bytes: int) -> dict[str, bytes]:
    """The regular files of a tar at or below the ``collect`` paths, by relative path.

    Links, devices, hostile names and anything outside ``collect`` are skipped. The tar is made by
    the job's user, so it is read with the same care as anything else the job wrote.

    Raises:
        JobError: the tar is longer than ``max_bytes``, or is not a tar at all.
    """
    if len(archive) > max_bytes:
        raise JobError(f"collected files exceed {max_bytes} bytes")
    if not archive:
        return {}
    wanted = [check_relative_path(rel) for rel in collect]
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            for member in tar:
                if not member.isreg():
                    continue
                try:
                    name = check_relative_path(member.name)
                except JobError:
                    continue
                if not any(name == path or path in name.parents for path in wanted):
                    continue
                data = tar.extractfile(member)
                if data is not None:
                    found[str(name)] = data.read()
    except tarfile.TarError as exc:
        raise JobError(f"the collected files came back unreadable: {exc}") from exc
    return found
