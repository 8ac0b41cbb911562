"""What the docker backend does beyond the conformance suite: hardening, the warm pool, sweeping, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

docker = pytest.importorskip("docker", reason="the Docker SDK for Python is not installed")

from sandbox import Job, JobStatus, Limits  # noqa: E402
from sandbox.constants import DEFAULT_IMAGE  # noqa: E402
from sandbox.docker_backend import DockerSandbox  # noqa: E402
from sandbox.docker_client import remove_container  # noqa: E402
from sandbox.ownership import OWNER_LABEL, ROLE, ROLE_LABEL, owner_id  # noqa: E402

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def docker_sandbox(docker_client):
    sandbox = DockerSandbox(docker_client, warm=2)
    yield sandbox
    sandbox.close()


def existing(client, names: frozenset[str]) -> list[str]:
    """Those of ``names`` that name a container on the daemon."""
    listed = client.api.containers(all=True, filters={"label": f"{ROLE_LABEL}={ROLE}"})
    return [name for c in listed for name in c["Names"] if name.lstrip("/") in names]


def containers_of(client, owner_prefix: str) -> list[dict]:
    """The sandbox containers (running or not) whose owner mark starts with ``owner_prefix``."""
    listed = client.api.containers(all=True, filters={"label": f"{ROLE_LABEL}={ROLE}"})
    return [c for c in listed if c["Labels"].get(OWNER_LABEL, "").startswith(owner_prefix)]


def test_containers_are_hardened(docker_sandbox, docker_client) -> None:
    limits = Limits(memory_mb=256, pids=50, file_size_mb=8, cpus=1.5)
    result = docker_sandbox.run(Job(command=["sh", "-c", "id -u; id -g; df -k . | tail -1"], limits=limits))
    assert result.succeeded, result
    uid, gid, df = result.stdout.splitlines()
    assert (uid, gid) == ("65534", "65534")
    assert df.split()[1] == str(8 * 1024), "the work dir is a tmpfs of the file-size limit"
    [name] = docker_sandbox.container_names()
    info = docker_client.api.inspect_container(name)
    host = info["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["NetworkMode"] == "none"
    assert host["Memory"] == host["MemorySwap"] == 256 * 2**20
    assert host["PidsLimit"] >= 50
    assert host["NanoCpus"] == 1_500_000_000
    ulimits = {u["Name"]: (u["Soft"], u["Hard"]) for u in host["Ulimits"]}
    assert ulimits["core"] == (0, 0)
    assert ulimits["fsize"] == (8 * 2**20, 8 * 2**20)
    assert "nofile" in ulimits
    assert info["Config"]["Labels"][ROLE_LABEL] == ROLE
    assert not any(key.endswith("API_KEY") for key in "\n".join(info["Config"]["Env"]).split("="))


def test_a_warm_container_is_reused_and_wiped_between_jobs(docker_sandbox, docker_client) -> None:
    litter = "echo secret > mine; mkdir -p d/e; chmod 000 d; echo x > /dev/shm/left; echo done"
    first = docker_sandbox.run(Job(command=["sh", "-c", litter], files={"input": b"1"}))
    assert first.succeeded and first.stdout == "done\n", first
    look = docker_sandbox.run(Job(command=["sh", "-c", "ls -A . /dev/shm"], files={"fresh": b"2"}))
    assert look.succeeded, look
    assert look.stdout.split() == [".:", "fresh", "/dev/shm:"]
    assert len(docker_sandbox.container_names()) == 1


def test_jobs_run_in_parallel_from_threads(docker_sandbox, docker_client) -> None:
    jobs = [Job(command=["sh", "-c", "sleep 0.2; echo $0", str(n)]) for n in range(6)]
    with ThreadPoolExecutor(max_workers=3) as executor:
        results = list(executor.map(docker_sandbox.run, jobs))
    assert [r.stdout for r in results] == [f"{n}\n" for n in range(6)]
    names = docker_sandbox.container_names()
    assert 1 <= len(names) <= 2
    docker_sandbox.close()
    assert existing(docker_client, names) == []


def test_a_dead_warm_container_is_replaced(docker_sandbox, docker_client) -> None:
    assert docker_sandbox.run(Job(command=["true"])).succeeded
    [name] = docker_sandbox.container_names()
    docker_client.api.kill(name)
    result = docker_sandbox.run(Job(command=["echo", "again"], files={"f": b""}))
    assert result.succeeded and result.stdout == "again\n", result


def test_a_survivor_found_by_the_next_job_moves_that_job_to_a_fresh_container(docker_sandbox, docker_client) -> None:
    assert docker_sandbox.run(Job(command=["true"])).succeeded
    [tainted] = docker_sandbox.container_names()
    survivor = docker_client.api.exec_create(tainted, ["sleep", "300"], user="65534:65534")
    docker_client.api.exec_start(survivor["Id"], detach=True)
    result = docker_sandbox.run(Job(command=["cat", "in"], files={"in": b"untouched"}))
    assert result.succeeded and result.stdout == "untouched", result
    assert tainted not in docker_sandbox.container_names()
    assert existing(docker_client, frozenset({tainted})) == []


def test_cold_mode_leaves_no_container(docker_client) -> None:
    sandbox = DockerSandbox(docker_client, warm=0)
    try:
        result = sandbox.run(Job(command=["cat", "in"], files={"in": b"cold"}))
        assert result.succeeded and result.stdout == "cold", result
        assert sandbox.container_names() == frozenset()
    finally:
        sandbox.close()


def test_containers_of_dead_owners_are_swept_at_start(docker_client) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    host = owner_id().split(":")[0]
    dead = docker_client.containers.create(
        DEFAULT_IMAGE, ["true"], labels={ROLE_LABEL: ROLE, OWNER_LABEL: f"{host}:{finished.pid}:1"}
    )
    foreign = docker_client.containers.create(
        DEFAULT_IMAGE, ["true"], labels={ROLE_LABEL: ROLE, OWNER_LABEL: "another-host:1:1"}
    )
    try:
        DockerSandbox(docker_client).close()
        assert containers_of(docker_client, f"{host}:{finished.pid}:") == []
        assert [c["Id"] for c in containers_of(docker_client, "another-host:")] == [foreign.id]
    finally:
        for container in (dead, foreign):
            remove_container(docker_client, container.id)


@pytest.mark.parametrize("warm", [2, 0], ids=["pool", "cold"])
def test_ctrl_c_leaves_no_container_behind(docker_client, warm: int) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from sandbox import Job, Limits
        from sandbox.docker_backend import DockerSandbox  # noqa: E402
        sandbox = DockerSandbox(warm={warm})
        sandbox.run(Job(command=["true"]))
        sandbox.run(Job(command=["sleep", "60"], limits=Limits(wall_s=120)))
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    prefix = f"{owner_id().split(':')[0]}:{child.pid}:"
    try:
        deadline = time.monotonic() + 30
        while not _job_running(docker_client, prefix):
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
        assert b"KeyboardInterrupt" in stderr
    finally:
        if child.poll() is None:
            child.kill()
    assert containers_of(docker_client, prefix) == []


def test_exiting_without_close_leaves_no_container(docker_client) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from sandbox import Job
        from sandbox.docker_backend import DockerSandbox
        sandbox = DockerSandbox()
        assert sandbox.run(Job(command=["true"])).succeeded
        assert sandbox.container_names()
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr.decode()
    assert containers_of(docker_client, f"{owner_id().split(':')[0]}:{child.pid}:") == []


def _job_running(client, owner_prefix: str) -> bool:
    for container in containers_of(client, owner_prefix):
        try:
            processes = client.api.top(container["Id"], ps_args="-o pid,uid,args")["Processes"] or []
        except docker.errors.APIError:
            continue  # not running (yet, or any more)
        if any(uid != "0" and "sleep 60" in args for _, uid, args in processes):
            return True
    return False


def test_files_too_big_for_the_work_dir_are_a_clear_sandbox_error(docker_sandbox) -> None:
    job = Job(command=["true"], files={"big": b"x" * 4 * 2**20}, limits=Limits(wall_s=20, file_size_mb=1))
    result = docker_sandbox.run(job)
    assert result.status is JobStatus.sandbox_error, result
    assert "cannot unpack the job's files" in result.message


def test_the_exec_socket_blocks_before_the_files_are_sent(docker_sandbox, docker_client) -> None:
    """docker-py hands the socket over with a timeout; switching it while a send is under way loses data."""
    from sandbox.container import Box, ContainerSpec

    box = Box.start(docker_client, ContainerSpec.of(Job(command=["true"]), DEFAULT_IMAGE), Box.new_name())
    try:
        started = box.start_exec(["true"], {})
        assert started.sock.gettimeout() is None
    finally:
        remove_container(docker_client, box.name)


def test_a_gpu_job_without_a_gpu_is_a_clear_sandbox_error(docker_sandbox) -> None:
    if os.path.exists("/dev/nvidiactl"):
        pytest.skip("this machine has a GPU")
    result = docker_sandbox.run(Job(command=["nvidia-smi"], limits=Limits(gpu=True)))
    assert result.status is JobStatus.sandbox_error
    assert "no GPU is available to Docker" in result.message


def test_a_networked_job_is_refused(docker_sandbox) -> None:
    result = docker_sandbox.run(Job(command=["true"], limits=Limits(network=True)))
    assert result.status is JobStatus.sandbox_error
    assert "no network" in result.message
