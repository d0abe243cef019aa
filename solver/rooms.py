"""Rooms second: with start slots decided, CP-SAT picks rooms to keep overflow low."""

from __future__ import annotations

from ortools.sat.python import cp_model

from .data import Schedule


def assign_rooms(sched: Schedule, time_limit: float, seed: int) -> bool:
    """Reassign rooms of the scheduled sessions; keep the current rooms if nothing better is proven.

    Minimises overflow first, then rooms changed from the published schedule.
    Returns True when the rooms changed.
    """
    c = sched.c
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    per_cell: dict[tuple[int, int], list] = {}
    cost = []
    scheduled = [si for si in range(c.S) if sched.start[si] >= 0]
    for si in scheduled:
        t = sched.start[si]
        rooms = [c.pinned[si][1]] if si in c.pinned else c.allowed[si][t]
        choice = []
        for r in rooms:
            v = model.new_bool_var(f"room[{si},{r}]")
            x[(si, r)] = v
            choice.append(v)
            for j in range(t, t + c.length[si]):
                per_cell.setdefault((r, j), []).append(v)
            overflow = max(0, c.vote_count[si] - c.capacity[r])
            prev = c.movable_previous.get(si)
            moved = 1 if prev is not None and prev[0] == t and prev[1] != r else 0
            weight = 1000 * overflow + 10 * moved
            if weight:
                cost.append(weight * v)
            model.add_hint(v, r == sched.room[si])
        # Every scheduled session gets exactly one room.
        model.add_exactly_one(choice)
    # A room holds at most one session in any slot.
    for cell in per_cell.values():
        if len(cell) > 1:
            model.add_at_most_one(cell)
    if not cost:
        return False
    model.minimize(sum(cost))
    solver = cp_model.CpSolver()
    # One worker and a deterministic time limit: the same input gives the same rooms.
    # (The model is small; the wall-clock limit is only a backstop for a slow machine.)
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.max_time_in_seconds = time_limit + 5
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    changed = False
    for si in scheduled:
        for r in ([c.pinned[si][1]] if si in c.pinned else c.allowed[si][sched.start[si]]):
            if solver.value(x[(si, r)]) and r != sched.room[si]:
                changed = True
    if changed:
        new_rooms = {si: r for (si, r), v in x.items() if solver.value(v)}
        starts = {si: sched.start[si] for si in scheduled}
        for si in scheduled:
            sched.take(si)
        for si in scheduled:
            sched.put(si, starts[si], new_rooms[si])
        sched.rescore_all()
    return changed
