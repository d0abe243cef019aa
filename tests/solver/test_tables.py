"""Halls with tables, repeated runs, series and preferred times: the search as well as the checker."""

import random
from dataclasses import replace

import pytest

from solver import Options, Participant, Placement, Room, Session, Solution, find_violations, score, solve
from solver.baseline import place_pinned
from solver.check import attendable_for
from solver.data import Compiled, Schedule, number_tables
from solver.explain import describe, precheck
from solver.generate import campaigncon

from .conftest import make_problem

# A fixed search budget (people rescored): the same schedule on any machine; the time limit
# is only a backstop.
BUDGET = Options(time_limit=300, seed=0, work=1_200_000)


def one_run_each(problem):
    return replace(problem, sessions=tuple(replace(s, runs=1) for s in problem.sessions))


@pytest.fixture(scope="module")
def campaign():
    return campaigncon(2017)


@pytest.fixture(scope="module")
def solved(campaign):
    return solve(campaign, BUDGET)


def test_the_generated_campaigncon_has_the_shape_of_the_seed(campaign):
    assert len({s.day for s in campaign.slots}) == 3 and len(campaign.slots) == 10
    halls = [r for r in campaign.rooms if r.tables]
    assert [r.tables for r in halls] == [16] and len(campaign.rooms) - len(halls) == 5
    assert len(campaign.sessions) == 92
    assert sum(s.at_table for s in campaign.sessions) == 59
    assert sum(s.runs == 3 for s in campaign.sessions) == 14
    assert sum(s.after is not None for s in campaign.sessions) == 1
    assert sum(bool(s.prefer) for s in campaign.sessions) == 12


def test_every_session_is_placed_by_the_rules_and_repeats_help(campaign, solved):
    assert find_violations(campaign, solved) == []
    assert solved.unscheduled == ()
    with_repeats = score(campaign, solved)
    without = score(campaign, solve(one_run_each(campaign), BUDGET))
    assert with_repeats.extra_runs > 0
    assert with_repeats.attendable_votes >= without.attendable_votes
    assert with_repeats.preference_misses <= 12 // 4
    assert solved.stats["runs"] == with_repeats.extra_runs
    assert solved.stats["preference_misses"] == with_repeats.preference_misses


def test_tables_are_numbered_and_halls_are_never_mixed(campaign, solved):
    halls = {r.id: r.tables for r in campaign.rooms}
    at_table = {s.id for s in campaign.sessions if s.at_table}
    cells = {}
    for a in solved.assignments:
        if a.session in at_table:
            assert 1 <= a.table <= halls[a.room]
            assert (a.slot, a.room, a.table) not in cells
            cells[(a.slot, a.room, a.table)] = a.session
        else:
            assert a.table is None
    # Repeated runs of a bazaar pitch are in different slots.
    for s in campaign.sessions:
        slots = [a.slot for a in solved.assignments if a.session == s.id]
        assert len(slots) == len(set(slots)) <= s.runs


def test_the_search_counts_attendance_as_the_checker_does(campaign):
    """On random schedules, the search's incremental count equals the checker's matching."""
    c = Compiled(campaign)
    rng = random.Random(4)
    for _ in range(5):
        sched = Schedule(c)
        place_pinned(sched)
        units = [u for u in range(c.U) if u not in c.pinned]
        rng.shuffle(units)
        for u in units:
            starts = c.unit_starts[u]
            for t in rng.sample(starts, len(starts)):
                r = sched.free_room(u, t)
                if r >= 0:
                    sched.put(u, t, r)
                    break
        sched.rescore_all()
        number_tables(sched)
        assignments, unscheduled = sched.assignments()
        solution = Solution("feasible", tuple(assignments), tuple(unscheduled))
        assert find_violations(campaign, solution) == []
        assert sched.attendable == score(campaign, solution).attendable_votes
        assert sched.misses == score(campaign, solution).preference_misses


def test_a_person_attends_one_run_and_the_others_free_their_time():
    # Two slots: 'pitch' runs in both, 'talk' is in the first. Attending both is possible.
    runs = {"pitch": [(0, 0), (1, 1)], "talk": [(0, 0)]}
    assert attendable_for(runs, ["pitch", "talk"], set(), set()) == 2
    assert attendable_for(runs, ["pitch", "talk"], set(), {1}) == 1


def hall_problem(**kw):
    sessions = [Session(f"t{i}", f"Table {i}", 1, "en", frozenset(), (f"h{i}",), at_table=True) for i in range(5)]
    sessions.append(Session("big", "Big talk", 1, "en", frozenset(), ("x",)))
    rooms = (Room("hall", 100, tables=3),)
    return make_problem(sessions, rooms=rooms, **kw)


def test_a_hall_holds_tables_or_one_session_and_the_search_respects_it():
    p = hall_problem()
    solution = solve(p, Options(time_limit=60, seed=0, work=50_000))
    assert find_violations(p, solution) == []
    assert solution.unscheduled == ()
    by_slot = {}
    for a in solution.assignments:
        by_slot.setdefault(a.slot, []).append(a.session)
    big = next(slot for slot, here in by_slot.items() if "big" in here)
    assert by_slot[big] == ["big"]  # alone in the hall in its slot


def test_too_many_table_sessions_are_explained():
    many = [Session(f"t{i}", f"Table {i}", 1, "en", frozenset(), (f"h{i}",), at_table=True) for i in range(12)]
    p = make_problem(many, rooms=(Room("hall", 100, tables=3),))
    checks = precheck(Compiled(p))
    words = [describe(r, p) for r in checks.warnings]
    assert "12 table sessions but the halls have 9 table places in the free slots" in words[0]
    solution = solve(p, Options(time_limit=60, seed=0, work=50_000))
    assert find_violations(p, solution) == [] and len(solution.unscheduled) == 3


def test_part_two_comes_after_part_one_and_preferences_are_honoured():
    sessions = [Session("p2", "Part 2", 1, "en", frozenset(), ("a",), after="p1"),
                Session("p1", "Part 1", 1, "en", frozenset(), ("a",), prefer=frozenset({"d1-2"})),
                Session("other", "Other", 1, "en", frozenset(), ("b",))]
    people = [Participant(f"v{i}", votes=("p1", "p2", "other")) for i in range(4)]
    p = make_problem(sessions, participants=people)
    solution = solve(p, Options(time_limit=60, seed=0, work=50_000))
    assert find_violations(p, solution) == []
    where = {a.session: a.slot for a in solution.assignments}
    order = [s.id for s in p.slots]
    assert order.index(where["p2"]) > order.index(where["p1"])
    assert where["p1"] == "d1-2" and score(p, solution).preference_misses == 0


def test_a_re_solve_keeps_published_runs_and_their_tables(campaign, solved):
    previous = {}
    for a in solved.assignments:
        previous.setdefault(a.session, []).append(Placement(a.slot, a.room, a.table))
    now = campaign.slots[4].id
    again = replace(campaign, previous={k: tuple(v) for k, v in previous.items()}, now=now)
    solution = solve(again, Options(time_limit=300, seed=1, work=400_000))
    assert find_violations(again, solution) == []
    figures = score(again, solution)
    assert figures.slot_moves == 0 and figures.dropped == 0
    before = {(a.session, a.slot): (a.room, a.table) for a in solved.assignments}
    kept = [a for a in solution.assignments if (a.session, a.slot) in before]
    assert all(before[(a.session, a.slot)] == (a.room, a.table) for a in kept
               if a.table is not None and before[(a.session, a.slot)][0] == a.room)
