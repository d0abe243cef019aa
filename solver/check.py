"""Checks a solution against the hard rules and scores it. Knows nothing of how it was found."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .problem import Problem, Solution


@dataclass(frozen=True)
class Score:
    attendable_votes: int
    total_votes: int
    overflow: int
    unscheduled: int
    unscheduled_votes: int
    slot_moves: int
    room_moves: int
    dropped: int  # published sessions (not yet started) that became unscheduled
    move_cost: int

    @property
    def ratio(self) -> float:
        return self.attendable_votes / self.total_votes if self.total_votes else 1.0

    @property
    def objective(self) -> int:
        """What a re-solve maximises: attendable votes − move_cost × slot moves.

        A published session dropped from the schedule counts as moved: its people
        planned around it just the same.
        """
        return self.attendable_votes - self.move_cost * (self.slot_moves + self.dropped)

    def as_dict(self) -> dict:
        return {
            "attendable_votes": self.attendable_votes, "total_votes": self.total_votes,
            "attendable_ratio": round(self.ratio, 6), "overflow": self.overflow,
            "unscheduled": self.unscheduled, "unscheduled_votes": self.unscheduled_votes,
            "slot_moves": self.slot_moves, "room_moves": self.room_moves,
            "dropped": self.dropped, "objective": self.objective,
        }


def occupied_slots(problem: Problem, session_id: str, start: str) -> list[int] | None:
    """Indices of the slots a session starting at `start` occupies; None if it runs off its day."""
    index = {s.id: i for i, s in enumerate(problem.slots)}
    length = {s.id: s.length for s in problem.sessions}[session_id]
    i = index[start]
    span = list(range(i, i + length))
    if span[-1] >= len(problem.slots) or any(
        problem.slots[j].day != problem.slots[i].day for j in span
    ):
        return None
    return span


def find_violations(problem: Problem, solution: Solution) -> list[str]:
    """Every broken hard rule, in words. An empty list means the schedule is valid."""
    sessions = {s.id: s for s in problem.sessions}
    rooms = {r.id: r for r in problem.rooms}
    slot_index = {s.id: i for i, s in enumerate(problem.slots)}
    slots = problem.slots
    people_unavailable = {p.id: p.unavailable for p in problem.participants}
    now_index = slot_index[problem.now] if problem.now is not None else 0
    out: list[str] = []

    # Every session appears exactly once, in assignments or in unscheduled.
    seen: dict[str, int] = defaultdict(int)
    for sid in [a.session for a in solution.assignments] + list(solution.unscheduled):
        seen[sid] += 1
    for sid, n in seen.items():
        if sid not in sessions:
            out.append(f"'{sid}' is not a session of this instance.")
        elif n > 1:
            out.append(f"'{sessions[sid].title}' appears {n} times in the solution.")
    for sid, s in sessions.items():
        if sid not in seen:
            out.append(f"'{s.title}' is neither scheduled nor listed as unscheduled.")

    room_use: dict[tuple[str, int], str] = {}
    person_use: dict[tuple[str, int], str] = {}
    placed: dict[str, tuple[str, str]] = {}
    for a in solution.assignments:
        s = sessions.get(a.session)
        if s is None or seen[a.session] > 1:
            continue
        if a.slot not in slot_index:
            out.append(f"'{s.title}' is in unknown slot '{a.slot}'.")
            continue
        if a.room not in rooms:
            out.append(f"'{s.title}' is in unknown room '{a.room}'.")
            continue
        placed[a.session] = (a.slot, a.room)
        span = occupied_slots(problem, a.session, a.slot)
        if span is None:
            out.append(f"'{s.title}' runs past the end of its day ({s.length} slots from {a.slot}).")
            continue
        room = rooms[a.room]
        # A room has every feature the session needs.
        missing = s.needs - room.features
        if missing:
            out.append(f"'{s.title}' needs {', '.join(sorted(missing))}, which room {room.id} lacks.")
        for j in span:
            sid_j = slots[j].id
            # A room holds at most one session in any slot, and only when it is available.
            if sid_j in room.unavailable:
                out.append(f"Room {room.id} is not available in slot {sid_j} ('{s.title}').")
            other = room_use.get((room.id, j))
            if other is not None:
                out.append(f"Room {room.id} holds both '{sessions[other].title}' and '{s.title}' "
                           f"in slot {sid_j}.")
            room_use[(room.id, j)] = s.id
            # No session occupies a slot unavailable to it or to any of its facilitators.
            if sid_j in s.unavailable:
                out.append(f"'{s.title}' cannot take place in slot {sid_j}.")
            for f in s.facilitators:
                if sid_j in people_unavailable.get(f, ()):
                    out.append(f"Facilitator {f} of '{s.title}' is unavailable in slot {sid_j}.")
                # No facilitator is in two sessions at once.
                other = person_use.get((f, j))
                if other is not None:
                    out.append(f"Facilitator {f} is in both '{sessions[other].title}' and "
                               f"'{s.title}' in slot {sid_j}.")
                person_use[(f, j)] = s.id
        # Nothing new occupies a slot before `now`.
        prev = problem.previous.get(s.id)
        started = prev is not None and slot_index[prev.slot] < now_index
        if span[0] < now_index and not started:
            out.append(f"'{s.title}' is placed in slot {a.slot}, which has already started.")

    # Fixed sessions start at their fixed slot and room.
    for s in problem.sessions:
        if s.fixed is not None and placed.get(s.id) != (s.fixed.slot, s.fixed.room):
            out.append(f"'{s.title}' is fixed to slot {s.fixed.slot} in room {s.fixed.room}.")
    # Sessions of the published schedule that have already started stay where they are.
    for sid, prev in problem.previous.items():
        if slot_index[prev.slot] < now_index and placed.get(sid) != (prev.slot, prev.room):
            out.append(f"'{sessions[sid].title}' has already taken place in slot {prev.slot}, "
                       f"room {prev.room}; it cannot change.")
    return out


def attendable_for(
    spans: dict[str, tuple[int, int]], votes, own: set[str], blocked: set[int]
) -> int:
    """How many voted sessions one person can attend: the most that don't overlap.

    Intervals on a line: taking the one that ends first is optimal.
    """
    intervals = []
    for sid in votes:
        if sid in own or sid not in spans:
            continue
        first, last = spans[sid]
        if any(j in blocked for j in range(first, last + 1)):
            continue
        intervals.append((last, first))
    intervals.sort()
    count, free_from = 0, -1
    for last, first in intervals:
        if first > free_from:
            count += 1
            free_from = last
    return count


def score(problem: Problem, solution: Solution) -> Score:
    """The spec's figures: attendable votes, overflow, moves, unscheduled."""
    slot_index = {s.id: i for i, s in enumerate(problem.slots)}
    sessions = {s.id: s for s in problem.sessions}
    rooms = {r.id: r for r in problem.rooms}
    spans: dict[str, tuple[int, int]] = {}
    place: dict[str, tuple[str, str]] = {}
    for a in solution.assignments:
        if a.session in sessions and a.slot in slot_index:
            i = slot_index[a.slot]
            spans[a.session] = (i, i + sessions[a.session].length - 1)
            place[a.session] = (a.slot, a.room)
    own: dict[str, set[str]] = defaultdict(set)
    for s in problem.sessions:
        for f in s.facilitators:
            own[f].add(s.id)

    attendable = total = 0
    votes_for: dict[str, int] = defaultdict(int)
    for p in problem.participants:
        mine = own.get(p.id, set())
        blocked = {slot_index[x] for x in p.unavailable}
        for sid in mine:
            if sid in spans:
                blocked.update(range(spans[sid][0], spans[sid][1] + 1))
        counted = [v for v in p.votes if v not in mine]
        total += len(counted)
        for v in counted:
            votes_for[v] += 1
        attendable += attendable_for(spans, counted, mine, blocked)

    overflow = sum(max(0, votes_for[sid] - rooms[r].capacity)
                   for sid, (_, r) in place.items() if r in rooms)
    unscheduled = [s.id for s in problem.sessions if s.id not in place]
    now_index = slot_index[problem.now] if problem.now is not None else 0
    slot_moves = room_moves = dropped = 0
    for sid, prev in problem.previous.items():
        if slot_index[prev.slot] < now_index:
            continue
        if sid not in place:
            dropped += 1
        elif place[sid][0] != prev.slot:
            slot_moves += 1
        elif place[sid][1] != prev.room:
            room_moves += 1
    return Score(
        attendable_votes=attendable, total_votes=total, overflow=overflow,
        unscheduled=len(unscheduled), unscheduled_votes=sum(votes_for[s] for s in unscheduled),
        slot_moves=slot_moves, room_moves=room_moves, dropped=dropped, move_cost=problem.move_cost,
    )


def upper_bound(problem: Problem) -> int:
    """The spec's simple bound: each person attends at most one session per free slot."""
    own: dict[str, set[str]] = defaultdict(set)
    for s in problem.sessions:
        for f in s.facilitators:
            own[f].add(s.id)
    n = len(problem.slots)
    return sum(
        min(len([v for v in p.votes if v not in own.get(p.id, ())]), n - len(p.unavailable))
        for p in problem.participants
    )
