"""The greedy board method: the warm start of the search and the yardstick of the benchmark."""

from __future__ import annotations

from .data import Compiled, Schedule, co_votes


def sessions_in(sched: Schedule, t: int) -> list[int]:
    """The sessions running in slot t (ordinary and at tables)."""
    c = sched.c
    out = [c.unit_session[row[t]] for row in sched.room_at if row[t] >= 0]
    for row in sched.at_tables:
        out.extend(c.unit_session[u] for u in row[t])
    return out


def place_pinned(sched: Schedule) -> None:
    """Fixed sessions and runs that have already taken place go first, where they must be."""
    for u, (t, r, _table) in sorted(sched.c.pinned.items()):
        if sched.start[u] < 0 and sched.can_place(u, t, r):
            sched.put(u, t, r)


def free_units(sched: Schedule, si: int) -> list[int]:
    c = sched.c
    return [u for u in c.units_of[si] if sched.start[u] < 0 and u not in c.pinned]


def greedy_fill(sched: Schedule, co: list[dict[int, int]], biggest_room: bool) -> None:
    """Most-voted first, each (one run) into the earliest slot where it clashes least."""
    c = sched.c
    order = sorted((si for si in range(c.S) if sched.n_placed[si] == 0 and free_units(sched, si)),
                   key=lambda si: (-c.vote_count[si], si))
    # The sessions in each slot, kept here as they are placed (scanning every room is slow at scale).
    running = [sessions_in(sched, t) for t in range(c.T)]
    for si in order:
        u = free_units(sched, si)[0]
        row = co[si]
        # Least clash first, then earliest: the first of these with a free room is the greedy's choice.
        candidates = sorted((sum(row.get(other, 0) for j in range(t, t + c.length[si]) for other in running[j]), t)
                            for t in c.unit_starts[u])
        for _clash, t in candidates:
            if biggest_room and not c.at_table[si]:
                free = [r for r in c.unit_allowed[u][t] if sched.room_free(u, t, r)]
                ok = free and sched.people_free(si, t) and sched.order_ok(u, t)
                r = max(free, key=lambda r: (c.capacity[r], -r)) if ok else -1
            else:
                r = sched.free_room(u, t)
            if r >= 0:
                sched.put(u, t, r)
                for j in range(t, t + c.length[si]):
                    running[j].append(si)
                break


def baseline(c: Compiled, co: list[dict[int, int]] | None = None, biggest_room: bool = True) -> Schedule:
    """The spec's baseline: most-voted first, least-clash earliest slot, biggest free room."""
    sched = Schedule(c)
    place_pinned(sched)
    greedy_fill(sched, co if co is not None else co_votes(c), biggest_room)
    sched.rescore_all()
    return sched


def keep_published(c: Compiled, co: list[dict[int, int]] | None = None) -> Schedule:
    """The do-nothing plan of a re-solve: published runs stay put, new sessions fit around them."""
    sched = Schedule(c)
    place_pinned(sched)
    for si, runs in sorted(c.movable_previous.items()):
        for u, (t, r, _table) in zip(free_units(sched, si), runs, strict=False):
            if sched.can_place(u, t, r):
                sched.put(u, t, r)
    greedy_fill(sched, co if co is not None else co_votes(c), biggest_room=False)
    sched.rescore_all()
    return sched
