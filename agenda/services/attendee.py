"""What attendees see: the published schedule, personal agendas, calendar tokens."""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from .. import scheduling
from ..db_tx import write_transaction
from ..extensions import db
from ..models import (
    AgendaChoice,
    AgendaSeen,
    CalendarToken,
    Event,
    Facilitation,
    Proposal,
    Room,
    ScheduleVersion,
    Slot,
    Vote,
)
from . import ServiceError

GUID_NAMESPACE = uuid.UUID("5b1f3c2e-8a77-4c1e-9d0b-6f2a4e8c1d10")


def session_guid(event: Event, proposal_id: int) -> str:
    """Stable across versions, so calendar and schedule apps update a session instead of adding one."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/session/{proposal_id}"))


def room_guid(event: Event, room: Room) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/room/{room.id}"))


def person_guid(event: Event, user_id: int) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/person/{user_id}"))


@dataclass
class Item:
    """One session of a published version, with its time span."""

    proposal: Proposal
    room: Room
    slots: list[Slot]
    pinned: bool = False

    @property
    def start(self) -> datetime:
        return self.slots[0].start

    @property
    def end(self) -> datetime:
        return self.slots[-1].end

    @property
    def first_slot(self) -> Slot:
        return self.slots[0]


def items_of(version: ScheduleVersion | None) -> list[Item]:
    if version is None:
        return []
    event_slots = list(version.event.slots)
    position = {s.id: i for i, s in enumerate(event_slots)}
    out = []
    for a in version.assignments:
        i = position[a.slot_id]
        out.append(Item(a.proposal, a.room, event_slots[i:i + a.proposal.length], a.pinned))
    out.sort(key=lambda it: (it.start, it.room.name.lower()))
    return out


def is_member(user, event: Event) -> bool:
    return bool(user and user.is_authenticated and user.role_in(event) is not None)


def visible(item_or_proposal, user, event: Event) -> bool:
    """Participants-only sessions show as closed to anyone who is not a participant."""
    proposal = getattr(item_or_proposal, "proposal", item_or_proposal)
    return proposal.visibility == "public" or is_member(user, event)


def published_versions(event: Event) -> list[ScheduleVersion]:
    return list(db.session.scalars(select(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.status == "published")
        .order_by(ScheduleVersion.number)))


def sequences(event: Event, upto: ScheduleVersion) -> dict[int, int]:
    """How often each session's time or room changed across published versions (ICS SEQUENCE)."""
    seq: dict[int, int] = defaultdict(int)
    last: dict[int, tuple[int, int]] = {}
    for version in published_versions(event):
        if version.number > upto.number:
            break
        for a in version.assignments:
            place = (a.slot_id, a.room_id)
            if a.proposal_id in last and last[a.proposal_id] != place:
                seq[a.proposal_id] += 1
            last[a.proposal_id] = place
    return dict(seq)


# The personal agenda


@dataclass
class AgendaSlot:
    slot: Slot
    mine: list[Item] = field(default_factory=list)  # sessions I facilitate
    wanted: list[Item] = field(default_factory=list)  # sessions I voted for
    chosen: Item | None = None
    suggestions: list[Item] = field(default_factory=list)

    @property
    def clash(self) -> bool:
        return len(self.mine) + len(self.wanted) > 1

    @property
    def going(self) -> Item | None:
        """Where I will be: my own session first, then my choice, then the only one I want."""
        if self.mine:
            return self.mine[0]
        if self.chosen:
            return self.chosen
        return self.wanted[0] if len(self.wanted) == 1 else None


def vote_counts(event: Event) -> dict[int, int]:
    from .proposals import vote_counts as counts

    return counts(event)


def personal_agenda(user, event: Event, version: ScheduleVersion) -> list[AgendaSlot]:
    items = items_of(version)
    hosting = set(db.session.scalars(select(Facilitation.proposal_id).join(Proposal).where(
        Facilitation.user_id == user.id, Facilitation.state == "accepted", Proposal.event_id == event.id)))
    voted = set(db.session.scalars(select(Vote.proposal_id).join(Proposal).where(
        Vote.user_id == user.id, Proposal.event_id == event.id)))
    choices = {c.slot_id: c.proposal_id for c in db.session.scalars(
        select(AgendaChoice).where(AgendaChoice.user_id == user.id))}
    counts = vote_counts(event)
    by_slot: dict[int, list[Item]] = defaultdict(list)
    for it in items:
        for s in it.slots:
            by_slot[s.id].append(it)
    out = []
    for slot in event.slots:
        if slot.kind == "break":
            continue
        here = by_slot.get(slot.id, [])
        row = AgendaSlot(slot)
        row.mine = [it for it in here if it.proposal.id in hosting]
        row.wanted = [it for it in here if it.proposal.id in voted and it.proposal.id not in hosting]
        row.chosen = next((it for it in row.wanted if it.proposal.id == choices.get(slot.id)), None)
        if not row.mine and not row.wanted and slot.kind == "open":
            free = [it for it in here if visible(it, user, event)
                    and it.room.capacity - counts.get(it.proposal.id, 0) > 0]
            row.suggestions = sorted(free, key=lambda it: counts.get(it.proposal.id, 0) - it.room.capacity)[:3]
        out.append(row)
    return out


def choose_session(user, event: Event, slot: Slot, proposal_id: int) -> None:
    """Remember which of two clashing sessions someone will attend."""
    version = newest_published(event)
    if slot.event_id != event.id or not any(
            it.proposal.id == proposal_id and slot in it.slots for it in items_of(version)):
        raise ServiceError(_("That session is not on in this slot."))
    user_id, slot_id = user.id, slot.id
    write_transaction()
    choice = db.session.get(AgendaChoice, (user_id, slot_id))
    if choice is None:
        db.session.add(AgendaChoice(user_id=user_id, slot_id=slot_id, proposal_id=proposal_id))
    else:
        choice.proposal_id = proposal_id
    db.session.commit()


@dataclass
class Change:
    title: str
    text: str


def changes_since_seen(user, event: Event, version: ScheduleVersion) -> list[Change]:
    """What moved, changed room or was cancelled among my sessions since I last looked; remember this look."""
    seen = db.session.get(AgendaSeen, (user.id, event.id))
    old = db.session.get(ScheduleVersion, seen.version_id) if seen else None
    out: list[Change] = []
    if old is not None and old.id != version.id:
        mine = set(db.session.scalars(select(Vote.proposal_id).where(Vote.user_id == user.id))) | set(
            db.session.scalars(select(Facilitation.proposal_id).where(
                Facilitation.user_id == user.id, Facilitation.state == "accepted")))
        before = {it.proposal.id: it for it in items_of(old)}
        after = {it.proposal.id: it for it in items_of(version)}
        for pid in mine:
            b, a = before.get(pid), after.get(pid)
            if b and a and b.first_slot.id != a.first_slot.id:
                out.append(Change(a.proposal.title, _(
                    "moved from %(before)s to %(after)s", before=b.first_slot.local_start.strftime("%A %H:%M"),
                    after=a.first_slot.local_start.strftime("%A %H:%M"))))
            elif b and a and b.room.id != a.room.id:
                out.append(Change(a.proposal.title, _("new room: %(room)s (was %(old)s)", room=a.room.name,
                                                      old=b.room.name)))
            elif b and not a:
                out.append(Change(b.proposal.title, _("cancelled")))
            elif a and not b:
                out.append(Change(a.proposal.title, _(
                    "new: %(when)s, %(room)s", when=a.first_slot.local_start.strftime("%A %H:%M"),
                    room=a.room.name)))
        out.sort(key=lambda c: c.title.lower())
    if seen is None or seen.version_id != version.id:
        user_id, event_id, version_id = user.id, event.id, version.id
        write_transaction()
        seen = db.session.get(AgendaSeen, (user_id, event_id))
        if seen is None:
            db.session.add(AgendaSeen(user_id=user_id, event_id=event_id, version_id=version_id))
        else:
            seen.version_id = version_id
        db.session.commit()
    return out


# Calendar tokens


def calendar_token(user, event: Event, renew: bool = False) -> str:
    """The secret of the person's feed address; `renew` makes a new one and the old stops working."""
    user_id, event_id = user.id, event.id
    row = db.session.get(CalendarToken, (user_id, event_id))
    if row is not None and not renew:
        return row.token
    write_transaction()
    row = db.session.get(CalendarToken, (user_id, event_id))
    token = secrets.token_urlsafe(24)
    if row is None:
        db.session.add(CalendarToken(user_id=user_id, event_id=event_id, token=token))
    else:
        row.token = token
    db.session.commit()
    return token


def user_for_token(event: Event, token: str):
    row = db.session.scalar(select(CalendarToken).where(
        CalendarToken.token == token, CalendarToken.event_id == event.id))
    if row is None:
        return None
    from ..models import User

    return db.session.get(User, row.user_id)


def newest_published(event: Event) -> ScheduleVersion | None:
    return scheduling.published_version(event)
