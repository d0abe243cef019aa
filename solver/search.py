"""Local search over start slots (and rooms) with exact incremental scoring.

Moves: relocate a run, swap two runs' places, insert an unscheduled session (ejecting another
when that helps), add or drop an extra run of a session that may run several times. Simulated
annealing on the objective place_weight × placed + attendable votes − move_cost × slot moves
− prefer_cost × preference misses; the temperature falls with the move count, not the clock,
so that one seed gives one result.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from .data import Compiled, Schedule

Progress = Callable[[float, int, int], None]


class LocalSearch:
    def __init__(self, sched: Schedule, seed: int, place_weight: int, max_moved: int | None = None,
                 extra_runs: bool = True):
        self.s = sched
        self.c: Compiled = sched.c
        self.rng = random.Random(seed)  # noqa: S311 (a seeded search, not secrets)
        self.W = place_weight
        self.max_moved = max_moved if max_moved is not None else sched.c.U
        c = self.c
        # Without extra runs, only a session's first unit (and runs already placed) may move.
        self.movable = [u for u in range(c.U) if u not in c.pinned and c.unit_starts[u]
                        and (extra_runs or u == c.units_of[c.unit_session[u]][0] or sched.start[u] >= 0)]
        self.extra_runs = extra_runs
        self.log: list[tuple] = []
        self.moves = self.work = 0

    # Elementary steps, recorded so that a rejected move can be undone.

    def _take(self, u: int) -> tuple[int, int]:
        t, r = self.s.take(u)
        self.log.append(("take", u, t, r))
        return t, r

    def _put(self, u: int, t: int, r: int) -> None:
        self.s.put(u, t, r)
        self.log.append(("put", u))

    def _undo(self) -> None:
        for entry in reversed(self.log):
            if entry[0] == "take":
                self.s.put(entry[1], entry[2], entry[3])
            else:
                self.s.take(entry[1])
        self.log.clear()

    def _place_somewhere(self, u: int, avoid: int) -> bool:
        """Put a displaced unit into any free place, trying slots in random order."""
        starts = self.c.unit_starts[u]
        order = self.rng.sample(starts, len(starts))
        for t in order:
            if t == avoid:
                continue
            r = self.s.free_room(u, t)
            if r >= 0:
                self._put(u, t, r)
                return True
        return False

    def _spare(self, u: int) -> bool:
        """An extra run: its session stays placed without it."""
        return self.s.n_placed[self.c.unit_session[u]] >= 1

    # Moves: each returns the units it touched, or None when it could not be made.

    def relocate(self, u: int) -> list[int] | None:
        starts = self.c.unit_starts[u]
        t_new = starts[self.rng.randrange(len(starts))]
        if t_new == self.s.start[u]:
            return None
        t_old, _ = self._take(u)
        r = self.s.free_room(u, t_new)
        if r < 0:
            self._undo()
            return self.swap(u, t_new) if t_old >= 0 else None
        self._put(u, t_new, r)
        return [u]

    def swap(self, u: int, t_new: int) -> list[int] | None:
        """u goes to t_new in the room of what is there, which goes to u's place (or elsewhere)."""
        rooms = self.c.unit_allowed[u].get(t_new)
        if not rooms:
            return None
        r_new = rooms[self.rng.randrange(len(rooms))]
        others = self.s.occupants(u, t_new, r_new)
        if not others or u in others or any(o in self.c.pinned for o in others):
            return None
        t_old, r_old = self._take(u)
        for o in others:
            self._take(o)
        if not self.s.can_place(u, t_new, r_new):
            self._undo()
            return None
        self._put(u, t_new, r_new)
        for o in others:
            r = self.s.free_room(o, t_old, prefer=r_old)
            if r >= 0:
                self._put(o, t_old, r)
            elif not self._place_somewhere(o, t_new) and not self._spare(o):
                self._undo()
                return None
        return [u, *others]

    def insert(self, u: int) -> list[int] | None:
        """Place an unscheduled session, ejecting whatever holds the chosen place if need be."""
        starts = self.c.unit_starts[u]
        t = starts[self.rng.randrange(len(starts))]
        r = self.s.free_room(u, t)
        if r >= 0:
            self._put(u, t, r)
            return [u]
        rooms = self.c.unit_allowed[u][t]
        r = rooms[self.rng.randrange(len(rooms))]
        others = self.s.occupants(u, t, r)
        if any(o in self.c.pinned for o in others):
            return None
        for o in others:
            self._take(o)
        if not self.s.can_place(u, t, r):
            self._undo()
            return None
        self._put(u, t, r)
        for o in others:
            self._place_somewhere(o, -1)  # if nowhere, it waits unscheduled
        return [u, *others]

    def add_run(self, u: int) -> list[int] | None:
        """Another run of a placed session, in a free place."""
        starts = self.c.unit_starts[u]
        t = starts[self.rng.randrange(len(starts))]
        r = self.s.free_room(u, t)
        if r < 0:
            return None
        self._put(u, t, r)
        return [u]

    def step(self) -> list[int] | None:
        s, rng = self.s, self.rng
        u = self.movable[rng.randrange(len(self.movable))]
        si = self.c.unit_session[u]
        if s.start[u] < 0:
            if s.n_placed[si] >= 1:
                return self.add_run(u) if self.extra_runs else None
            return self.insert(u)
        x = rng.random()
        if x < 0.1 and s.n_placed[si] >= 2:
            self._take(u)  # one run fewer
            return [u]
        if x < 0.5:
            return self.relocate(u)
        starts = self.c.unit_starts[u]
        return self.swap(u, starts[rng.randrange(len(starts))])

    def run(
        self, max_work: int, deadline: float, progress: Progress | None = None,
        bound: int = 0, t_start: float = 0.0, t_end: float = 0.05,
        stop: Callable[[], bool] | None = None,
    ) -> list[tuple[int, int]]:
        """Anneal until max_work people have been rescored (or the deadline); return the best placement.

        Work, not moves or seconds, sets the pace: it costs about the same per unit on
        any instance, and counting it keeps a seeded run reproducible.
        """
        s = self.s
        if not self.movable:
            return s.copy_placement()
        cur = s.objective(self.W)
        best, best_placement = cur, s.copy_placement()
        shown = s.attendable - s.penalty()  # the objective without the placement weight
        started = time.monotonic()
        last_report = started
        value = s.value
        work = 0
        i = 0
        while work < max_work:
            i += 1
            if i & 255 == 0:
                now = time.monotonic()
                if now > deadline:
                    break
                if now - last_report > 0.5:
                    last_report = now
                    if progress is not None:
                        progress(now - started, shown, bound)
                    if stop is not None and stop():
                        break
            temp = t_start * (t_end / t_start) ** (work / max_work) if t_start > 0 else 0.0
            self.log.clear()
            touched = self.step()
            if touched is None:
                continue
            people = s.affected(touched)
            work += len(people) + 1
            saved = [(p, value[p]) for p in people]
            attendable_before = s.attendable
            s.rescore(people)
            new = s.objective(self.W)
            delta = new - cur
            accept = delta >= 0 or (temp > 0 and self.rng.random() < math.exp(delta / temp))
            if accept and s.slot_moves <= self.max_moved:
                cur = new
                if cur > best:
                    best, best_placement = cur, s.copy_placement()
                    shown = s.attendable - s.penalty()
            else:
                self._undo()
                for p, v in saved:
                    value[p] = v
                s.attendable = attendable_before
        self.log.clear()
        self.moves, self.work = i, work
        return best_placement
