"""Where else could a session go? Every place of a version, with what it would change.

The figures are the solver's own (solver.places through scheduling): the change in attendable
votes, overflow, preferred times missed and published sessions moved, and the broken rules in
the reader's words. A place is applied through the ordinary hand edits (move, swap), whose
checker still refuses what breaks a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from .. import scheduling
from ..db_tx import transaction
from ..extensions import db
from ..models import Event, Proposal, Room, ScheduleVersion, Slot
from ..reasons import describe


@dataclass
class PlaceView:
    """One place, in database rows and words."""

    slot: Slot
    room: Room
    table: int | None
    swap_with: Proposal | None
    from_slot: Slot | None  # the run that moves (a session with several runs)
    valid: bool
    reasons: list[str]
    delta: dict[str, int]
    lose: int
    gain: int
    endpoint: str  # the hand edit that applies it: "facilitate.move" or "facilitate.swap"
    fields: dict[str, str]


@dataclass
class SessionPlaces:
    version: ScheduleVersion
    proposal: Proposal
    runs: list[tuple[Slot, Room, int | None]]
    pinned: bool
    places: list[PlaceView] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self.version.status == "draft"

    @property
    def best_other(self) -> PlaceView | None:
        """Why here: the best valid place elsewhere (what it would cost says why this one is kept)."""
        return next((p for p in self.places if p.valid), None)


def version_data(version: ScheduleVersion) -> dict:
    """A version's figures (scored afresh, as the places are) and its sessions' runs, by database id."""
    built, solution = scheduling.version_problem(version)
    runs = scheduling.placements(version)
    ids = set(runs) | set(version.unscheduled or ())
    titles = {pid: title for pid, title in db.session.execute(
        select(Proposal.id, Proposal.title).where(Proposal.id.in_(ids)))} if ids else {}
    return {
        "number": version.number, "state": version.status,
        "figures": scheduling.place_figures(built, solution),
        "sessions": [{"id": pid, "title": titles.get(pid, ""),
                      "runs": [{"slot": s, "room": r, "table": t} for s, r, t in sorted(runs.get(pid, ()))]}
                     for pid in sorted(ids)],
    }


def _pinned_text(title: str) -> str:
    return _("'%(session)s' is pinned: unpin it before moving it.", session=title)


def session_places(event: Event, version: ScheduleVersion, proposal_id: int) -> SessionPlaces | None:
    """Every place for the session in this version, valid first, best first; None when the
    version has no such session (not accepted, or another event's)."""
    built, solution = scheduling.version_problem(version)
    key = built.proposal_key.get(proposal_id)
    if key is None:
        return None
    proposal = built.proposals[key]
    ev = scheduling.evaluator(built, solution)
    runs = ev.runs.get(key, [])
    pinned = {built.proposal_key[a.proposal_id] for a in version.assignments
              if a.pinned and a.proposal_id in built.proposal_key}
    out = SessionPlaces(version, proposal, [(built.slots[s], built.rooms[r], t) for s, r, t in runs], key in pinned)
    froms = [r[0] for r in runs] if len(runs) > 1 else [None]
    words: dict[object, str] = {}  # the same rule broken in many places is put in words once

    def said(violation) -> str:
        if violation not in words:
            words[violation] = describe(scheduling.record_refs(built, violation), event)
        return words[violation]

    for from_slot in froms:
        for p in ev.places(key, from_slot):
            reasons = list(dict.fromkeys(said(v) for v in p.violations))
            if key in pinned:
                reasons.insert(0, _pinned_text(proposal.title))
            other = built.proposals.get(p.swap_with) if p.swap_with else None
            if other is not None and p.swap_with in pinned:
                reasons.append(_pinned_text(other.title))
            origin = built.slots[p.from_slot] if p.from_slot else None
            slot, room = built.slots[p.slot], built.rooms[p.room]
            if other is not None:
                endpoint, fields = "facilitate.swap", {"first": str(proposal.id), "second": str(other.id)}
            else:
                endpoint = "facilitate.move"
                fields = {"proposal": f"{proposal.id}:{origin.id}" if origin else str(proposal.id),
                          "slot": str(slot.id), "room": str(room.id), "table": str(p.table or "")}
            out.places.append(PlaceView(slot, room, p.table, other, origin, not reasons, reasons,
                                        p.delta.as_dict(), p.delta.lose, p.delta.gain, endpoint, fields))
    out.places.sort(key=lambda v: (not v.valid, -v.delta["attendable"], v.delta["overflow"],
                                   v.delta["preference_misses"], v.delta["slot_moves"]))
    return out


# Previews: what a hand edit would change, shown before it is confirmed


@dataclass
class Edit:
    """A hand edit as the forms post it (database ids)."""

    kind: str  # move, swap, pin, unpin, unschedule
    proposal_id: int
    slot_id: int | None = None
    room_id: int | None = None
    table: int | None = None
    from_slot_id: int | None = None
    another: bool = False  # add a run
    second_id: int | None = None  # the other session of a swap


@dataclass
class Preview:
    edit: Edit
    proposal: Proposal | None
    other: Proposal | None
    slot: Slot | None
    room: Room | None
    before: dict[str, int]
    delta: dict[str, int]
    lose: int = 0
    gain: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.reasons

    @property
    def after(self) -> dict[str, int]:
        return {k: self.before[k] + v for k, v in self.delta.items()}


def _edit_change(edit: Edit, built, ev, version, pinned: set[str]) -> tuple[dict, list[str]]:
    """The edit as a change of runs (as services.schedule makes it), or the reasons it is refused."""
    from .schedule import _free_table

    key = built.proposal_key.get(edit.proposal_id)
    runs = list(ev.runs.get(key, [])) if key else []
    if edit.kind in ("pin", "unpin"):
        return {}, [] if runs else [_("Only a scheduled session can be pinned.")]
    if edit.kind == "unschedule":
        return ({key: []} if runs else {}), []
    if edit.kind == "swap":
        other = built.proposal_key.get(edit.second_id)
        if key is None or other is None or key == other or not runs or not ev.runs.get(other):
            return {}, [_("Choose two different scheduled sessions to swap.")]
        if len(runs) > 1 or len(ev.runs[other]) > 1:
            return {}, [_("A session that runs more than once is moved run by run, not swapped.")]
        if key in pinned or other in pinned:
            return {}, [_("A pinned session cannot be swapped: unpin it first.")]
        return {key: list(ev.runs[other]), other: runs}, []
    if key is None:
        return {}, [_("Only an accepted session can be placed.")]
    if key in pinned:
        return {}, [_("This session is pinned: unpin it before moving it.")]
    slot_key, room_key = built.slot_key.get(edit.slot_id), built.room_key.get(edit.room_id)
    if slot_key is None or room_key is None:
        return {}, [_("The schedule names a session, slot or room this event does not have.")]
    number = edit.table
    if number is None and ev.sessions[key].at_table:
        number = _free_table(built, scheduling.placed_of(built, version), key, slot_key, room_key)
    origin = built.slot_key.get(edit.from_slot_id) if edit.from_slot_id else None
    if edit.another:
        pass
    elif origin is not None:
        runs = [r for r in runs if r[0] != origin]
    elif len(runs) > 1:
        return {}, [_("This session runs more than once: choose which run to move.")]
    else:
        runs = []
    return {key: [*runs, (slot_key, room_key, number)]}, []


def preview_edit(event: Event, version: ScheduleVersion, edit: Edit) -> Preview:
    """What the edit would change in the version's figures, and the rules it would break, in words."""
    built, solution = scheduling.version_problem(version)
    ev = scheduling.evaluator(built, solution)
    pinned = {built.proposal_key[a.proposal_id] for a in version.assignments
              if a.pinned and a.proposal_id in built.proposal_key}
    change, reasons = _edit_change(edit, built, ev, version, pinned)
    before = scheduling.place_figures(built, solution)
    out = Preview(edit, db.session.get(Proposal, edit.proposal_id),
                  db.session.get(Proposal, edit.second_id) if edit.second_id else None,
                  db.session.get(Slot, edit.slot_id) if edit.slot_id else None,
                  db.session.get(Room, edit.room_id) if edit.room_id else None,
                  {k: before[k] for k in ("attendable", "overflow", "preference_misses", "slot_moves", "unscheduled")},
                  {"attendable": 0, "overflow": 0, "preference_misses": 0, "slot_moves": 0, "unscheduled": 0},
                  reasons=reasons)
    if version.status != "draft":
        out.reasons.insert(0, _("A published version cannot be changed; edit a draft instead."))
    if change and not reasons:
        delta = ev.delta(change)
        out.delta = {**delta.as_dict(), "unscheduled": delta.unscheduled}
        out.lose, out.gain = delta.lose, delta.gain
        out.reasons = list(dict.fromkeys(describe(scheduling.record_refs(built, v), event)
                                         for v in ev.violations(change)))
    return out


def pick(event: Event, version: ScheduleVersion, proposal_id: int, from_slot_id: int | None = None
         ) -> tuple[SessionPlaces, dict[tuple[int, int], PlaceView]] | None:
    """The grid's "move here" mode: for the picked session (or run), the best place of each cell."""
    found = session_places(event, version, proposal_id)
    if found is None:
        return None
    cells: dict[tuple[int, int], PlaceView] = {}
    for p in found.places:  # best first: the first place of a cell is its best
        if from_slot_id and p.from_slot is not None and p.from_slot.id != from_slot_id:
            continue
        cells.setdefault((p.slot.id, p.room.id), p)
    return found, cells


# Improve the rest: solve again around the sessions placed by hand


def improve_rest(event: Event, version: ScheduleVersion, time_limit: int):
    """Start a run that keeps every session placed by hand in this draft where it is: they are
    pinned (a session that runs more than once cannot be, and is not held). Returns the run."""
    from . import ServiceError
    from . import schedule as svc

    newest = scheduling.newest_version(event)
    if version.status != "draft" or newest is None or newest.id != version.id:
        raise ServiceError(_("Only the newest draft can be improved."))
    if svc.active_run(event) is not None:
        raise ServiceError(_("A schedule is already being generated for this event."))
    version_id, hand = version.id, set(version.hand_placed or ())
    runs = [a for a in version.assignments if a.proposal_id in hand]
    single = {pid for pid in hand if sum(a.proposal_id == pid for a in runs) == 1}
    newly = [a.id for a in runs if a.proposal_id in single and not a.pinned]
    with transaction():
        for a in db.session.get(ScheduleVersion, version_id).assignments:
            if a.id in newly:
                a.pinned = True
    now_slot = db.session.get(Slot, version.now_slot_id) if version.now_slot_id else None
    try:
        return svc.start_run(event, time_limit, now_slot)
    except ServiceError:
        with transaction():  # nothing started: the pins go as they came
            for a in db.session.get(ScheduleVersion, version_id).assignments:
                if a.id in newly:
                    a.pinned = False
        raise


def hand_placed(version: ScheduleVersion) -> list[Proposal]:
    """The sessions placed by hand since the solve, by title."""
    ids = list(version.hand_placed or ())
    if not ids:
        return []
    return list(db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.title)))


# Two versions side by side


@dataclass
class Comparison:
    first: ScheduleVersion
    second: ScheduleVersion
    figures: tuple[dict, dict]
    diff: object  # review.Diff: moved (before, after), new, removed
    frame: object  # the second version's frame (the words for times)
    first_frame: object
    people: dict[int, int]  # proposal id → people affected (its voters and facilitators)
    affected: int  # distinct people affected by any difference


def compare(event: Event, first: ScheduleVersion, second: ScheduleVersion) -> Comparison:
    """The figures of two versions (scored afresh) and the sessions that differ, moved, added or
    dropped, each with how many people it affects."""
    from ..models import Facilitation, Vote
    from .frames import frame_of, items_of
    from .review import diff

    def scored(version):
        built, solution = scheduling.version_problem(version)
        return scheduling.place_figures(built, solution)

    first_frame, frame = frame_of(first, event), frame_of(second, event)
    changes = diff(items_of(second, frame), items_of(first, first_frame))
    ids = {b.proposal.id for b, _a in changes.moved} | {it.proposal.id for it in changes.new + changes.removed}
    people: dict[int, set[int]] = {pid: set() for pid in ids}
    if ids:
        for user_id, pid in db.session.execute(select(Vote.user_id, Vote.proposal_id).where(Vote.proposal_id.in_(ids))):
            people[pid].add(user_id)
        for user_id, pid in db.session.execute(select(Facilitation.user_id, Facilitation.proposal_id).where(
                Facilitation.proposal_id.in_(ids), Facilitation.state == "accepted")):
            people[pid].add(user_id)
    return Comparison(first, second, (scored(first), scored(second)), changes, frame, first_frame,
                      {pid: len(users) for pid, users in people.items()}, len(set().union(*people.values())))
