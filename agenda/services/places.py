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
