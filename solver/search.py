"""Local search over start slots (and rooms) with exact incremental scoring.

Moves: relocate a session, swap two sessions' places, insert an unscheduled session
(ejecting another when that helps). Simulated annealing on the objective
place_weight × placed + attendable votes − move_cost × slot moves; the
temperature falls with the move count, not the clock, so that one seed gives one result.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from .data import Compiled, Schedule

Progress = Callable[[float, int, int], None]


class LocalSearch:
    def __init__(self, sched: Schedule, seed: int, place_weight: int, max_moved: int | None = None):
        self.s = sched
        self.c: Compiled = sched.c
        self.rng = random.Random(seed)  # noqa: S311 (a seeded search, not secrets)
        self.W = place_weight
        self.max_moved = max_moved if max_moved is not None else sched.c.S
        self.movable = [si for si in range(self.c.S) if si not in self.c.pinned and self.c.allowed_starts[si]]
        self.log: list[tuple] = []
        self.moves = self.work = 0

    # Elementary steps, recorded so that a rejected move can be undone.

    def _take(self, si: int) -> tuple[int, int]:
        t, r = self.s.take(si)
        self.log.append(("take", si, t, r))
        return t, r

    def _put(self, si: int, t: int, r: int) -> None:
        self.s.put(si, t, r)
        self.log.append(("put", si))

    def _undo(self) -> None:
        for entry in reversed(self.log):
            if entry[0] == "take":
                self.s.put(entry[1], entry[2], entry[3])
            else:
                self.s.take(entry[1])
        self.log.clear()

    def _place_somewhere(self, si: int, avoid: int) -> bool:
        """Put a displaced session into any free place, trying slots in random order."""
        starts = self.c.allowed_starts[si]
        order = self.rng.sample(starts, len(starts))
        for t in order:
            if t == avoid:
                continue
            r = self.s.free_room(si, t)
            if r >= 0:
                self._put(si, t, r)
                return True
        return False

    def _occupants(self, si: int, t: int, r: int) -> list[int]:
        row = self.s.room_at[r]
        return list({row[j] for j in range(t, t + self.c.length[si]) if row[j] >= 0})

    # Moves: each returns the sessions it touched, or None when it could not be made.

    def relocate(self, si: int) -> list[int] | None:
        starts = self.c.allowed_starts[si]
        t_new = starts[self.rng.randrange(len(starts))]
        if t_new == self.s.start[si]:
            return None
        t_old, _ = self._take(si)
        r = self.s.free_room(si, t_new)
        if r < 0:
            self._undo()
            return self.swap(si, t_new) if t_old >= 0 else None
        self._put(si, t_new, r)
        return [si]

    def swap(self, si: int, t_new: int) -> list[int] | None:
        """si goes to t_new in the room of a session there, which goes to si's place."""
        rooms = self.c.allowed[si].get(t_new)
        if not rooms:
            return None
        r_new = rooms[self.rng.randrange(len(rooms))]
        others = self._occupants(si, t_new, r_new)
        if not others or si in others or any(o in self.c.pinned for o in others):
            return None
        t_old, r_old = self._take(si)
        for o in others:
            self._take(o)
        if not self.s.can_place(si, t_new, r_new):
            self._undo()
            return None
        self._put(si, t_new, r_new)
        for o in others:
            r = self.s.free_room(o, t_old, prefer=r_old)
            if r >= 0:
                self._put(o, t_old, r)
            elif not self._place_somewhere(o, t_new):
                self._undo()
                return None
        return [si, *others]

    def insert(self, si: int) -> list[int] | None:
        """Place an unscheduled session, ejecting whatever holds the chosen room if need be."""
        starts = self.c.allowed_starts[si]
        t = starts[self.rng.randrange(len(starts))]
        r = self.s.free_room(si, t)
        if r >= 0:
            self._put(si, t, r)
            return [si]
        rooms = self.c.allowed[si][t]
        r = rooms[self.rng.randrange(len(rooms))]
        others = self._occupants(si, t, r)
        if any(o in self.c.pinned for o in others):
            return None
        for o in others:
            self._take(o)
        if not self.s.can_place(si, t, r):
            self._undo()
            return None
        self._put(si, t, r)
        for o in others:
            self._place_somewhere(o, -1)  # if nowhere, it waits unscheduled
        return [si, *others]

    def step(self) -> list[int] | None:
        s, rng = self.s, self.rng
        si = self.movable[rng.randrange(len(self.movable))]
        if s.start[si] < 0:
            return self.insert(si)
        if rng.random() < 0.5:
            return self.relocate(si)
        starts = self.c.allowed_starts[si]
        return self.swap(si, starts[rng.randrange(len(starts))])

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
        mc = self.c.problem.move_cost
        shown = s.attendable - mc * s.slot_moves  # the objective without the placement weight
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
                    shown = s.attendable - mc * s.slot_moves
            else:
                self._undo()
                for p, v in saved:
                    value[p] = v
                s.attendable = attendable_before
        self.log.clear()
        self.moves, self.work = i, work
        return best_placement
