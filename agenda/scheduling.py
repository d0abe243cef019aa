"""THE ONLY DOOR to solver/: database rows → solver.Problem, solver.Solution → rows.

One id codec: in a problem, sessions are "p<n>", slots "t<n>", rooms "r<n>" and people
"u<n>", where n is the rank of the row's id among the event's rows of that kind (plenaries
are "plenary-t<n>"). Ranks do not depend on the database's own numbering, so an event
restored into another instance exports the same instance.

Break and plenary slots stay in the problem, so that a two-slot session cannot straddle
them, but no room is free then (a plenary's room holds the plenary).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import func, select

import solver
from solver import places as solver_places

from .enums import InvitationState, ProposalStatus
from .extensions import db
from .models import (
    Assignment,
    Event,
    Facilitation,
    HeadCount,
    Interpreter,
    Membership,
    Proposal,
    Room,
    RoomBooking,
    ScheduleVersion,
    Slot,
    User,
    Vote,
)

MOVE_COST = 5

Place = tuple[str, str, int | None]  # (slot key, room key, table)


@dataclass
class Built:
    """A problem and the rows behind its ids."""

    problem: solver.Problem
    slots: dict[str, Slot]
    rooms: dict[str, Room]
    proposals: dict[str, Proposal]
    people: dict[str, int]  # person key → user id
    plenaries: dict[str, tuple[Slot, Room]]
    now_slot: Slot | None
    pinned: set[str] = field(default_factory=set)
    votes: dict[str, int] = field(default_factory=dict)
    interpreters: dict[str, Interpreter] = field(default_factory=dict)  # "i<n>" → the interpreter

    def __post_init__(self):
        self.slot_key = {s.id: k for k, s in self.slots.items()}
        self.room_key = {r.id: k for k, r in self.rooms.items()}
        self.proposal_key = {p.id: k for k, p in self.proposals.items()}

    def slot_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.problem.slots)}

    def key_of(self, a: Assignment) -> tuple[str, Place] | None:
        """An assignment in the problem's terms; None when its proposal, slot or room is not in it."""
        k = self.proposal_key.get(a.proposal_id)
        t, r = self.slot_key.get(a.slot_id), self.room_key.get(a.room_id)
        if k is None or t is None or r is None:
            return None
        return k, (t, r, a.table)


def _ranks(ids) -> dict[int, int]:
    return {i: n for n, i in enumerate(sorted(ids), start=1)}


def newest_version(event: Event, status: str | None = None) -> ScheduleVersion | None:
    q = select(ScheduleVersion).where(ScheduleVersion.event_id == event.id)
    if status:
        q = q.where(ScheduleVersion.status == status)
    return db.session.scalar(q.order_by(ScheduleVersion.number.desc()).limit(1))


def published_version(event: Event) -> ScheduleVersion | None:
    return newest_version(event, "published")


def default_now(event: Event, at: datetime | None = None) -> Slot | None:
    """The first slot that has not started; None once the event is over."""
    at = at or datetime.now(UTC)
    return next((s for s in event.slots if s.start > at), None)


def placements(version: ScheduleVersion | None) -> dict[int, list[tuple[int, int, int | None]]]:
    """proposal id → its runs in a version: (slot id, room id, table)."""
    out: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
    for a in version.assignments if version is not None else ():
        out[a.proposal_id].append((a.slot_id, a.room_id, a.table))
    return dict(out)


def runs_allowed(proposal: Proposal) -> int:
    """How many times the session may run: as the facilitators set it, else as its format says
    (once when it lasts more than a slot)."""
    if proposal.length != 1:
        return 1
    if proposal.runs:
        return proposal.runs
    return int((proposal.event.format_settings or {}).get(proposal.format, {}).get("runs", 1))


def at_table(proposal: Proposal) -> bool:
    return bool((proposal.event.format_settings or {}).get(proposal.format, {}).get("at_table"))


def people_of(event: Event) -> dict[int, User]:
    """Everyone a schedule of the event concerns: members, and hosts and voters without a
    membership (site admins may propose and vote anywhere)."""
    hosts = select(Facilitation.user_id).join(Proposal).where(Proposal.event_id == event.id)
    voters = select(Vote.user_id).join(Proposal).where(Proposal.event_id == event.id)
    members = select(Membership.user_id).where(Membership.event_id == event.id)
    users = db.session.scalars(select(User).where(
        User.id.in_(members) | User.id.in_(hosts) | User.id.in_(voters)).order_by(User.id))
    return {u.id: u for u in users}


@dataclass
class Parts:
    """What the steps of `build_problem` share: the rows the problem holds, their keys, and the
    problem's fields (`solver.Problem`'s keyword arguments) as the steps add them."""

    event: Event
    now_slot: Slot | None
    base: ScheduleVersion | None
    pins_from: ScheduleVersion | None
    slots: list[Slot]
    rooms: list[Room]
    closed: list[Slot]  # no session starts or runs here: breaks, plenaries, removed slots
    people: dict[int, User]
    prev_runs: dict[int, list[tuple[int, int, int | None]]]
    ranks: dict[str, dict[int, int]]  # kind ("slot", "room", "proposal", "person") → id → rank
    proposals: list[Proposal] = field(default_factory=list)  # the accepted ones
    hosts: dict[int, list[int]] = field(default_factory=dict)  # proposal id → user ids
    plenaries: dict[str, tuple[Slot, Room]] = field(default_factory=dict)
    pinned: set[str] = field(default_factory=set)
    votes: dict[str, int] = field(default_factory=dict)
    fields: dict = field(default_factory=lambda: {"slots": [], "rooms": [], "sessions": [], "participants": []})

    def __post_init__(self):
        self.slot_by_id = {s.id: s for s in self.slots}
        self.room_by_id = {r.id: r for r in self.rooms}

    def skey(self, s: Slot) -> str:
        return f"t{self.ranks['slot'][s.id]}"

    def rkey(self, r: Room) -> str:
        return f"r{self.ranks['room'][r.id]}"

    def pkey(self, proposal_id: int) -> str:
        return f"p{self.ranks['proposal'][proposal_id]}"

    def ukey(self, user_id: int) -> str:
        return f"u{self.ranks['person'][user_id]}"

    def add(self, name: str, *items) -> None:
        self.fields.setdefault(name, []).extend(items)


def _rows(event: Event, now_slot: Slot | None, base: ScheduleVersion | None,
          pins_from: ScheduleVersion | None) -> Parts:
    """The event's rows, and the id ranks that key them.

    Removed slots and rooms stay only where published history needs them: under sessions
    that have already taken place. Nothing new can go there.
    """
    all_slots = db.session.scalars(select(Slot).where(Slot.event_id == event.id).order_by(Slot.start)).all()
    all_rooms = db.session.scalars(select(Room).where(Room.event_id == event.id).order_by(Room.id)).all()
    people = people_of(event)
    ranks = {"slot": _ranks(s.id for s in all_slots), "room": _ranks(r.id for r in all_rooms),
             "proposal": _ranks(db.session.scalars(select(Proposal.id).where(Proposal.event_id == event.id))),
             "person": _ranks(people)}
    prev_runs = placements(base)
    past = set()
    if now_slot is not None:
        by_id = {s.id: s for s in all_slots}
        past = {(slot_id, room_id) for runs in prev_runs.values() for slot_id, room_id, _ in runs
                if slot_id in by_id and by_id[slot_id].start < now_slot.start}
    slots = [s for s in all_slots if s.removed_at is None or s.id in {t for t, _ in past}]
    rooms = [r for r in all_rooms if r.removed_at is None or r.id in {r for _, r in past}]
    closed = [s for s in slots if s.kind != "open" or s.removed_at is not None]
    return Parts(event=event, now_slot=now_slot, base=base, pins_from=pins_from, slots=slots, rooms=rooms,
                 closed=closed, people=people, prev_runs=prev_runs, ranks=ranks)


def _accepted(b: Parts) -> None:
    """The accepted proposals, and who runs each."""
    b.proposals = list(db.session.scalars(
        select(Proposal).where(Proposal.event_id == b.event.id, Proposal.status == ProposalStatus.ACCEPTED)
        .order_by(Proposal.id)))
    hosts: dict[int, list[int]] = defaultdict(list)
    for f in db.session.scalars(select(Facilitation).join(Proposal).where(
            Proposal.event_id == b.event.id, Proposal.status == ProposalStatus.ACCEPTED,
            Facilitation.state == InvitationState.ACCEPTED)):
        hosts[f.proposal_id].append(f.user_id)
    b.hosts = hosts


def _slot_part(b: Parts) -> None:
    b.add("slots", *(solver.Slot(b.skey(s), s.local_start.date().isoformat(), f"{s.local_start:%H:%M}",
                                 f"{s.local_end:%H:%M}") for s in b.slots))


def _plenary_part(b: Parts) -> None:
    """Each plenary in the biggest room free then, as a session fixed in place."""
    live_rooms = [r for r in b.rooms if r.removed_at is None]
    for s in b.slots:
        if s.kind == "plenary" and s.removed_at is None:
            free = [r for r in live_rooms if s not in r.unavailable]
            if free:
                b.plenaries[f"plenary-{b.skey(s)}"] = (s, max(free, key=lambda r: (r.capacity, -r.id)))
    for key, (s, room) in b.plenaries.items():
        b.add("sessions", solver.Session(key, s.label or "Plenary", 1, "", frozenset(), (), frozenset(),
                                         solver.Placement(b.skey(s), b.rkey(room))))


def _room_part(b: Parts) -> None:
    """Rooms, shut where unavailable, in closed slots (but a plenary's own), and, once removed,
    from now on."""
    plenary_cells = {(s.id, r.id) for s, r in b.plenaries.values()}
    now_start = b.now_slot.start if b.now_slot is not None else None
    for r in b.rooms:
        shut = {b.skey(s) for s in r.unavailable if s in b.slots}
        shut |= {b.skey(s) for s in b.closed if (s.id, r.id) not in plenary_cells}
        if r.removed_at is not None:  # kept for the past only
            shut |= {b.skey(s) for s in b.slots if now_start is None or s.start >= now_start}
        b.add("rooms", solver.Room(b.rkey(r), r.capacity, frozenset(r.features), frozenset(shut), r.tables or 0))


def _pins(b: Parts) -> dict[int, list[Assignment]]:
    """Pinned runs (in `pins_from` or the newest version) whose slot and room are in the problem."""
    source = b.pins_from or newest_version(b.event)
    pins: dict[int, list[Assignment]] = defaultdict(list)
    for a in source.assignments if source is not None else ():
        if a.pinned and a.slot_id in b.slot_by_id and a.room_id in b.room_by_id:
            pins[a.proposal_id].append(a)
    return pins


def _session_part(b: Parts) -> None:
    """The accepted sessions; one pinned where it runs once and is pinned."""
    pins = _pins(b)
    accepted_ids = {p.id for p in b.proposals}
    for p in b.proposals:
        pin = pins.get(p.id, [])
        fixed = None
        if len(pin) == 1:  # only a session that runs once can be pinned
            a = pin[0]
            fixed = solver.Placement(b.skey(b.slot_by_id[a.slot_id]), b.rkey(b.room_by_id[a.room_id]), a.table)
            b.pinned.add(b.pkey(p.id))
        b.add("sessions", solver.Session(
            b.pkey(p.id), p.title, p.length, p.language, frozenset(p.needs),
            tuple(b.ukey(u) for u in sorted(b.hosts.get(p.id, ())) if u in b.ranks["person"]),
            frozenset(b.skey(s) for s in p.unavailable if s.id in b.slot_by_id), fixed,
            at_table=at_table(p), runs=1 if fixed is not None else runs_allowed(p),
            after=b.pkey(p.after_id) if p.after_id in accepted_ids else None,
            prefer=frozenset(b.skey(s) for s in p.preferred if s.id in b.slot_by_id)))


def _participant_part(b: Parts) -> None:
    """Everyone who runs or votes for an accepted session, busy in the closed slots."""
    accepted = {p.id for p in b.proposals}
    votes: dict[int, list[str]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for user_id, proposal_id in db.session.execute(
            select(Vote.user_id, Vote.proposal_id).join(Proposal)
            .where(Proposal.event_id == b.event.id).order_by(Vote.user_id, Vote.proposal_id)):
        if proposal_id in accepted:
            key = b.pkey(proposal_id)
            votes[user_id].append(key)
            counts[key] += 1
    b.votes = dict(counts)
    involved = set(votes) | {u for us in b.hosts.values() for u in us}
    busy = frozenset(b.skey(s) for s in b.closed)
    b.add("participants", *(
        solver.Participant(b.ukey(u), tuple(b.people[u].languages), busy, tuple(votes.get(u, ())))
        for u in sorted(involved) if u in b.people))


def _previous_part(b: Parts) -> None:
    """What people planned around: the base version's runs, and the plenaries.

    Plenaries are part of every published schedule: once past, they have happened like the rest.
    """
    previous: dict[str, tuple[solver.Placement, ...]] = {
        key: (solver.Placement(b.skey(s), b.rkey(room)),) for key, (s, room) in b.plenaries.items()}
    for p in b.proposals:
        runs = [solver.Placement(b.skey(b.slot_by_id[t]), b.rkey(b.room_by_id[r]), table)
                for t, r, table in b.prev_runs.get(p.id, []) if t in b.slot_by_id and r in b.room_by_id]
        if runs:
            previous[b.pkey(p.id)] = tuple(runs)
    b.fields["previous"] = previous


def _time_part(b: Parts) -> None:
    """The event's name and clock: the first slot that can still change, and what a move costs."""
    now = b.now_slot
    b.fields.update(name=b.event.slug, timezone=b.event.timezone, move_cost=MOVE_COST,
                    now=b.skey(now) if now is not None and now in b.slots else None)


def head_counts(event: Event) -> dict[int, int]:
    """proposal id → how many people came, over all its counted runs."""
    return dict(db.session.execute(select(HeadCount.proposal_id, func.sum(HeadCount.count)).join(Proposal)
                                   .where(Proposal.event_id == event.id).group_by(HeadCount.proposal_id)).all())


def expected_attendance(event: Event, votes: dict[int, int]) -> dict[int, int]:
    """proposal id → how many people it is expected to draw: its own head count when it has one
    (it runs again), else its votes × the ratio of head counts to votes seen so far in the event.
    Empty until something has been counted."""
    counted = head_counts(event)
    seen_votes = sum(votes.get(pid, 0) for pid in counted)
    if not counted or not seen_votes:
        return dict(counted)
    ratio = sum(counted.values()) / seen_votes
    return {pid: counted[pid] if pid in counted else round(n * ratio) for pid, n in votes.items()}


def _absent_part(b: Parts) -> None:
    """Each person is unavailable in every slot of the days they are not at the event."""
    days_of = {b.ukey(user_id): set(days) for user_id, days in db.session.execute(
        select(Membership.user_id, Membership.days).where(Membership.event_id == b.event.id))
        if days is not None and user_id in b.ranks["person"]}
    if not days_of:
        return
    day = {b.skey(s): s.local_start.date().isoformat() for s in b.slots}
    b.fields["participants"] = [
        replace(p, unavailable=p.unavailable | {k for k, d in day.items() if d not in days_of[p.id]})
        if p.id in days_of else p for p in b.fields["participants"]]


def _expected_part(b: Parts) -> None:
    """Sessions get `expected` attendance from the head counts so far (spec: Expected attendance)."""
    expected = expected_attendance(b.event, {p.id: b.votes.get(b.pkey(p.id), 0) for p in b.proposals})
    if not expected:
        return
    ids = {b.pkey(p.id): p.id for p in b.proposals}
    b.fields["sessions"] = [replace(s, expected=expected[ids[s.id]]) if ids.get(s.id) in expected else s
                            for s in b.fields["sessions"]]


# The steps of build_problem, in order; a new part of the problem is one more step here.
STEPS = (_accepted, _slot_part, _plenary_part, _room_part, _session_part, _participant_part, _absent_part,
         _expected_part, _previous_part, _time_part)


def build_problem(event: Event, now_slot: Slot | None | str = "auto",
                  pins_from: ScheduleVersion | None = None,
                  base: ScheduleVersion | None | str = "auto") -> Built:
    """The event as the solver sees it.

    Pins come from `pins_from` or the newest version; `previous` (what people planned
    around) from `base`: the published version, or before anything is published, the
    newest draft, so that generating again keeps what was reviewed unless a change pays.
    """
    if now_slot == "auto":
        now_slot = default_now(event)
    if base == "auto":
        base = published_version(event) or newest_version(event)
    b = _rows(event, now_slot, base, pins_from)
    for step in STEPS:
        step(b)
    problem = solver.Problem(**{k: tuple(v) if isinstance(v, list) else v for k, v in b.fields.items()})
    return with_languages(event, Built(
        problem=problem, slots={b.skey(s): s for s in b.slots}, rooms={b.rkey(r): r for r in b.rooms},
        proposals={b.pkey(p.id): p for p in b.proposals}, people={b.ukey(u): u for u in b.people},
        plenaries=b.plenaries, now_slot=now_slot, pinned=b.pinned, votes=b.votes))


INTERPRETATION_FEATURE = "interpretation"  # the room feature that interpreted runs need


def language_rule(event: Event) -> bool:
    """The event's setting; by default on when it has more than one language."""
    return event.language_rule if event.language_rule is not None else len(event.languages) > 1


def with_languages(event: Event, built: Built) -> Built:
    """The language rule, the interpreters and which sessions may be interpreted (solver-io.md)."""
    if not language_rule(event):
        return built
    person_key = {u: k for k, u in built.people.items()}
    in_problem = {p.id for p in built.problem.participants}
    interpreters = db.session.scalars(select(Interpreter).where(Interpreter.event_id == event.id)
                                      .order_by(Interpreter.id)).all()
    keyed = {f"i{n}": x for n, x in enumerate(interpreters, start=1)}
    p_interpreters = []
    for key, x in keyed.items():
        available = {built.slot_key[s.id] for s in x.available if s.id in built.slot_key}
        person = person_key.get(x.user_id)
        p_interpreters.append(solver.Interpreter(
            key, tuple((a, b) for a, b in x.pairs), frozenset(k for k in built.slots if k not in available),
            x.max_slots_per_day, person if person in in_problem else None))
    sessions = tuple(replace(s, interpretation=built.proposals[s.id].interpretation) if s.id in built.proposals
                     else s for s in built.problem.sessions)
    problem = replace(built.problem, sessions=sessions, language_rule=True, interpreters=tuple(p_interpreters),
                      interpretation_feature=INTERPRETATION_FEATURE)
    return replace(built, problem=problem, interpreters=keyed)


def placed_of(built: Built, version: ScheduleVersion) -> dict[str, list[Place]]:
    """A version's runs in the problem's terms; runs outside the problem are left out."""
    out: dict[str, list[Place]] = defaultdict(list)
    for a in version.assignments:
        keyed = built.key_of(a)
        if keyed is not None:
            out[keyed[0]].append(keyed[1])
    return dict(out)


def candidate(built: Built, placed: dict[str, list[Place]]) -> solver.Solution:
    """Placements as a solution: fixed sessions (plenaries, pins) where the problem fixes them."""
    assignments = [solver.Assignment(s.id, s.fixed.slot, s.fixed.room, s.fixed.table)
                   for s in built.problem.sessions if s.fixed is not None and s.id not in placed]
    for key, runs in placed.items():
        assignments += [solver.Assignment(key, t, r, table) for t, r, table in runs]
    done = {a.session for a in assignments}
    return solver.Solution("feasible", tuple(assignments),
                           tuple(s.id for s in built.problem.sessions if s.id not in done))


def solution_of(built: Built, version: ScheduleVersion) -> solver.Solution:
    """A stored version in the solver's terms (with who interprets each run)."""
    return with_interpretation(built, version, candidate(built, placed_of(built, version)))


def check(built: Built, solution: solver.Solution) -> list[solver.Violation]:
    return solver.find_violations(built.problem, solution)


def unpinned(built: Built) -> Built:
    """The problem with pins lifted (plenaries stay): pins bind the next run, not a hand edit."""
    problem = replace(built.problem, sessions=tuple(
        s if s.id.startswith("plenary-") else replace(s, fixed=None) for s in built.problem.sessions))
    return replace(built, problem=problem)


def repair(built: Built, placed: dict[str, list[Place]]) -> tuple[dict[str, list[Place]], set[str]]:
    """Drop the runs that break a rule under the current set-up; return (what stays, what was dropped).

    Used when the set-up changes under a schedule: what still fits stays where it was.
    """
    free = unpinned(built)
    placed = {k: list(v) for k, v in placed.items() if k in built.proposals}
    dropped: set[str] = set()
    for _ in range(len(placed) + 1):
        violations = check(free, candidate(free, placed))
        named = [next((s for s in reversed(v.sessions) if s in placed), None) for v in violations]
        named = [k for k in named if k is not None]
        if not named:
            break
        for k in named:
            if k in placed:
                placed.pop(k)
                dropped.add(k)
    return placed, dropped


def figures_of(built: Built, solution: solver.Solution, stats: dict | None = None) -> dict:
    figures = dict(stats or {})
    figures.update(solver.score(built.problem, solution).as_dict())
    figures.setdefault("bound", solver.upper_bound(built.problem))
    return figures


def _occupied(built: Built, slot_key: str, length: int) -> list[Slot]:
    order = list(built.slots)
    i = order.index(slot_key)
    return [built.slots[k] for k in order[i:i + length]]


def _add_assignment(version: ScheduleVersion, built: Built, session_id: str, place: Place,
                    pinned: bool) -> Assignment:
    slot_key, room_key, table = place
    proposal = built.proposals[session_id]
    room = built.rooms[room_key]
    assignment = Assignment(proposal_id=proposal.id, slot_id=built.slots[slot_key].id, room_id=room.id,
                            table=table, pinned=pinned)
    # A table session books its table; an ordinary session the room itself and, in a hall, every
    # table too, so that the database refuses a hall holding both.
    tables = [table] if table else range(0, (room.tables or 0) + 1)
    for slot in _occupied(built, slot_key, proposal.length):
        for t in tables:
            assignment.bookings.append(RoomBooking(version=version, slot_id=slot.id, room_id=room.id, table=t))
    version.assignments.append(assignment)
    return assignment


def record_refs(built: Built, record: solver.Reason | solver.Violation) -> dict:
    """A solver record with database references instead of problem ids, for storing and for words."""
    def session_ref(key: str) -> dict:
        if key in built.proposals:
            return {"proposal": built.proposals[key].id}
        if key in built.plenaries:
            return {"plenary": built.plenaries[key][0].id}
        return {"unknown": key}

    if isinstance(record, solver.Violation):
        out: dict = {"code": record.rule}
        slots = [record.slot] if record.slot else []
        rooms = [record.room] if record.room else []
    else:
        out = {"code": record.code}
        slots, rooms = list(record.slots), list(record.rooms)
    out["sessions"] = [session_ref(k) for k in record.sessions]
    out["slots"] = [built.slots[k].id for k in slots if k in built.slots]
    out["rooms"] = [built.rooms[k].id for k in rooms if k in built.rooms]
    out["people"] = [built.people[k] for k in record.people if k in built.people]
    out["needs"] = list(record.needs)
    out["numbers"] = list(record.numbers)
    if getattr(record, "past", False):
        out["past"] = True
    return out


def save_version(event: Event, built: Built, solution: solver.Solution, source: str = "solver") -> ScheduleVersion:
    """Store a solution as the next draft. The caller commits (one transaction with its run)."""
    number = (db.session.scalar(select(func.max(ScheduleVersion.number))
                                .where(ScheduleVersion.event_id == event.id)) or 0) + 1
    version = ScheduleVersion(
        event_id=event.id, number=number, status="draft", source=source,
        figures=figures_of(built, solution, solution.stats),
        reasons=[record_refs(built, r) for r in solution.explanations],
        unscheduled=[built.proposals[s].id for s in solution.unscheduled if s in built.proposals],
        now_slot_id=built.now_slot.id if built.now_slot else None)
    db.session.add(version)
    for a in solution.assignments:
        if a.session in built.proposals:
            added = _add_assignment(version, built, a.session, (a.slot, a.room, a.table), a.session in built.pinned)
            added.interpretation = interpretation_refs(built, a)
    return version


def interpretation_refs(built: Built, a: solver.Assignment) -> list[dict]:
    """Who interprets a run into what, with the interpreter's id and name (kept if they are removed later)."""
    return [{"interpreter": built.interpreters[x.interpreter].id, "name": built.interpreters[x.interpreter].name,
             "into": x.into} for x in a.interpretation if x.interpreter in built.interpreters]


def rewrite_assignments(version: ScheduleVersion, built: Built, placed: dict[str, list[Place]],
                        pinned: set[str]) -> None:
    """Replace a draft's assignments (hand edits, set-up changes); the caller has checked the result.

    A run that stays where it was keeps its interpreters while its room still has booths."""
    interpreted = {(a.proposal_id, a.slot_id, a.room_id): a.interpretation for a in version.assignments
                   if a.interpretation}
    for a in list(version.assignments):
        version.assignments.remove(a)
    db.session.flush()
    for session_id, runs in placed.items():
        for place in runs:
            added = _add_assignment(version, built, session_id, place, session_id in pinned)
            if INTERPRETATION_FEATURE in (built.rooms[place[1]].features or ()):
                added.interpretation = interpreted.get((added.proposal_id, added.slot_id, added.room_id), [])
    version.unscheduled = [p.id for k, p in built.proposals.items() if k not in placed]


def with_interpretation(built: Built, version: ScheduleVersion, solution: solver.Solution) -> solver.Solution:
    """A solution with the interpreters a stored version gives its runs (for the figures of a hand edit)."""
    if not built.problem.language_rule:
        return solution
    key_of = {x.id: k for k, x in built.interpreters.items()}
    stored = {}
    for a in version.assignments:
        keyed = built.key_of(a)
        if keyed is not None and a.interpretation:
            stored[(keyed[0], keyed[1][0], keyed[1][1])] = tuple(
                solver.Interpretation(key_of[x["interpreter"]], x["into"]) for x in a.interpretation
                if x.get("interpreter") in key_of)
    return replace(solution, assignments=tuple(
        replace(a, interpretation=stored.get((a.session, a.slot, a.room), ())) for a in solution.assignments))


def solve_event(built: Built, time_limit: float, progress=None, stop=None) -> solver.Solution:
    from flask import current_app

    # The search's pace (people rescored per second of the limit): the solver's own unless
    # configured (the tests use a lighter one: a schedule as valid, sooner).
    pace = current_app.config.get("SOLVER_WORK_PER_SECOND")
    work = int(time_limit * 0.85 * pace) if pace else None
    return solver.solve(built.problem, solver.Options(time_limit=time_limit, workers=1, seed=0,
                                                       progress=progress, stop=stop, work=work))


def export_instance(built: Built) -> dict:
    return solver.problem_to_dict(built.problem)


def parse_solution(data) -> solver.Solution:
    """Raises ValueError with the place in the file when it is not a solution."""
    try:
        return solver.solution_from_dict(data)
    except solver.InstanceError as e:
        raise ValueError(str(e)) from None


def score(built: Built, solution: solver.Solution):
    return solver.score(built.problem, solution)


# Places: what a hand edit would change (solver.places), for the facilitator's evening


def base_of(version: ScheduleVersion) -> ScheduleVersion | None:
    """What a version's moves are counted against: the newest version published before it."""
    return db.session.scalar(select(ScheduleVersion).where(
        ScheduleVersion.event_id == version.event_id, ScheduleVersion.status == "published",
        ScheduleVersion.number < version.number).order_by(ScheduleVersion.number.desc()).limit(1))


def version_problem(version: ScheduleVersion) -> tuple[Built, solver.Solution]:
    """A version as the checker of a hand edit sees it: pins lifted, moves counted against `base_of`."""
    now_slot = db.session.get(Slot, version.now_slot_id) if version.now_slot_id else None
    built = build_problem(version.event, now_slot, pins_from=version, base=base_of(version))
    free = unpinned(built)
    return free, with_interpretation(free, version, candidate(free, placed_of(built, version)))


def evaluator(built: Built, solution: solver.Solution) -> solver_places.Evaluator:
    return solver_places.Evaluator(built.problem, solution)


def place_figures(built: Built, solution: solver.Solution) -> dict:
    return solver_places.figures(built.problem, solution)
