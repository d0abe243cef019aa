"""Why a schedule is impossible, or why a session was left out: reasons as records.

`precheck` and `why_unscheduled` return `Reason` records (a code and the ids involved);
`describe` puts a record, or a checker `Violation`, into English for the command line and
the solution file. The web app makes its own words from the same records.
"""

from __future__ import annotations

from collections import defaultdict
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
    p = c.problem
    out = Precheck()
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

    # Sessions that have no place at all, whatever the others do.
    for si in range(c.S):
        if si in c.pinned_sessions or c.allowed[si]:
            continue
        out.unplaceable[si] = why_no_place(c, si)

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

    # Part 2 cannot come after part 1: every place of part 2 starts before part 1 can end.
    for si, a in enumerate(c.after):
        if a < 0 or not c.allowed[si] or not c.allowed[a]:
            continue
        earliest_end = min(t + c.length[a] - 1 for t in c.allowed[a])
        if max(c.allowed[si]) <= earliest_end:
            out.warnings.append(Reason("after_impossible", (sid[si], sid[a])))

    # More table sessions than table places in the free slots of the halls.
    table_sessions = [s for si, s in enumerate(p.sessions) if s.at_table and si not in c.pinned_sessions]
    if table_sessions:
        places = sum(room.tables for room in p.rooms if room.tables
                     for t in open_slots if slot_id[t] not in room.unavailable)
        if len(table_sessions) > places:
            out.warnings.append(Reason("table_shortage", numbers=(len(table_sessions), places)))
    return out


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


def describe(record: Reason | Violation, problem: Problem) -> str:
    """A reason or a violation in English, naming sessions by title and the rest by id."""
    titles = {s.id: s.title for s in problem.sessions}
    sessions = {s.id: s for s in problem.sessions}
    names = [f"'{titles.get(x, x)}'" for x in record.sessions]
    one = names[0] if names else ""
    two = names[1] if len(names) > 1 else ""
    needs = _and(record.needs)
    n = record.numbers
    if isinstance(record, Violation):
        slot, room, person = record.slot, record.room, record.people[0] if record.people else ""
        match record.rule:
            case "unknown_session":
                return f"'{record.sessions[0]}' is not a session of this instance."
            case "unknown_slot":
                return f"{one} is in unknown slot '{slot}'."
            case "unknown_room":
                return f"{one} is in unknown room '{room}'."
            case "past_end_of_day":
                return f"{one} runs past the end of its day ({n[0]} slots from {slot})."
            case "session_missing":
                return f"{one} is neither scheduled nor listed as unscheduled."
            case "session_twice":
                return f"{one} appears {n[0]} times in the solution."
            case "too_many_runs":
                if n[1] == 1:
                    return f"{one} appears {n[0]} times in the solution."
                return f"{one} runs {n[0]} times; it may run at most {n[1]} times."
            case "runs_same_slot":
                return f"{one} runs twice in slot {slot}."
            case "fixed_moved":
                return f"{one} is fixed to slot {slot} in room {room}."
            case "room_lacks_needs":
                return f"{one} needs {needs}, which room {room} lacks."
            case "room_unavailable":
                return f"Room {room} is not available in slot {slot} ({one})."
            case "room_double_booked":
                return f"Room {room} holds both {one} and {two} in slot {slot}."
            case "hall_mixed":
                return f"Hall {room} holds the ordinary session {one} and the table session {two} in slot {slot}."
            case "table_double_booked":
                return f"Table {n[0]} of {room} holds both {one} and {two} in slot {slot}."
            case "table_needs_hall":
                return f"{one} runs at a table, so it needs a numbered table of a hall (room {room} has none)."
            case "table_out_of_range":
                return f"{one} is at table {n[0]}, but {room} has tables 1 to {n[1]}."
            case "table_for_ordinary":
                return f"{one} is not a table session but is given a table in {room}."
            case "session_unavailable":
                return f"{one} cannot take place in slot {slot}."
            case "facilitator_unavailable":
                return f"Facilitator {person} of {one} is unavailable in slot {slot}."
            case "facilitator_double_booked":
                return f"Facilitator {person} is in both {one} and {two} in slot {slot}."
            case "placed_in_past":
                return f"{one} is placed in slot {slot}, which has already started."
            case "past_changed":
                return f"{one} has already taken place in slot {slot}, room {room}; it cannot change."
            case "after_order":
                return f"{one} must start after every run of {two}."
            case "unknown_interpreter":
                return f"{one} is interpreted by '{person}', who is not an interpreter of this instance."
            case "interpreter_lacks_pair":
                return f"Interpreter {person} does not interpret from {record.needs[0]} into {record.needs[1]} ({one})."
            case "interpreter_unavailable":
                return f"Interpreter {person} is not available in slot {slot} ({one})."
            case "interpreter_double_booked":
                return f"Interpreter {person} interprets both {one} and {two} in slot {slot}."
            case "interpreter_over_limit":
                return f"Interpreter {person} works {n[0]} slots on {record.needs[0]}; the limit is {n[1]}."
            case "interpreted_against_wishes":
                return f"{one} is interpreted, but its facilitators asked for no interpretation."
            case "room_lacks_interpretation":
                return f"{one} is interpreted in room {room}, which has no {needs}."
            case "interpreted_into_own_language":
                return f"{one} is interpreted into its own language, {needs}."
            case "two_interpreters_one_language":
                return f"{one} has two interpreters into {needs} in slot {slot}."
            case "interpreter_facilitating":
                return f"Interpreter {person} interprets {one} while facilitating {two} in slot {slot}."
        return f"{record.rule}: {', '.join(names)}"
    slots, rooms = _and(record.slots), _and(record.rooms)
    what = "has already taken place in" if record.past else "is fixed to"
    people = _and(record.people)
    match record.code:
        case "pinned_past_end_of_day":
            return (f"{one} {what} slot {slots} but is {n[0]} slots long and would run past the end "
                    f"of the day.")
        case "fixed_in_past":
            return f"{one} is fixed to slot {slots}, which has already started."
        case "pinned_room_lacks_needs":
            return f"{one} needs {needs}, but it {what} room {rooms}, which has no {needs}."
        case "pinned_room_unavailable":
            return f"{one} {what} room {rooms} in slot {slots}, when that room is not available."
        case "pinned_session_unavailable":
            return f"{one} {what} slot {slots}, when it cannot take place."
        case "pinned_same_room":
            return f"{one} and {two} are both fixed to room {rooms} in slot {slots}."
        case "pinned_facilitator_unavailable":
            return f"{one} {what} slot {slots}, when its facilitator {people} is not available."
        case "pinned_facilitator_twice":
            return f"Facilitator {people} is fixed in two places in slot {slots}: {one} and {two}."
        case "no_hall_with_tables":
            return f"{one} runs at a table, and no room is a hall with tables."
        case "no_room_has_needs":
            return f"{one} needs {needs}, and no room has {needs}."
        case "too_long_for_any_day":
            return f"{one} lasts {n[0]} slots, and no day has {n[0]} slots in a row left."
        case "facilitators_never_free":
            return f"{one} has no slot left in which it and its facilitators ({people}) are all available."
        case "session_never_available":
            return f"{one} is unavailable in every slot that is left."
        case "no_room_with_needs_when_free":
            return (f"{one} needs {needs}, and no room with {needs} is available in any slot its "
                    f"facilitators can attend.")
        case "no_room_when_free":
            return f"{one} has no room available in any slot its facilitators can attend."
        case "all_places_taken":
            kind = f"a room with {needs}" if needs else "a room"
            if record.sessions and sessions.get(record.sessions[0]) and sessions[record.sessions[0]].at_table:
                kind = "a table"
            return (f"{one} could not be placed: each of the {n[0]} slots where its facilitators are free "
                    f"and {kind} is available is already full ({n[1]} room-slots in all), or one of its "
                    f"facilitators is busy there.")
        case "feature_shortage":
            return (f"{n[0]} session-slots need {needs}, but rooms with {needs} offer only {n[1]} free "
                    f"room-slots: some of those sessions cannot be placed.")
        case "after_impossible":
            return (f"{one} must come after {two}, but it cannot start after {two} ends in any slot "
                    f"left: one of them stays unscheduled.")
        case "interpretation_not_wanted" | "no_interpreter_for_languages" | "no_room_for_interpretation" \
                | "interpreters_busy":
            return _not_understood(record, one)
        case "table_shortage":
            return (f"{n[0]} table sessions but the halls have {n[1]} table places in the free slots: "
                    f"some of them cannot be placed.")
    return f"{record.code}: {', '.join(names)}"


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
