"""Tar archives into and out of containers: modes, owners, and what is refused or skipped."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from sandbox import Job, JobError
from sandbox.archive import pack_job, unpack_collected


def members(archive: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {member.name: member for member in tar}


def test_pack_gives_every_entry_to_the_job_user_and_marks_executables(tmp_path: Path) -> None:
    host_file = tmp_path / "data.bin"
    host_file.write_bytes(b"\x00\x01")
    job = Job(command=["true"], files={"bin/run": b"#!/bin/sh\n", "in/data.bin": host_file}, executable=["bin/run"])
    entries = members(pack_job(job, uid=65534))
    assert set(entries) == {"bin", "in", "bin/run", "in/data.bin"}
    assert all(entry.uid == entry.gid == 65534 for entry in entries.values())
    assert entries["bin/run"].mode == 0o755
    assert entries["in/data.bin"].mode == 0o644
    assert entries["in/data.bin"].size == 2
    assert entries["bin"].isdir()


def test_pack_refuses_an_executable_that_is_not_a_job_file() -> None:
    with pytest.raises(JobError, match="not among the job's files"):
        pack_job(Job(command=["true"], files={"a": b""}, executable=["b"]), uid=65534)


def test_pack_refuses_a_host_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to("/etc/passwd")
    with pytest.raises(JobError, match="symlink"):
        pack_job(Job(command=["true"], files={"a": link}), uid=65534)


def tar_of(*entries: tuple[str, bytes | str]) -> bytes:
    """A tar of regular files (bytes) and symlinks (str targets)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_unpack_keeps_regular_files_only_and_skips_hostile_names() -> None:
    archive = tar_of(("out/a", b"A"), ("out/link", "/etc/passwd"), ("../evil", b"E"), ("out/sub/b", b"B"))
    found = unpack_collected(archive, ["out"], max_bytes=len(archive))
    assert found == {"out/a": b"A", "out/sub/b": b"B"}


def test_unpack_keeps_only_what_was_asked_for() -> None:
    archive = tar_of(("out", b"x"), ("outer", b"y"), ("other/out", b"z"), ("dir/file", b"w"))
    assert unpack_collected(archive, ["out", "dir"], max_bytes=10**6) == {"out": b"x", "dir/file": b"w"}


def test_unpack_stops_past_its_byte_budget() -> None:
    archive = tar_of(("big", b"x" * 100_000))
    with pytest.raises(JobError, match="exceed"):
        unpack_collected(archive, ["big"], max_bytes=50_000)


def test_unpack_refuses_what_is_not_a_tar() -> None:
    with pytest.raises(JobError, match="unreadable"):
        unpack_collected(b"not a tar at all" * 64, ["out"], max_bytes=10**6)
