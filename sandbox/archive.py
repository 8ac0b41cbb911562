"""Tar archives in and out of a container: a job's files going in, its collected outputs coming back."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from sandbox.job import Job, JobError, check_relative_path
from sandbox.workdir import check_host_file


def pack_job(job: Job, root: str, uid: int) -> bytes:
    """A tar of ``job.files`` under the directory ``root``, every entry owned by ``uid``.

    Parent directories get their own entries so that the job's user owns them too, and the paths in
    ``job.executable`` get mode 0755 (the others 0644).
    """
    executable = {check_relative_path(rel) for rel in job.executable}
    files = {check_relative_path(rel): content for rel, content in job.files.items()}
    if missing := executable - files.keys():
        raise JobError(f"executable paths {sorted(map(str, missing))} are not among the job's files")
    now = time.time()

    def entry(name: PurePosixPath, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
        info = tarfile.TarInfo(str(PurePosixPath(root) / name))
        info.type, info.mode, info.size, info.mtime = kind, mode, size, now
        info.uid = info.gid = uid
        return info

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(entry(PurePosixPath("."), tarfile.DIRTYPE, 0o700))
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


def unpack_files(chunks: Iterable[bytes], parent: PurePosixPath, max_bytes: int) -> dict[str, bytes]:
    """The regular files of a tar stream, keyed by ``parent / name``; links, devices and odd names are skipped.

    Raises:
        JobError: the stream is longer than ``max_bytes``.
    """
    buffer = io.BytesIO()
    for chunk in chunks:
        buffer.write(chunk)
        if buffer.tell() > max_bytes:
            raise JobError(f"collected files exceed {max_bytes} bytes")
    buffer.seek(0)
    found: dict[str, bytes] = {}
    with tarfile.open(fileobj=buffer, mode="r:") as tar:
        for member in tar:
            if not member.isreg():
                continue
            name = str(parent / member.name) if parent != PurePosixPath(".") else member.name
            try:
                check_relative_path(name)
            except JobError:
                continue
            data = tar.extractfile(member)
            if data is not None:
                found[name] = data.read()
    return found
