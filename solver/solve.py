"""solve(problem, options) → Solution: greedy warm start, local search, CP-SAT for rooms."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from .baseline import baseline, keep_published
from .check import find_violations, score, upper_bound
from .data import Compiled, Schedule, co_votes
from .explain import precheck, why_unscheduled
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


def _objective(sched: Schedule) -> int:
    return sched.attendable - sched.c.problem.move_cost * sched.slot_moves


def solve(problem: Problem, options: Options | None = None) -> Solution:
    options = options or Options()
    started = time.monotonic()
    deadline = started + max(0.1, options.time_limit)
    c = Compiled(problem)
    bound = upper_bound(problem)
    checks = precheck(c)
    if checks.fatal:
        return Solution(
            status="infeasible",
            unscheduled=tuple(s.id for s in problem.sessions),
            stats={"wall_seconds": round(time.monotonic() - started, 3), "bound": bound},
            reasons=tuple(dict.fromkeys(checks.fatal)),
        )

    co = co_votes(c)
    place_weight = c.total_votes + 1
    # A re-solve starts from the published schedule, so that only worthwhile changes are made.
    sched = keep_published(c, co) if c.movable_previous else baseline(c, co, biggest_room=False)
    if options.progress:
        options.progress(time.monotonic() - started, _objective(sched), bound)

    # Leave a little of the time for the rooms.
    search_deadline = started + options.time_limit * 0.9
    work = int(options.time_limit * 0.85 * WORK_PER_SECOND)
    cap = sched.slot_moves + max(1, math.floor(options.max_changes * len(c.movable_previous)))
    search = LocalSearch(sched, options.seed, place_weight, max_moved=cap)
    best = search.run(work, search_deadline, options.progress, bound, t_start=1.0, t_end=0.02,
                      stop=options.stop)
    sched.load_placement(best)

    room_time = max(0.2, min(10.0, deadline - time.monotonic()))
    assign_rooms(sched, room_time, options.workers, options.seed)

    assignments, unscheduled = sched.assignments()
    reasons = list(checks.warnings)
    for sid in unscheduled:
        si = c.session_ix[sid]
        reasons.append(checks.unplaceable.get(si) or why_unscheduled(sched, si))
    solution = Solution("feasible", tuple(assignments), tuple(unscheduled), {}, tuple(reasons))

    violations = find_violations(problem, solution)
    if violations:  # never hand out a broken schedule: this is a bug, say so
        raise AssertionError("solver produced an invalid schedule: " + "; ".join(violations))
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
        "moves_tried": search.moves,
        **figures.as_dict(),
    }
    if options.progress:
        options.progress(wall, objective, bound)
    return Solution("optimal" if proven else "feasible", tuple(assignments), tuple(unscheduled),
                    stats, tuple(reasons))
