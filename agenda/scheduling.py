"""THE ONLY DOOR to solver/: database rows → solver.Problem, solver.Solution → ScheduleVersion rows.

Ids in the problem: sessions "p<proposal id>" (plenaries "plenary-<slot id>"), slots
"t<slot id>", rooms "r<room id>", people "u<user id>". Break and plenary slots stay in the
problem so that a two-slot session cannot straddle them, but no room is free then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

import solver

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


def sid(p: Proposal) -> str:
    return f"p{p.id}"


@dataclass
class Built:
    """A problem and the rows behind its ids."""

    problem: solver.Problem
    slots: dict[str, Slot]
    rooms: dict[str, Room]
    proposals: dict[str, Proposal]
    now_slot: Slot | None
    pinned: set[str] = field(default_factory=set)
    votes: dict[str, int] = field(default_factory=dict)

    def slot_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.problem.slots)}


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
    free = [r for r in event.rooms if slot not in r.unavailable]
    return max(free, key=lambda r: (r.capacity, -r.id)) if free else None


def build_problem(event: Event, now_slot: Slot | None | str = "auto",
                  pins_from: ScheduleVersion | None = None) -> Built:
    """The event as the solver sees it. Pins come from `pins_from` or the newest version."""
    if now_slot == "auto":
        now_slot = default_now(event)
    slots = list(event.slots)
    closed = [s for s in slots if s.kind != "open"]
    slot_ids = {s.id: f"t{s.id}" for s in slots}
    p_slots = tuple(
        solver.Slot(slot_ids[s.id], s.local_start.date().isoformat(), f"{s.local_start:%H:%M}",
                    f"{s.local_end:%H:%M}") for s in slots)

    plenaries: list[tuple[Slot, Room]] = []
    for s in slots:
        if s.kind == "plenary" and (room := plenary_room(event, s)) is not None:
            plenaries.append((s, room))
    plenary_rooms = {(s.id, r.id) for s, r in plenaries}
    p_rooms = tuple(
        solver.Room(f"r{r.id}", r.capacity, frozenset(r.features), frozenset(
            {slot_ids[s.id] for s in r.unavailable}
            | {slot_ids[s.id] for s in closed if (s.id, r.id) not in plenary_rooms}))
        for r in event.rooms)

    proposals = db.session.scalars(
        select(Proposal).where(Proposal.event_id == event.id, Proposal.status == "accepted")
        .order_by(Proposal.id)).all()
    pin_source = pins_from or newest_version(event)
    pins = {}
    if pin_source is not None:
        pins = {a.proposal_id: a for a in pin_source.assignments if a.pinned}
    hosts: dict[int, list[int]] = defaultdict(list)
    for f in db.session.scalars(select(Facilitation).join(Proposal).where(
            Proposal.event_id == event.id, Proposal.status == "accepted", Facilitation.state == "accepted")):
        hosts[f.proposal_id].append(f.user_id)

    sessions = []
    for s, room in plenaries:
        sessions.append(solver.Session(
            f"plenary-{s.id}", s.label or "Plenary", 1, "", frozenset(), (), frozenset(),
            solver.Placement(slot_ids[s.id], f"r{room.id}")))
    for p in proposals:
        pin = pins.get(p.id)
        sessions.append(solver.Session(
            sid(p), p.title, p.length, p.language, frozenset(p.needs),
            tuple(f"u{u}" for u in sorted(hosts[p.id])),
            frozenset(slot_ids[s.id] for s in p.unavailable),
            solver.Placement(slot_ids[pin.slot_id], f"r{pin.room_id}") if pin else None))

    accepted = {p.id for p in proposals}
    votes: dict[int, list[str]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for user_id, proposal_id in db.session.execute(
            select(Vote.user_id, Vote.proposal_id).join(Proposal)
            .where(Proposal.event_id == event.id).order_by(Vote.user_id, Vote.proposal_id)):
        if proposal_id in accepted:
            votes[user_id].append(f"p{proposal_id}")
            counts[f"p{proposal_id}"] += 1
    people_ids = set(votes) | {u for us in hosts.values() for u in us}
    members = db.session.scalars(select(User).join(Membership).where(
        Membership.event_id == event.id, User.id.in_(people_ids)).order_by(User.id)).all()
    busy = frozenset(slot_ids[s.id] for s in closed)
    participants = tuple(
        solver.Participant(f"u{u.id}", tuple(u.languages), busy, tuple(votes.get(u.id, ())))
        for u in members)

    # The published schedule; before anything is published, the newest draft, so that
    # generating again keeps what the facilitators have already reviewed unless a change pays.
    base = published_version(event) or newest_version(event)
    # Plenaries are part of every published schedule: once past, they have happened like the rest.
    previous = {s.id: s.fixed for s in sessions if s.id.startswith("plenary-")}
    if base is not None:
        previous.update({f"p{a.proposal_id}": solver.Placement(slot_ids[a.slot_id], f"r{a.room_id}")
                         for a in base.assignments if a.proposal_id in accepted})
    problem = solver.Problem(
        slots=p_slots, rooms=p_rooms, sessions=tuple(sessions), participants=participants,
        name=event.slug, timezone=event.timezone, previous=previous,
        now=slot_ids[now_slot.id] if now_slot is not None else None, move_cost=MOVE_COST)
    return Built(
        problem=problem, slots={slot_ids[s.id]: s for s in slots},
        rooms={f"r{r.id}": r for r in event.rooms}, proposals={sid(p): p for p in proposals},
        now_slot=now_slot, pinned={sid(p) for p in proposals if p.id in pins}, votes=dict(counts))


def solution_of(built: Built, version: ScheduleVersion) -> solver.Solution:
    """A stored version in the solver's terms (plenaries where the problem fixes them)."""
    placed = {f"p{a.proposal_id}": (f"t{a.slot_id}", f"r{a.room_id}") for a in version.assignments}
    assignments = []
    for s in built.problem.sessions:
        if s.id.startswith("plenary-") and s.fixed is not None:
            assignments.append(solver.Assignment(s.id, s.fixed.slot, s.fixed.room))
        elif s.id in placed:
            assignments.append(solver.Assignment(s.id, *placed[s.id]))
    done = {a.session for a in assignments}
    return solver.Solution("feasible", tuple(assignments),
                           tuple(s.id for s in built.problem.sessions if s.id not in done))


def check(built: Built, solution: solver.Solution) -> list[str]:
    return solver.find_violations(built.problem, solution)


def check_hand_edit(built: Built, placed: dict[str, tuple[str, str]], pinned: set[str]):
    """Check placements a facilitator made by hand: (problem as checked, candidate, violations).

    Pins bind the next run, not a hand edit (pinned sessions are refused before this),
    so the check lifts them; plenaries stay where they are.
    """
    from dataclasses import replace

    problem = replace(built.problem, sessions=tuple(
        s if s.id.startswith("plenary-") else replace(s, fixed=None) for s in built.problem.sessions))
    free = Built(problem=problem, slots=built.slots, rooms=built.rooms, proposals=built.proposals,
                 now_slot=built.now_slot, pinned=pinned, votes=built.votes)
    candidate = solver.Solution("feasible", tuple(
        [solver.Assignment(s.id, s.fixed.slot, s.fixed.room) for s in problem.sessions if s.fixed]
        + [solver.Assignment(k, *v) for k, v in placed.items()]),
        tuple(s.id for s in problem.sessions if s.id not in placed and not s.fixed))
    return free, candidate, check(free, candidate)


def figures_of(built: Built, solution: solver.Solution, stats: dict | None = None) -> dict:
    figures = dict(stats or {})
    figures.update(solver.score(built.problem, solution).as_dict())
    figures.setdefault("bound", solver.upper_bound(built.problem))
    return figures


def _occupied(built: Built, slot_key: str, length: int) -> list[Slot]:
    order = list(built.slots)
    i = order.index(slot_key)
    return [built.slots[k] for k in order[i:i + length]]


def _add_assignment(version: ScheduleVersion, built: Built, session_id: str, slot_key: str,
                    room_key: str, pinned: bool) -> Assignment:
    proposal = built.proposals[session_id]
    room = built.rooms[room_key]
    assignment = Assignment(proposal_id=proposal.id, slot_id=built.slots[slot_key].id, room_id=room.id,
                            pinned=pinned)
    for slot in _occupied(built, slot_key, proposal.length):
        assignment.bookings.append(RoomBooking(version=version, slot_id=slot.id, room_id=room.id))
    version.assignments.append(assignment)
    return assignment


def save_version(event: Event, built: Built, solution: solver.Solution, source: str = "solver") -> ScheduleVersion:
    """Store a solution as the next draft. The caller commits (one transaction with its run)."""
    number = (db.session.scalar(select(func.max(ScheduleVersion.number))
                                .where(ScheduleVersion.event_id == event.id)) or 0) + 1
    version = ScheduleVersion(
        event_id=event.id, number=number, status="draft", source=source,
        figures=figures_of(built, solution, solution.stats), reasons=list(solution.reasons),
        unscheduled=[built.proposals[s].id for s in solution.unscheduled if s in built.proposals],
        now_slot_id=built.now_slot.id if built.now_slot else None)
    db.session.add(version)
    for a in solution.assignments:
        if a.session in built.proposals:
            _add_assignment(version, built, a.session, a.slot, a.room, a.session in built.pinned)
    return version


def rewrite_assignments(version: ScheduleVersion, built: Built, placed: dict[str, tuple[str, str]],
                        pinned: set[str]) -> None:
    """Replace a draft's assignments (hand edits); the caller has checked the result."""
    for a in list(version.assignments):
        version.assignments.remove(a)
    db.session.flush()
    for session_id, (slot_key, room_key) in placed.items():
        _add_assignment(version, built, session_id, slot_key, room_key, session_id in pinned)
    version.unscheduled = [p.id for k, p in built.proposals.items() if k not in placed]


def solve_event(built: Built, time_limit: float, progress=None, stop=None) -> solver.Solution:
    return solver.solve(built.problem, solver.Options(time_limit=time_limit, workers=1, seed=0,
                                                       progress=progress, stop=stop))


def export_instance(built: Built) -> dict:
    return solver.problem_to_dict(built.problem)


def parse_solution(data) -> solver.Solution:
    """Raises ValueError with the place in the file when it is not a solution."""
    try:
        return solver.solution_from_dict(data)
    except solver.InstanceError as e:
        raise ValueError(str(e)) from None


# Review: what a facilitator sees for a version.


@dataclass
class SessionReport:
    assignment: Assignment
    votes: int
    capacity: int
    free_voters: int  # voters not busy elsewhere (their own session, a plenary)
    clashing: int  # of those, how many also want another session at the same time
    warnings: list[str]


def review(built: Built, version: ScheduleVersion) -> list[SessionReport]:
    index = built.slot_index()
    span = {}
    for a in version.assignments:
        i = index[f"t{a.slot_id}"]
        span[f"p{a.proposal_id}"] = set(range(i, i + a.proposal.length))
    own: dict[str, set[int]] = defaultdict(set)
    for s in built.problem.sessions:
        for f in s.facilitators:
            own[f] |= span.get(s.id, set())
    voters: dict[str, list[solver.Participant]] = defaultdict(list)
    for person in built.problem.participants:
        for v in person.votes:
            voters[v].append(person)
    reports = []
    for a in sorted(version.assignments, key=lambda a: (a.slot.start, a.room.name)):
        key = f"p{a.proposal_id}"
        mine = span[key]
        free = clashing = 0
        for person in voters[key]:
            if own[person.id] & mine or any(index[u] in mine for u in person.unavailable):
                continue
            free += 1
            if any(v != key and span.get(v, set()) & mine for v in person.votes):
                clashing += 1
        votes = built.votes.get(key, 0)
        warnings = []
        if votes > a.room.capacity:
            warnings.append(_("%(votes)d people want to attend; %(room)s holds %(capacity)d.",
                              votes=votes, room=a.room.name, capacity=a.room.capacity))
        if a.proposal.max_group and votes > a.proposal.max_group:
            warnings.append(_("%(votes)d votes for a group of at most %(most)d.", votes=votes,
                              most=a.proposal.max_group))
        reports.append(SessionReport(a, votes, a.room.capacity, free, clashing, warnings))
    return reports


def diff(draft: ScheduleVersion, published: ScheduleVersion | None) -> dict:
    """Moved (from → to), new and removed sessions between the published version and a draft."""
    before = {a.proposal_id: a for a in published.assignments} if published else {}
    after = {a.proposal_id: a for a in draft.assignments}
    moved = [(before[p], after[p]) for p in after if p in before
             and (before[p].slot_id, before[p].room_id) != (after[p].slot_id, after[p].room_id)]
    return {
        "moved": sorted(moved, key=lambda ba: ba[1].slot.start),
        "new": sorted((after[p] for p in after if p not in before), key=lambda a: a.slot.start),
        "removed": sorted((before[p] for p in before if p not in after), key=lambda a: a.slot.start),
    }
