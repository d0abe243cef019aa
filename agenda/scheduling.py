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

from .extensions import db
from .models import (
    Assignment,
    Event,
    Facilitation,
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


def plenary_room(event: Event, slot: Slot) -> Room | None:
    """The biggest room free in a plenary slot."""
    free = [r for r in event.rooms if slot not in r.unavailable]
    return max(free, key=lambda r: (r.capacity, -r.id)) if free else None


def placements(version: ScheduleVersion | None) -> dict[int, list[tuple[int, int, int | None]]]:
    """proposal id → its runs in a version: (slot id, room id, table)."""
    out: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
    for a in version.assignments if version is not None else ():
        out[a.proposal_id].append((a.slot_id, a.room_id, a.table))
    return dict(out)


def people_of(event: Event) -> dict[int, User]:
    """Everyone a schedule of the event concerns: members, and hosts and voters without a
    membership (site admins may propose and vote anywhere)."""
    hosts = select(Facilitation.user_id).join(Proposal).where(Proposal.event_id == event.id)
    voters = select(Vote.user_id).join(Proposal).where(Proposal.event_id == event.id)
    members = select(Membership.user_id).where(Membership.event_id == event.id)
    users = db.session.scalars(select(User).where(
        User.id.in_(members) | User.id.in_(hosts) | User.id.in_(voters)).order_by(User.id))
    return {u.id: u for u in users}


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
    all_slots = db.session.scalars(select(Slot).where(Slot.event_id == event.id).order_by(Slot.start)).all()
    all_rooms = db.session.scalars(select(Room).where(Room.event_id == event.id).order_by(Room.id)).all()
    slot_rank = _ranks(s.id for s in all_slots)
    room_rank = _ranks(r.id for r in all_rooms)
    proposal_rank = _ranks(db.session.scalars(select(Proposal.id).where(Proposal.event_id == event.id)))
    people = people_of(event)
    person_rank = _ranks(people)

    def skey(s: Slot) -> str:
        return f"t{slot_rank[s.id]}"

    def rkey(r: Room) -> str:
        return f"r{room_rank[r.id]}"

    # Removed slots and rooms stay only where published history needs them: under sessions
    # that have already taken place. Nothing new can go there.
    prev_runs = placements(base)
    past = set()
    if now_slot is not None:
        by_id = {s.id: s for s in all_slots}
        past = {(slot_id, room_id) for runs in prev_runs.values() for slot_id, room_id, _ in runs
                if slot_id in by_id and by_id[slot_id].start < now_slot.start}
    slots = [s for s in all_slots if s.removed_at is None or s.id in {t for t, _ in past}]
    rooms = [r for r in all_rooms if r.removed_at is None or r.id in {r for _, r in past}]
    closed = [s for s in slots if s.kind != "open" or s.removed_at is not None]

    p_slots = tuple(solver.Slot(skey(s), s.local_start.date().isoformat(), f"{s.local_start:%H:%M}",
                                f"{s.local_end:%H:%M}") for s in slots)
    live_rooms = [r for r in rooms if r.removed_at is None]
    plenaries: dict[str, tuple[Slot, Room]] = {}
    for s in slots:
        if s.kind == "plenary" and s.removed_at is None:
            free = [r for r in live_rooms if s not in r.unavailable]
            if free:
                plenaries[f"plenary-{skey(s)}"] = (s, max(free, key=lambda r: (r.capacity, -r.id)))
    plenary_cells = {(s.id, r.id) for s, r in plenaries.values()}
    now_start = now_slot.start if now_slot is not None else None
    p_rooms = []
    for r in rooms:
        shut = {skey(s) for s in r.unavailable if s in slots}
        shut |= {skey(s) for s in closed if (s.id, r.id) not in plenary_cells}
        if r.removed_at is not None:  # kept for the past only
            shut |= {skey(s) for s in slots if now_start is None or s.start >= now_start}
        p_rooms.append(solver.Room(rkey(r), r.capacity, frozenset(r.features), frozenset(shut), r.tables or 0))

    proposals = db.session.scalars(
        select(Proposal).where(Proposal.event_id == event.id, Proposal.status == "accepted")
        .order_by(Proposal.id)).all()
    pin_source = pins_from or newest_version(event)
    pins: dict[int, list[Assignment]] = defaultdict(list)
    if pin_source is not None:
        for a in pin_source.assignments:
            if a.pinned:
                pins[a.proposal_id].append(a)
    hosts: dict[int, list[int]] = defaultdict(list)
    for f in db.session.scalars(select(Facilitation).join(Proposal).where(
            Proposal.event_id == event.id, Proposal.status == "accepted", Facilitation.state == "accepted")):
        hosts[f.proposal_id].append(f.user_id)

    def pkey(p: Proposal) -> str:
        return f"p{proposal_rank[p.id]}"

    slot_by_id = {s.id: s for s in slots}
    room_by_id = {r.id: r for r in rooms}
    sessions = []
    for key, (s, room) in plenaries.items():
        sessions.append(solver.Session(key, s.label or "Plenary", 1, "", frozenset(), (), frozenset(),
                                       solver.Placement(skey(s), rkey(room))))
    pinned = set()
    accepted_ids = {p.id for p in proposals}
    from .services.proposals import at_table, runs_allowed

    for p in proposals:
        pin = [a for a in pins.get(p.id, []) if a.slot_id in slot_by_id and a.room_id in room_by_id]
        fixed = None
        if len(pin) == 1:  # only a session that runs once can be pinned
            a = pin[0]
            fixed = solver.Placement(skey(slot_by_id[a.slot_id]), rkey(room_by_id[a.room_id]), a.table)
            pinned.add(pkey(p))
        sessions.append(solver.Session(
            pkey(p), p.title, p.length, p.language, frozenset(p.needs),
            tuple(f"u{person_rank[u]}" for u in sorted(hosts[p.id]) if u in person_rank),
            frozenset(skey(s) for s in p.unavailable if s.id in slot_by_id), fixed,
            at_table=at_table(p), runs=1 if fixed is not None else runs_allowed(p),
            after=f"p{proposal_rank[p.after_id]}" if p.after_id in accepted_ids else None,
            prefer=frozenset(skey(s) for s in p.preferred if s.id in slot_by_id)))

    accepted = {p.id for p in proposals}
    votes: dict[int, list[str]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for user_id, proposal_id in db.session.execute(
            select(Vote.user_id, Vote.proposal_id).join(Proposal)
            .where(Proposal.event_id == event.id).order_by(Vote.user_id, Vote.proposal_id)):
        if proposal_id in accepted:
            key = f"p{proposal_rank[proposal_id]}"
            votes[user_id].append(key)
            counts[key] += 1
    involved = set(votes) | {u for us in hosts.values() for u in us}
    busy = frozenset(skey(s) for s in closed)
    participants = tuple(
        solver.Participant(f"u{person_rank[u]}", tuple(people[u].languages), busy, tuple(votes.get(u, ())))
        for u in sorted(involved) if u in people)

    # Plenaries are part of every published schedule: once past, they have happened like the rest.
    previous: dict[str, tuple[solver.Placement, ...]] = {s.id: (s.fixed,) for s in sessions
                                                         if s.id.startswith("plenary-")}
    for p in proposals:
        runs = [solver.Placement(skey(slot_by_id[t]), rkey(room_by_id[r]), table)
                for t, r, table in prev_runs.get(p.id, []) if t in slot_by_id and r in room_by_id]
        if runs:
            previous[pkey(p)] = tuple(runs)
    problem = solver.Problem(
        slots=p_slots, rooms=tuple(p_rooms), sessions=tuple(sessions), participants=participants,
        name=event.slug, timezone=event.timezone, previous=previous,
        now=skey(now_slot) if now_slot is not None and now_slot in slots else None, move_cost=MOVE_COST)
    return Built(
        problem=problem, slots={skey(s): s for s in slots}, rooms={rkey(r): r for r in rooms},
        proposals={pkey(p): p for p in proposals}, people={f"u{person_rank[u]}": u for u in people},
        plenaries=plenaries, now_slot=now_slot, pinned=pinned, votes=dict(counts))


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
    """A stored version in the solver's terms."""
    return candidate(built, placed_of(built, version))


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
            _add_assignment(version, built, a.session, (a.slot, a.room, a.table), a.session in built.pinned)
    return version


def rewrite_assignments(version: ScheduleVersion, built: Built, placed: dict[str, list[Place]],
                        pinned: set[str]) -> None:
    """Replace a draft's assignments (hand edits, set-up changes); the caller has checked the result."""
    for a in list(version.assignments):
        version.assignments.remove(a)
    db.session.flush()
    for session_id, runs in placed.items():
        for place in runs:
            _add_assignment(version, built, session_id, place, session_id in pinned)
    version.unscheduled = [p.id for k, p in built.proposals.items() if k not in placed]


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
    return free, candidate(free, placed_of(built, version))


def evaluator(built: Built, solution: solver.Solution) -> solver_places.Evaluator:
    return solver_places.Evaluator(built.problem, solution)


def place_figures(built: Built, solution: solver.Solution) -> dict:
    return solver_places.figures(built.problem, solution)
