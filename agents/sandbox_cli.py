"""``agent sandbox``: build the toolchain image and check that a sandbox's toolchain works.

The sandbox package is imported when a command runs, not when the ``agent`` command line starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sandbox import Sandbox
    from sandbox.images.build import BuildResult
    from sandbox.images.probe import DockerStatus
    from sandbox.images.selfcheck import CheckOutcome

sandbox_app = typer.Typer(help="Build the sandbox toolchain image and check sandboxes.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

DEFAULT_IMAGE = "paraforge-toolchain:bookworm"
"""``sandbox.constants.DEFAULT_IMAGE``, spelt out so that ``--help`` need not import the sandbox (a test compares)."""
DEFAULT_MIRROR = "http://deb.debian.org/debian"
"""``sandbox.images.spec.DEFAULT_MIRROR``, spelt out for the same reason."""

_MARKS = {"ok": "[green]ok[/green]", "warn": "[yellow]warn[/yellow]", "fail": "[red]FAIL[/red]"}
"""By :class:`~sandbox.images.selfcheck.CheckStatus` (a ``StrEnum``, so its members find these keys)."""


def open_sandbox(backend: str) -> Sandbox:
    """:func:`sandbox.open_sandbox`, imported on first use (tests replace this)."""
    import sandbox

    return sandbox.open_sandbox(backend)


def docker_status() -> DockerStatus:
    """:func:`sandbox.images.probe.docker_status`, imported on first use (tests replace this)."""
    from sandbox.images import probe

    return probe.docker_status()


@sandbox_app.command("build")
def build(
    bootstrap: Annotated[
        bool, typer.Option("--bootstrap", help="No registry needed: debootstrap a rootfs and docker-import it (root).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the image exists.")] = False,
    tag: Annotated[str, typer.Option(help="Tag of the image.")] = DEFAULT_IMAGE,
    mirror: Annotated[str, typer.Option(help="Debian mirror for --bootstrap.")] = DEFAULT_MIRROR,
    rootfs: Annotated[
        Path | None, typer.Option(help="With --bootstrap: import this already debootstrapped rootfs (kept).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the build output.")] = False,
) -> None:
    """Build the CPU toolchain image (reusing an up-to-date one unless --force).

    Exit codes: 0 built or reused, 1 the build failed, 2 a prerequisite is missing (daemon, debootstrap, root).
    """
    from sandbox.images import DockerUnavailable, ImageBuildError, MissingPrerequisite
    from sandbox.images.bootstrap import build_with_bootstrap
    from sandbox.images.docker_build import build_with_docker

    if rootfs is not None and not bootstrap:
        err_console.print("--rootfs needs --bootstrap")
        raise typer.Exit(2)

    def progress(line: str) -> None:
        if not quiet:
            console.print(line, style="dim", markup=False, highlight=False)

    try:
        if bootstrap:
            result = build_with_bootstrap(tag, force=force, mirror=mirror, rootfs=rootfs, on_progress=progress)
        else:
            result = build_with_docker(tag, force=force, on_progress=progress)
    except (DockerUnavailable, MissingPrerequisite) as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    except ImageBuildError as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(_built_line(result), highlight=False)


def _built_line(result: BuildResult) -> str:
    image = f"{result.tag} ({result.image.id}, {result.image.size_mb:.0f} MiB)"
    if result.reused:
        return f"[green]reusing[/green] {image}; --force rebuilds it"
    return f"[green]built[/green] {image} with {result.method} in {result.seconds:.0f} s"


@sandbox_app.command("doctor")
def doctor(
    backend: Annotated[str, typer.Option(help="Sandbox backend to check: auto, docker or local.")] = "auto",
    image: Annotated[str | None, typer.Option(help="Image for container backends; default: the backend's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Say which sandbox backend is used and which images exist, then check the toolchain inside the sandbox.

    The checks compile and run OpenMP with 2 threads, and make TSan + Archer find a planted race (and stay
    quiet on a reduction). Exit codes: 0 all checks passed (warnings allowed), 1 a check failed, 2 the
    backend could not be opened.
    """
    from sandbox.images.selfcheck import CheckStatus, run_checks

    docker = docker_status()
    try:
        sandbox = open_sandbox(backend)
    except Exception as exc:  # the doctor reports whatever stops a backend from opening
        _report(docker, None, [], as_json, error=f"cannot open sandbox backend {backend!r}: {exc}")
        raise typer.Exit(2) from None
    try:
        if as_json:
            outcomes = run_checks(sandbox, image)
        else:
            with console.status(f"checking the toolchain in the {sandbox.name} sandbox"):
                outcomes = run_checks(sandbox, image)
    finally:
        sandbox.close()
    _report(docker, sandbox, outcomes, as_json)
    raise typer.Exit(1 if any(o.status is CheckStatus.fail for o in outcomes) else 0)


def _report(
    docker: DockerStatus, sandbox: Sandbox | None, outcomes: list[CheckOutcome], as_json: bool, error: str = ""
) -> None:
    hints = _hints(docker, sandbox)
    if as_json:
        typer.echo(json.dumps(_as_json(docker, sandbox, outcomes, hints, error), indent=2))
        return
    daemon = f"[green]Docker {docker.version}[/green]" if docker.available else f"[yellow]{docker.error}[/yellow]"
    console.print(f"[bold]docker[/bold]   {daemon}", highlight=False)
    if docker.available:
        console.print(_images_table(docker))
    if sandbox is not None:
        weaker = f" (does not enforce: {', '.join(sorted(sandbox.unenforced))})" if sandbox.unenforced else ""
        console.print(f"[bold]backend[/bold]  {sandbox.name}{weaker}", highlight=False)
        console.print(_checks_table(sandbox.name, outcomes))
    if error:
        err_console.print(f"[red]{error}[/red]", highlight=False)
    for hint in hints:
        console.print(f"[yellow]hint:[/yellow] {hint}", highlight=False)


def _images_table(docker: DockerStatus) -> Table:
    table = Table("image", "id", "size", "built by", "packages", title="Toolchain images")
    for info in docker.images:
        packages = "current" if info.current else "[yellow]other list[/yellow]"
        tags = ", ".join(info.tags)
        table.add_row(tags, info.id.removeprefix("sha256:"), f"{info.size_mb:.0f} MiB", info.build, packages)
    if not docker.images:
        table.add_row(f"[yellow]none ({DEFAULT_IMAGE} missing)[/yellow]", "", "", "", "")
    return table


def _checks_table(backend: str, outcomes: list[CheckOutcome]) -> Table:
    table = Table("check", "status", "time", "detail", title=f"Toolchain checks in the {backend} sandbox")
    for outcome in outcomes:
        table.add_row(outcome.name, _MARKS[outcome.status], f"{outcome.seconds:.1f} s", outcome.detail)
    return table


def _hints(docker: DockerStatus, sandbox: Sandbox | None) -> list[str]:
    hints = []
    if not docker.available:
        hints.append("without Docker, jobs run in the weaker local backend; start a daemon (.ci/install-docker.sh)")
    elif not docker.has_default_image:
        hints.append(f"build the image: agent sandbox build --bootstrap (tag {DEFAULT_IMAGE})")
    if sandbox is not None and sandbox.name == "local" and docker.available and docker.has_default_image:
        hints.append(
            "Docker and the image are ready, but the local backend was chosen (is the docker backend installed?)"
        )
    return hints


def _as_json(
    docker: DockerStatus, sandbox: Sandbox | None, outcomes: list[CheckOutcome], hints: list[str], error: str
) -> dict[str, Any]:
    from sandbox.images.selfcheck import CheckStatus

    return {
        "ok": not error and all(o.status is not CheckStatus.fail for o in outcomes),
        "backend": sandbox.name if sandbox else None,
        "unenforced": sorted(sandbox.unenforced) if sandbox else [],
        "docker": {"available": docker.available, "version": docker.version, "error": docker.error},
        "images": [info.as_json() for info in docker.images],
        "checks": [
            {"name": o.name, "status": o.status.value, "detail": o.detail, "seconds": round(o.seconds, 2)}
            for o in outcomes
        ],
        "hints": hints,
        "error": error or None,
    }
