"""Why a schedule is impossible, or why a session was left out: reasons as records.

`precheck` and `why_unscheduled` return `Reason` records (a code and the ids involved);
`describe` puts a record, or a checker `Violation`, into English for the command line and
the solution file. The web app makes its own words from the same records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from .data import Compiled, Schedule
from .problem import Problem, Reason
from .rules import Violation


@dataclass
class Precheck:
    fatal: list[Reason] = field(default_factory=list)  # no valid schedule exists
    unplaceable: dict[int, Reason] = field(default_factory=dict)  # session → why it has no place
    warnings: list[Reason] = field(default_factory=list)


def precheck(c: Compiled) -> Precheck:
    """Fast checks before solving: collisions among fixed sessions, sessions with no place at all."""
    out = Precheck()
    for check in (_pinned_collisions, _no_place, _feature_shortage, _after_impossible, _table_shortage):
        check(c, out)
    return out


def _pinned_collisions(c: Compiled, out: Precheck) -> None:
    p = c.problem
    sid = [s.id for s in p.sessions]
    slot_id = [s.id for s in p.slots]
    room_id = [r.id for r in p.rooms]
    fixed = {c.session_ix[s.id] for s in p.sessions if s.fixed is not None}

    # Fixed sessions (and sessions that already took place) must fit where they are pinned.
    cells: dict[tuple[int, int, int | None], int] = {}
    people: dict[tuple[int, int], int] = {}
    for u, (t, r, _table) in sorted(c.pinned.items()):
        si = c.unit_session[u]
        s = p.sessions[si]
        room = p.rooms[r]
        past = si in c.previous and si not in fixed
        if not c.span_ok(si, t):
            out.fatal.append(Reason("pinned_past_end_of_day", (sid[si],), (slot_id[t],), numbers=(s.length,),
                                    past=past))
            continue
        if s.fixed is not None and t < c.now and si not in c.previous:
            out.fatal.append(Reason("fixed_in_past", (sid[si],), (slot_id[t],)))
        missing = s.needs - room.features
        if missing:
            out.fatal.append(Reason("pinned_room_lacks_needs", (sid[si],), (), (room.id,),
                                    needs=tuple(sorted(missing)), past=past))
        for j in range(t, t + s.length):
            if slot_id[j] in room.unavailable:
                out.fatal.append(Reason("pinned_room_unavailable", (sid[si],), (slot_id[j],), (room.id,),
                                        past=past))
            if slot_id[j] in s.unavailable:
                out.fatal.append(Reason("pinned_session_unavailable", (sid[si],), (slot_id[j],), past=past))
            # Two table runs share a hall at different tables; an ordinary run has it alone.
            cell = (r, j, _table if s.at_table else 0)
            other = cells.get(cell)
            if other is not None:
                out.fatal.append(Reason("pinned_same_room", (sid[other], sid[si]), (slot_id[j],),
                                        (room_id[r],)))
            cells[cell] = si
            for f in c.facilitators[si]:
                fid = p.participants[f].id
                if c.p_unavail_mask[f] >> j & 1:
                    out.fatal.append(Reason("pinned_facilitator_unavailable", (sid[si],), (slot_id[j],),
                                            people=(fid,), past=past))
                other = people.get((f, j))
                if other is not None:
                    out.fatal.append(Reason("pinned_facilitator_twice", (sid[other], sid[si]), (slot_id[j],),
                                            people=(fid,)))
                people[(f, j)] = si


def _no_place(c: Compiled, out: Precheck) -> None:
    # Sessions that have no place at all, whatever the others do.
    for si in range(c.S):
        if si in c.pinned_sessions or c.allowed[si]:
            continue
        out.unplaceable[si] = why_no_place(c, si)


def _feature_shortage(c: Compiled, out: Precheck) -> None:
    p = c.problem
    slot_id = [s.id for s in p.slots]
    # More sessions needing a feature than room-slots offering it.
    open_slots = list(range(c.now, c.T))
    need_count: dict[str, int] = defaultdict(int)
    for si, s in enumerate(p.sessions):
        if si not in c.pinned_sessions and not s.at_table:
            for f in s.needs:
                need_count[f] += s.length
    for feature, n in sorted(need_count.items()):
        offered = sum(1 for room in p.rooms if feature in room.features
                      for t in open_slots if slot_id[t] not in room.unavailable)
        if n > offered:
            out.warnings.append(Reason("feature_shortage", needs=(feature,), numbers=(n, offered)))


def _after_impossible(c: Compiled, out: Precheck) -> None:
    sid = [s.id for s in c.problem.sessions]
    # Part 2 cannot come after part 1: every place of part 2 starts before part 1 can end.
    for si, a in enumerate(c.after):
        if a < 0 or not c.allowed[si] or not c.allowed[a]:
            continue
        earliest_end = min(t + c.length[a] - 1 for t in c.allowed[a])
        if max(c.allowed[si]) <= earliest_end:
            out.warnings.append(Reason("after_impossible", (sid[si], sid[a])))


def _table_shortage(c: Compiled, out: Precheck) -> None:
    p = c.problem
    slot_id = [s.id for s in p.slots]
    open_slots = list(range(c.now, c.T))
    # More table sessions than table places in the free slots of the halls.
    table_sessions = [s for si, s in enumerate(p.sessions) if s.at_table and si not in c.pinned_sessions]
    if table_sessions:
        places = sum(room.tables for room in p.rooms if room.tables
                     for t in open_slots if slot_id[t] not in room.unavailable)
        if len(table_sessions) > places:
            out.warnings.append(Reason("table_shortage", numbers=(len(table_sessions), places)))


def why_no_place(c: Compiled, si: int) -> Reason:
    """The reason a session has no allowed start at all."""
    p = c.problem
    s = p.sessions[si]
    needs = tuple(sorted(s.needs))
    rooms_with_needs = [r for r in p.rooms if s.needs <= r.features and (r.tables > 0 or not s.at_table)]
    if s.at_table and not any(r.tables for r in p.rooms):
        return Reason("no_hall_with_tables", (s.id,))
    if s.needs and not rooms_with_needs:
        return Reason("no_room_has_needs", (s.id,), needs=needs)
    people_free = []
    for t in range(c.now, c.T):
        if not c.span_ok(si, t):
            continue
        span = range(t, t + s.length)
        if any(p.slots[j].id in s.unavailable for j in span):
            continue
        if any(c.p_unavail_mask[f] >> j & 1 for f in c.facilitators[si] for j in span):
            continue
        people_free.append(t)
    facilitators = tuple(p.participants[f].id for f in c.facilitators[si])
    if not people_free:
        if s.length > 1 and not any(c.span_ok(si, t) for t in range(c.now, c.T)):
            return Reason("too_long_for_any_day", (s.id,), numbers=(s.length,))
        if facilitators:
            return Reason("facilitators_never_free", (s.id,), people=facilitators)
        return Reason("session_never_available", (s.id,))
    if s.needs:
        return Reason("no_room_with_needs_when_free", (s.id,), needs=needs)
    return Reason("no_room_when_free", (s.id,))


def why_unscheduled(sched: Schedule, si: int) -> Reason:
    """A session that had places, all taken by sessions placed in its stead."""
    c = sched.c
    s = c.problem.sessions[si]
    options = sum(len(rooms) for rooms in c.allowed[si].values())
    return Reason("all_places_taken", (s.id,), needs=tuple(sorted(s.needs)),
                  numbers=(len(c.allowed[si]), options))


# English, for the command line and the solution file


def _and(items) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class _Words:
    """The parts of a record that its sentence may name."""

    record: Reason | Violation
    names: list[str]
    one: str
    two: str
    needs: str
    n: tuple[int, ...]
    slot: str | None
    room: str | None
    person: str
    slots: str
    rooms: str
    people: str
    what: str
    at_table: bool


def _words(record: Reason | Violation, problem: Problem) -> _Words:
    sessions = {s.id: s for s in problem.sessions}
    names = [f"'{sessions[x].title if x in sessions else x}'" for x in record.sessions]
    first = sessions.get(record.sessions[0]) if record.sessions else None
    return _Words(
        record, names, names[0] if names else "", names[1] if len(names) > 1 else "", _and(record.needs),
        tuple(record.numbers), getattr(record, "slot", ""), getattr(record, "room", ""),
        record.people[0] if record.people else "", _and(getattr(record, "slots", ())),
        _and(getattr(record, "rooms", ())), _and(record.people),
        "has already taken place in" if getattr(record, "past", False) else "is fixed to",
        bool(first is not None and first.at_table))


def _too_many_runs(w: _Words) -> str:
    if w.n[1] == 1:
        return f"{w.one} appears {w.n[0]} times in the solution."
    return f"{w.one} runs {w.n[0]} times; it may run at most {w.n[1]} times."


def _all_places_taken(w: _Words) -> str:
    kind = "a table" if w.at_table else f"a room with {w.needs}" if w.needs else "a room"
    return (f"{w.one} could not be placed: each of the {w.n[0]} slots where its facilitators are free "
            f"and {kind} is available is already full ({w.n[1]} room-slots in all), or one of its "
            f"facilitators is busy there.")


VIOLATION_WORDS: dict[str, Callable[[_Words], str]] = {
    "unknown_session": lambda w: f"'{w.record.sessions[0]}' is not a session of this instance.",
    "unknown_slot": lambda w: f"{w.one} is in unknown slot '{w.slot}'.",
    "unknown_room": lambda w: f"{w.one} is in unknown room '{w.room}'.",
    "past_end_of_day": lambda w: f"{w.one} runs past the end of its day ({w.n[0]} slots from {w.slot}).",
    "session_missing": lambda w: f"{w.one} is neither scheduled nor listed as unscheduled.",
    "session_twice": lambda w: f"{w.one} appears {w.n[0]} times in the solution.",
    "too_many_runs": _too_many_runs,
    "runs_same_slot": lambda w: f"{w.one} runs twice in slot {w.slot}.",
    "fixed_moved": lambda w: f"{w.one} is fixed to slot {w.slot} in room {w.room}.",
    "room_lacks_needs": lambda w: f"{w.one} needs {w.needs}, which room {w.room} lacks.",
    "room_unavailable": lambda w: f"Room {w.room} is not available in slot {w.slot} ({w.one}).",
    "room_double_booked": lambda w: f"Room {w.room} holds both {w.one} and {w.two} in slot {w.slot}.",
    "hall_mixed": lambda w: (f"Hall {w.room} holds the ordinary session {w.one} and the table session "
        f"{w.two} in slot {w.slot}."),
    "table_double_booked": lambda w: f"Table {w.n[0]} of {w.room} holds both {w.one} and {w.two} in slot {w.slot}.",
    "table_needs_hall": lambda w: (f"{w.one} runs at a table, so it needs a numbered table of a hall "
        f"(room {w.room} has none)."),
    "table_out_of_range": lambda w: f"{w.one} is at table {w.n[0]}, but {w.room} has tables 1 to {w.n[1]}.",
    "table_for_ordinary": lambda w: f"{w.one} is not a table session but is given a table in {w.room}.",
    "session_unavailable": lambda w: f"{w.one} cannot take place in slot {w.slot}.",
    "facilitator_unavailable": lambda w: f"Facilitator {w.person} of {w.one} is unavailable in slot {w.slot}.",
    "facilitator_double_booked": lambda w: f"Facilitator {w.person} is in both {w.one} and {w.two} in slot {w.slot}.",
    "placed_in_past": lambda w: f"{w.one} is placed in slot {w.slot}, which has already started.",
    "past_changed": lambda w: f"{w.one} has already taken place in slot {w.slot}, room {w.room}; it cannot change.",
    "after_order": lambda w: f"{w.one} must start after every run of {w.two}.",
    "unknown_interpreter": lambda w: (f"{w.one} is interpreted by '{w.person}', who is not an interpreter of "
        f"this instance."),
    "interpreter_lacks_pair": lambda w: (f"Interpreter {w.person} does not interpret from {w.record.needs[0]} "
        f"into {w.record.needs[1]} ({w.one})."),
    "interpreter_unavailable": lambda w: f"Interpreter {w.person} is not available in slot {w.slot} ({w.one}).",
    "interpreter_double_booked": lambda w: (f"Interpreter {w.person} interprets both {w.one} and {w.two} in "
        f"slot {w.slot}."),
    "interpreter_over_limit": lambda w: (f"Interpreter {w.person} works {w.n[0]} slots on {w.record.needs[0]}; "
        f"the limit is {w.n[1]}."),
    "interpreted_against_wishes": lambda w: (f"{w.one} is interpreted, but its facilitators asked for no "
        f"interpretation."),
    "room_lacks_interpretation": lambda w: f"{w.one} is interpreted in room {w.room}, which has no {w.needs}.",
    "interpreted_into_own_language": lambda w: f"{w.one} is interpreted into its own language, {w.needs}.",
    "two_interpreters_one_language": lambda w: f"{w.one} has two interpreters into {w.needs} in slot {w.slot}.",
    "interpreter_facilitating": lambda w: (f"Interpreter {w.person} interprets {w.one} while facilitating "
        f"{w.two} in slot {w.slot}."),
}
REASON_WORDS: dict[str, Callable[[_Words], str]] = {
    "pinned_past_end_of_day": lambda w: (f"{w.one} {w.what} slot {w.slots} but is {w.n[0]} slots long "
        f"and would run past the end of the day."),
    "fixed_in_past": lambda w: f"{w.one} is fixed to slot {w.slots}, which has already started.",
    "pinned_room_lacks_needs": lambda w: (f"{w.one} needs {w.needs}, but it {w.what} room {w.rooms}, "
        f"which has no {w.needs}."),
    "pinned_room_unavailable": lambda w: (f"{w.one} {w.what} room {w.rooms} in slot {w.slots}, when "
        f"that room is not available."),
    "pinned_session_unavailable": lambda w: f"{w.one} {w.what} slot {w.slots}, when it cannot take place.",
    "pinned_same_room": lambda w: f"{w.one} and {w.two} are both fixed to room {w.rooms} in slot {w.slots}.",
    "pinned_facilitator_unavailable": lambda w: (f"{w.one} {w.what} slot {w.slots}, when its "
        f"facilitator {w.people} is not available."),
    "pinned_facilitator_twice": lambda w: (f"Facilitator {w.people} is fixed in two places in slot "
        f"{w.slots}: {w.one} and {w.two}."),
    "no_hall_with_tables": lambda w: f"{w.one} runs at a table, and no room is a hall with tables.",
    "no_room_has_needs": lambda w: f"{w.one} needs {w.needs}, and no room has {w.needs}.",
    "too_long_for_any_day": lambda w: f"{w.one} lasts {w.n[0]} slots, and no day has {w.n[0]} slots in a row left.",
    "facilitators_never_free": lambda w: (f"{w.one} has no slot left in which it and its facilitators "
        f"({w.people}) are all available."),
    "session_never_available": lambda w: f"{w.one} is unavailable in every slot that is left.",
    "no_room_with_needs_when_free": lambda w: (f"{w.one} needs {w.needs}, and no room with {w.needs} "
        f"is available in any slot its facilitators can attend."),
    "no_room_when_free": lambda w: f"{w.one} has no room available in any slot its facilitators can attend.",
    "all_places_taken": _all_places_taken,
    "feature_shortage": lambda w: (f"{w.n[0]} session-slots need {w.needs}, but rooms with {w.needs} "
        f"offer only {w.n[1]} free room-slots: some of those sessions cannot be placed."),
    "after_impossible": lambda w: (f"{w.one} must come after {w.two}, but it cannot start after "
        f"{w.two} ends in any slot left: one of them stays unscheduled."),
    "table_shortage": lambda w: (f"{w.n[0]} table sessions but the halls have {w.n[1]} table places in "
        f"the free slots: some of them cannot be placed."),
    "interpretation_not_wanted": lambda w: _not_understood(w.record, w.one),
    "no_interpreter_for_languages": lambda w: _not_understood(w.record, w.one),
    "no_room_for_interpretation": lambda w: _not_understood(w.record, w.one),
    "interpreters_busy": lambda w: _not_understood(w.record, w.one),
}
# Every code the solver and its checker give: the app's words (agenda/reasons.py) cover the same.
CODES = frozenset(VIOLATION_WORDS) | frozenset(REASON_WORDS)


def describe(record: Reason | Violation, problem: Problem) -> str:
    """A reason or a violation in English, naming sessions by title and the rest by id."""
    w = _words(record, problem)
    if isinstance(record, Violation):
        words, code = VIOLATION_WORDS.get(record.rule), record.rule
    else:
        words, code = REASON_WORDS.get(record.code), record.code
    if words is None:
        return f"{code}: {', '.join(w.names)}"
    return words(w)


def _not_understood(record: Reason, one: str) -> str:
    n = record.numbers[0]
    votes, verb = ("1 vote", "is") if n == 1 else (f"{n} votes", "are")
    language, theirs = record.needs[0], _and(record.needs[1:])
    why = {
        "interpretation_not_wanted": "its facilitators asked for no interpretation",
        "no_interpreter_for_languages": f"no interpreter works between {language} and {theirs}",
        "no_room_for_interpretation": "no room has the equipment for interpretation",
        "interpreters_busy": f"every interpreter between {language} and {theirs} was busy, at their daily "
                             f"limit or away whenever a room with the equipment was free for it",
    }[record.code]
    return f"{votes} for {one} (in {language}) from people who speak {theirs} {verb} not understood: {why}."


__all__ = ["Precheck", "describe", "precheck", "why_no_place", "why_unscheduled"]
