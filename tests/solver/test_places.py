"""Places and their deltas: what the evaluator predicts is what the checker finds afterwards."""

import random
from collections import defaultdict

import pytest

from solver import Options, Solution, find_violations, score, solve
from solver.check import attendable_for
from solver.generate import campaigncon, generate
from solver.places import Evaluator, figures
from solver.problem import Assignment


def applied(solution: Solution, change: dict) -> Solution:
    """The solution after the change, as a hand edit in the app leaves it: a run that stays in its
    slot and room keeps its interpreters, a run that moves has none."""
    kept = {(a.session, a.slot, a.room): a.interpretation for a in solution.assignments}
    assignments = [a for a in solution.assignments if a.session not in change]
    for sid, runs in change.items():
        assignments += [Assignment(sid, slot, room, table, kept.get((sid, slot, room), ()))
                        for slot, room, table in runs]
    placed = {a.session for a in assignments}
    listed = tuple(dict.fromkeys([*solution.unscheduled, *change]))
    return Solution("feasible", tuple(assignments), tuple(s for s in listed if s not in placed))


def per_person(problem, solution) -> dict[str, int]:
    """Each person's attendable votes, counted as check.score counts them: under the language rule
    only runs they understand, and an interpreter who is a participant is busy while interpreting."""
    index = {s.id: i for i, s in enumerate(problem.slots)}
    length = {s.id: s.length for s in problem.sessions}
    language = {s.id: s.language for s in problem.sessions}
    person = {x.id: x.participant for x in problem.interpreters}
    spans, heard, interpreting = defaultdict(list), defaultdict(list), defaultdict(set)
    for a in solution.assignments:
        first, last = index[a.slot], index[a.slot] + length[a.session] - 1
        spans[a.session].append((first, last))
        heard[a.session].append({language[a.session], *(x.into for x in a.interpretation)})
        for x in a.interpretation:
            if person.get(x.interpreter):
                interpreting[person[x.interpreter]].update(range(first, last + 1))
    own = defaultdict(set)
    for s in problem.sessions:
        for f in s.facilitators:
            own[f].add(s.id)
    out = {}
    for p in problem.participants:
        mine = own.get(p.id, set())
        blocked = {index[x] for x in p.unavailable}
        for sid in mine:
            for first, last in spans.get(sid, ()):
                blocked.update(range(first, last + 1))
        blocked |= interpreting[p.id]
        runs = spans
        if problem.language_rule and p.languages:
            runs = {sid: ok for sid in spans
                    if (ok := [sp for sp, h in zip(spans[sid], heard[sid], strict=True) if h & set(p.languages)])}
        out[p.id] = attendable_for(runs, [v for v in p.votes if v not in mine], mine, blocked)
    return out


def interpreted_runs_lost(solution: Solution, change: dict) -> int:
    """How many interpreted runs the change moves (each loses its interpreters)."""
    return sum(1 for a in solution.assignments if a.interpretation and a.session in change
               and (a.slot, a.room) not in {r[:2] for r in change[a.session]})


def _sample_places(ev, rng, n_sessions):
    sessions = [s.id for s in ev.problem.sessions if s.fixed is None]
    for sid in rng.sample(sessions, min(n_sessions, len(sessions))):
        runs = ev.runs.get(sid, [])
        from_slot = rng.choice(runs)[0] if len(runs) > 1 else None
        yield from ev.places(sid, from_slot)


@pytest.mark.parametrize("problem", [campaigncon(), generate(sessions=40, participants=120, seed=3, resolve=True),
                                     generate(sessions=40, participants=150, seed=4, interpreters=4)],
                         ids=["tables-series-preferences", "resolve-with-moves", "languages-interpreters"])
def test_predicted_deltas_and_verdicts_equal_the_checkers_on_random_places(problem):
    rng = random.Random(19)
    solution = solve(problem, Options(time_limit=5, workers=1, seed=0, work=20_000))
    assert not find_violations(problem, solution)
    ev = Evaluator(problem, solution)
    before = figures(problem, solution)
    people_before = per_person(problem, solution)
    tried = valid = swaps = losing = gaining = lost_interpretation = 0
    kinds, moves, interpreters_changed = set(), set(), 0
    interpreter_people = {x.participant for x in problem.interpreters if x.participant}
    for place in _sample_places(ev, rng, 25):
        if rng.random() > 0.25:
            continue
        after_solution = applied(solution, dict(place.change))
        after = figures(problem, after_solution)
        d = place.delta
        assert after["attendable"] - before["attendable"] == d.attendable, place
        assert after["overflow"] - before["overflow"] == d.overflow, place
        assert after["preference_misses"] - before["preference_misses"] == d.preference_misses, place
        assert after["slot_moves"] - before["slot_moves"] == d.slot_moves + d.dropped == place.delta.as_dict()[
            "slot_moves"], place
        moves.add(d.slot_moves)
        assert after["unscheduled"] - before["unscheduled"] == d.unscheduled, place
        people_after = per_person(problem, after_solution)
        changes = [people_after[k] - people_before[k] for k in people_before]
        assert (d.lose, d.gain) == (sum(c < 0 for c in changes), sum(c > 0 for c in changes)), place
        lost_interpretation += interpreted_runs_lost(solution, dict(place.change)) > 0
        interpreters_changed += any(people_after[k] != people_before[k] for k in interpreter_people)
        losing += d.lose > 0
        gaining += d.gain > 0
        full = find_violations(problem, after_solution)
        assert place.valid == (not full), (place, full)
        assert {v.rule for v in place.violations} == {v.rule for v in full}
        kinds.update(v.rule for v in full)
        tried += 1
        valid += place.valid
        swaps += place.swap_with is not None
    assert tried > 100 and valid > 20 and swaps > 20 and len(kinds) >= 2 and losing > 10 and gaining > 10
    if problem.previous:
        assert len(moves) >= 2  # some places move a published session, some do not
    if problem.language_rule:  # some places take interpreters away from runs, some free an interpreter who votes
        assert lost_interpretation > 10 and interpreters_changed, (lost_interpretation, interpreters_changed)


def test_places_list_valid_places_first_best_first_and_skip_the_current_one():
    problem = campaigncon()
    solution = solve(problem, Options(time_limit=5, workers=1, seed=0, work=20_000))
    ev = Evaluator(problem, solution)
    sid = next(a.session for a in solution.assignments
               if sum(b.session == a.session for b in solution.assignments) == 1 and not a.session.startswith("plen")
               and problem.sessions[ev.order[a.session]].fixed is None)
    here = ev.runs[sid][0]
    places = ev.places(sid)
    assert all((p.slot, p.room) != here[:2] for p in places)
    ranks = [p.rank() for p in places]
    assert ranks == sorted(ranks)
    first_invalid = next(i for i, p in enumerate(places) if not p.valid)
    assert all(p.valid for p in places[:first_invalid]) and not any(p.valid for p in places[first_invalid:])
    assert score(problem, solution).attendable_votes == figures(problem, solution)["attendable"]
