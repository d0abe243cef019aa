"""The greedy board method: the warm start of the search and the yardstick of the benchmark."""

from __future__ import annotations

from .data import Compiled, Schedule, co_votes


def sessions_in(sched: Schedule, t: int) -> list[int]:
    return [row[t] for row in sched.room_at if row[t] >= 0]


def place_pinned(sched: Schedule) -> None:
    """Fixed sessions and sessions that have already taken place go first, where they must be."""
    for si, (t, r) in sorted(sched.c.pinned.items()):
        if sched.start[si] < 0 and sched.can_place(si, t, r):
            sched.put(si, t, r)


def greedy_fill(sched: Schedule, co: list[dict[int, int]], biggest_room: bool) -> None:
    """Most-voted first, each into the earliest slot where it clashes least."""
    c = sched.c
    order = sorted((si for si in range(c.S) if sched.start[si] < 0),
                   key=lambda si: (-c.vote_count[si], si))
    for si in order:
        best = None
        for t in c.allowed_starts[si]:
            if biggest_room:
                free = [r for r in c.allowed[si][t] if sched.room_free(si, t, r)]
                r = max(free, key=lambda r: (c.capacity[r], -r)) if free and sched.people_free(si, t) else -1
            else:
                r = sched.free_room(si, t)
            if r < 0:
                continue
            clash = 0
            row = co[si]
            for j in range(t, t + c.length[si]):
                for other in sessions_in(sched, j):
                    clash += row.get(other, 0)
            if best is None or clash < best[0]:
                best = (clash, t, r)
        if best is not None:
            sched.put(si, best[1], best[2])


def baseline(c: Compiled, co: list[dict[int, int]] | None = None, biggest_room: bool = True) -> Schedule:
    """The spec's baseline: most-voted first, least-clash earliest slot, biggest free room."""
    sched = Schedule(c)
    place_pinned(sched)
    greedy_fill(sched, co if co is not None else co_votes(c), biggest_room)
    sched.rescore_all()
    return sched


def keep_published(c: Compiled, co: list[dict[int, int]] | None = None) -> Schedule:
    """The do-nothing plan of a re-solve: published sessions stay put, new ones fit around them."""
    sched = Schedule(c)
    place_pinned(sched)
    for si, (t, r) in sorted(c.movable_previous.items()):
        if sched.start[si] < 0 and sched.can_place(si, t, r):
            sched.put(si, t, r)
    greedy_fill(sched, co if co is not None else co_votes(c), biggest_room=False)
    sched.rescore_all()
    return sched
