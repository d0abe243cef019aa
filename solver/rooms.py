"""Rooms second: with start slots decided, CP-SAT picks rooms to keep overflow low."""

from __future__ import annotations

import time
from collections import defaultdict

from ortools.sat.python import cp_model

from .data import Schedule


def assign_rooms(sched: Schedule, time_limit: float, seed: int, deadline: float | None = None) -> bool:
    """Reassign rooms of the scheduled ordinary runs, one day at a time, within time_limit
    (deterministic) seconds in all, and by the clock's deadline (time.monotonic()) when given, a
    backstop for a busy machine; True when any room changed.

    Minimises overflow first, then rooms changed from the published schedule. Days are
    independent (no session spans two), so each gets its own small model (most are solved
    to optimality in well under a second); a day keeps its current rooms unless CP-SAT
    finds better ones. Table runs stay in their halls; a hall at tables takes no ordinary run.
    """
    c = sched.c
    by_day: dict[str, list[int]] = defaultdict(list)
    for u in range(c.U):
        if sched.start[u] >= 0 and not c.at_table[c.unit_session[u]]:
            by_day[c.day[sched.start[u]]].append(u)
    new_rooms: dict[int, int] = {}
    # The limit is for the whole stage (at scale, CP-SAT would use each day's limit in full).
    per_day = time_limit / max(1, len(by_day))
    for k, units in enumerate(by_day.values()):
        wall = per_day + 5
        if deadline is not None:
            wall = max(0.1, min(wall, (deadline - time.monotonic()) / (len(by_day) - k)))
        new_rooms.update(_assign_day(sched, units, per_day, seed, wall))
    changed = {u: r for u, r in new_rooms.items() if r != sched.room[u]}
    if changed:
        starts = {u: sched.start[u] for u in new_rooms}
        interpreted = {u: list(sched.interp[u]) for u in new_rooms if sched.interp[u]}
        for u in new_rooms:
            sched.take(u)
        for u in new_rooms:
            sched.put(u, starts[u], new_rooms[u])
        for u, pairs in interpreted.items():  # (kept in rooms with the interpretation feature)
            for i, b in pairs:
                sched.interpret(u, i, b)
        sched.rescore_all()
    return bool(changed)


def _assign_day(sched: Schedule, units: list[int], time_limit: float, seed: int, wall: float) -> dict[int, int]:
    c = sched.c
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    per_cell: dict[tuple[int, int], list] = defaultdict(list)
    cost = []
    current_cost = 0
    for u in units:
        si, t = c.unit_session[u], sched.start[u]
        span = range(t, t + c.length[si])
        rooms = [r for r in c.unit_allowed[u][t] if (r == sched.room[u]
                 or not any(sched.at_tables[r][j] for j in span)) and (not sched.interp[u] or c.booth[r])]
        choice = []
        for r in rooms:
            v = model.new_bool_var(f"room[{u},{r}]")
            x[(u, r)] = v
            choice.append(v)
            for j in span:
                per_cell[(r, j)].append(v)
            # Overflow: a session with several runs shares its people among them.
            overflow = max(0, c.demand[si] // max(1, sched.n_placed[si]) - c.capacity[r])
            moved = 1 if any(pt == t and pr != r for pt, pr, _ in c.movable_previous.get(si, ())) else 0
            weight = 1000 * overflow + 10 * moved
            if weight:
                cost.append(weight * v)
                if r == sched.room[u]:
                    current_cost += weight
            model.add_hint(v, r == sched.room[u])
        # Every scheduled run gets exactly one room.
        model.add_exactly_one(choice)
    # A room holds at most one session in any slot.
    for cell in per_cell.values():
        if len(cell) > 1:
            model.add_at_most_one(cell)
    keep = {u: sched.room[u] for u in units}
    if not cost:
        return keep
    model.minimize(sum(cost))
    solver = cp_model.CpSolver()
    # One worker and a deterministic time limit: the same input gives the same rooms.
    # (The model is small; the wall-clock limit is only a backstop for a slow machine.)
    solver.parameters.num_workers = 1
    # Room assignment is close to a matching: its LP relaxation guides the search well.
    solver.parameters.linearization_level = 2
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.max_time_in_seconds = wall
    solver.parameters.random_seed = seed
    # CP-SAT may stop before it has matched the hint: take its rooms only when they are better.
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.objective_value >= current_cost:
        return keep
    return {u: r for (u, r), v in x.items() if solver.value(v)}
