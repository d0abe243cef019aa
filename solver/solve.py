"""solve(problem, options) → Solution: greedy warm start, local search, CP-SAT for rooms."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from .baseline import baseline, keep_published
from .check import find_violations, score, upper_bound
from .data import Compiled, Schedule, co_votes, number_tables
from .explain import describe, precheck, why_unscheduled
from .interpret import fill_interpreters, language_reasons
from .problem import Problem, Solution
from .rooms import assign_rooms
from .search import LocalSearch

# People rescored per second of time limit (measured on 2 cores, with room to spare).
# The search stops on this count, not on the clock, so that a seed gives the same
# schedule on any machine; the clock is only a backstop for a much slower one.
WORK_PER_SECOND = 330_000


@dataclass(frozen=True)
class Options:
    time_limit: float = 10.0
    workers: int = 1
    seed: int = 0
    # On a re-solve, change at most this share of the published sessions still to come
    # (moved or dropped), beyond the changes the new input forces.
    max_changes: float = 0.1
    # progress(elapsed_seconds, objective, bound): called about twice a second.
    progress: Callable[[float, int, int], None] | None = None
    # stop(): asked as often; True ends the search early with the best schedule found so far.
    stop: Callable[[], bool] | None = None
    # The search's budget in people rescored (default: what time_limit allows on 2 cores).
    # With it set, time_limit is only a backstop, and a seed gives one schedule on any machine.
    work: int | None = None


def _objective(sched: Schedule) -> int:
    return sched.attendable - sched.penalty()


def _start(c: Compiled, co) -> Schedule:
    """A re-solve starts from the published schedule, so that only worthwhile changes are made.
    Under the language rule, interpreters go greedily where they help most, for the search to improve on."""
    sched = keep_published(c, co) if c.movable_previous else baseline(c, co, biggest_room=False)
    fill_interpreters(sched)
    return sched


def _search(c: Compiled, co, seed: int, work: int, seconds: float, max_changes: float,
            progress=None, bound: int = 0, stop=None, sched: Schedule | None = None):
    """One annealing run from the greedy start; returns (its objective, its best placement).

    When sessions may run several times, the search first finds the best schedule with one run
    each, then goes on from it with extra runs: a repeat stays only where it lets more people
    attend, and the result never scores below the schedule without repeats.
    """
    sched = sched or _start(c, co)
    place_weight = c.total_votes + 1
    cap = sched.slot_moves + max(1, math.floor(max_changes * len(c.movable_previous)))
    deadline = time.monotonic() + seconds
    repeats = c.U > c.S
    phases = [(False, 0.4), (True, 0.6)] if repeats else [(True, 1.0)]
    moves = 0
    for k, (extra, share) in enumerate(phases):
        search = LocalSearch(sched, seed + k, place_weight, max_moved=cap, extra_runs=extra)
        left = deadline - time.monotonic() if k == len(phases) - 1 else seconds * share
        best = search.run(int(work * share), time.monotonic() + max(0.0, left), progress, bound,
                          t_start=1.0 if k == 0 else 0.3, t_end=0.02, stop=stop)
        sched.load_placement(best)
        moves += search.moves
        if stop is not None and stop():
            break
    return sched.objective(place_weight), sched.copy_placement(), moves


def _portfolio_member(problem: Problem, seed: int, work: int, seconds: float, max_changes: float):
    """Runs in a worker process: the same search with another seed."""
    c = Compiled(problem)
    objective, best, _moves = _search(c, co_votes(c), seed, work, seconds, max_changes)
    return objective, best


def solve(problem: Problem, options: Options | None = None) -> Solution:
    options = options or Options()
    started = time.monotonic()
    deadline = started + max(0.1, options.time_limit)
    c = Compiled(problem)
    bound = upper_bound(problem)
    checks = precheck(c)
    if checks.fatal:
        fatal = tuple(dict.fromkeys(checks.fatal))
        return Solution(
            status="infeasible",
            unscheduled=tuple(s.id for s in problem.sessions),
            stats={"wall_seconds": round(time.monotonic() - started, 3), "bound": bound},
            reasons=tuple(describe(r, problem) for r in fatal),
            explanations=fatal,
        )

    co = co_votes(c)
    start = _start(c, co)
    if options.progress:
        options.progress(time.monotonic() - started, _objective(start), bound)

    # Leave the rooms their share of the time (a fixed share of the limit, not what the clock
    # left over, so that a seed gives one answer), and a little for the rest.
    room_time = max(0.2, min(10.0, 0.25 * options.time_limit))
    seconds = options.time_limit * 0.9 - min(room_time, 0.05 * options.time_limit) - (time.monotonic() - started)
    work = options.work or int(options.time_limit * 0.85 * WORK_PER_SECOND)
    # With several workers, other processes anneal from the same start with other seeds;
    # the best schedule wins (ties to the lowest seed, so the answer stays reproducible).
    pool = results = None
    if options.workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(options.workers - 1)
        results = [pool.apply_async(_portfolio_member, (problem, options.seed + k, work, seconds,
                                                        options.max_changes))
                   for k in range(1, options.workers)]
    try:
        objective, best, moves = _search(c, co, options.seed, work, seconds, options.max_changes,
                                         options.progress, bound, options.stop, sched=start)
        stopped = options.stop is not None and options.stop()
        for result in results or ():
            if stopped:
                break
            try:
                # Members stop on their own clock; the grace covers starting a process.
                other_objective, other = result.get(timeout=max(0.0, deadline - time.monotonic()) + 10)
            except Exception:  # noqa: S112, BLE001 (a lost member only costs its search)
                continue
            if other_objective > objective:
                objective, best = other_objective, other
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    sched = Schedule(c)
    sched.load_placement(best)

    assign_rooms(sched, room_time, options.seed, deadline=started + 0.97 * options.time_limit)
    number_tables(sched)
    fill_interpreters(sched)  # (new rooms may have freed a room with booths)

    assignments, unscheduled = sched.assignments()
    explanations = list(checks.warnings)
    for sid in unscheduled:
        si = c.session_ix[sid]
        explanations.append(checks.unplaceable.get(si) or why_unscheduled(sched, si))
    explanations.extend(language_reasons(sched))
    reasons = tuple(describe(r, problem) for r in explanations)
    solution = Solution("feasible", tuple(assignments), tuple(unscheduled), {}, reasons, tuple(explanations))

    violations = find_violations(problem, solution)
    if violations:  # never hand out a broken schedule: this is a bug, say so
        raise AssertionError("solver produced an invalid schedule: "
                             + "; ".join(describe(v, problem) for v in violations))
    figures = score(problem, solution)
    placeable_all = len(unscheduled) == len(checks.unplaceable)
    proven = placeable_all and figures.attendable_votes == bound and figures.slot_moves == 0
    wall = time.monotonic() - started
    objective = figures.objective
    stats = {
        "objective": objective,
        "bound": bound,
        "gap": round((bound - objective) / bound, 6) if bound else 0.0,
        "wall_seconds": round(wall, 3),
        "moves_tried": moves,
        **figures.as_dict(),
    }
    if options.progress:
        options.progress(wall, objective, bound)
    return Solution("optimal" if proven else "feasible", tuple(assignments), tuple(unscheduled),
                    stats, reasons, tuple(explanations))
