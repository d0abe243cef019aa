"""FOSDEM-sized events: the xl generator, live scoring of attendable votes, valid reproducible solves."""

import json
import subprocess
import sys
import time
from pathlib import Path

from solver import load_problem
from solver.baseline import baseline
from solver.check import find_violations, score
from solver.data import Compiled, co_votes
from solver.generate import scaled
from solver.search import LocalSearch
from solver.solve import Options, solve

ROOT = Path(__file__).resolve().parents[2]


def test_generate_xl_preset_is_a_fosdem_sized_event(tmp_path):
    out = tmp_path / "xl.json"
    result = subprocess.run([sys.executable, "-m", "solver", "generate", "--preset", "xl", "--seed", "3",
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    p = load_problem(out)
    assert len(p.participants) == 5000
    assert len(p.sessions) == 1500
    assert len(p.rooms) == 60
    assert {r.capacity for r in p.rooms} >= {40, 1000}
    assert min(r.capacity for r in p.rooms) == 40 and max(r.capacity for r in p.rooms) == 1000
    assert len(p.slots) == 32 and len({s.day for s in p.slots}) == 4
    assert sum(1 for s in p.sessions if s.fixed is not None) == 8  # a plenary each morning and evening
    votes = sorted((sum(1 for q in p.participants if s.id in q.votes) for s in p.sessions), reverse=True)
    assert votes[0] > 10 * votes[len(votes) // 2]  # a few very popular sessions, a long tail


def test_scaled_sizes_are_in_proportion():
    small = scaled(500, seed=2)
    assert (len(small.participants), len(small.sessions), len(small.rooms)) == (500, 150, 6)


def test_live_scores_stay_exact_through_a_search():
    """Most people are scored by deltas as runs move (no rescoring); after thousands of moves, accepted
    and undone, everyone's attendable count is still what a full rescoring finds."""
    p = scaled(600, seed=4)
    c = Compiled(p)
    assert sum(c.live) > 0.6 * c.P
    assert any(c.long_unit[q] >= 0 for q in range(c.P))  # people with a two-slot session too
    sched = baseline(c, co_votes(c), biggest_room=False)
    search = LocalSearch(sched, 1, c.total_votes + 1)
    search.run(150_000, time.monotonic() + 3600, t_start=1.0, t_end=0.02)
    assert search.moves > 1000
    fresh = [sched.person_value(q) for q in range(c.P)]
    assert sched.value == fresh
    assert sched.attendable == sum(fresh)


def test_a_scaled_event_is_solved_validly_and_reproducibly():
    p = scaled(400, seed=5)
    options = Options(time_limit=600, seed=2, work=60_000)
    first = solve(p, options)
    again = solve(p, options)
    assert first.assignments == again.assignments
    assert find_violations(p, first) == []
    greedy = baseline(Compiled(p))
    assert score(p, first).attendable_votes > greedy.attendable
    assert json.dumps(first.stats["attendable_ratio"])


def test_scaling_curve_reports_ratio_time_to_99_percent_and_memory(monkeypatch, capsys):
    from solver import bench

    monkeypatch.setattr(bench, "SCALE_SIZES", (112,))
    assert bench.run_scale(False, 1.0) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert table[0].startswith("| participants | sessions | rooms | time limit | workers | attendable ratio ")
    cells = [x.strip() for x in table[2].strip("|").split("|")]
    assert cells[:5] == ["112", "34", "6", "1 s", "1"]
    ratio, greedy, reached, seconds, peak = map(float, cells[5:10])
    assert 0 < greedy <= ratio <= 1
    assert 0 <= reached <= seconds
    assert peak > 0
    assert cells[-1] == "yes"


def _cut_short(monkeypatch, clock_cooling: bool) -> int:
    """A 40 s search on a machine so busy that the clock ends it long before its work budget
    (a clock that moves 0.5 s at each look: deterministic, whatever this machine's speed)."""
    import solver.search as search_module

    now = [1000.0]

    def busy_clock():
        now[0] += 0.5
        return now[0]

    p = scaled(600, seed=4)
    c = Compiled(p)
    sched = baseline(c, co_votes(c), biggest_room=False)
    if not clock_cooling:
        monkeypatch.setattr(search_module, "CLOCK_COOLING_SECONDS", float("inf"))
    monkeypatch.setattr(search_module.time, "monotonic", busy_clock)
    search = LocalSearch(sched, 1, c.total_votes + 1)
    best = search.run(50_000_000, now[0] + 40, t_start=1.0, t_end=0.02)
    monkeypatch.undo()
    assert search.work < 50_000_000 // 4  # the clock, not the budget, ended it
    sched.load_placement(best)
    return sched.attendable


def test_a_long_search_cut_short_by_the_clock_still_ends_cold(monkeypatch):
    assert _cut_short(monkeypatch, clock_cooling=True) > _cut_short(monkeypatch, clock_cooling=False)
