"""What attendees see: the published schedule, personal agendas, calendar tokens, feed history."""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from .. import scheduling
from ..dates import when
from ..db_tx import transaction
from ..extensions import db
from ..models import (
    AgendaChoice,
    CalendarToken,
    Event,
    Facilitation,
    Interpreter,
    Proposal,
    ProposalRevision,
    ScheduleVersion,
    Slot,
    User,
    Vote,
)
from ..permissions import member
from . import ServiceError
from .frames import Frame, Item, SlotView, fixed_items, frame_of, items_of, runs_by_proposal
from .replays import first_time

__all__ = ["Item", "fixed_items", "frame_of", "items_of"]

GUID_NAMESPACE = uuid.UUID("5b1f3c2e-8a77-4c1e-9d0b-6f2a4e8c1d10")


def source_id(event: Event, kind: str, local_id: int) -> int:
    """The id a GUID is made from: in a restored event, the row's id in the original."""
    return (event.source_ids or {}).get(kind, {}).get(str(local_id), local_id)


def session_guid(event: Event, proposal_id: int, slot_id: int | None = None) -> str:
    """Stable across versions, so calendar and schedule apps update a session instead of adding
    one. A repeated run gets its own (`slot_id` of its first run is not needed: runs are told
    apart by their slot)."""
    suffix = f"/run/{source_id(event, 'slot', slot_id)}" if slot_id is not None else ""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/session/{source_id(event, 'proposal', proposal_id)}{suffix}"))


def slot_guid(event: Event, slot_id: int) -> str:
    """A plenary or a break, as an event of its own."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/slot/{source_id(event, 'slot', slot_id)}"))


def room_guid(event: Event, room) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/room/{source_id(event, 'room', room.id)}"))


def person_guid(event: Event, user_id: int) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/person/{source_id(event, 'person', user_id)}"))


def run_guid(event: Event, item: Item) -> str:
    """The first run of a session keeps the session's GUID; later runs get their own."""
    if not item.runs or item is item.runs[0]:
        return session_guid(event, item.proposal.id)
    return session_guid(event, item.proposal.id, item.first_slot.id)


def visible(item_or_proposal, user, event: Event) -> bool:
    """Participants-only sessions show as closed to anyone who is not a participant."""
    proposal = getattr(item_or_proposal, "proposal", item_or_proposal)
    return proposal.visibility == "public" or member(user, event)


def published_versions(event: Event) -> list[ScheduleVersion]:
    return list(db.session.scalars(select(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.status == "published")
        .order_by(ScheduleVersion.number)))


def newest_published(event: Event) -> ScheduleVersion | None:
    return scheduling.published_version(event)


# Feed history: what changed for each session across the published versions


@dataclass
class History:
    """For the feeds of one published version: how often each session changed, when it last
    did, and the sessions earlier versions had that this one dropped."""

    sequence: dict[int, int] = field(default_factory=dict)  # proposal id → ICS SEQUENCE
    modified: dict[int, datetime] = field(default_factory=dict)  # proposal id → LAST-MODIFIED
    cancelled: list[Item] = field(default_factory=list)  # as they last were
    slot_sequence: dict[int, int] = field(default_factory=dict)  # plenary or break slot id → SEQUENCE
    slot_modified: dict[int, datetime] = field(default_factory=dict)  # slot id → LAST-MODIFIED


def _places(items: list[Item]) -> dict[int, tuple]:
    out: dict[int, list] = defaultdict(list)
    for it in items:
        out[it.proposal.id].append((it.start, it.end, it.room.id, it.table))
    return {k: tuple(sorted(v)) for k, v in out.items()}


def history(event: Event, upto: ScheduleVersion | None) -> History:
    out = History()
    if upto is None:
        return out
    moves: dict[int, int] = defaultdict(int)
    last_place: dict[int, tuple | None] = {}  # None: dropped from the schedule
    last_items: dict[int, list[Item]] = {}
    changed_at: dict[int, datetime] = {}
    fixed_place: dict[int, tuple] = {}
    for version in published_versions(event):
        if version.number > upto.number:
            break
        frame = frame_of(version, event)
        _fixed_history(out, fixed_place, frame, version.published_at)
        items = items_of(version, frame)
        places = _places(items)
        for pid, place in places.items():
            if pid not in last_place:
                changed_at[pid] = version.published_at
            elif last_place[pid] != place:  # moved, or back after being dropped
                moves[pid] += 1
                changed_at[pid] = version.published_at
            last_place[pid] = place
        for pid, place in list(last_place.items()):
            if pid not in places and place is not None:  # dropped: calendars must hear of it
                moves[pid] += 1
                changed_at[pid] = version.published_at
                last_place[pid] = None
        for it in items:
            last_items.setdefault(it.proposal.id, [])
        for pid in places:
            last_items[pid] = [it for it in items if it.proposal.id == pid]
    proposals = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(list(last_place))))}
    for pid, place in last_place.items():
        p = proposals.get(pid)
        out.sequence[pid] = moves[pid] + (p.revision if p else 0)
        stamps = [changed_at.get(pid), p.revised_at if p else None]
        out.modified[pid] = max(s for s in stamps if s is not None)
        if place is None:
            out.cancelled.extend(last_items.get(pid, []))
    return out


def _fixed_history(out: History, last: dict[int, tuple], frame, published_at: datetime) -> None:
    """Plenaries and breaks change with the frame: a new time, name, kind or room is a new SEQUENCE."""
    for f in fixed_items(frame):
        place = (f.slot.start, f.slot.end, f.slot.kind, f.slot.label, f.room.name if f.room else None)
        if f.slot.id not in last:
            out.slot_sequence[f.slot.id] = 0
            out.slot_modified[f.slot.id] = published_at
        elif last[f.slot.id] != place:
            out.slot_sequence[f.slot.id] += 1
            out.slot_modified[f.slot.id] = published_at
        last[f.slot.id] = place


# The personal agenda


@dataclass
class AgendaSlot:
    slot: SlotView
    mine: list[Item] = field(default_factory=list)  # sessions I facilitate
    wanted: list[Item] = field(default_factory=list)  # sessions I voted for that I may attend here
    chosen: Item | None = None
    suggestions: list[Item] = field(default_factory=list)
    elsewhere: list[Item] = field(default_factory=list)  # other runs of what I go to here
    interpreting: list[Item] = field(default_factory=list)  # runs I interpret (an interpreter with an account)

    @property
    def clash(self) -> bool:
        return len(self.mine) + len(self.wanted) > 1

    @property
    def going(self) -> Item | None:
        """Where I will be: my own session first, then my choice, then the only one I want."""
        if self.mine:
            return self.mine[0]
        if self.interpreting:
            return self.interpreting[0]
        if self.chosen:
            return self.chosen
        return self.wanted[0] if len(self.wanted) == 1 else None

    @property
    def undecided(self) -> bool:
        return self.clash and not self.mine and not self.chosen


def vote_counts(event: Event) -> dict[int, int]:
    from .proposals import vote_counts as counts

    return counts(event)


def _plan(wanted: dict[int, list[Item]], blocked: set[int], choices: dict[int, int]) -> dict[int, list[Item]]:
    """Which runs of each wanted session are in play: a chosen run; else, for sessions that run
    more than once, one run where nothing else I want is on (a matching), when there is one."""
    plan: dict[int, list[Item]] = {}
    taken: set[int] = set()
    for pid, runs in wanted.items():
        free = [it for it in runs if not any(s.id in blocked for s in it.slots)]
        chosen = [it for it in free if choices.get(it.first_slot.id) == pid]
        if chosen:
            plan[pid] = chosen[:1]
            taken |= {s.id for s in chosen[0].slots}
        else:
            plan[pid] = free
    # Sessions with a single run stay where they are (a clash there is for the person to decide).
    single = {s.id for pid, runs in plan.items() if len(runs) == 1 for it in runs for s in it.slots}
    options = {pid: runs for pid, runs in plan.items() if len(runs) > 1}
    owner: dict[int, int] = {}

    def augment(pid: int, seen: set[int]) -> bool:
        for it in options[pid]:
            t = it.first_slot.id
            if t in seen or t in taken or t in single:
                continue
            seen.add(t)
            if t not in owner or augment(owner[t], seen):
                owner[t] = pid
                return True
        return False

    for pid in sorted(options):
        augment(pid, set())
    for t, pid in owner.items():
        plan[pid] = [it for it in options[pid] if it.first_slot.id == t]
    return plan


def personal_agenda(user, event: Event, version: ScheduleVersion) -> list[AgendaSlot]:
    frame = frame_of(version, event)
    items = items_of(version, frame)
    hosting = set(db.session.scalars(select(Facilitation.proposal_id).join(Proposal).where(
        Facilitation.user_id == user.id, Facilitation.state == "accepted", Proposal.event_id == event.id)))
    voted = set(db.session.scalars(select(Vote.proposal_id).join(Proposal).where(
        Vote.user_id == user.id, Proposal.event_id == event.id)))
    choices = {c.slot_id: c.proposal_id for c in db.session.scalars(
        select(AgendaChoice).where(AgendaChoice.user_id == user.id))}
    counts = vote_counts(event)
    interpreter_ids = set(db.session.scalars(select(Interpreter.id).where(
        Interpreter.user_id == user.id, Interpreter.event_id == event.id)))
    blocked = {s.id for it in items if it.proposal.id in hosting for s in it.slots}
    wanted: dict[int, list[Item]] = defaultdict(list)
    for it in items:
        if it.proposal.id in voted and it.proposal.id not in hosting:
            wanted[it.proposal.id].append(it)
    in_play = {id(it) for runs in _plan(wanted, blocked, choices).values() for it in runs}
    by_slot: dict[int, list[Item]] = defaultdict(list)
    for it in items:
        for s in it.slots:
            by_slot[s.id].append(it)
    out = []
    for slot in frame.slots:
        if slot.kind == "break":
            continue
        here = by_slot.get(slot.id, [])
        row = AgendaSlot(slot)
        row.mine = [it for it in here if it.proposal.id in hosting]
        row.interpreting = [it for it in here if any(x.get("interpreter") in interpreter_ids
                                                     for x in it.interpretation)]
        row.wanted = [it for it in here if id(it) in in_play]
        row.chosen = next((it for it in row.wanted if it.proposal.id == choices.get(slot.id)), None)
        going = row.going
        if going is not None:
            row.elsewhere = going.other_runs
        if not row.mine and not row.wanted and slot.kind == "open":
            free = [it for it in here if visible(it, user, event)
                    and (it.table or it.room.capacity - counts.get(it.proposal.id, 0) > 0)]
            row.suggestions = sorted(free, key=lambda it: counts.get(it.proposal.id, 0) - it.room.capacity)[:3]
        out.append(row)
    return out


def choose_session(user, event: Event, slot: Slot, proposal_id: int, key: str | None = None) -> None:
    """Remember which session (or which run of it) someone will attend in a slot; a request sent
    again with the same `key` (kept offline) changes nothing the second time."""
    version = newest_published(event)
    if slot.event_id != event.id or not any(
            it.proposal.id == proposal_id and slot.id in {s.id for s in it.slots} for it in items_of(version)):
        raise ServiceError(_("That session is not on in this slot."))
    user_id, slot_id = user.id, slot.id
    with transaction():
        if not first_time(user_id, key):
            return
        # A session is attended once: choosing a run of it forgets a choice of its other runs.
        for other in db.session.scalars(select(AgendaChoice).where(
                AgendaChoice.user_id == user_id, AgendaChoice.proposal_id == proposal_id,
                AgendaChoice.slot_id != slot_id)):
            db.session.delete(other)
        choice = db.session.get(AgendaChoice, (user_id, slot_id))
        if choice is None:
            db.session.add(AgendaChoice(user_id=user_id, slot_id=slot_id, proposal_id=proposal_id))
        else:
            choice.proposal_id = proposal_id


@dataclass
class Change:
    title: str
    text: str


def _when(it: Item, tz) -> str:
    return when(it.start, tz, "weekday_time")


def changes_since(user, event: Event, version: ScheduleVersion, seen: tuple[int, str] | None) -> list[Change]:
    """What moved, changed room, was renamed or cancelled among my sessions since I last looked.

    `seen` is (version id, ISO time) of the last look; the caller keeps it (in the session
    cookie: reading a page writes nothing to the database).
    """
    if seen is None:
        return []
    old = db.session.get(ScheduleVersion, seen[0])
    if old is None or old.event_id != event.id:
        return []
    try:
        seen_at = datetime.fromisoformat(seen[1])
    except (TypeError, ValueError):
        return []
    mine = set(db.session.scalars(select(Vote.proposal_id).where(Vote.user_id == user.id))) | set(
        db.session.scalars(select(Facilitation.proposal_id).where(
            Facilitation.user_id == user.id, Facilitation.state == "accepted")))
    frame = frame_of(version, event)
    tz = frame.tz
    before = runs_by_proposal(items_of(old)) if old.id != version.id else {}
    after = runs_by_proposal(items_of(version, frame))
    out: list[Change] = []
    for pid in sorted(mine):
        b, a = before.get(pid), after.get(pid)
        if old.id != version.id:
            if b and a and [x.first_slot.start for x in b] != [x.first_slot.start for x in a]:
                out.append(Change(a[0].proposal.title, _(
                    "moved from %(before)s to %(after)s", before=", ".join(_when(x, tz) for x in b),
                    after=", ".join(_when(x, tz) for x in a))))
            elif b and a and [x.room.id for x in b] != [x.room.id for x in a]:
                out.append(Change(a[0].proposal.title, _("new room: %(room)s (was %(old)s)", room=a[0].room.name,
                                                         old=b[0].room.name)))
            elif b and not a:
                out.append(Change(b[0].proposal.title, _("cancelled")))
            elif a and not b:
                out.append(Change(a[0].proposal.title, _("new: %(when)s, %(room)s", when=_when(a[0], tz),
                                                         room=a[0].room.name)))
        if a:
            for rev in db.session.scalars(select(ProposalRevision).where(
                    ProposalRevision.proposal_id == pid, ProposalRevision.at > seen_at).order_by(ProposalRevision.at)):
                out.extend(Change(a[0].proposal.title, text) for text in revision_texts(rev))
    out.sort(key=lambda c: c.title.lower())
    return out


def revision_texts(rev: ProposalRevision) -> list[str]:
    out = []
    for key, (was, now) in sorted(rev.changes.items()):
        if key == "title":
            out.append(_("renamed (it was '%(old)s')", old=was))
        elif key == "description":
            out.append(_("new description"))
        elif key == "visibility":
            out.append(_("now for participants only") if now == "participants" else _("now open to everyone"))
        elif key == "language":
            from ..languages import language_in_sentence

            out.append(_("now held in %(language)s", language=language_in_sentence(now)))
        elif key == "format":
            out.append(_("now a %(format)s", format=now))
    return out


# Calendar tokens


def calendar_token(user, event: Event) -> str | None:
    """The secret of the person's feed address, if they have asked for one."""
    row = db.session.get(CalendarToken, (user.id, event.id))
    return row.token if row is not None else None


def make_calendar_token(user, event: Event) -> str:
    """A new feed address for a participant; the old one (if any) stops working."""
    if not member(user, event):
        raise ServiceError(_("Join the event to have a calendar of your own."))
    user_id, event_id = user.id, event.id
    token = secrets.token_urlsafe(24)
    with transaction():
        row = db.session.get(CalendarToken, (user_id, event_id))
        if row is None:
            db.session.add(CalendarToken(user_id=user_id, event_id=event_id, token=token))
        else:
            row.token = token
    return token


def user_for_token(event: Event, token: str) -> User | None:
    row = db.session.scalar(select(CalendarToken).where(
        CalendarToken.token == token, CalendarToken.event_id == event.id))
    return db.session.get(User, row.user_id) if row is not None else None


__all__ += ["AgendaSlot", "Change", "Frame", "History", "calendar_token", "changes_since", "choose_session",
            "history", "make_calendar_token", "personal_agenda", "user_for_token"]
