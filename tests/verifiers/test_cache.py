"""The verdict cache, its key, and the cascade's use of it (fake stages and sandbox: no compiler needed)."""

from __future__ import annotations

from pathlib import Path

from sandbox import Job, JobResult, JobStatus
from tasks import resolve_task
from verifiers import cache as cache_module
from verifiers.cache import VerdictCache, cache_key, code_digest, default_cache_path
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.context import StageContext, VerifyConfig
from verifiers.verdict import Stage, StageResult, StageStatus, Verdict

TASK = resolve_task("reduce-sum")
CANDIDATE = Candidate(source=TASK.reference.cpp)


class VersionSandbox:
    """Answers ``clang++ --version`` and nothing else."""

    name = "fake"
    unenforced = frozenset()

    def __init__(self, version: str = "clang version 14.0.6") -> None:
        self.version = version
        self.jobs: list[Job] = []

    def run(self, job: Job) -> JobResult:
        self.jobs.append(job)
        return JobResult(status=JobStatus.ok, exit_code=0, stdout=self.version)

    def close(self) -> None:
        pass


class CountingStage:
    """Returns a fixed status and counts its calls."""

    def __init__(self, stage: Stage, status: StageStatus = StageStatus.passed) -> None:
        self.stage, self.status, self.calls = stage, status, 0

    def __call__(self, ctx: StageContext) -> StageResult:
        self.calls += 1
        return StageResult(stage=self.stage, status=self.status, reason="" if self.status.value == "passed" else "x.y")


def _key(**changes: object) -> str:
    parts: dict = {
        "task": TASK,
        "candidate": CANDIDATE,
        "toolchain": "clang 14",
        "hardware": "abc",
        "config": VerifyConfig(),
        "stages": ["parse", "compile"],
    }
    parts.update(changes)
    return cache_key(**parts)


def test_the_key_depends_on_everything_the_verdict_does() -> None:
    base = _key()
    assert base == _key()
    variants = [
        _key(candidate=Candidate(source=TASK.reference.cpp + "\n")),
        _key(task=TASK.model_copy(update={"version": 2})),
        _key(task=TASK.model_copy(update={"description": "a different description"})),
        _key(toolchain="clang 15"),
        _key(hardware="def"),
        _key(config=VerifyConfig(hidden_seeds=3)),
        _key(stages=["parse"]),
        _key(best=Candidate(source="// best")),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_the_key_changes_with_the_verifiers_code(monkeypatch) -> None:
    base = _key()
    monkeypatch.setattr(cache_module, "verifier_digest", lambda: "another verifier")
    assert _key() != base


def test_the_code_digest_follows_every_module_of_the_packages(tmp_path: Path) -> None:
    (tmp_path / "verifiers" / "stages").mkdir(parents=True)
    stage = tmp_path / "verifiers" / "stages" / "race.py"
    stage.write_text("THREADS = 4\n")
    base = code_digest(tmp_path, ("verifiers",))
    (tmp_path / "notes.py").write_text("elsewhere")
    assert code_digest(tmp_path, ("verifiers",)) == base
    stage.write_text("THREADS = 8\n")
    assert code_digest(tmp_path, ("verifiers",)) != base


def test_verdicts_round_trip(tmp_path: Path) -> None:
    verdict = Verdict(
        task="reduce-sum",
        task_version=1,
        candidate=CANDIDATE.digest,
        stages=[StageResult(stage=Stage.parse, status=StageStatus.failed, reason="parse.has_main", details={"n": 3})],
    )
    with VerdictCache(tmp_path / "v.sqlite") as cache:
        assert cache.get("k") is None
        cache.put("k", verdict)
        assert cache.get("k") == verdict
        assert len(cache) == 1
        assert cache.hits == 1
    with VerdictCache(tmp_path / "v.sqlite") as reopened:
        assert reopened.get("k") == verdict


def test_the_default_path_follows_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PARAFORGE_CACHE_DIR", str(tmp_path))
    assert default_cache_path() == tmp_path / "verdicts.sqlite"


def test_evaluate_never_verifies_the_same_code_twice(tmp_path: Path) -> None:
    stages = [CountingStage(Stage.parse), CountingStage(Stage.compile)]
    sandbox = VersionSandbox()
    with VerdictCache(tmp_path / "v.sqlite") as cache:
        first = evaluate(TASK, CANDIDATE, sandbox, stages=stages, cache=cache, logs_dir=tmp_path / "a")
        second = evaluate(TASK, CANDIDATE, sandbox, stages=stages, cache=cache, logs_dir=tmp_path / "b")
        assert [s.calls for s in stages] == [1, 1]
        assert second == first
        assert first.cache_key
        assert len(sandbox.jobs) == 1, "the compiler version is asked once per sandbox"
        evaluate(TASK, Candidate(source="// other"), sandbox, stages=stages, cache=cache, logs_dir=tmp_path / "c")
        assert [s.calls for s in stages] == [2, 2]
        evaluate(TASK, CANDIDATE, VersionSandbox("clang 15"), stages=stages, cache=cache, logs_dir=tmp_path / "d")
        assert [s.calls for s in stages] == [3, 3], "another toolchain verifies again"


def test_verifier_errors_are_not_cached(tmp_path: Path) -> None:
    stages = [CountingStage(Stage.parse), CountingStage(Stage.compile, StageStatus.error)]
    with VerdictCache(tmp_path / "v.sqlite") as cache:
        for _ in range(2):
            evaluate(TASK, CANDIDATE, VersionSandbox(), stages=stages, cache=cache, logs_dir=tmp_path)
        assert stages[1].calls == 2
        assert len(cache) == 0


def test_without_a_cache_nothing_is_asked_of_the_sandbox(tmp_path: Path) -> None:
    sandbox = VersionSandbox()
    verdict = evaluate(TASK, CANDIDATE, sandbox, stages=[CountingStage(Stage.parse)], logs_dir=tmp_path)
    assert verdict.accepted
    assert verdict.cache_key == ""
    assert sandbox.jobs == []
