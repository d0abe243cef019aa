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

# How many live count updates (a move's voters scored by delta, see Compiled.live) the work budget
# counts as one person rescored. Both cost little against the move around them; counting each as
# one keeps the budget's pace on the clock (WORK_PER_SECOND) about where it was before live scoring.
LIVE_PER_RESCORE = 1
# How far (as a share of the run) the clock may run ahead of the work done before it sets the cooling,
# and the shortest runs where it may (short ones, e.g. tests, stay paced by work alone).
CLOCK_LEAD = 0.1
CLOCK_COOLING_SECONDS = 30.0


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
        # Under the language rule: units whose voters an interpreter could help, and which may move.
        self.helpable = [u for u in range(c.U) if c.I and any(
            c.i_into[i][c.unit_session[u]] & c.need_mask[c.unit_session[u]] for i in range(c.I))]
        pinned = c.pinned
        self.helpable_movable = [u for u in self.helpable if u not in pinned and c.unit_starts[u]]
        self.log: list[tuple] = []
        self.moves = self.work = 0

    # Elementary steps, recorded so that a rejected move can be undone.

    def _take(self, u: int) -> tuple[int, int]:
        interp = tuple(self.s.interp[u])  # released with the unit, restored by an undo
        t, r = self.s.take(u)
        self.log.append(("take", u, t, r, interp))
        return t, r

    def _put(self, u: int, t: int, r: int) -> None:
        self.s.put(u, t, r)
        self.log.append(("put", u))

    def _interpret(self, u: int, i: int, b: int) -> None:
        self.s.interpret(u, i, b)
        self.log.append(("interpret", u, i, b))

    def _uninterpret(self, u: int, i: int, b: int) -> None:
        self.s.uninterpret(u, i, b)
        self.log.append(("uninterpret", u, i, b))

    def _undo(self) -> None:
        s = self.s
        for entry in reversed(self.log):
            match entry[0]:
                case "take":
                    s.put(entry[1], entry[2], entry[3])
                    for i, b in entry[4]:
                        s.interpret(entry[1], i, b)
                case "put":
                    s.take(entry[1])
                case "interpret":
                    s.uninterpret(entry[1], entry[2], entry[3])
                case _:
                    s.interpret(entry[1], entry[2], entry[3])
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

    # Interpretation moves (language rule): where sessions go and who interprets them, together.

    def _wanted(self, u: int, i: int) -> int:
        """A language bit interpreter i could add to unit u that some voter needs, or 0."""
        c = self.c
        si = c.unit_session[u]
        m = c.i_into[i][si] & c.need_mask[si] & ~self.s.imask[u]
        bits = []
        while m:
            b = m & -m
            m ^= b
            bits.append(b)
        return bits[self.rng.randrange(len(bits))] if bits else 0

    def add_interpreter(self) -> list[int] | None:
        """An interpreter for a placed run; one busy elsewhere at that time is taken off that run."""
        s, c, rng = self.s, self.c, self.rng
        u = self.helpable[rng.randrange(len(self.helpable))]
        if s.start[u] < 0:
            return None
        i = rng.randrange(c.I)
        b = self._wanted(u, i)
        if not b:
            return None
        touched = [u]
        if not s.can_interpret(u, i, b):
            mask = c.span_mask[c.unit_session[u]][s.start[u]]
            day = c.day[s.start[u]]
            for v in self.helpable:
                if s.start[v] >= 0 and v != u and any(x == i for x, _ in s.interp[v]) and (
                        c.span_mask[c.unit_session[v]][s.start[v]] & mask or c.day[s.start[v]] == day
                        and rng.random() < 0.5):
                    for x, bv in list(s.interp[v]):
                        if x == i:
                            self._uninterpret(v, x, bv)
                    touched.append(v)
            if not s.can_interpret(u, i, b):
                self._undo()
                return None
        self._interpret(u, i, b)
        return touched

    def drop_interpreter(self) -> list[int] | None:
        s = self.s
        u = self.helpable[self.rng.randrange(len(self.helpable))]
        if not s.interp[u]:
            return None
        i, b = s.interp[u][self.rng.randrange(len(s.interp[u]))]
        self._uninterpret(u, i, b)
        return [u]

    def move_to_interpreter(self) -> list[int] | None:
        """Move a run to a slot and a room with the interpretation feature where an interpreter can take it."""
        s, c, rng = self.s, self.c, self.rng
        if not self.helpable_movable:
            return None
        u = self.helpable_movable[rng.randrange(len(self.helpable_movable))]
        if s.start[u] < 0:
            return None
        i = rng.randrange(c.I)
        b = self._wanted(u, i)
        if not b:
            return None
        starts = c.unit_starts[u]
        t = starts[rng.randrange(len(starts))]
        if t == s.start[u] and s.interp[u]:
            return None
        self._take(u)
        rooms = [r for r in c.unit_allowed[u][t] if c.booth[r] and s.room_free(u, t, r)]
        if not rooms:
            self._undo()
            return None
        r = rooms[0] if len(rooms) == 1 else max(rooms, key=lambda r: (min(c.capacity[r], c.vote_count[
            c.unit_session[u]]), -c.capacity[r]))
        if not s.can_place(u, t, r):
            self._undo()
            return None
        self._put(u, t, r)
        if not s.can_interpret(u, i, b):
            self._undo()
            return None
        self._interpret(u, i, b)
        return [u]

    def language_step(self) -> list[int] | None:
        x = self.rng.random()
        if x < 0.45:
            return self.add_interpreter()
        if x < 0.6:
            return self.drop_interpreter()
        return self.move_to_interpreter()

    def step(self) -> list[int] | None:
        s, rng = self.s, self.rng
        if self.helpable and rng.random() < 0.3:
            return self.language_step()
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
        live_n = [len(v) for v in self.c.live_voters]
        unit_session = self.c.unit_session
        work = 0
        i = 0
        # Cooling follows the work done; when the clock runs far ahead of it (a machine much slower
        # than WORK_PER_SECOND assumes, e.g. a busy one), the deadline, not the budget, will end the
        # search: from then on it cools by the clock, so that it still ends cold rather than mid-way.
        span = max(1e-9, deadline - started)
        by_clock = 0.0
        while work < max_work:
            i += 1
            if i & 255 == 0:
                now = time.monotonic()
                if now > deadline:
                    break
                clock = (now - started) / span
                if span >= CLOCK_COOLING_SECONDS and (by_clock or clock > work / max_work + CLOCK_LEAD):
                    by_clock = clock
                if now - last_report > 0.5:
                    last_report = now
                    if progress is not None:
                        progress(now - started, shown, bound)
                    if stop is not None and stop():
                        break
            done = max(work / max_work, by_clock)
            temp = t_start * (t_end / t_start) ** done if t_start > 0 else 0.0
            self.log.clear()
            attendable_before = s.attendable
            touched = self.step()
            if touched is None:
                s.attendable = attendable_before  # (a move given up is undone, live counts with it)
                continue
            people = s.affected(touched)
            # Work: people rescored, plus the live people's counts updated (much cheaper each).
            work += len(people) + 1 + sum(live_n[unit_session[u]] for u in touched) // LIVE_PER_RESCORE
            saved = [(p, value[p]) for p in people]
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
