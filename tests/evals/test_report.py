"""The eval report: HTML and Markdown content, escaping of untrusted names, no outside references, plots that render."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import signal
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from agents.budget import Usage
from evals.metrics import suite_metrics
from evals.records import (
    CandidateResult,
    EvalMode,
    EvalResults,
    ExternalVerdict,
    RunMeta,
    TaskResult,
    TaskStatus,
    ThreadTiming,
)
from evals.report import ReportFiles, write_comparison, write_report
from evals.report.headline import Metric

HOSTILE = "<script>alert(1)</script>"
HOSTILE_REASON = "<img src=x onerror=alert(2)>"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------------------------
# A run with every kind of task
# ---------------------------------------------------------------------------------------------------------------


def _scaling(speedups: dict[int, float]) -> list[ThreadTiming]:
    return [
        ThreadTiming(threads=n, speedup=s, speedup_low=0.94 * s, speedup_high=1.06 * s, candidate_s=1, reference_s=s)
        for n, s in speedups.items()
    ]


def _accepted(task: str, index: int, speedup: float, **extra: object) -> CandidateResult:
    return CandidateResult(
        task=task,
        index=index,
        digest=f"{task}-{index}",
        compiled=True,
        accepted=True,
        speedup=speedup,
        speedup_low=speedup * 0.92,
        speedup_high=speedup * 1.08,
        threads=8,
        usage=Usage(prompt_tokens=900, completion_tokens=400, cost=0.002),
        **extra,
    )


def _rejected(task: str, index: int, stage: str, reason: str | None, **extra: object) -> CandidateResult:
    return CandidateResult(
        task=task,
        index=index,
        digest=f"{task}-{index}",
        compiled=stage != "compile",
        failed_stage=stage,
        reason=reason,
        usage=Usage(prompt_tokens=800, completion_tokens=300, cost=0.002),
        **extra,
    )


def sample_results(*, external: bool = True, run_id: str = "eval-20240601-a", faster: float = 1.0) -> EvalResults:
    """Two solved tasks with thread scaling, two unsolved (one hostile), an error and a skipped task."""
    valid = ExternalVerdict(source="ParEval", built=True, valid=True) if external else None
    invalid = ExternalVerdict(source="ParEval", built=True, valid=False) if external else None
    tasks = [
        TaskResult(
            task="reduce-sum",
            family="reduction",
            status=TaskStatus.solved,
            winner="reduce-sum-3",
            speedup=5.2 * faster,
            speedup_low=4.9 * faster,
            speedup_high=5.6 * faster,
            roofline_fraction=0.62,
            scaling=_scaling({1: 0.95, 2: 1.9, 4: 3.6, 8: 5.2 * faster}),
            usage=Usage(prompt_tokens=4000, completion_tokens=1800, cost=0.011),
        ),
        TaskResult(
            task="stencil-2d",
            family="stencil",
            status=TaskStatus.solved,
            speedup=2.31,
            speedup_low=2.10,
            speedup_high=2.52,
            roofline_fraction=0.41,
            scaling=_scaling({1: 0.98, 2: 1.7, 4: 2.2, 8: 2.31}),
            usage=Usage(prompt_tokens=3500, completion_tokens=1500, cost=0.009),
        ),
        TaskResult(task="histogram", family="histogram", status=TaskStatus.unsolved, usage=Usage(cost=0.008)),
        TaskResult(task=HOSTILE, family="<b>evil</b>", status=TaskStatus.unsolved, usage=Usage(cost=0.004)),
        TaskResult(task="spmv", family="sparse", status=TaskStatus.error, error="task file invalid: no reference"),
        TaskResult(task="prefix-scan", family="scan", status=TaskStatus.skipped),
    ]
    candidates = [
        _rejected("reduce-sum", 0, "compile", "compile.error", external=invalid),
        _accepted("reduce-sum", 1, 3.1 * faster, external=valid),
        _rejected("reduce-sum", 2, "race", "race.data_race", external=valid),
        _accepted("reduce-sum", 3, 5.2 * faster, external=valid),
        _accepted("reduce-sum", 4, 4.4 * faster),
        _accepted("stencil-2d", 0, 1.4),
        _rejected("stencil-2d", 1, "correctness", "correctness.mismatch"),
        _accepted("stencil-2d", 2, 2.31),
        _rejected("stencil-2d", 3, "timing", "timing.slower"),
        _accepted("stencil-2d", 4, 2.0),
        *(_rejected("histogram", i, "race", "race.data_race") for i in range(3)),
        _rejected("histogram", 3, "compile", "compile.error"),
        _rejected("histogram", 4, "race", "race.data_race"),
        *(_rejected(HOSTILE, i, "correctness", HOSTILE_REASON, external=valid) for i in range(5)),
    ]
    meta = RunMeta(
        run_id=run_id,
        suite="smoke",
        mode=EvalMode.samples,
        model="openai/gpt-4o-mini",
        samples=5,
        threads=[1, 2, 4, 8],
        started="2024-06-01T10:00:00Z",
        finished="2024-06-01T10:42:00Z",
        hardware={"cpu": "AMD EPYC 7763", "cores": "16", "isa": "avx2", "fingerprint": "ab12cd34"},
        toolchain="clang version 16.0.6",
        backend="docker",
        executor="local",
    )
    return EvalResults(meta=meta, tasks=tasks, candidates=candidates)


def bare_results() -> EvalResults:
    """One sample per task, nothing accepted, no scaling, no external verdicts, no model."""
    meta = RunMeta(run_id="bare", suite="smoke", mode=EvalMode.candidates)
    tasks = [TaskResult(task="histogram", status=TaskStatus.unsolved)]
    return EvalResults(meta=meta, tasks=tasks, candidates=[_rejected("histogram", 0, "race", "race.data_race")])


class Page(HTMLParser):
    """The images, tables and headings of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.tables: list[list[list[str]]] = []
        self.headings: list[str] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "img":
            self.images.append(values)
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h1", "h2"):
            self._heading = []
        for name in ("src", "href"):
            if name in values:
                self.links.append(values[name])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag in ("h1", "h2") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)

    def table_with(self, header: str) -> list[list[str]]:
        """The table whose first header cell is ``header``."""
        return next(t for t in self.tables if t and t[0] and t[0][0] == header)

    def row(self, header: str, first_cell: str) -> list[str]:
        return next(r for r in self.table_with(header)[1:] if r[0] == first_cell)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return write_report(sample_results(), tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page(report: ReportFiles) -> Page:
    return Page(report.html.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------------------
# HTML content
# ---------------------------------------------------------------------------------------------------------------


def test_writes_html_and_markdown(report: ReportFiles) -> None:
    assert report.html.name == "report.html" and report.html.stat().st_size > 10_000
    assert report.markdown.name == "report.md" and report.markdown.parent == report.html.parent


def test_task_table_has_a_row_per_task(page: Page) -> None:
    rows = page.table_with("Task")
    assert [r[0] for r in rows[1:]] == ["reduce-sum", "stencil-2d", "histogram", HOSTILE, "spmv", "prefix-scan"]
    assert rows[0] == [
        "Task", "Family", "Status", "Best speedup [95% CI]", "Roofline", "Failing stage", "Candidates", "Cost",
    ]  # fmt: skip
    assert page.row("Task", "stencil-2d") == [
        "stencil-2d", "stencil", "solved", "2.31x [2.10, 2.52]", "41.0%", "—", "5", "$0.0090",
    ]  # fmt: skip
    assert page.row("Task", "histogram")[2:] == ["unsolved", "—", "—", "race: race.data_race", "5", "$0.0080"]
    assert page.row("Task", "spmv")[2] == "error"
    assert page.row("Task", "spmv")[5] == "task file invalid: no reference"
    assert page.row("Task", HOSTILE)[5] == f"correctness: {HOSTILE_REASON}"
    assert page.row("Task", "prefix-scan")[5] == "not started"


def test_header_shows_the_run_and_where_it_ran(page: Page) -> None:
    fields = dict((row[0], row[1]) for table in ("Run", "Machine") for row in page.table_with(table)[1:])
    assert fields["Run id"] == "eval-20240601-a"
    assert fields["Model"] == "openai/gpt-4o-mini"
    assert fields["Hardware: cpu"] == "AMD EPYC 7763"
    assert fields["Toolchain"] == "clang version 16.0.6"
    assert fields["Backend"] == "docker" and fields["Executor"] == "local"
    assert fields["Finished"] == "2024-06-01T10:42:00Z"


def test_headline_metrics_show_every_k_and_threshold_and_the_geomean_interval(page: Page) -> None:
    metrics = suite_metrics(sample_results())
    geomean = metrics.geomean_speedup
    assert geomean is not None
    speed = dict((row[0], row[1]) for row in page.table_with("Speed")[1:])
    assert speed["Geomean speedup"] == f"{geomean.value:.2f}x [{geomean.low:.2f}, {geomean.high:.2f}]"
    for p in ("0", "1", "1.5", "2"):
        assert f"fast_{p}" in speed and f"verified fast_{p}" in speed
    assert {"speedup_8@1", "speedup_8@5", "efficiency_8@1", "Mean roofline fraction"} <= set(speed)
    correctness = dict((row[0], row[1]) for row in page.table_with("Correctness")[1:])
    assert {"pass@1", "pass@5", "build@1", "build@5"} <= set(correctness)
    assert correctness["Solved"] == "2"
    spend = dict((row[0], row[1]) for row in page.table_with("Spend")[1:])
    assert spend["Cost"] == f"${metrics.cost:.4f}"
    assert {"Tokens per task", "Tokens per solved task", "Cost per task", "Cost per solved task"} <= set(spend)


def test_hostile_names_are_escaped(report: ReportFiles) -> None:
    text = report.html.read_text(encoding="utf-8")
    assert HOSTILE not in text and HOSTILE_REASON not in text and "<b>evil" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<script") == 0


def test_no_references_outside_the_file(report: ReportFiles, page: Page) -> None:
    text = report.html.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert all(link.startswith(("data:image/png;base64,", "#")) for link in page.links)
    assert "url(" not in text and "@import" not in text


def test_plots_are_embedded_with_headings_and_alt_text(page: Page) -> None:
    assert {"Speedup per task", "Best speedup so far", "Failures", "pass@k", "Thread scaling"} <= set(page.headings)
    assert len(page.images) == 5
    for image in page.images:
        assert len(image["alt"]) > 20
        png = base64.b64decode(image["src"].removeprefix("data:image/png;base64,"), validate=True)
        assert png.startswith(PNG_MAGIC) and len(png) > 5_000


def test_failure_counts_and_external_table(page: Page) -> None:
    failures = dict((row[0], row[1]) for row in page.table_with("Stage: reason")[1:])
    assert failures["race: race.data_race"] == "5"
    assert failures[f"correctness: {HOSTILE_REASON}"] == "5"
    # ParEval accepts 3 reduce-sum answers and the 5 hostile ones; ParaForge accepts 2 of those.
    assert page.table_with("Benchmark")[1] == ["ParEval", "8", "2", "2", "1", "6", "0"]
    reasons = next(t for t in page.tables if t[0] == ["Benchmark", "ParaForge's reason", "Answers"])
    assert reasons[1:] == [["ParEval", HOSTILE_REASON, "5"], ["ParEval", "race.data_race", "1"]]


def test_missing_data_gets_a_note_instead_of_a_plot(tmp_path: Path) -> None:
    text = write_report(bare_results(), tmp_path).html.read_text(encoding="utf-8")
    page = Page(text)
    assert len(page.images) == 1  # only the failure reasons
    assert "no thread scaling measured: run with --threads" in text
    assert "no task has a measured speedup" in text
    assert "no candidate was accepted" in text
    assert "a curve needs several samples per task" in text
    assert "External benchmarks" not in page.headings
    assert page.row("Run", "Model")[1] == "recorded candidates"


def test_no_external_section_without_benchmark_verdicts(tmp_path: Path) -> None:
    page = Page(write_report(sample_results(external=False), tmp_path, title="Nightly").html.read_text("utf-8"))
    assert "External benchmarks" not in page.headings
    assert page.headings[0] == "Nightly"


def test_many_tasks_and_odd_names_still_draw(tmp_path: Path) -> None:
    """Unbalanced ``$`` would be mathtext to matplotlib; 30 tasks overflow the legend and the failure bars."""
    results = sample_results()
    for i in range(30):
        name = f"task {i} costs $x^{{{{2}}$ \\frac"
        results.tasks.append(
            TaskResult(
                task=name,
                status=TaskStatus.solved,
                speedup=1.1 + i,
                speedup_low=1.0 + i,
                speedup_high=1.2 + i,
                scaling=_scaling({1: 1.0, 4: 1.0 + i}),
            )
        )
        results.candidates += [_accepted(name, 0, 1.1 + i), _rejected(name, 1, "race", f"reason_{i} $a$b")]
    page = Page(write_report(results, tmp_path).html.read_text(encoding="utf-8"))
    assert len(page.images) == 5
    assert len(page.table_with("Task")) == 1 + 36
    assert len(page.table_with("Stage: reason")) == 1 + 35  # the table lists every reason; the plot groups the tail


# ---------------------------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------------------------


def test_markdown_has_the_headline_and_the_task_table(report: ReportFiles) -> None:
    md = report.markdown.read_text(encoding="utf-8")
    assert "[report.html](report.html)" in md
    assert "| Task | Family | Status | Best speedup \\[95% CI\\] | Roofline | Failing stage | Candidates | Cost |" in md
    assert "|---|---|---|---:|---:|---|---:|---:|" in md
    assert "| stencil-2d | stencil | solved | 2.31x [2.10, 2.52] | 41.0% | — | 5 | $0.0090 |" in md
    assert "| race: race.data_race | 5 |" in md
    assert "| pass@5 |" in md and "| Geomean speedup |" in md
    assert "## External benchmarks" in md


def test_markdown_escapes_hostile_text(report: ReportFiles) -> None:
    md = report.markdown.read_text(encoding="utf-8")
    assert HOSTILE not in md and HOSTILE_REASON not in md
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert "data:image" not in md  # figures stay in the HTML page


# ---------------------------------------------------------------------------------------------------------------
# Two runs side by side
# ---------------------------------------------------------------------------------------------------------------


def test_comparison_shows_both_runs_and_per_task_deltas(tmp_path: Path) -> None:
    a = sample_results(run_id="run-a")
    b = sample_results(run_id="run-b", faster=2.0)
    b.tasks[1] = TaskResult(task="stencil-2d", status=TaskStatus.unsolved)
    files = write_comparison(a, b, tmp_path)
    assert (files.html.name, files.markdown.name) == ("comparison.html", "comparison.md")
    page = Page(files.html.read_text(encoding="utf-8"))
    assert page.row("Field", "Run id")[1:] == ["run-a", "run-b"]
    assert page.row("Task", "reduce-sum")[1:] == [
        "solved → solved", "5.20x [4.90, 5.60]", "10.40x [9.80, 11.20]", "2.00x", "yes",
    ]  # fmt: skip
    assert page.row("Task", "stencil-2d")[1:] == ["solved → unsolved", "2.31x [2.10, 2.52]", "—", "—", "—"]
    assert page.row("Correctness", "Solved")[1:] == ["2", "1", "-1"]
    assert page.row("Speed", "Geomean speedup")[3].endswith("x")
    assert len(page.images) == 1 and page.images[0]["alt"]
    md = files.markdown.read_text(encoding="utf-8")
    assert "[comparison.html](comparison.html)" in md
    assert "| reduce-sum | solved → solved | 5.20x [4.90, 5.60] | 10.40x [9.80, 11.20] | 2.00x | yes |" in md


def test_metric_deltas_read_b_relative_to_a() -> None:
    assert Metric("s", 2.0, "speedup").delta(Metric("s", 3.0, "speedup")) == "1.50x"
    assert Metric("p", 0.5, "fraction").delta(Metric("p", 0.25, "fraction")) == "-25.0 pp"
    assert Metric("c", 1.5, "money").delta(Metric("c", 1.25, "money")) == "-$0.2500"
    assert Metric("n", 3, "count").delta(Metric("n", 5, "count")) == "+2"
    assert Metric("n", 3, "count").delta(Metric("n", 3, "count")) == "0"
    assert Metric("n", None, "count").delta(Metric("n", 5, "count")) == "—"


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, evals.report; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---------------------------------------------------------------------------------------------------------------
# The page as a browser renders it
# ---------------------------------------------------------------------------------------------------------------


def _chromium(executable: str, profile: Path, *args: str, timeout: float = 60) -> str:
    """Run headless Chromium offline, killing its whole process group when it overruns ``timeout``."""
    command = [
        executable,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        f"--user-data-dir={profile}",
        *args,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium did not finish within {timeout:g} s")
    assert process.returncode == 0, stderr[-2000:]
    return stdout


def test_page_renders_in_headless_chromium(report: ReportFiles, tmp_path: Path) -> None:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    image = pytest.importorskip("matplotlib.image")
    url = report.html.resolve().as_uri()
    shot = tmp_path / "shot.png"
    _chromium(executable, tmp_path / "profile-1", f"--screenshot={shot}", "--window-size=1400,4000", url)
    pixels = image.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    assert pixels[..., :3].std() > 0.05, "the screenshot is blank"

    dom = Page(_chromium(executable, tmp_path / "profile-2", "--dump-dom", url))
    assert len(dom.images) == 5
    for img in dom.images:
        png = base64.b64decode(re.sub(r"^data:image/png;base64,", "", img["src"]), validate=True)
        assert png.startswith(PNG_MAGIC)
        plot = image.imread(io.BytesIO(png))
        assert plot.shape[0] > 200 and plot.shape[1] > 400 and plot[..., :3].std() > 0.02
    tables = [t for t in dom.tables if len(t) > 1]
    assert len(tables) == 9  # run, machine, three headline groups, tasks, failures, two external
    assert len(dom.table_with("Task")) == 7
