"""Event set-up: settings, rooms, slots, people."""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from ..db_tx import write_transaction
from ..extensions import db
from ..models import Event, Membership, Room, Slot, User
from . import ServiceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventSettings:
    name: str
    timezone: str
    first_day: date
    last_day: date
    languages: list[str]
    formats: list[str]
    proposals_open: bool
    voting_open: bool
    invite_code: str | None


def _check_settings(s: EventSettings) -> None:
    if s.last_day < s.first_day:
        raise ServiceError(_("The last day cannot come before the first day."), "last_day")


def create_event(slug: str, settings: EventSettings) -> Event:
    _check_settings(settings)
    write_transaction()
    if db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
        raise ServiceError(_("Another event already uses this address."), "slug")
    event = Event(slug=slug)
    _apply_settings(event, settings)
    db.session.add(event)
    db.session.commit()
    log.info("created event %s", slug)
    return event


def update_event(event: Event, settings: EventSettings) -> None:
    _check_settings(settings)
    write_transaction()
    _apply_settings(event, settings)
    db.session.commit()


def _apply_settings(event: Event, s: EventSettings) -> None:
    event.name = s.name.strip()
    event.timezone = s.timezone
    event.first_day = s.first_day
    event.last_day = s.last_day
    event.languages = list(s.languages)
    event.formats = list(s.formats)
    event.proposals_open = s.proposals_open
    event.voting_open = s.voting_open
    event.invite_code = (s.invite_code or "").strip() or None


# Rooms


def save_room(
    event: Event, room: Room | None, name: str, capacity: int, features: list[str],
    unavailable_slot_ids: list[int],
) -> Room:
    """Add a room (room=None) or change one."""
    name = name.strip()
    if capacity < 0:
        raise ServiceError(_("Capacity cannot be negative."), "capacity")
    write_transaction()
    clash = db.session.scalar(
        select(Room.id).where(Room.event_id == event.id, Room.name == name)
    )
    if clash is not None and (room is None or clash != room.id):
        raise ServiceError(_("Another room already has this name."), "name")
    slots = {s.id: s for s in event.slots}
    if room is None:
        room = Room(event=event)
        db.session.add(room)
    room.name = name
    room.capacity = capacity
    room.features = sorted({f.strip().lower() for f in features if f.strip()})
    room.unavailable = [slots[i] for i in unavailable_slot_ids if i in slots]
    db.session.commit()
    return room


def delete_room(room: Room) -> None:
    write_transaction()
    db.session.delete(room)
    db.session.commit()


# Slots


def local_to_utc(event: Event, day: date, at: time) -> datetime:
    """A wall-clock time on a day in the event's timezone, as UTC; refuse times that don't exist."""
    tz = ZoneInfo(event.timezone)
    local = datetime.combine(day, at, tzinfo=tz)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ServiceError(
            _("%(time)s does not exist on %(day)s: the clocks change then.",
              time=at.strftime("%H:%M"), day=day.isoformat()),
        )
    return utc


def _slot_times(event: Event, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    if not event.first_day <= day <= event.last_day:
        raise ServiceError(_("This day is outside the event's dates."), "day")
    if end <= start:
        raise ServiceError(_("A slot must end after it starts."), "end")
    return local_to_utc(event, day, start), local_to_utc(event, day, end)


def _check_overlap(event: Event, start: datetime, end: datetime, ignore: Slot | None) -> None:
    for other in event.slots:
        if other is not ignore and other.start < end and start < other.end:
            local = other.local_start
            raise ServiceError(
                _("This overlaps the slot on %(day)s at %(time)s.",
                  day=local.strftime("%a %d %b"), time=local.strftime("%H:%M")),
                "start",
            )


def parse_template(text: str) -> list[tuple[time, time]]:
    """Lines like '09:00-10:30' (or '09:00–10:30') into (start, end) pairs."""
    pairs = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.replace("–", "-").split("-")
        try:
            start, end = (time.fromisoformat(p.strip()) for p in parts)
        except ValueError:
            raise ServiceError(
                _("Line %(n)d: write a slot as 09:00-10:30.", n=n), "template"
            ) from None
        if end <= start:
            raise ServiceError(_("Line %(n)d: a slot must end after it starts.", n=n), "template")
        pairs.append((start, end))
    if not pairs:
        raise ServiceError(_("Give at least one slot."), "template")
    return pairs


def add_day_of_slots(event: Event, day: date, template: str) -> list[Slot]:
    """Build one day's grid of open slots from a template, all or nothing."""
    write_transaction()
    times: list[tuple[datetime, datetime]] = []
    for start, end in parse_template(template):
        s, e = _slot_times(event, day, start, end)
        try:
            _check_overlap(event, s, e, None)
        except ServiceError as err:
            raise ServiceError(err.message, "template") from None
        if any(os < e and s < oe for os, oe in times):
            raise ServiceError(_("Two lines of the template overlap."), "template")
        times.append((s, e))
    new = [Slot(event=event, start=s, end=e, kind="open", label="") for s, e in times]
    db.session.add_all(new)
    db.session.commit()
    return new


def update_slot(
    slot: Slot, day: date, start: time, end: time, kind: str, label: str
) -> None:
    write_transaction()
    event = slot.event
    s, e = _slot_times(event, day, start, end)
    _check_overlap(event, s, e, slot)
    slot.start, slot.end, slot.kind, slot.label = s, e, kind, label.strip()
    db.session.commit()


def delete_slot(slot: Slot) -> None:
    write_transaction()
    db.session.delete(slot)
    db.session.commit()


# People


def set_role(event: Event, user: User, role: str) -> None:
    write_transaction()
    membership = db.session.get(Membership, (user.id, event.id))
    if membership is None:
        raise ServiceError(_("This person has not joined the event."))
    if membership.role == "admin":
        raise ServiceError(_("An admin's role is changed by another admin, not here."))
    membership.role = role
    db.session.commit()
    log.info("user %s is now %s of %s", user.id, role, event.slug)
