"""Rooms second: with start slots decided, CP-SAT picks rooms to keep overflow low."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from .data import Schedule


def assign_rooms(sched: Schedule, time_limit: float, seed: int) -> bool:
    """Reassign rooms of the scheduled sessions, one day at a time; True when any room changed.

    Minimises overflow first, then rooms changed from the published schedule. Days are
    independent (no session spans two), so each gets its own small model (most are solved
    to optimality in well under a second); a day keeps its current rooms unless CP-SAT
    finds better ones.
    """
    c = sched.c
    by_day: dict[str, list[int]] = defaultdict(list)
    for si in range(c.S):
        if sched.start[si] >= 0:
            by_day[c.day[sched.start[si]]].append(si)
    new_rooms: dict[int, int] = {}
    for sessions in by_day.values():
        new_rooms.update(_assign_day(sched, sessions, time_limit, seed))
    changed = {si: r for si, r in new_rooms.items() if r != sched.room[si]}
    if changed:
        starts = {si: sched.start[si] for si in new_rooms}
        for si in new_rooms:
            sched.take(si)
        for si in new_rooms:
            sched.put(si, starts[si], new_rooms[si])
        sched.rescore_all()
    return bool(changed)


def _assign_day(sched: Schedule, sessions: list[int], time_limit: float, seed: int) -> dict[int, int]:
    c = sched.c
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    per_cell: dict[tuple[int, int], list] = defaultdict(list)
    cost = []
    current_cost = 0
    for si in sessions:
        t = sched.start[si]
        rooms = [c.pinned[si][1]] if si in c.pinned else c.allowed[si][t]
        choice = []
        for r in rooms:
            v = model.new_bool_var(f"room[{si},{r}]")
            x[(si, r)] = v
            choice.append(v)
            for j in range(t, t + c.length[si]):
                per_cell[(r, j)].append(v)
            overflow = max(0, c.vote_count[si] - c.capacity[r])
            prev = c.movable_previous.get(si)
            moved = 1 if prev is not None and prev[0] == t and prev[1] != r else 0
            weight = 1000 * overflow + 10 * moved
            if weight:
                cost.append(weight * v)
                if r == sched.room[si]:
                    current_cost += weight
            model.add_hint(v, r == sched.room[si])
        # Every scheduled session gets exactly one room.
        model.add_exactly_one(choice)
    # A room holds at most one session in any slot.
    for cell in per_cell.values():
        if len(cell) > 1:
            model.add_at_most_one(cell)
    keep = {si: sched.room[si] for si in sessions}
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
    solver.parameters.max_time_in_seconds = time_limit + 5
    solver.parameters.random_seed = seed
    # CP-SAT may stop before it has matched the hint: take its rooms only when they are better.
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.objective_value >= current_cost:
        return keep
    return {si: r for (si, r), v in x.items() if solver.value(v)}
