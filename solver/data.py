"""The problem compiled into integer indices, and a mutable schedule with incremental scoring.

The baseline and the local search both work on `Schedule`; the checker in check.py
never sees it, so a bug here shows up as a violation there.
"""

from __future__ import annotations

from collections import defaultdict

from .problem import Assignment, Problem


class Compiled:
    """Indices, allowed placements and vote structure, computed once per problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
        slots, rooms, sessions = problem.slots, problem.rooms, problem.sessions
        self.T, self.R, self.S = len(slots), len(rooms), len(sessions)
        self.slot_ix = {s.id: i for i, s in enumerate(slots)}
        self.room_ix = {r.id: i for i, r in enumerate(rooms)}
        self.session_ix = {s.id: i for i, s in enumerate(sessions)}
        self.day = [s.day for s in slots]
        self.now = self.slot_ix[problem.now] if problem.now is not None else 0
        person_ix = {p.id: i for i, p in enumerate(problem.participants)}
        self.P = len(problem.participants)
        self.length = [s.length for s in sessions]
        self.capacity = [r.capacity for r in rooms]

        self.facilitators = [[person_ix[f] for f in s.facilitators] for s in sessions]
        self.own: list[list[int]] = [[] for _ in range(self.P)]
        for si, fs in enumerate(self.facilitators):
            for p in fs:
                self.own[p].append(si)
        self.p_unavail_mask = [
            sum(1 << self.slot_ix[x] for x in p.unavailable) for p in problem.participants
        ]
        self.votes: list[list[int]] = []
        self.voters: list[list[int]] = [[] for _ in range(self.S)]
        for p, person in enumerate(problem.participants):
            mine = set(self.own[p])
            vs = [self.session_ix[v] for v in person.votes if self.session_ix[v] not in mine]
            self.votes.append(vs)
            for si in vs:
                self.voters[si].append(p)
        self.vote_count = [len(v) for v in self.voters]
        self.total_votes = sum(self.vote_count)
        # Participants whose voted sessions are all one slot long score by a popcount.
        self.simple = [all(self.length[s] == 1 for s in vs) for vs in self.votes]

        # Where a session that has already taken place stays.
        self.pinned: dict[int, tuple[int, int]] = {}
        for s in sessions:
            if s.fixed is not None:
                self.pinned[self.session_ix[s.id]] = (self.slot_ix[s.fixed.slot],
                                                      self.room_ix[s.fixed.room])
        self.previous: dict[int, tuple[int, int]] = {
            self.session_ix[k]: (self.slot_ix[v[0].slot], self.room_ix[v[0].room])
            for k, v in problem.previous.items()
        }
        for si, (t, r) in self.previous.items():
            if t < self.now:
                self.pinned[si] = (t, r)
        # Published sessions that may still move (a re-solve pays move_cost to move them).
        self.movable_previous = {si: tr for si, tr in self.previous.items() if tr[0] >= self.now}

        self.span_mask = [[0] * self.T for _ in range(self.S)]
        for si in range(self.S):
            for t in range(self.T):
                self.span_mask[si][t] = ((1 << self.length[si]) - 1) << t
        self.allowed = [self._allowed(si) for si in range(self.S)]
        self.allowed_starts = [sorted(a) for a in self.allowed]

    def span_ok(self, si: int, t: int) -> bool:
        last = t + self.length[si] - 1
        return last < self.T and self.day[last] == self.day[t]

    def _allowed(self, si: int) -> dict[int, list[int]]:
        """Start slot → rooms where the session may go, ignoring the other sessions."""
        s = self.problem.sessions[si]
        if si in self.pinned:
            t, r = self.pinned[si]
            return {t: [r]} if self.span_ok(si, t) else {}
        blocked = {self.slot_ix[x] for x in s.unavailable}
        for p in self.facilitators[si]:
            m = self.p_unavail_mask[p]
            blocked.update(t for t in range(self.T) if m >> t & 1)
        out: dict[int, list[int]] = {}
        for t in range(self.now, self.T):
            if not self.span_ok(si, t):
                continue
            span = range(t, t + self.length[si])
            if any(j in blocked for j in span):
                continue
            rooms = [
                r for r, room in enumerate(self.problem.rooms)
                if s.needs <= room.features
                and not any(self.problem.slots[j].id in room.unavailable for j in span)
            ]
            if rooms:
                out[t] = rooms
        return out


class Schedule:
    """Start slot and room of every session, with occupancy tables and cached per-person scores."""

    def __init__(self, c: Compiled):
        self.c = c
        self.start = [-1] * c.S
        self.room = [-1] * c.S
        self.room_at = [[-1] * c.T for _ in range(c.R)]
        self.busy = [0] * c.P  # bitmask of slots each person spends in their own sessions
        self.value = [0] * c.P
        self.placed = 0
        # Published sessions not at their published start slot (moved or dropped): all, until placed.
        self.slot_moves = len(c.movable_previous)
        self.dropped = len(c.movable_previous)  # published and (still) not scheduled at all
        self.attendable = 0

    # Occupancy

    def room_free(self, si: int, t: int, r: int) -> bool:
        row = self.room_at[r]
        return all(row[j] == -1 for j in range(t, t + self.c.length[si]))

    def people_free(self, si: int, t: int) -> bool:
        mask = self.c.span_mask[si][t]
        return not any(self.busy[p] & mask for p in self.c.facilitators[si])

    def can_place(self, si: int, t: int, r: int) -> bool:
        rooms = self.c.allowed[si].get(t)
        return (rooms is not None and r in rooms and self.room_free(si, t, r)
                and self.people_free(si, t))

    def free_room(self, si: int, t: int, prefer: int = -1) -> int:
        """A room the session can use at t, or -1. Keeps big and well-equipped rooms free."""
        rooms = self.c.allowed[si].get(t)
        if rooms is None or not self.people_free(si, t):
            return -1
        if prefer in rooms and self.room_free(si, t, prefer):
            return prefer
        best, best_key = -1, None
        need = self.c.vote_count[si]
        for r in rooms:
            if self.room_free(si, t, r):
                cap = self.c.capacity[r]
                key = (cap < need, abs(cap - need))
                if best_key is None or key < best_key:
                    best, best_key = r, key
        return best

    # Changes (scores are refreshed by the caller through `rescore`)

    def put(self, si: int, t: int, r: int) -> None:
        c = self.c
        self.start[si], self.room[si] = t, r
        for j in range(t, t + c.length[si]):
            self.room_at[r][j] = si
        mask = c.span_mask[si][t]
        for p in c.facilitators[si]:
            self.busy[p] |= mask
        self.placed += 1
        prev = c.movable_previous.get(si)
        if prev is not None:
            self.dropped -= 1
            if prev[0] == t:
                self.slot_moves -= 1

    def take(self, si: int) -> tuple[int, int]:
        c = self.c
        t, r = self.start[si], self.room[si]
        for j in range(t, t + c.length[si]):
            self.room_at[r][j] = -1
        mask = c.span_mask[si][t]
        for p in c.facilitators[si]:
            self.busy[p] &= ~mask
        self.start[si] = self.room[si] = -1
        self.placed -= 1
        prev = c.movable_previous.get(si)
        if prev is not None:
            self.dropped += 1
            if prev[0] == t:
                self.slot_moves += 1
        return t, r

    def affected(self, sessions) -> set[int]:
        out: set[int] = set()
        for si in sessions:
            out.update(self.c.voters[si])
            out.update(self.c.facilitators[si])
        return out

    def person_value(self, p: int) -> int:
        c, start = self.c, self.start
        blocked = self.busy[p] | c.p_unavail_mask[p]
        if c.simple[p]:
            seen = 0
            for si in c.votes[p]:
                t = start[si]
                if t >= 0:
                    bit = 1 << t
                    if not bit & blocked:
                        seen |= bit
            return seen.bit_count()
        intervals = []
        for si in c.votes[p]:
            t = start[si]
            if t >= 0 and not c.span_mask[si][t] & blocked:
                intervals.append((t + c.length[si] - 1, t))
        intervals.sort()
        count, free_from = 0, -1
        for last, first in intervals:
            if first > free_from:
                count += 1
                free_from = last
        return count

    def rescore(self, people) -> int:
        """Refresh cached values of these people; return the change in attendable votes."""
        delta = 0
        value = self.value
        for p in people:
            v = self.person_value(p)
            delta += v - value[p]
            value[p] = v
        self.attendable += delta
        return delta

    def rescore_all(self) -> None:
        self.value = [self.person_value(p) for p in range(self.c.P)]
        self.attendable = sum(self.value)

    def objective(self, place_weight: int) -> int:
        """Placed sessions first, then attendable votes less moves (a dropped published session
        counts as moved)."""
        return place_weight * self.placed + self.attendable - self.c.problem.move_cost * self.slot_moves

    def copy_placement(self) -> list[tuple[int, int]]:
        return list(zip(self.start, self.room, strict=True))

    def load_placement(self, placement: list[tuple[int, int]]) -> None:
        for si in range(self.c.S):
            if self.start[si] >= 0:
                self.take(si)
        for si, (t, r) in enumerate(placement):
            if t >= 0:
                self.put(si, t, r)
        self.rescore_all()

    def assignments(self) -> tuple[list[Assignment], list[str]]:
        p = self.c.problem
        done, left = [], []
        for si, s in enumerate(p.sessions):
            if self.start[si] >= 0:
                done.append(Assignment(s.id, p.slots[self.start[si]].id, p.rooms[self.room[si]].id))
            else:
                left.append(s.id)
        return done, left


def co_votes(c: Compiled) -> list[dict[int, int]]:
    """For each session, how many people voted for both it and each other session."""
    out: list[dict[int, int]] = [defaultdict(int) for _ in range(c.S)]
    for vs in c.votes:
        for a in vs:
            row = out[a]
            for b in vs:
                if a != b:
                    row[b] += 1
    return out
