"""Why a schedule is impossible, or why a session was left out, in a facilitator's words."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .data import Compiled, Schedule


def _and(items: list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _needs(needs) -> str:
    return _and(sorted(needs))


@dataclass
class Precheck:
    fatal: list[str] = field(default_factory=list)  # no valid schedule exists
    unplaceable: dict[int, str] = field(default_factory=dict)  # session → why it has no place
    warnings: list[str] = field(default_factory=list)


def precheck(c: Compiled) -> Precheck:
    """Fast checks before solving: collisions among fixed sessions, sessions with no place at all."""
    p = c.problem
    out = Precheck()
    title = [s.title for s in p.sessions]
    slot_id = [s.id for s in p.slots]
    room_id = [r.id for r in p.rooms]

    # Fixed sessions (and sessions that already took place) must fit where they are pinned.
    cells: dict[tuple[int, int], int] = {}
    people: dict[tuple[int, int], int] = {}
    for si, (t, r) in sorted(c.pinned.items()):
        s = p.sessions[si]
        room = p.rooms[r]
        what = "has already taken place in" if si in c.previous and si not in _fixed(c) else "is fixed to"
        if not c.span_ok(si, t):
            out.fatal.append(f"'{title[si]}' {what} slot {slot_id[t]} but is {s.length} slots long "
                             f"and would run past the end of the day.")
            continue
        span = range(t, t + s.length)
        if s.fixed is not None and t < c.now and si not in c.previous:
            out.fatal.append(f"'{title[si]}' is fixed to slot {slot_id[t]}, which has already started.")
        missing = s.needs - room.features
        if missing:
            out.fatal.append(f"'{title[si]}' needs {_needs(missing)}, but it {what} room {room.id}, "
                             f"which has no {_needs(missing)}.")
        for j in span:
            if slot_id[j] in room.unavailable:
                out.fatal.append(f"'{title[si]}' {what} room {room.id} in slot {slot_id[j]}, "
                                 f"when that room is not available.")
            if slot_id[j] in s.unavailable:
                out.fatal.append(f"'{title[si]}' {what} slot {slot_id[j]}, when it cannot take place.")
            other = cells.get((r, j))
            if other is not None:
                out.fatal.append(f"'{title[other]}' and '{title[si]}' are both fixed to room "
                                 f"{room_id[r]} in slot {slot_id[j]}.")
            cells[(r, j)] = si
            for f in c.facilitators[si]:
                fid = p.participants[f].id
                if c.p_unavail_mask[f] >> j & 1:
                    out.fatal.append(f"'{title[si]}' {what} slot {slot_id[j]}, when its facilitator "
                                     f"{fid} is not available.")
                other = people.get((f, j))
                if other is not None:
                    out.fatal.append(f"Facilitator {fid} is fixed in two places in slot {slot_id[j]}: "
                                     f"'{title[other]}' and '{title[si]}'.")
                people[(f, j)] = si

    # Sessions that have no place at all, whatever the others do.
    for si in range(c.S):
        if si in c.pinned or c.allowed[si]:
            continue
        out.unplaceable[si] = why_no_place(c, si)

    # More sessions needing a feature than room-slots offering it.
    open_slots = [t for t in range(c.now, c.T)]
    need_count: dict[str, int] = defaultdict(int)
    for si, s in enumerate(p.sessions):
        if si not in c.pinned:
            for f in s.needs:
                need_count[f] += s.length
    for feature, n in sorted(need_count.items()):
        offered = sum(1 for room in p.rooms if feature in room.features
                      for t in open_slots if slot_id[t] not in room.unavailable)
        if n > offered:
            out.warnings.append(f"{n} session-slots need {feature}, but rooms with {feature} offer only "
                                f"{offered} free room-slots: some of those sessions cannot be placed.")
    return out


def _fixed(c: Compiled) -> set[int]:
    return {c.session_ix[s.id] for s in c.problem.sessions if s.fixed is not None}


def why_no_place(c: Compiled, si: int) -> str:
    """The reason a session has no allowed start at all."""
    p = c.problem
    s = p.sessions[si]
    t_title = f"'{s.title}'"
    rooms_with_needs = [r for r in p.rooms if s.needs <= r.features]
    if s.needs and not rooms_with_needs:
        return f"{t_title} needs {_needs(s.needs)}, and no room has {_needs(s.needs)}."
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
    facs = _and([p.participants[f].id for f in c.facilitators[si]])
    if not people_free:
        if s.length > 1 and not any(c.span_ok(si, t) for t in range(c.now, c.T)):
            return f"{t_title} lasts {s.length} slots, and no day has {s.length} slots in a row left."
        if c.facilitators[si]:
            return (f"{t_title} has no slot left in which it and its facilitators ({facs}) "
                    f"are all available.")
        return f"{t_title} is unavailable in every slot that is left."
    if s.needs:
        return (f"{t_title} needs {_needs(s.needs)}, and no room with {_needs(s.needs)} is available "
                f"in any slot its facilitators can attend.")
    return f"{t_title} has no room available in any slot its facilitators can attend."


def why_unscheduled(sched: Schedule, si: int) -> str:
    """A session that had places, all taken by sessions placed in its stead."""
    c = sched.c
    s = c.problem.sessions[si]
    options = sum(len(rooms) for rooms in c.allowed[si].values())
    what = f"a room with {_needs(s.needs)}" if s.needs else "a room"
    return (f"'{s.title}' could not be placed: each of the {len(c.allowed[si])} slots where its "
            f"facilitators are free and {what} is available is already full "
            f"({options} room-slots in all), or one of its facilitators is busy there.")
