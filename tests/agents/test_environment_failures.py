"""An environment that breaks mid-run (a tool vanishing, the docker daemon dying) is never a candidate's fault:
its verdicts are errors, verified once more, and the run stops resumable until the environment is fixed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from docker_proxy import DaemonProxy
from solve_helpers import FAST, quick_config
from typer.testing import CliRunner

import agents.solve
from agents.cli import app
from agents.graph.recheck import EnvironmentFailure, Recheck
from agents.graph.state import add_records
from agents.rundir import RunDir
from agents.solve import solve
from agents.solve_config import SolveConfig
from sandbox import Job, JobResult, Sandbox, SandboxUnavailable
from tasks import resolve_task
from verifiers.cache import VerdictCache
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.context import VerifyConfig
from verifiers.toolchain_preflight import ToolchainMissing
from verifiers.verdict import Stage, StageResult, StageStatus, Verdict

UNAVAILABLE = "compile.sandbox_unavailable"
DAEMON_ADDRESS = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


def _verdict(candidate: Candidate, status: StageStatus) -> Verdict:
    reason = UNAVAILABLE if status is StageStatus.error else ""
    stage = StageResult(stage=Stage.compile, status=status, reason=reason, feedback="the daemon is gone")
    return Verdict(task="reduce-sum", task_version=1, candidate=candidate.digest, stages=[stage])


def _step(sources: list[str], verdicts: list[StageStatus]) -> dict[str, Any]:
    """A state whose last verify step judged ``sources`` with ``verdicts``."""
    to_verify = []
    for source in sources:
        candidate = Candidate(source=source, origin="test")
        to_verify.append({"round": 1, "generation": 1, "island": 0, "parent": None, "repair_round": 0,
                          "candidate": candidate.model_dump(mode="json"), "digest": candidate.digest})  # fmt: skip
    results = [
        {**record, "verdict": _verdict(Candidate.model_validate(record["candidate"]), status).model_dump(mode="json")}
        for record, status in zip(to_verify, verdicts, strict=True)
    ]
    return {"round": 1, "best": None, "to_verify": to_verify, "results": results}


def _runtime(tmp_path: Path, answers: Callable[[Candidate], StageStatus]) -> SimpleNamespace:
    """Just what ``recheck`` uses: a verifier answering ``answers``, an environment check that counts its calls."""
    runtime = SimpleNamespace(config=SimpleNamespace(workers=2), run=RunDir(tmp_path, "run"), checks=0)

    def check() -> None:
        runtime.checks += 1

    runtime.check_environment = check
    runtime.verify = lambda candidate, best, logs: _verdict(candidate, answers(candidate))
    return runtime


def test_an_environment_error_is_verified_once_more_and_the_new_record_takes_its_place(tmp_path: Path):
    state = _step(["int a;", "int b;"], [StageStatus.passed, StageStatus.error])
    runtime = _runtime(tmp_path, lambda candidate: StageStatus.passed)
    update = Recheck(runtime)(state)
    assert runtime.checks == 1 and len(update["results"]) == 1
    merged = add_records(state["results"], update["results"])
    assert len(merged) == 2 and merged[1]["digest"] == state["results"][1]["digest"]
    assert all(Verdict.model_validate(r["verdict"]).failure is None for r in merged)


def test_a_step_without_environment_errors_is_left_alone(tmp_path: Path):
    runtime = _runtime(tmp_path, lambda candidate: pytest.fail("nothing to verify again"))
    assert Recheck(runtime)(_step(["int a;"], [StageStatus.failed])) == {} and runtime.checks == 0


def test_one_candidate_still_in_error_keeps_its_error_and_the_run_goes_on(tmp_path: Path):
    state = _step(["int a;", "int b;"], [StageStatus.passed, StageStatus.error])
    update = Recheck(_runtime(tmp_path, lambda candidate: StageStatus.error))(state)
    assert Verdict.model_validate(update["results"][0]["verdict"]).failure.status is StageStatus.error


def test_a_step_judged_by_no_one_twice_stops_the_run_naming_the_cause(tmp_path: Path):
    state = _step(["int a;", "int b;"], [StageStatus.error, StageStatus.error])
    with pytest.raises(EnvironmentFailure, match="sandbox_unavailable: the daemon is gone"):
        Recheck(_runtime(tmp_path, lambda candidate: StageStatus.error))(state)


class GoneSandbox:
    """A sandbox whose daemon does not answer."""

    name = "docker"
    unenforced: frozenset[str] = frozenset()

    def run(self, job: Job) -> JobResult:
        raise SandboxUnavailable("the Docker daemon stopped answering: connection refused")

    def close(self) -> None:
        pass


def test_a_sandbox_that_cannot_be_reached_is_the_verifiers_error_not_the_candidates(tmp_path: Path):
    with VerdictCache(tmp_path / "verdicts.sqlite") as cache:
        verdict = evaluate(resolve_task("reduce-sum"), Candidate(source=FAST), GoneSandbox(), cache=cache)
        assert len(cache) == 0
    failure = verdict.failure
    assert failure.stage is Stage.compile and failure.status is StageStatus.error
    assert failure.reason == UNAVAILABLE and "stopped answering" in failure.feedback


def test_solve_without_a_daemon_exits_2_with_the_resume_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def no_daemon(backend: str = "auto") -> Sandbox:
        raise SandboxUnavailable("no Docker daemon answers: connection refused")

    monkeypatch.setattr(agents.solve, "open_sandbox", no_daemon)
    runs = tmp_path / "runs"
    result = CliRunner().invoke(app, ["solve", "reduce-sum", "--backend", "docker", "--runs-dir", str(runs)])
    (run,) = runs.iterdir()
    assert result.exit_code == 2 and "no Docker daemon answers" in result.output
    assert f"agent solve --resume {run.name}" in " ".join(result.output.split())


class VanishingCompiler:
    """The local sandbox, whose jobs lose the compiler from their PATH while ``gone``."""

    def __init__(self, inner: Sandbox, without_compiler: Path) -> None:
        self.inner = inner
        self.without_compiler = without_compiler
        self.name = inner.name
        self.unenforced = inner.unenforced
        self.gone = False

    def run(self, job: Job) -> JobResult:
        if self.gone:
            job = job.model_copy(update={"env": {**job.env, "PATH": str(self.without_compiler)}})
        return self.inner.run(job)

    def close(self) -> None:
        """The session's local sandbox stays open."""


def _verdicts(run: Path) -> dict[str, Verdict]:
    """The run's verdicts by candidate folder."""
    return {p.parent.name: Verdict.model_validate_json(p.read_text()) for p in run.glob("candidates/*/verdict.json")}


def _two_generations(**overrides: object) -> SolveConfig:
    verify = VerifyConfig.model_validate({**quick_config().verify.model_dump(), "thread_counts": [1]})
    return quick_config(budget={"generations": 2}, verify=verify, **overrides)


def _stopped_after_first_generation(
    runs: Path, sandbox: Sandbox, lose: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start a two-generation run on ``sandbox`` whose environment is lost (``lose``) once the second generation
    is requested; the run must stop."""
    monkeypatch.setattr(agents.solve, "open_sandbox", lambda backend="auto": sandbox)

    def progress(node: str, state: dict[str, Any]) -> None:
        if node == "evolve":  # the first generation is judged: the second comes next
            lose()

    solve(_two_generations(backend=sandbox.name), runs, progress=progress)
    raise AssertionError("the run went on without its environment")


def _judged(verdict: Verdict) -> bool:
    """Accepted, or failed by the candidate's own fault."""
    return verdict.failure is None or verdict.failure.status is StageStatus.failed


def _first_generation(run: Path) -> dict[str, int]:
    """The first generation's verdicts (judged), with when each was written."""
    judged = [name for name, verdict in _verdicts(run).items() if _judged(verdict)]
    assert len(judged) == 2
    return {name: (run / "candidates" / name / "verdict.json").stat().st_mtime_ns for name in judged}


def _unjudged(run: Path) -> list[Verdict]:
    """The second generation's verdicts: the verifier's errors, none a candidate's failure."""
    verdicts = [verdict for verdict in _verdicts(run).values() if not _judged(verdict)]
    assert len(verdicts) == 2 and all(v.failure.status is StageStatus.error for v in verdicts)
    return verdicts


def _resumes_to_the_end(run: Path, sandbox: Sandbox, judged: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agents.solve, "open_sandbox", lambda backend="auto": sandbox)
    summary = solve(None, run.parent, resume=run.name)
    assert summary["winner"] is not None and summary["generations"] == 2 and summary["verified"] == 4
    assert "compile" not in summary["failed_by_stage"]
    assert all(_judged(verdict) for verdict in _verdicts(run).values())
    for name, written in judged.items():  # the first generation was not verified again
        assert (run / "candidates" / name / "verdict.json").stat().st_mtime_ns == written


@pytest.mark.usefixtures("clang")
def test_a_compiler_that_vanishes_mid_run_stops_it_and_the_run_resumes_once_it_is_back(
    tmp_path: Path, local_sandbox: Sandbox, bin_without_compiler: Path, monkeypatch: pytest.MonkeyPatch
):
    vanishing = VanishingCompiler(local_sandbox, bin_without_compiler)
    runs = tmp_path / "runs"
    with pytest.raises(ToolchainMissing, match=r"clang\+\+"):
        _stopped_after_first_generation(runs, vanishing, lambda: setattr(vanishing, "gone", True), monkeypatch)
    (run,) = runs.iterdir()
    judged = _first_generation(run)
    assert all(verdict.failure.reason == "compile.toolchain" for verdict in _unjudged(run))
    # the compiler is back; a new process's sandbox has not seen it missing
    _resumes_to_the_end(run, VanishingCompiler(local_sandbox, bin_without_compiler), judged, monkeypatch)


@pytest.fixture
def daemon() -> Iterator[Any]:
    """A client of the Docker daemon holding the sandbox image (reached through a unix socket), or a skip."""
    from sandbox.constants import DEFAULT_IMAGE
    from sandbox.docker_client import connect

    if not DAEMON_ADDRESS.startswith("unix://"):
        pytest.skip("the Docker daemon is not reached through a unix socket")
    try:
        client = connect(DEFAULT_IMAGE)
    except SandboxUnavailable as exc:
        pytest.skip(f"docker sandbox unavailable: {exc}")
    yield client
    client.close()


@pytest.mark.docker
def test_a_docker_daemon_that_dies_mid_run_is_a_sandbox_error_and_the_run_resumes(
    tmp_path: Path, daemon: Any, monkeypatch: pytest.MonkeyPatch
):
    import docker

    from sandbox.docker_backend import DockerSandbox
    from sandbox.docker_client import remove_container

    proxy = DaemonProxy(tmp_path / "docker.sock", DAEMON_ADDRESS.removeprefix("unix://"))
    dying = DockerSandbox(client=docker.DockerClient(base_url=proxy.base_url))
    runs = tmp_path / "runs"
    try:
        with pytest.raises(SandboxUnavailable, match="Docker daemon stopped answering"):
            _stopped_after_first_generation(runs, dying, proxy.cut, monkeypatch)
    finally:
        proxy.cut()
        for name in dying.container_names():  # left behind when their daemon went away
            remove_container(daemon, name)
    (run,) = runs.iterdir()
    judged = _first_generation(run)
    assert all(verdict.failure.reason.endswith(".sandbox_unavailable") for verdict in _unjudged(run))
    _resumes_to_the_end(run, DockerSandbox(client=daemon), judged, monkeypatch)
