"""Selection: significance-based matches, islands with migration, the MAP-Elites archive."""

from __future__ import annotations

import random

from agents.selection.archive import Archive
from agents.selection.features import features
from agents.selection.islands import Islands
from agents.selection.scored import Scored
from agents.selection.tournament import better, champion, tournament
from verifiers.candidate import Candidate
from verifiers.verdict import Timing

LOOP = "for (long i = 0; i < n; ++i) s += x[i];"


def scored(source: str, speedup: float, half_width: float = 0.05, **timing: float) -> Scored:
    return Scored(
        candidate=Candidate(source=source),
        timing=Timing(
            size={"n": 1},
            threads=2,
            candidate_s=1 / speedup,
            reference_s=1.0,
            speedup=speedup,
            speedup_low=speedup - half_width,
            speedup_high=speedup + half_width,
            samples=10,
            **timing,
        ),
    )


def test_significantly_faster_wins():
    slow, fast = scored("a" * 40, 1.2), scored("b" * 400, 1.8)
    assert better(slow, fast) is fast
    assert better(fast, slow) is fast


def test_overlapping_intervals_go_to_the_simpler_candidate():
    small = scored("void k() { " + LOOP + " }", 1.50, half_width=0.2)
    large = scored("void k() { " + LOOP * 5 + " }", 1.60, half_width=0.2)
    assert better(large, small) is small
    assert better(small, large) is small


def test_direct_comparison_against_the_best_decides_when_available():
    best = scored("void best() {}", 1.5, half_width=0.3)
    # Against the reference the intervals overlap, but timed in the same job as the best it is clearly faster.
    challenger = scored(
        "void challenger() { " + LOOP * 3 + " }",
        1.6,
        half_width=0.3,
        speedup_vs_best_low=1.05,
        speedup_vs_best_high=1.12,
    ).model_copy(update={"timed_against": best.digest})
    assert better(best, challenger) is challenger
    slower = challenger.timing.model_copy(update={"speedup_vs_best_low": 0.9, "speedup_vs_best_high": 0.95})
    loser = challenger.model_copy(update={"timing": slower})
    assert better(loser, best) is best


def test_tournament_and_champion_pick_the_fastest():
    entries = [scored(f"void k{i}() {{}}", s) for i, s in enumerate([1.0, 2.0, 1.5, 3.0])]
    assert champion(entries).timing.speedup == 3.0
    assert tournament(entries, size=len(entries), rng=random.Random(0)).timing.speedup == 3.0


def test_islands_keep_capacity_and_migrate_champions():
    islands = Islands.create(2, capacity=2)
    for i, speed in enumerate([1.0, 2.0, 3.0]):
        islands.add(0, scored(f"void a{i}() {{}}", speed))
    assert sorted(e.timing.speedup for e in islands.populations[0]) == [2.0, 3.0]
    islands.add(1, scored("void b() {}", 1.1))
    islands.migrate()
    assert 3.0 in [e.timing.speedup for e in islands.populations[1]]
    assert islands.best().timing.speedup == 3.0


def test_archive_keeps_one_champion_per_feature_cell():
    reduction = "void k(){\n#pragma omp parallel for reduction(+:s)\n" + LOOP + "\n}"
    atomic = "void k(){\n#pragma omp parallel for\nfor(long i=0;i<n;++i){\n#pragma omp atomic\nh[v[i]]++;}\n}"
    archive = Archive()
    assert archive.add(scored(reduction, 1.5))
    assert archive.add(scored(atomic, 1.1))
    assert not archive.add(scored(reduction + " ", 1.0))  # same cell, slower
    assert len(archive.elites()) == 2
    assert features(reduction, 30)[:2] == ("parallel-for", "reduction")
    assert features(atomic, 30)[:2] == ("parallel-for", "atomic")
