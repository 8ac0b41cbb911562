"""Building the toolchain image without a registry: debootstrap a root filesystem, then ``docker import`` it."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.images import rootfs as rootfs_steps
from sandbox.images.build import BuildResult, ImageBuildError, Progress, existing, require_tool
from sandbox.images.probe import docker_client, find_image
from sandbox.images.spec import DEFAULT_IMAGE, DEFAULT_MIRROR, import_changes

if TYPE_CHECKING:
    from docker import DockerClient

_EXCLUDE = ["./dev/*", "./proc/*", "./sys/*", "./run/*", "./tmp/*", "./debootstrap", "./var/cache/apt/archives/*.deb"]
"""Left out of the image: runtime mounts (docker provides them) and debootstrap's leftovers."""


def build_with_bootstrap(
    tag: str = DEFAULT_IMAGE,
    *,
    force: bool = False,
    mirror: str = DEFAULT_MIRROR,
    rootfs: Path | None = None,
    workdir: Path = Path("/var/tmp"),
    on_progress: Progress = print,
) -> BuildResult:
    """Build the image with ``debootstrap --variant=minbase --include=<packages>`` and ``docker import``.

    Needs root, debootstrap and a reachable Debian mirror, but no image registry. The temporary root
    filesystem is deleted afterwards, whether the build succeeded or not.

    Args:
        tag: Tag of the image to build.
        force: Rebuild even if ``tag`` exists.
        mirror: The Debian mirror debootstrap downloads from.
        rootfs: Import this already bootstrapped root filesystem instead of running debootstrap; it is
            finished in place (``setup.sh``) and kept.
        workdir: Where the temporary root filesystem is made (not a ``nodev``/``noexec`` mount).
        on_progress: Called with each output line.

    Raises:
        DockerUnavailable: no daemon answers (checked first, before minutes of debootstrap).
        MissingPrerequisite: not root, or debootstrap or tar is missing.
        ImageBuildError: a step failed.
    """
    client = docker_client(timeout=900)
    if reused := existing(client, tag, force, "bootstrap"):
        return reused
    require_tool("tar", "tar")
    started = time.monotonic()
    if rootfs is not None:
        if not (rootfs / "usr" / "bin").is_dir():
            raise ImageBuildError(f"{rootfs} does not look like a root filesystem (no usr/bin)")
        rootfs_steps.finish(rootfs, on_progress)
        import_rootfs(client, rootfs, tag, on_progress)
    else:
        temporary = Path(tempfile.mkdtemp(prefix="paraforge-rootfs-", dir=workdir))
        try:
            rootfs_steps.debootstrap(temporary, on_progress, mirror)
            rootfs_steps.finish(temporary, on_progress)
            import_rootfs(client, temporary, tag, on_progress)
        finally:
            on_progress(f"removing {temporary}")
            rootfs_steps.remove(temporary)
    info = find_image(client, tag)
    if info is None:
        raise ImageBuildError(f"docker import ended without an image tagged {tag}")
    return BuildResult(tag=tag, image=info, reused=False, seconds=time.monotonic() - started, method="bootstrap")


def import_rootfs(client: DockerClient, rootfs: Path, tag: str, on_progress: Progress) -> None:
    """Stream ``rootfs`` as a tar archive into ``docker import`` with the image's configuration.

    Raises:
        ImageBuildError: tar or the import failed.
    """
    import docker
    from docker.utils import parse_repository_tag

    repository, version = parse_repository_tag(tag)
    on_progress(f"importing {rootfs} as {tag}")
    with tempfile.TemporaryFile() as tar_errors:
        tar = subprocess.Popen(_tar_command(rootfs), stdout=subprocess.PIPE, stderr=tar_errors)
        try:
            answer = client.api.import_image(
                src=_chunks(tar), repository=repository, tag=version, changes=import_changes(), stream_src=True
            )
        except docker.errors.APIError as exc:
            raise ImageBuildError(f"docker import of {rootfs} failed: {exc.explanation or exc}") from None
        finally:
            tar.kill()
            tar.wait()
            tar_errors.seek(0)
            errors = tar_errors.read().decode(errors="replace").strip()
    if tar.returncode != 0:
        raise ImageBuildError(f"tar of {rootfs} failed (exit code {tar.returncode}): {errors}")
    for line in str(answer).splitlines():
        message = json.loads(line) if line.strip().startswith("{") else {"status": line}
        if "error" in message:
            raise ImageBuildError(f"docker import of {rootfs} failed: {message['error']}")
        if status := message.get("status"):
            on_progress(f"imported: {status}")


def _tar_command(rootfs: Path) -> list[str]:
    excludes = [f"--exclude={pattern}" for pattern in _EXCLUDE]
    return ["tar", "--numeric-owner", "-C", str(rootfs), *excludes, "-cf", "-", "."]


def _chunks(tar: subprocess.Popen[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    assert tar.stdout is not None
    while chunk := tar.stdout.read(size):
        yield chunk
    tar.wait()
