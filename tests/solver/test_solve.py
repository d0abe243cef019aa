"""The solver on small instances: valid, places what can be placed, explains the rest."""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import (
    Options,
    Participant,
    Placement,
    Room,
    Solution,
    load_problem,
    score,
    solve,
)
from solver.baseline import baseline
from solver.data import Compiled
from solver.generate import generate

from .conftest import make_problem, session

BENCH = Path(__file__).resolve().parents[2] / "bench" / "instances"
QUICK = Options(time_limit=1.0, seed=1)


def baseline_solution(problem):
    assignments, unscheduled = baseline(Compiled(problem)).assignments()
    return Solution("feasible", tuple(assignments), tuple(unscheduled))


def test_clashing_favourites_go_to_different_slots():
    # Everyone wants both a and b; there are two slots, so they must not share one.
    people = [Participant(f"v{i}", votes=("a", "b")) for i in range(5)]
    p = make_problem([session("a", "x"), session("b", "y")], participants=people)
    solution = solve(p, QUICK)
    starts = {a.session: a.slot for a in solution.assignments}
    assert starts["a"] != starts["b"]
    assert score(p, solution).attendable_votes == 10
    assert solution.status == "optimal"


def test_solver_beats_or_equals_baseline_on_generated_instance():
    p = generate(sessions=40, participants=120, seed=7)
    solution = solve(p, Options(time_limit=2.0, seed=0))
    base = score(p, baseline_solution(p))
    mine = score(p, solution)
    assert mine.unscheduled <= base.unscheduled
    assert mine.attendable_votes > base.attendable_votes


def test_same_seed_same_schedule():
    p = generate(sessions=30, participants=80, seed=3)
    first = solve(p, Options(time_limit=1.0, seed=5))
    second = solve(p, Options(time_limit=1.0, seed=5))
    assert first.assignments == second.assignments


def test_session_without_an_equipped_room_is_left_out_with_a_reason():
    p = make_problem([session("d", "x", needs=["projector"], title="Designing with drones"),
                      session("e", "y")],
                     rooms=(Room("hall", 100, frozenset({"projector"}), frozenset({"d1-1", "d1-2", "d2-1"})),
                            Room("tent", 10)))
    solution = solve(p, QUICK)
    assert solution.unscheduled == ("d",)
    assert solution.status in ("feasible", "optimal")
    assert ("'Designing with drones' needs projector, and no room with projector is available "
            "in any slot its facilitators can attend.") in solution.reasons


def test_feature_no_room_has_is_named():
    p = make_problem([session("s", "x", needs=["sign-language interpretation"], title="Signs")])
    solution = solve(p, QUICK)
    assert solution.unscheduled == ("s",)
    assert "'Signs' needs sign-language interpretation, and no room has sign-language interpretation." \
        in solution.reasons


def test_two_fixed_sessions_in_one_room_is_infeasible_and_named():
    p = make_problem([session("a", "x", fixed=("d1-1", "hall"), title="Opening"),
                      session("b", "y", fixed=("d1-1", "hall"), title="Volunteers")])
    solution = solve(p, QUICK)
    assert solution.status == "infeasible"
    assert solution.reasons == ("'Opening' and 'Volunteers' are both fixed to room hall in slot d1-1.",)


def test_facilitator_fixed_in_two_places_is_infeasible():
    p = make_problem([session("a", "x", fixed=("d1-1", "hall"), title="One"),
                      session("b", "x", fixed=("d1-1", "tent"), title="Two")])
    solution = solve(p, QUICK)
    assert solution.status == "infeasible"
    assert solution.reasons == ("Facilitator x is fixed in two places in slot d1-1: 'One' and 'Two'.",)


def test_benchmark_infeasible_instance_names_sessions_and_room():
    p = load_problem(str(BENCH / "small-infeasible.json"))
    solution = solve(p, QUICK)
    assert solution.status == "infeasible"
    assert any("'Opening circle: the state of global campaigning' and 'Working with volunteers: "
               "distributed campaigns' are both fixed to room r1 in slot d1-1." == r
               for r in solution.reasons)


def test_resolve_keeps_the_past_and_fixed_sessions():
    p = generate(sessions=40, participants=100, seed=11, resolve=True)
    solution = solve(p, Options(time_limit=1.5, seed=0))
    placed = {a.session: (a.slot, a.room) for a in solution.assignments}
    now = [s.id for s in p.slots].index(p.now)
    past = {sid: pl[0] for sid, pl in p.previous.items() if [s.id for s in p.slots].index(pl[0].slot) < now}
    assert past, "the generated re-solve has sessions in the past"
    for sid, pl in past.items():
        assert placed[sid] == (pl.slot, pl.room)
    for s in p.sessions:
        if s.fixed:
            assert placed[s.id] == (s.fixed.slot, s.fixed.room)


def test_resolve_moves_few_published_sessions():
    p = generate(sessions=60, participants=150, seed=4, resolve=True)
    solution = solve(p, Options(time_limit=2.0, seed=0))
    s = score(p, solution)
    future = [sid for sid, pl in p.previous.items()
              if [x.id for x in p.slots].index(pl[0].slot) >= [x.id for x in p.slots].index(p.now)]
    assert s.slot_moves + s.dropped <= 0.1 * len(future)


def test_resolve_beats_the_do_nothing_plan_when_a_move_pays():
    # b was published in d1-2 together with a, which all five voters also want.
    people = [Participant(f"v{i}", votes=("a", "b")) for i in range(5)]
    p = make_problem([session("a", "x"), session("b", "y")], participants=people,
                     previous={"a": Placement("d1-2", "hall"), "b": Placement("d1-2", "tent")},
                     now="d1-2", move_cost=2)
    solution = solve(p, QUICK)
    s = score(p, solution)
    assert (s.attendable_votes, s.slot_moves) == (10, 1)
    assert s.objective == 8


def test_progress_reports_objective_and_bound():
    seen = []
    p = generate(sessions=30, participants=80, seed=2)
    solve(p, Options(time_limit=1.5, progress=lambda e, o, b: seen.append((e, o, b))))
    assert len(seen) >= 2
    assert all(o <= b for _, o, b in seen)
    assert seen[-1][1] >= seen[0][1]


def test_solution_is_json_ready():
    from solver import solution_to_dict

    p = generate(sessions=20, participants=40, seed=1)
    data = solution_to_dict(solve(p, QUICK))
    assert json.loads(json.dumps(data))["format"] == "agenda-solution/1"
    assert {"objective", "bound", "gap", "wall_seconds"} <= set(data["stats"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=8, max_value=30),
       st.integers(min_value=2, max_value=5), st.integers(min_value=2, max_value=4),
       st.booleans())
def test_any_small_instance_gives_a_valid_schedule_no_worse_than_baseline(seed, n, rooms, per_day, resolve):
    p = generate(sessions=n, participants=3 * n, days=2, slots_per_day=per_day, rooms=rooms,
                 seed=seed, resolve=resolve)
    solution = solve(p, Options(time_limit=0.3, seed=seed))
    if solution.status == "infeasible":
        # Only fixed sessions can make a schedule impossible, and then the reason says which.
        assert solution.reasons
        return
    # solve() runs the independent checker on its answer and raises if a rule is broken.
    assert len(solution.assignments) >= len(baseline_solution(p).assignments) or resolve


def test_stop_returns_the_best_schedule_so_far():
    import time

    p = generate(sessions=60, participants=150, seed=9)
    started = time.monotonic()
    solution = solve(p, Options(time_limit=30, stop=lambda: time.monotonic() - started > 1.0))
    assert time.monotonic() - started < 10
    assert solution.status == "feasible"
    assert score(p, solution).attendable_votes >= score(p, baseline_solution(p)).attendable_votes


def test_two_workers_are_reproducible_and_no_worse_than_one():
    p = generate(sessions=30, participants=80, seed=12)
    one = solve(p, Options(time_limit=2.0, seed=3))
    two = solve(p, Options(time_limit=2.0, seed=3, workers=2))
    again = solve(p, Options(time_limit=2.0, seed=3, workers=2))
    assert two.assignments == again.assignments
    assert score(p, two).attendable_votes >= score(p, one).attendable_votes


def test_a_session_expected_at_55_goes_to_the_room_that_holds_55():
    # b has 40 votes and a only 3, but the head counts so far say a will draw 55 people:
    # with one slot for both, a takes the room for 55 and b the room for 30.
    from dataclasses import replace

    from solver import Slot
    from solver.problem import problem_from_dict, problem_to_dict

    people = [Participant(f"v{i}", votes=("b",)) for i in range(40)]
    people += [Participant(f"w{i}", votes=("a",)) for i in range(3)]
    rooms = (Room("fifty-five", 55), Room("thirty", 30))
    one_slot = (Slot("d1-1", "2017-11-07", "09:00", "10:30"),)
    sessions = [session("a", "x"), session("b", "y")]
    by_votes = solve(make_problem(sessions, participants=people, rooms=rooms, slots=one_slot), QUICK)
    assert {a.session: a.room for a in by_votes.assignments} == {"a": "thirty", "b": "fifty-five"}

    expected = make_problem([replace(sessions[0], expected=55), sessions[1]], participants=people,
                            rooms=rooms, slots=one_slot)
    expected = problem_from_dict(json.loads(json.dumps(problem_to_dict(expected))))  # the key survives a file
    solution = solve(expected, QUICK)
    assert {a.session: a.room for a in solution.assignments} == {"a": "fifty-five", "b": "thirty"}
    # The checker counts overflow from `expected` too: b's 40 voters in 30 seats.
    assert score(expected, solution).overflow == 10
    assert score(expected, by_votes).overflow == 25
