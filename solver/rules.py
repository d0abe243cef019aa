"""The hard rules of solver-io.md, one function each, returning Violation records.

A record names the rule and the sessions, slot, room and people involved, by id; the words
come later (explain.describe for the command line, the web app in its own language).
The checker (check.find_violations) runs every rule; it shares no code with the search.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from .problem import Assignment, Problem, Session, Solution


@dataclass(frozen=True)
class Violation:
    rule: str
    sessions: tuple[str, ...] = ()
    slot: str | None = None
    room: str | None = None
    people: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        out: dict = {"rule": self.rule}
        for key in ("sessions", "people", "needs", "numbers"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        for key in ("slot", "room"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def runs_allowed(s: Session) -> int:
    """A session longer than one slot runs once, whatever `runs` says."""
    return s.runs if s.length == 1 else 1


@dataclass
class Run:
    """One placed run of a session, with the slot indices it occupies."""

    assignment: Assignment
    session: Session
    span: list[int]


@dataclass
class Placed:
    """The solution read once for all rules."""

    problem: Problem
    solution: Solution
    sessions: dict[str, Session]
    slot_index: dict[str, int]
    now_index: int
    runs: dict[str, list[Run]] = field(default_factory=lambda: defaultdict(list))


def read(problem: Problem, solution: Solution) -> tuple[Placed, list[Violation]]:
    """Index the runs of the solution; the structural problems found on the way are violations too."""
    sessions = {s.id: s for s in problem.sessions}
    rooms = {r.id for r in problem.rooms}
    slot_index = {s.id: i for i, s in enumerate(problem.slots)}
    now_index = slot_index[problem.now] if problem.now is not None else 0
    placed = Placed(problem, solution, sessions, slot_index, now_index)
    out: list[Violation] = []
    for a in solution.assignments:
        s = sessions.get(a.session)
        if s is None:
            out.append(Violation("unknown_session", (a.session,)))
            continue
        if a.slot not in slot_index:
            out.append(Violation("unknown_slot", (s.id,), slot=a.slot))
            continue
        if a.room not in rooms:
            out.append(Violation("unknown_room", (s.id,), room=a.room))
            continue
        i = slot_index[a.slot]
        span = list(range(i, i + s.length))
        if span[-1] >= len(problem.slots) or any(problem.slots[j].day != problem.slots[i].day for j in span):
            out.append(Violation("past_end_of_day", (s.id,), slot=a.slot, numbers=(s.length,)))
            continue
        placed.runs[s.id].append(Run(a, s, span))
    for sid in solution.unscheduled:
        if sid not in sessions:
            out.append(Violation("unknown_session", (sid,)))
    return placed, out


def every_session_once(p: Placed) -> Iterator[Violation]:
    # Every session appears in the solution: scheduled (once per run) or listed as unscheduled, not both.
    listed: dict[str, int] = defaultdict(int)
    for sid in p.solution.unscheduled:
        listed[sid] += 1
    scheduled = {a.session for a in p.solution.assignments}
    for s in p.problem.sessions:
        n = listed[s.id] + (1 if s.id in scheduled else 0)
        if n == 0:
            yield Violation("session_missing", (s.id,))
        elif n > 1:
            yield Violation("session_twice", (s.id,), numbers=(n,))


def runs_within_limit(p: Placed) -> Iterator[Violation]:
    # (6) A session runs at most `runs` times (once when longer than a slot), each run in another slot.
    for sid, runs in p.runs.items():
        s = p.sessions[sid]
        if len(runs) > runs_allowed(s):
            yield Violation("too_many_runs", (sid,), numbers=(len(runs), runs_allowed(s)))
        seen: set[int] = set()
        for run in runs:
            if run.span[0] in seen:
                yield Violation("runs_same_slot", (sid,), slot=run.assignment.slot)
            seen.add(run.span[0])


def fixed_in_place(p: Placed) -> Iterator[Violation]:
    # (1) A fixed session starts exactly at its fixed slot and room, and only there.
    for s in p.problem.sessions:
        if s.fixed is None:
            continue
        places = {(r.assignment.slot, r.assignment.room) for r in p.runs.get(s.id, [])}
        if places != {(s.fixed.slot, s.fixed.room)}:
            yield Violation("fixed_moved", (s.id,), slot=s.fixed.slot, room=s.fixed.room)


def room_equipped(p: Placed) -> Iterator[Violation]:
    # (2) A room has every feature the session needs.
    rooms = {r.id: r for r in p.problem.rooms}
    for runs in p.runs.values():
        for run in runs:
            missing = run.session.needs - rooms[run.assignment.room].features
            if missing:
                yield Violation("room_lacks_needs", (run.session.id,), room=run.assignment.room,
                                needs=tuple(sorted(missing)))


def room_available(p: Placed) -> Iterator[Violation]:
    # (2) A room holds sessions only in slots where it is available.
    rooms = {r.id: r for r in p.problem.rooms}
    for runs in p.runs.values():
        for run in runs:
            for j in run.span:
                slot = p.problem.slots[j].id
                if slot in rooms[run.assignment.room].unavailable:
                    yield Violation("room_unavailable", (run.session.id,), slot=slot, room=run.assignment.room)


def _cells(p: Placed) -> dict[tuple[str, int], list[Run]]:
    cells: dict[tuple[str, int], list[Run]] = defaultdict(list)
    for s in p.problem.sessions:  # in the instance's order, so that records come out the same every time
        for run in p.runs.get(s.id, ()):
            for j in run.span:
                cells[(run.assignment.room, j)].append(run)
    return cells


def one_session_per_room(p: Placed) -> Iterator[Violation]:
    # (2) A room holds at most one ordinary session in any slot.
    for (room, j), here in sorted(_cells(p).items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ordinary = [r for r in here if not r.session.at_table]
        for a, b in zip(ordinary, ordinary[1:], strict=False):
            yield Violation("room_double_booked", (a.session.id, b.session.id), slot=p.problem.slots[j].id,
                            room=room)


def hall_tables(p: Placed) -> Iterator[Violation]:
    # (5) A hall holds one ordinary session or table sessions on distinct tables per slot, never both;
    # a table session runs at a numbered table of a hall, and an ordinary session at none.
    rooms = {r.id: r for r in p.problem.rooms}
    for runs in p.runs.values():
        for run in runs:
            a, s, room = run.assignment, run.session, rooms[run.assignment.room]
            if s.at_table and (room.tables < 1 or a.table is None):
                yield Violation("table_needs_hall", (s.id,), room=room.id)
            elif s.at_table and not 1 <= a.table <= room.tables:
                yield Violation("table_out_of_range", (s.id,), room=room.id, numbers=(a.table, room.tables))
            elif not s.at_table and a.table is not None:
                yield Violation("table_for_ordinary", (s.id,), room=room.id)
    for (room, j), here in sorted(_cells(p).items(), key=lambda kv: (kv[0][1], kv[0][0])):
        slot = p.problem.slots[j].id
        ordinary = [r for r in here if not r.session.at_table]
        at_tables = [r for r in here if r.session.at_table]
        if ordinary and at_tables:
            yield Violation("hall_mixed", (ordinary[0].session.id, at_tables[0].session.id), slot=slot, room=room)
        by_table: dict[int, Run] = {}
        for r in at_tables:
            t = r.assignment.table
            if t is None:
                continue
            if t in by_table:
                yield Violation("table_double_booked", (by_table[t].session.id, r.session.id), slot=slot,
                                room=room, numbers=(t,))
            by_table[t] = r


def session_available(p: Placed) -> Iterator[Violation]:
    # (3) No session occupies a slot listed as unavailable for it.
    for runs in p.runs.values():
        for run in runs:
            for j in run.span:
                slot = p.problem.slots[j].id
                if slot in run.session.unavailable:
                    yield Violation("session_unavailable", (run.session.id,), slot=slot)


def facilitators_available(p: Placed) -> Iterator[Violation]:
    # (3) No session occupies a slot in which one of its facilitators is unavailable.
    away = {person.id: person.unavailable for person in p.problem.participants}
    for runs in p.runs.values():
        for run in runs:
            for j in run.span:
                slot = p.problem.slots[j].id
                for f in run.session.facilitators:
                    if slot in away.get(f, ()):
                        yield Violation("facilitator_unavailable", (run.session.id,), slot=slot, people=(f,))


def facilitators_in_one_place(p: Placed) -> Iterator[Violation]:
    # (3) No facilitator is in two sessions (or two runs) whose slots overlap.
    busy: dict[tuple[str, int], Run] = {}
    for s in p.problem.sessions:
        for run in p.runs.get(s.id, []):
            for j in run.span:
                for f in s.facilitators:
                    other = busy.get((f, j))
                    if other is not None and other.session.id != s.id:  # (two runs in one slot: rule 6)
                        yield Violation("facilitator_double_booked", (other.session.id, s.id),
                                        slot=p.problem.slots[j].id, people=(f,))
                    busy[(f, j)] = run


def past_stays(p: Placed) -> Iterator[Violation]:
    # (4) Published runs that started before `now` keep their slot and room; nothing else starts before `now`.
    index = p.slot_index
    for sid, published in p.problem.previous.items():
        for prev in published:
            if index[prev.slot] < p.now_index and not any(
                    r.assignment.slot == prev.slot and r.assignment.room == prev.room for r in p.runs.get(sid, [])):
                yield Violation("past_changed", (sid,), slot=prev.slot, room=prev.room)
    for sid, runs in p.runs.items():
        past = {x.slot for x in p.problem.previous.get(sid, ()) if index[x.slot] < p.now_index}
        for run in runs:
            a = run.assignment
            if run.span[0] < p.now_index and a.slot not in past:  # (a changed room is reported above)
                yield Violation("placed_in_past", (sid,), slot=a.slot)


def after_order(p: Placed) -> Iterator[Violation]:
    # (7) When both are scheduled, a session starts after every slot of the runs of its `after` session.
    for s in p.problem.sessions:
        if s.after is None or not p.runs.get(s.id) or not p.runs.get(s.after):
            continue
        first_start = min(r.span[0] for r in p.runs[s.id])
        other_end = max(r.span[-1] for r in p.runs[s.after])
        if first_start <= other_end:
            yield Violation("after_order", (s.id, s.after))


def _interpreted(p: Placed) -> Iterator[tuple[Run, str, str]]:
    """Every (run, interpreter, into) of the solution, in the instance's order of sessions."""
    for s in p.problem.sessions:
        for run in p.runs.get(s.id, ()):
            for x in run.assignment.interpretation:
                yield run, x.interpreter, x.into


def interpreters_can_work(p: Placed) -> Iterator[Violation]:
    # (8) An interpreter works in one run at a time, only when available, at most max_slots_per_day
    # occupied slots a day, and only into a language they have a pair for with the session's language.
    known = {x.id: x for x in p.problem.interpreters}
    at: dict[tuple[str, int], Run] = {}
    per_day: dict[tuple[str, str], int] = defaultdict(int)
    for run, who, into in _interpreted(p):
        sid, slots = run.session.id, p.problem.slots
        x = known.get(who)
        if x is None:
            yield Violation("unknown_interpreter", (sid,), people=(who,))
            continue
        if into not in x.into(run.session.language):
            yield Violation("interpreter_lacks_pair", (sid,), slot=run.assignment.slot, people=(who,),
                            needs=(run.session.language, into))
        for j in run.span:
            if slots[j].id in x.unavailable:
                yield Violation("interpreter_unavailable", (sid,), slot=slots[j].id, people=(who,))
            other = at.get((who, j))
            if other is not None:
                yield Violation("interpreter_double_booked", (other.session.id, sid), slot=slots[j].id,
                                people=(who,))
            at[(who, j)] = run
            per_day[(who, slots[j].day)] += 1
    for (who, day), n in per_day.items():
        limit = known[who].max_slots_per_day
        if limit is not None and n > limit:
            yield Violation("interpreter_over_limit", people=(who,), numbers=(n, limit), needs=(day,))


def runs_interpreted_rightly(p: Placed) -> Iterator[Violation]:
    # (9) At most one interpreter per language a run is interpreted into, never into its own language,
    # none when the session asks for none, and only in a room with the interpretation feature.
    rooms = {r.id: r for r in p.problem.rooms}
    feature = p.problem.interpretation_feature
    for runs in p.runs.values():
        for run in runs:
            a, s = run.assignment, run.session
            if not a.interpretation:
                continue
            if not s.interpretation:
                yield Violation("interpreted_against_wishes", (s.id,), slot=a.slot)
            if feature is not None and feature not in rooms[a.room].features:
                yield Violation("room_lacks_interpretation", (s.id,), slot=a.slot, room=a.room, needs=(feature,))
            seen: set[str] = set()
            for x in a.interpretation:
                if x.into == s.language:
                    yield Violation("interpreted_into_own_language", (s.id,), slot=a.slot, needs=(x.into,))
                elif x.into in seen:
                    yield Violation("two_interpreters_one_language", (s.id,), slot=a.slot, needs=(x.into,))
                seen.add(x.into)


def interpreters_not_facilitating(p: Placed) -> Iterator[Violation]:
    # (10) An interpreter who is also a participant interprets nothing that overlaps a session they facilitate.
    person = {x.id: x.participant for x in p.problem.interpreters if x.participant is not None}
    if not person:
        return
    facilitating: dict[tuple[str, int], str] = {}
    for s in p.problem.sessions:
        for run in p.runs.get(s.id, ()):
            for j in run.span:
                for f in s.facilitators:
                    facilitating[(f, j)] = s.id
    for run, who, _into in _interpreted(p):
        pid = person.get(who)
        for j in run.span if pid is not None else ():
            own = facilitating.get((pid, j))
            if own is not None:
                yield Violation("interpreter_facilitating", (run.session.id, own), slot=p.problem.slots[j].id,
                                people=(who,))


RULES = (every_session_once, runs_within_limit, fixed_in_place, room_equipped, room_available,
         one_session_per_room, hall_tables, session_available, facilitators_available,
         facilitators_in_one_place, past_stays, after_order, interpreters_can_work,
         runs_interpreted_rightly, interpreters_not_facilitating)
