"""One hardened sandbox container: how it is made, and the calls that run a job in it.

The container idles (``sleep infinity`` under Docker's init, as uid 0 with no capabilities, so that the
job cannot signal it) until a job is exec'd into it as the unprivileged job user. Its root file system
is read-only; the only writable place of any size is ``/work``, an anonymous tmpfs volume with a size
limit (a volume, so that ``put_archive``/``get_archive`` reach it despite the read-only root).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import docker
from docker.models.containers import Container
from docker.types import DeviceRequest, DriverConfig, Mount, Ulimit

from sandbox.archive import unpack_files
from sandbox.container_script import SETUP_FAILED, SETUP_MESSAGE, WORK_ROOT
from sandbox.job import Job, Limits, check_relative_path
from sandbox.output import CappedBuffer
from sandbox.ownership import sandbox_labels

JOB_UID = 65534
"""The job's user and group (``nobody``)."""
_SANDBOX_PROCESSES = 4
"""Processes of the sandbox itself inside the container (init, idle process, job script, timeout)."""
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_NOFILE = 4096
_HOST_GRACE_S = 5.0
"""How long past its wall time (plus the script's own kill grace) the host waits before killing the container."""


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
    stdout: CappedBuffer
    stderr: CappedBuffer
    started_at: float
    """Epoch time the exec started (for the daemon's event log)."""

    @property
    def setup_failed(self) -> bool:
        """The job script could not prepare the job, which did not run."""
        return self.exit_code == SETUP_FAILED and SETUP_MESSAGE in self.stderr.text()


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

    def put_archive(self, archive: bytes) -> None:
        """Unpack a tar (made by :func:`sandbox.archive.pack_job`) into the work root."""
        if not self.container.put_archive(WORK_ROOT, archive):
            raise docker.errors.APIError(f"put_archive into {self.name} failed")

    def start_exec(self, command: list[str], env: dict[str, str]) -> tuple[str, Iterator, float]:
        """Start ``command`` as the job user; return the exec id, its (stdout, stderr) stream and start time."""
        api = self.client.api
        exec_id = api.exec_create(self.container.id, command, user=f"{JOB_UID}:{JOB_UID}", environment=env)["Id"]
        started_at = time.time()
        return exec_id, api.exec_start(exec_id, stream=True, demux=True), started_at

    def finish_exec(self, exec_id: str, stream: Iterator, started_at: float, limits: Limits) -> ExecOutcome:
        """Read the exec's output under the caps until it ends, or kill the container past the deadline."""
        out, err = CappedBuffer(limits.output_bytes), CappedBuffer(limits.output_bytes)
        begun = time.monotonic()
        pump = threading.Thread(target=_pump, args=(stream, out, err), daemon=True)
        pump.start()
        pump.join(limits.wall_s + 1 + _HOST_GRACE_S)
        wall = time.monotonic() - begun
        if pump.is_alive():
            self.kill()
            pump.join(_HOST_GRACE_S)
            return ExecOutcome(None, True, wall, out, err, started_at)
        return ExecOutcome(self._exit_code(exec_id), False, wall, out, err, started_at)

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

    def collect(self, paths: list[str], max_bytes: int) -> dict[str, bytes]:
        """The regular files at ``paths`` (dirs recursively) in the work dir; symlinks are skipped."""
        found: dict[str, bytes] = {}
        for rel in paths:
            pure = check_relative_path(rel)
            try:
                chunks, stat = self.container.get_archive(f"{WORK_ROOT}/{pure}")
            except docker.errors.NotFound:
                continue
            if stat.get("linkTarget"):
                continue
            budget = max_bytes - sum(map(len, found.values()))
            found.update(unpack_files(chunks, pure.parent, budget))
        return found

    def kill(self) -> None:
        """SIGKILL the container's init, ending every process in it (the container stays, stopped)."""
        with contextlib.suppress(docker.errors.APIError):
            self.container.kill()


def _pump(stream: Iterator[tuple[bytes | None, bytes | None]], out: CappedBuffer, err: CappedBuffer) -> None:
    try:
        for stdout, stderr in stream:
            if stdout:
                out.write(stdout)
            if stderr:
                err.write(stderr)
    except (OSError, ValueError, docker.errors.DockerException):
        pass  # the container was killed under the stream
