"""One hardened sandbox container: how it is made, and the calls that run a job in it.

The container idles (``sleep infinity`` under Docker's init, as uid 0 with no capabilities, so that the
job cannot signal it) until a job is exec'd into it as the unprivileged job user. Its root file system
is read-only; the only writable place of any size is ``/work``, an anonymous tmpfs volume with a size
limit.

A job is one exec of the job script (:mod:`sandbox.container_script`): the host sends the job's files
as a tar on its stdin and then a random marker, which starts the job; the script prints the marker
on stdout once the job is over, followed by a tar of the files to collect (:mod:`sandbox.exec_output`).
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import docker
from docker.models.containers import Container
from docker.types import DeviceRequest, DriverConfig, Mount, Ulimit
from docker.utils.socket import frames_iter

from sandbox.container_script import SETUP_FAILED, SETUP_MESSAGE, WORK_ROOT
from sandbox.exec_output import ExecOutput
from sandbox.job import Job, Limits
from sandbox.ownership import sandbox_labels

JOB_UID = 65534
"""The job's user and group (``nobody``)."""
_SANDBOX_PROCESSES = 4
"""Processes of the sandbox itself inside the container (init, idle process, job script, timeout)."""
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_NOFILE = 4096
_HOST_GRACE_S = 5.0
"""How long past its wall time (plus the script's own kill grace) the host waits before killing the container."""
_TRANSFER_S = 120.0
"""Longest the job's files may take to go in, or its collected files to come back."""


@dataclass(frozen=True)
class ContainerSpec:
    """The container-wide settings a job needs; jobs with equal specs can share a warm container."""

    image: str
    memory_mb: int
    pids: int
    file_size_mb: int
    cpus: float | None
    gpu: bool

    @classmethod
    def of(cls, job: Job, default_image: str) -> ContainerSpec:
        """The spec of ``job``."""
        limits = job.limits
        return cls(
            image=job.image or default_image,
            memory_mb=limits.memory_mb,
            pids=limits.pids,
            file_size_mb=limits.file_size_mb,
            cpus=limits.cpus,
            gpu=limits.gpu,
        )

    def create_args(self, name: str) -> dict:
        """Keyword arguments of ``containers.create`` for a container of this spec."""
        labels = sandbox_labels()
        memory = self.memory_mb * 2**20
        size = self.file_size_mb * 2**20
        work = Mount(
            WORK_ROOT,
            None,
            type="volume",
            no_copy=True,
            labels=labels,
            driver_config=DriverConfig(
                "local", {"type": "tmpfs", "device": "tmpfs", "o": f"size={size},uid={JOB_UID},gid={JOB_UID},mode=0700"}
            ),
        )
        args: dict = {
            "image": self.image,
            "command": ["sleep", "infinity"],
            "name": name,
            "labels": labels,
            "user": "0:0",
            "init": True,
            "read_only": True,
            "mounts": [work],
            "network_mode": "none",
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "ipc_mode": "private",
            "mem_limit": memory,
            "memswap_limit": memory,
            "pids_limit": self.pids + _SANDBOX_PROCESSES,
            "ulimits": [
                Ulimit(name="fsize", soft=size, hard=size),
                Ulimit(name="core", soft=0, hard=0),
                Ulimit(name="nofile", soft=_NOFILE, hard=_NOFILE),
            ],
            "environment": {"PATH": _PATH, "LANG": "C.UTF-8"},
            "working_dir": "/",
            "hostname": "sandbox",
        }
        if self.cpus is not None:
            args["nano_cpus"] = int(self.cpus * 1e9)
        if self.gpu:
            args["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
        return args


@dataclass
class ExecOutcome:
    """How the job's exec ended, as seen from the host."""

    exit_code: int | None
    """The job script's exit status; None when the host had to kill the container."""
    host_killed: bool
    """The job outlived its wall time plus grace and the host killed the whole container."""
    wall_s: float
    """From the job's start to its end (or to the host's kill)."""
    output: ExecOutput
    started_at: float
    """Epoch time the exec started (for the daemon's event log)."""

    @property
    def setup_failed(self) -> bool:
        """The job script could not prepare the job, which did not run."""
        return self.exit_code == SETUP_FAILED and SETUP_MESSAGE in self.output.stderr.text()


@dataclass(frozen=True)
class StartedExec:
    """An exec of the job script, started and waiting for its files."""

    exec_id: str
    stream: object
    """docker-py's socket of the exec: its stdin, and its multiplexed stdout and stderr."""
    sock: socket.socket
    """The plain socket under ``stream``, in blocking mode."""
    started_at: float


class Box:
    """A started sandbox container, running one job at a time."""

    def __init__(self, client: docker.DockerClient, spec: ContainerSpec, container: Container) -> None:
        self.client = client
        self.spec = spec
        self.container = container
        self.reused = False
        """Whether an earlier job ran in this container."""

    @staticmethod
    def new_name() -> str:
        """A fresh container name (known before creation, so that an interrupted creation can be undone)."""
        return f"paraforge-sbx-{uuid.uuid4().hex[:16]}"

    @classmethod
    def start(cls, client: docker.DockerClient, spec: ContainerSpec, name: str) -> Box:
        """Create and start a container named ``name``; on failure the caller removes it by that name."""
        container = client.containers.create(**spec.create_args(name))
        container.start()
        return cls(client, spec, container)

    @property
    def name(self) -> str:
        return self.container.name

    def start_exec(self, command: list[str], env: dict[str, str]) -> StartedExec:
        """Start ``command`` as the job user, its stdin open for the job script's input."""
        api = self.client.api
        user = f"{JOB_UID}:{JOB_UID}"
        exec_id = api.exec_create(self.container.id, command, stdin=True, user=user, environment=env)["Id"]
        started_at = time.time()
        stream = api.exec_start(exec_id, socket=True)
        sock = getattr(stream, "_sock", stream)  # a unix socket comes wrapped in a SocketIO
        sock.settimeout(None)  # before any thread uses it: the switch races with a send in progress
        return StartedExec(exec_id, stream, sock, started_at)

    def finish_exec(
        self,
        started: StartedExec,
        files: bytes,
        limits: Limits,
        collect_bytes: int,
        while_running: Callable[[], AbstractContextManager[object]],
    ) -> ExecOutcome:
        """Feed the job script its files, let the job start inside ``while_running``, and read its output.

        The container is killed if the job outlives its wall time plus a grace.

        Raises:
            docker.errors.DockerException: the files did not go in, or the collected ones did not come
                back, within :data:`_TRANSFER_S` (the container is killed), or the daemon's connection broke.
        """
        marker = secrets.token_hex(16).encode()
        output = ExecOutput(marker, limits.output_bytes, collect_bytes)
        threading.Thread(target=_pump, args=(started, output), daemon=True).start()
        feed = _Feed(started.sock, files)
        feed.start()
        feed.join(_TRANSFER_S)
        if feed.is_alive() or feed.error is not None:
            self.kill()
            raise feed.error or docker.errors.DockerException(f"the job's files did not go in within {_TRANSFER_S:g} s")
        with while_running():
            begun = time.monotonic()
            _send(started.sock, marker + b"\n")
            with contextlib.suppress(OSError):
                started.sock.shutdown(socket.SHUT_WR)
            over = output.job_over.wait(limits.wall_s + 1 + _HOST_GRACE_S)
            wall = time.monotonic() - begun
        if not over:
            self.kill()
            output.closed.wait(_HOST_GRACE_S)
            return ExecOutcome(None, True, wall, output, started.started_at)
        if not output.closed.wait(_TRANSFER_S):
            self.kill()
            raise docker.errors.DockerException(f"the collected files did not come back within {_TRANSFER_S:g} s")
        return ExecOutcome(self._exit_code(started.exec_id), False, wall, output, started.started_at)

    def _exit_code(self, exec_id: str) -> int | None:
        deadline = time.monotonic() + _HOST_GRACE_S
        while True:
            info = self.client.api.exec_inspect(exec_id)
            if not info["Running"] or time.monotonic() > deadline:
                return None if info["Running"] else info["ExitCode"]
            time.sleep(0.01)

    def oom_killed_since(self, since: float) -> bool:
        """Whether the kernel's OOM killer struck in this container since epoch time ``since``."""
        for attempt in range(2):
            if attempt:
                time.sleep(0.2)
            events = self.client.api.events(
                since=since, until=time.time(), filters={"container": self.container.id, "event": "oom"}, decode=True
            )
            if any(True for _ in events):
                return True
        return False

    def has_leftovers(self) -> bool:
        """Whether any process of the job user still lives (zombies awaiting the init's reaping aside)."""
        for attempt in range(3):
            if attempt:
                time.sleep(0.05)
            try:
                processes = self.client.api.top(self.container.id, ps_args="-o pid,uid,stat")["Processes"] or []
            except docker.errors.APIError:
                return True
            if all(uid == "0" or stat.startswith("Z") for _, uid, stat in processes):
                return False
        return True

    def kill(self) -> None:
        """SIGKILL the container's init, ending every process in it (the container stays, stopped)."""
        with contextlib.suppress(docker.errors.APIError):
            self.container.kill()


def _pump(started: StartedExec, output: ExecOutput) -> None:
    """Read the exec's frames into ``output``, then shut the socket so that a blocked send gives up."""
    try:
        output.pump(frames_iter(started.stream, tty=False))
    finally:
        with contextlib.suppress(OSError):
            started.sock.shutdown(socket.SHUT_RDWR)


def _send(sock: socket.socket, data: bytes) -> None:
    """Send ``data`` to the exec's stdin; a script that stopped reading (it failed, or was killed) is no error.

    Raises:
        docker.errors.DockerException: the connection to the daemon failed otherwise.
    """
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    except OSError as exc:
        raise docker.errors.DockerException(f"sending to the job's stdin failed: {exc}") from exc


class _Feed(threading.Thread):
    """Sends the job's files to the exec's stdin in the background, while its output is being read."""

    def __init__(self, sock: socket.socket, data: bytes) -> None:
        super().__init__(daemon=True)
        self._sock, self._data = sock, data
        self.error: docker.errors.DockerException | None = None

    def run(self) -> None:
        try:
            _send(self._sock, self._data)
        except docker.errors.DockerException as exc:
            self.error = exc
