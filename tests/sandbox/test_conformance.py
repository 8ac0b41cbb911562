"""The conformance suite every sandbox backend must pass.

A backend may declare a guarantee unenforced (``Sandbox.unenforced``); the cases that exercise it are
then skipped with that reason, never run (a fork bomb against a backend without a pids limit would take
the host down).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import ValidationError

from sandbox import Guarantee, Job, JobStatus, Limits, Sandbox

QUICK = Limits(wall_s=20, memory_mb=512, pids=64, file_size_mb=64)
"""Limits of the cases that are not about limits."""


def require(sandbox: Sandbox, guarantee: Guarantee) -> None:
    """Skip unless ``sandbox`` enforces ``guarantee``."""
    if guarantee in sandbox.unenforced:
        pytest.skip(f"the {sandbox.name} backend declares {guarantee.value!r} unenforced")


def marker() -> str:
    """A number unique to one test, to find the test's processes by their command lines."""
    return str(400000 + secrets.randbelow(500000))


def host_processes_with(token: str) -> list[int]:
    """PIDs on the host whose command line contains ``token`` (container processes included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline:
                found.append(int(entry.name))
    return found


def assert_gone(token: str, within_s: float = 3.0) -> None:
    """Every process carrying ``token`` disappears within ``within_s``."""
    deadline = time.monotonic() + within_s
    while (alive := host_processes_with(token)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive, f"processes {alive} of the job outlived it"


def test_runs_a_command_and_reports_its_streams_and_exit_code(sandbox: Sandbox) -> None:
    result = sandbox.run(Job(command=["sh", "-c", "echo out; echo err >&2; exit 3"], limits=QUICK))
    assert result.status is JobStatus.ok, result.message
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")


def test_compiles_and_runs_an_openmp_program_and_collects_its_output(sandbox: Sandbox, clang: str) -> None:
    source = b"""
#include <omp.h>
#include <cstdio>
int main() {
  long sum = 0;
  #pragma omp parallel for reduction(+ : sum)
  for (int i = 1; i <= 1000; ++i) sum += i;
  FILE* out = std::fopen("out/result.txt", "w");
  std::fprintf(out, "%ld %d\\n", sum, omp_get_max_threads());
  return std::fclose(out);
}
"""
    script = "clang++ -O1 -fopenmp main.cpp -o main && mkdir out && ./main && ./tool"
    result = sandbox.run(
        Job(
            command=["sh", "-c", script],
            files={"main.cpp": source, "tool": b"#!/bin/sh\necho tool ran\n"},
            executable=["tool"],
            env={"OMP_NUM_THREADS": "2"},
            limits=Limits(wall_s=60, memory_mb=1024),
            collect=["out", "main.cpp"],
        )
    )
    assert result.succeeded, result.stderr or result.message
    assert result.stdout == "tool ran\n"
    assert result.files["out/result.txt"] == b"500500 2\n"
    assert result.files["main.cpp"] == source


def test_the_job_reads_an_empty_stdin(sandbox: Sandbox) -> None:
    result = sandbox.run(Job(command=["sh", "-c", "cat; echo read-all"], limits=QUICK))
    assert result.succeeded, result
    assert result.stdout == "read-all\n"


def test_large_files_go_in_and_come_back_intact(sandbox: Sandbox) -> None:
    data = secrets.token_bytes(20_000_000)
    job = Job(command=["sh", "-c", "mkdir out && cp in/data out/copy"], files={"in/data": data}, collect=["out"])
    result = sandbox.run(job.model_copy(update={"limits": QUICK}))
    assert result.succeeded, result
    assert result.files == {"out/copy": data}


def test_an_infinite_loop_times_out_and_its_whole_tree_is_gone(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.wall_time)
    token = marker()
    script = f"sleep {token} & (setsid sleep {token} &); while :; do :; done"
    result = sandbox.run(Job(command=["sh", "-c", script], limits=Limits(wall_s=1)))
    assert result.status is JobStatus.timeout, result
    assert result.wall_s < 8
    if Guarantee.process_tree not in sandbox.unenforced:
        assert_gone(token)


def test_a_fork_bomb_is_contained_and_the_host_stays_responsive(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.pids)
    token = marker()
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            began = time.monotonic()
            subprocess.run(["true"], check=True)
            latencies.append(time.monotonic() - began)
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        bomb = f": {token}; bomb() {{ bomb | bomb & }}; bomb; wait"
        result = sandbox.run(Job(command=["sh", "-c", bomb], limits=Limits(wall_s=2, pids=32)))
    finally:
        done.set()
        prober.join()
    assert result.status in (JobStatus.timeout, JobStatus.killed, JobStatus.ok), result
    assert latencies and max(latencies) < 2, f"the host took {max(latencies):.1f} s to start a process"
    assert_gone(token)


def test_a_memory_bomb_is_reported_as_oom(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.memory)
    bomb = "chunks = []\nwhile True:\n    chunks.append(bytearray(2**20))"
    result = sandbox.run(Job(command=["python3", "-c", bomb], limits=Limits(wall_s=20, memory_mb=64)))
    assert result.status is JobStatus.oom, result


def test_writing_past_the_file_size_limit_fails(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.disk)
    limit_mb = 16
    script = "head -c 1G /dev/zero > big; status=$?; wc -c < big; exit $status"
    result = sandbox.run(Job(command=["sh", "-c", script], limits=Limits(wall_s=20, file_size_mb=limit_mb)))
    assert not result.succeeded, result
    assert int(result.stdout.split()[0]) <= limit_mb * 2**20


def test_huge_output_is_capped_keeping_head_and_tail(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.output)
    size = 100_000_000
    script = f"echo BEGIN; head -c {size} /dev/zero | tr '\\000' x; echo; echo END"
    cap = 65536
    result = sandbox.run(Job(command=["sh", "-c", script], limits=Limits(wall_s=60, output_bytes=cap)))
    assert result.status is JobStatus.output_capped, result.message
    assert result.stdout.startswith("BEGIN\nxxx")
    assert result.stdout.endswith("xxx\nEND\n")
    assert result.stdout_dropped == size + len("BEGIN\n\nEND\n") - cap
    assert f"{result.stdout_dropped} bytes dropped" in result.stdout


@pytest.fixture
def listener():
    """A TCP service on the host's loopback; yields its port and the list of connections it accepted."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, peer = server.accept()
            except TimeoutError:
                continue
            accepted.append(peer)
            connection.close()

    thread = threading.Thread(target=serve)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_the_network_is_unreachable(sandbox: Sandbox, listener) -> None:
    require(sandbox, Guarantee.network)
    port, accepted = listener
    probe = f"""
import socket
for address in [("1.1.1.1", 53), ("127.0.0.1", {port})]:
    try:
        socket.create_connection(address, timeout=3).close()
        print("connected", address)
    except OSError as exc:
        print("blocked", address, exc)
"""
    result = sandbox.run(Job(command=["python3", "-c", probe], limits=QUICK))
    assert result.succeeded, result.stderr
    assert "connected" not in result.stdout
    assert result.stdout.count("blocked") == 2
    assert not accepted


def test_writes_outside_the_work_dir_fail(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.filesystem)
    token = marker()
    targets = [f"/etc/pf-{token}", f"/usr/pf-{token}", f"../pf-{token}", f"/tmp/pf-{token}", f"/var/tmp/pf-{token}"]
    script = 'for p in "$@"; do touch "$p" 2>/dev/null && echo "wrote $p"; done; true'
    result = sandbox.run(Job(command=["sh", "-c", script, "sh", *targets], limits=QUICK))
    assert result.succeeded, result
    assert "wrote" not in result.stdout


def test_the_host_environment_is_hidden(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    require(sandbox, Guarantee.environment)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-paraforge-test-secret")
    result = sandbox.run(Job(command=["env"], env={"GIVEN": "yes"}, limits=QUICK))
    assert result.succeeded, result
    assert "sk-paraforge-test-secret" not in result.stdout
    assert "OPENAI_API_KEY" not in result.stdout
    assert "GIVEN=yes" in result.stdout


def test_host_processes_are_hidden(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.host_processes)
    script = "cat /proc/[0-9]*/cmdline | tr '\\000' ' '"
    result = sandbox.run(Job(command=["sh", "-c", script], limits=QUICK))
    assert result.succeeded, result
    assert "pytest" not in result.stdout


def test_each_job_has_its_own_empty_dev_shm(sandbox: Sandbox) -> None:
    # libomp keeps a per-PID file there, and PIDs repeat across jobs' PID namespaces.
    require(sandbox, Guarantee.private_shm)
    token = marker()
    first = sandbox.run(Job(command=["sh", "-c", f"echo x > /dev/shm/pf-{token}; ls -A /dev/shm"], limits=QUICK))
    assert first.succeeded, first
    assert f"pf-{token}" in first.stdout
    second = sandbox.run(Job(command=["ls", "-A", "/dev/shm"], limits=QUICK))
    assert second.succeeded, second
    assert second.stdout.split() == []
    assert not Path(f"/dev/shm/pf-{token}").exists()


def test_a_symlink_among_the_job_files_is_rejected(sandbox: Sandbox, tmp_path: Path) -> None:
    link = tmp_path / "innocent.txt"
    link.symlink_to("/etc/passwd")
    result = sandbox.run(Job(command=["cat", "innocent.txt"], files={"innocent.txt": link}, limits=QUICK))
    assert result.status is JobStatus.sandbox_error
    assert "symlink" in result.message
    assert "root:" not in result.stdout


HOSTILE_NAMES = {
    "absolute": "/etc/cron.d/evil",
    "parent": "../escape",
    "nested-parent": "a/../../escape",
    "nul": "nul\x00name",
    "long": "x" * 5000,
}


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_hostile_file_names_are_rejected_with_a_clear_error(sandbox: Sandbox, name: str) -> None:
    for field in ("files", "collect"):
        value = {name: b"x"} if field == "files" else [name]
        with pytest.raises(ValidationError, match="job file path"):
            Job(command=["true"], **{field: value})
        unchecked = Job.model_construct(command=["true"], **{field: value})
        result = sandbox.run(unchecked)
        assert result.status is JobStatus.sandbox_error, f"{field}: {result}"
        assert "job file path" in result.message


def test_a_background_process_is_killed_before_the_next_job(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.process_tree)
    token = marker()
    leave = f"setsid sleep {token} </dev/null >/dev/null 2>&1 & echo left"
    first = sandbox.run(Job(command=["sh", "-c", leave], limits=QUICK))
    assert first.succeeded and first.stdout == "left\n", first
    assert_gone(token)
    second = sandbox.run(Job(command=["sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\000' ' '"], limits=QUICK))
    assert second.succeeded, second
    assert token not in second.stdout


def test_a_job_that_kills_its_supervisor_still_loses_its_background_process(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.process_tree)
    token = marker()
    script = f"setsid sleep {token} </dev/null >/dev/null 2>&1 & kill -9 $(cut -d' ' -f4 /proc/$PPID/stat) $PPID"
    sandbox.run(Job(command=["sh", "-c", script], limits=QUICK))
    assert_gone(token)
    after = sandbox.run(Job(command=["echo", "next"], limits=QUICK))
    assert after.succeeded and after.stdout == "next\n", after


@pytest.mark.slow
def test_a_job_that_kills_its_supervisor_and_lingers_is_still_stopped(sandbox: Sandbox) -> None:
    require(sandbox, Guarantee.wall_time)
    token = marker()
    parents = "up=$(cut -d' ' -f4 /proc/$PPID/stat); [ $up -gt 1 ] && kill -9 $up; kill -9 $PPID"
    result = sandbox.run(Job(command=["sh", "-c", f"{parents}; exec sleep {token}"], limits=Limits(wall_s=1)))
    assert result.status in (JobStatus.timeout, JobStatus.killed), result
    assert result.wall_s < 10
    assert_gone(token)


def test_collected_symlinks_are_skipped(sandbox: Sandbox) -> None:
    script = "mkdir out && echo ok > out/real && ln -s /etc/passwd out/link && ln -s /etc/passwd top"
    result = sandbox.run(Job(command=["sh", "-c", script], collect=["out", "top", "absent"], limits=QUICK))
    assert result.succeeded, result
    assert result.files == {"out/real": b"ok\n"}


@pytest.mark.gpu
def test_a_gpu_job_sees_the_gpu(sandbox: Sandbox) -> None:
    if not Path("/dev/nvidiactl").exists():
        pytest.skip("no NVIDIA GPU on this machine")
    result = sandbox.run(Job(command=["nvidia-smi", "-L"], limits=Limits(wall_s=60, gpu=True)))
    assert result.succeeded, result.stderr or result.message
    assert "GPU" in result.stdout


def test_while_running_is_held_while_the_command_runs(sandbox: Sandbox) -> None:
    """``Job.while_running`` is entered once before the command starts and left once after it ends."""
    token, inside, events, observed = marker(), threading.Event(), [], []

    @contextmanager
    def hold() -> Iterator[None]:
        events.append("enter")
        inside.set()
        yield
        inside.clear()
        events.append("exit")

    def watch() -> None:
        deadline = time.monotonic() + 20
        while not observed and time.monotonic() < deadline:
            if host_processes_with(f": {token}"):
                observed.append(inside.is_set())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    job = Job(command=["sh", "-c", f"sleep 2; : {token}; echo done > out"], collect=["out"], limits=QUICK)
    result = sandbox.run(job.model_copy(update={"while_running": hold}))
    watcher.join(25)
    assert result.files["out"] == b"done\n"
    assert events == ["enter", "exit"]
    assert observed == [True], "the command was seen running outside while_running (or not at all)"
