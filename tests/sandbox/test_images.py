"""The toolchain image: one package list for both build paths, the doctor's checks and exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents import sandbox_cli
from agents.cli import app
from sandbox import Job, JobResult, JobStatus, available_backends
from sandbox.images import DEFAULT_IMAGE, MissingPrerequisite, build_with_bootstrap, docker_available, packages
from sandbox.images import bootstrap as bootstrap_module
from sandbox.images import rootfs as rootfs_steps
from sandbox.images.build import require_tool
from sandbox.images.probe import DockerStatus, docker_client, find_image
from sandbox.images.spec import CMD, DOCKERFILE, ENV, LABELS, USER, WORKDIR, import_changes

runner = CliRunner()


def _doctor(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["sandbox", "doctor", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def _statuses(report: dict) -> dict[str, str]:
    return {check["name"]: check["status"] for check in report["checks"]}


def _dockerfile_instructions(name: str) -> list[str]:
    pattern = re.compile(rf"^{name}\s+(.*)$", re.MULTILINE)
    return pattern.findall(DOCKERFILE.read_text())


# --- one definition for both build paths ------------------------------------------------------------


def test_package_list_holds_the_toolchain() -> None:
    names = packages()
    assert {"clang", "libomp-dev", "libclang-rt-14-dev", "llvm-14", "lld-14", "python3-numpy", "valgrind"} <= set(names)
    assert len(names) == len(set(names)), "a package is listed twice"


def test_dockerfile_and_debootstrap_install_the_same_list(tmp_path: Path) -> None:
    dockerfile = DOCKERFILE.read_text()
    assert re.search(r"^COPY packages\.txt setup\.sh ", dockerfile, re.MULTILINE)
    assert len(re.findall(r"apt-get install", dockerfile)) == 1, "the Dockerfile must install packages.txt only"
    assert re.search(r"/tmp/paraforge/packages\.txt \| xargs apt-get install", dockerfile)
    assert "sh /tmp/paraforge/setup.sh" in dockerfile
    for name in packages():
        assert not re.search(rf"install[^\n]*\b{re.escape(name)}\b", dockerfile), f"{name} hard-coded in the Dockerfile"
    command = rootfs_steps.debootstrap_command(tmp_path)
    include = next(arg for arg in command if arg.startswith("--include="))
    assert include.removeprefix("--include=").split(",") == list(packages())
    assert command[:2] == ["debootstrap", "--variant=minbase"]


def test_dockerfile_config_matches_the_import_config() -> None:
    labels = dict(re.match(r'(\S+)="(.*)"$', line).groups() for line in _dockerfile_instructions("LABEL"))
    assert labels == LABELS
    env = dict(re.match(r'(\w+)="(.*)"$', line).groups() for line in _dockerfile_instructions("ENV"))
    assert env == ENV
    assert _dockerfile_instructions("WORKDIR") == [WORKDIR]
    assert _dockerfile_instructions("USER")[-1] == USER
    assert json.loads(_dockerfile_instructions("CMD")[0]) == CMD
    changes = import_changes()
    assert f"ENV PATH={ENV['PATH']}" in changes
    assert {f"WORKDIR {WORKDIR}", f"USER {USER}", f'CMD ["{CMD[0]}"]'} <= set(changes)
    assert 'LABEL io.paraforge.build="bootstrap"' in changes


# --- build prerequisites and cleanup -----------------------------------------------------------------


def test_missing_tool_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingPrerequisite, match=r"apt-get install debootstrap"):
        require_tool("debootstrap", "debootstrap")


def test_build_without_a_daemon_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    result = runner.invoke(app, ["sandbox", "build", "--bootstrap", "--tag", "paraforge-toolchain:never"])
    assert result.exit_code == 2
    assert "no Docker daemon answers" in result.output


def test_rootfs_removal_does_not_follow_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("host file")
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "link").symlink_to(outside)
    rootfs_steps.remove(rootfs)
    assert not rootfs.exists()
    assert (outside / "keep").read_text() == "host file"


# --- doctor ------------------------------------------------------------------------------------------


def test_doctor_passes_on_the_local_backend(clang: str) -> None:
    code, report = _doctor("--backend", "local")
    statuses = _statuses(report)
    assert code == 0, report
    assert report["backend"] == "local" and report["ok"]
    assert {statuses[name] for name in ("tools", "openmp", "tsan-race", "tsan-reduction", "asan")} <= {"ok", "warn"}
    assert statuses["openmp"] == "ok" and statuses["tsan-reduction"] == "ok"


class _NoCompiler:
    """A sandbox whose toolchain is missing: every job fails as a shell without clang++ would."""

    name = "broken"
    unenforced = frozenset()

    def run(self, job: Job) -> JobResult:
        return JobResult(status=JobStatus.ok, exit_code=127, stderr="sh: 1: clang++: not found\n")

    def close(self) -> None:
        pass


def test_doctor_exits_non_zero_when_a_check_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_cli, "open_sandbox", lambda backend: _NoCompiler())
    monkeypatch.setattr(sandbox_cli, "docker_status", lambda: DockerStatus(available=False, error="not in this test"))
    code, report = _doctor()
    assert code == 1
    assert not report["ok"]
    assert _statuses(report)["tools"] == "fail"
    assert _statuses(report)["extras"] == "warn", "an optional check only warns"
    assert "clang++: not found" in report["checks"][0]["detail"]
    table = runner.invoke(app, ["sandbox", "doctor"])
    assert table.exit_code == 1
    assert "FAIL" in table.stdout


def test_doctor_rejects_an_unknown_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_cli, "docker_status", lambda: DockerStatus(available=False, error="not in this test"))
    code, report = _doctor("--backend", "no-such-backend")
    assert code == 2
    assert "no-such-backend" in report["error"]


# --- docker ------------------------------------------------------------------------------------------


@pytest.fixture
def toolchain_image() -> str:
    """:data:`DEFAULT_IMAGE`, or skip: no daemon, or the image is not built."""
    if not docker_available():
        pytest.skip("no Docker daemon answers (.ci/install-docker.sh starts one)")
    if find_image(docker_client(), DEFAULT_IMAGE) is None:
        pytest.skip(f"{DEFAULT_IMAGE} is not built (agent sandbox build --bootstrap)")
    return DEFAULT_IMAGE


@pytest.mark.docker
def test_doctor_passes_on_the_docker_backend(toolchain_image: str) -> None:
    if "docker" not in available_backends():
        pytest.skip("the docker sandbox backend is not registered in sandbox.registry")
    code, report = _doctor("--backend", "docker", "--image", toolchain_image)
    assert code == 0, report
    assert report["backend"] == "docker"
    assert set(_statuses(report).values()) <= {"ok", "warn"}


@pytest.mark.docker
def test_bootstrap_build_reuses_an_existing_image(toolchain_image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("debootstrap ran although the image exists")

    monkeypatch.setattr(bootstrap_module.rootfs_steps, "debootstrap", must_not_run)
    result = build_with_bootstrap(toolchain_image, on_progress=lambda line: None)
    assert result.reused and result.tag == toolchain_image


@pytest.mark.slow
@pytest.mark.docker
def test_bootstrap_build_from_scratch() -> None:
    """The whole bootstrap path (a few minutes, needs root and the Debian mirror), to a throwaway tag."""
    if not docker_available():
        pytest.skip("no Docker daemon answers")
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        pytest.skip("needs root and debootstrap")
    tag = "paraforge-toolchain:pytest"
    client = docker_client()
    scratch = Path("/var/tmp")
    before = set(scratch.glob("paraforge-rootfs-*"))
    try:
        result = build_with_bootstrap(tag, force=True, workdir=scratch, on_progress=lambda line: None)
        assert not result.reused and result.image.build == "bootstrap" and result.image.current
        assert set(scratch.glob("paraforge-rootfs-*")) == before, "the rootfs was not cleaned up"
        config = client.images.get(tag).attrs["Config"]
        assert config["User"] == USER and config["WorkingDir"] == WORKDIR
        assert f"PATH={ENV['PATH']}" in config["Env"]
        probe = ["sh", "-c", "id -un && ls /usr/lib/llvm-14/lib/libarcher.so"]
        output = client.containers.run(tag, probe, network_mode="none", remove=True)
        assert output.decode().split() == [USER, "/usr/lib/llvm-14/lib/libarcher.so"]
    finally:
        if find_image(client, tag) is not None:
            client.images.remove(tag, force=True)
