"""A Debian root filesystem for the toolchain image: debootstrap it, finish it, remove it safely."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sandbox.images.build import ImageBuildError, Progress, require_root, require_tool, stream_command
from sandbox.images.spec import DEFAULT_MIRROR, SETUP_SCRIPT, SUITE, packages

_CHROOT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def debootstrap_command(rootfs: Path, mirror: str = DEFAULT_MIRROR, suite: str = SUITE) -> list[str]:
    """The debootstrap invocation installing :func:`~sandbox.images.spec.packages` into ``rootfs``."""
    return ["debootstrap", "--variant=minbase", f"--include={','.join(packages())}", suite, str(rootfs), mirror]


def debootstrap(rootfs: Path, on_progress: Progress, mirror: str = DEFAULT_MIRROR) -> None:
    """Create a minimal Debian system with the toolchain packages in ``rootfs`` (a few minutes).

    Raises:
        MissingPrerequisite: not root, or debootstrap is not installed.
        ImageBuildError: debootstrap failed; the message ends with its log.
    """
    require_root("debootstrap")
    require_tool("debootstrap", "debootstrap")
    try:
        stream_command(debootstrap_command(rootfs, mirror), on_progress, "debootstrap")
    except ImageBuildError as exc:
        log = rootfs / "debootstrap" / "debootstrap.log"
        detail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.is_file() else ""
        raise ImageBuildError(f"{exc}\n{log}:\n{detail}" if detail else str(exc)) from None


def finish(rootfs: Path, on_progress: Progress) -> None:
    """Run ``setup.sh`` (user, work dir, symbolizer link, checks, cleanup) in a chroot of ``rootfs``."""
    require_root("chroot")
    script = rootfs / "tmp" / "paraforge-setup.sh"
    shutil.copyfile(SETUP_SCRIPT, script)
    try:
        stream_command(
            ["chroot", str(rootfs), "/bin/sh", "/tmp/paraforge-setup.sh"], on_progress, "setup.sh", env=_CHROOT_ENV
        )
    finally:
        script.unlink(missing_ok=True)


def remove(rootfs: Path) -> None:
    """Delete ``rootfs``, first unmounting anything a failed debootstrap left mounted inside it.

    Raises:
        ImageBuildError: something stays mounted inside; the tree is left alone rather than deleted through it.
    """
    for mount in sorted(_mounts_under(rootfs), key=len, reverse=True):
        subprocess.run(["umount", "--lazy", mount], check=False, capture_output=True)
    if left := _mounts_under(rootfs):
        raise ImageBuildError(f"cannot remove {rootfs}: still mounted inside it: {', '.join(left)}")
    shutil.rmtree(rootfs, ignore_errors=True)


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve()).rstrip("/") + "/"
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = _unescape(line.split()[4])
        if point.startswith(prefix):
            mounts.append(point)
    return mounts


def _unescape(field: str) -> str:
    """Undo mountinfo's octal escapes (space, tab, newline, backslash)."""
    return field.encode().decode("unicode_escape") if "\\" in field else field
