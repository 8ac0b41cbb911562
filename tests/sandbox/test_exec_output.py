"""Splitting an exec's output stream into the job's capped streams and the collected-files tar."""

from __future__ import annotations

from collections.abc import Iterable

from sandbox.exec_output import ExecOutput

MARKER = b"0123456789abcdef"


def pumped(frames: Iterable[tuple[int, bytes]], archive_bytes: int = 1000) -> ExecOutput:
    output = ExecOutput(MARKER, output_bytes=1000, archive_bytes=archive_bytes)
    output.pump(frames)
    return output


def test_stdout_before_the_marker_and_the_archive_after_it_however_the_frames_split() -> None:
    stream = b"job says hi" + MARKER + b"TAR BYTES"
    for cut in range(1, len(stream)):
        output = pumped([(1, stream[:cut]), (2, b"err"), (1, stream[cut:])])
        assert output.stdout.text() == "job says hi", cut
        assert output.archive == b"TAR BYTES", cut
        assert output.stderr.text() == "err"
        assert output.job_over.is_set() and output.closed.is_set()


def test_without_the_marker_everything_is_stdout_and_there_is_no_archive() -> None:
    output = pumped([(1, b"partial " + MARKER[:5]), (1, b"end")])
    assert output.stdout.text() == "partial " + MARKER[:5].decode() + "end"
    assert output.archive is None
    assert output.job_over.is_set()


def test_the_job_is_over_as_soon_as_the_marker_arrives() -> None:
    output = ExecOutput(MARKER, output_bytes=1000, archive_bytes=1000)
    seen = []

    def frames():
        yield 1, b"out" + MARKER
        seen.append(output.job_over.is_set())
        yield 1, b"tar"

    output.pump(frames())
    assert seen == [True]


def test_an_archive_past_its_cap_is_cut_one_byte_over_it() -> None:
    output = pumped([(1, MARKER + b"x" * 5000)], archive_bytes=100)
    assert output.archive == b"x" * 101


def test_a_broken_stream_ends_the_output() -> None:
    def frames():
        yield 1, b"before"
        raise ConnectionResetError

    output = pumped(frames())
    assert output.stdout.text() == "before"
    assert output.closed.is_set()
