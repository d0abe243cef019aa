"""Event set-up: settings, rooms, slots, people."""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from ..dates import when
from ..db_tx import transaction
from ..extensions import db
from ..models import Event, Membership, Room, Slot, User, utcnow
from . import ServiceError
from .content import touch_event
from .schedule import Impact, apply_change

MAX_DAYS = 31  # an event's span: a longer one is a typo, and feeds would grow without end
YEARS = (1970, 2200)

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
    default_locale: str = "en"
    retention_date: date | None = None
    language_rule: bool | None = None  # None: on when the event has more than one language


def _check_settings(s: EventSettings) -> None:
    for field, day in (("first_day", s.first_day), ("last_day", s.last_day)):
        if not YEARS[0] <= day.year <= YEARS[1]:
            raise ServiceError(_("Give a date between %(first)d and %(last)d.", first=YEARS[0], last=YEARS[1]),
                               field)
    if s.last_day < s.first_day:
        raise ServiceError(_("The last day cannot come before the first day."), "last_day")
    if (s.last_day - s.first_day).days >= MAX_DAYS:
        raise ServiceError(_("An event lasts at most %(n)d days.", n=MAX_DAYS), "last_day")
    if s.retention_date is not None and not s.last_day <= s.retention_date <= date(YEARS[1], 12, 31):
        raise ServiceError(_("Personal data is kept at least until the last day of the event."), "retention_date")


def create_event(slug: str, settings: EventSettings) -> Event:
    _check_settings(settings)
    with transaction():
        if db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
            raise ServiceError(_("Another event already uses this address."), "slug")
        event = Event(slug=slug)
        _apply_settings(event, settings)
        db.session.add(event)
    log.info("created event %s", slug)
    return event


def update_event(event: Event, settings: EventSettings, confirmed: bool = False) -> Impact:
    """Save the settings. A new timezone keeps every slot at its local time (09:00 stays 09:00);
    new dates remove the slots outside them. What that does to published sessions goes into the
    next draft, after the facilitator has seen it (unless confirmed)."""
    _check_settings(settings)
    event_id = event.id

    def change():
        event = db.session.get(Event, event_id)
        old_tz, old_name = event.tz, event.name
        _apply_settings(event, settings)
        now = utcnow()
        moves = []
        for slot in list(event.slots):
            local_start, local_end = slot.start.astimezone(old_tz), slot.end.astimezone(old_tz)
            if not settings.first_day <= local_start.date() <= settings.last_day:
                slot.removed_at = now
            elif event.timezone != str(old_tz):
                moves.append((slot, local_to_utc(event, local_start.date(), local_start.time()),
                              local_to_utc(event, local_end.date(), local_end.time())))
        # Slot starts are unique among the slots in use: set every slot aside, then move each.
        for slot, _start, _end in moves:
            slot.removed_at = now
        db.session.flush()
        for slot, start, end in moves:
            slot.start, slot.end, slot.removed_at = start, end, None
            db.session.flush()
        if event.name != old_name:  # feeds carry it; the rest reaches them with the next version
            touch_event(event)

    return apply_change(event, change, confirmed)


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
    from ..i18n import known

    event.default_locale = known(s.default_locale) or "en"
    event.retention_date = s.retention_date
    event.language_rule = s.language_rule


# Rooms


def save_room(
    event: Event, room: Room | None, name: str, capacity: int, features: list[str],
    unavailable_slot_ids: list[int], confirmed: bool = False, tables: int = 0,
) -> Impact:
    """Add a room (room=None) or change one. Fewer features or more unavailable slots may move
    sessions out of it: that goes into the next draft, once seen and confirmed."""
    name = name.strip()
    if capacity < 0:
        raise ServiceError(_("Capacity cannot be negative."), "capacity")
    if not 0 <= tables <= 500:
        raise ServiceError(_("Give a number from 0 to 500."), "tables")
    clash = db.session.scalar(
        select(Room.id).where(Room.event_id == event.id, Room.name == name, Room.removed_at.is_(None)))
    if clash is not None and (room is None or clash != room.id):
        raise ServiceError(_("Another room already has this name."), "name")
    event_id, room_id = event.id, room.id if room is not None else None

    def change():
        event = db.session.get(Event, event_id)
        slots = {s.id: s for s in event.slots}
        target = db.session.get(Room, room_id) if room_id else Room(event_id=event_id)
        if room_id is None:
            db.session.add(target)
        target.name = name
        target.capacity = capacity
        target.tables = tables
        target.features = sorted({f.strip().lower() for f in features if f.strip()})
        target.unavailable = [slots[i] for i in unavailable_slot_ids if i in slots]

    return apply_change(event, change, confirmed)


def remove_room(room: Room, confirmed: bool = False) -> Impact:
    """Take a room out of the set-up (always asked first). Published versions keep it; its
    sessions leave the next draft."""
    room_id = room.id
    return apply_change(room.event, lambda: setattr(db.session.get(Room, room_id), "removed_at", utcnow()),
                        confirmed, ask_always=True)


# Slots


def local_to_utc(event: Event, day: date, at: time) -> datetime:
    """A wall-clock time on a day in the event's timezone, as UTC; refuse times that don't exist."""
    tz = ZoneInfo(event.timezone)
    local = datetime.combine(day, at, tzinfo=tz)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ServiceError(
            _("%(time)s does not exist on %(day)s: the clocks change then.",
              time=when(local.replace(tzinfo=None), None, "time"), day=when(day, None, "date")),
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
        if other.id != (ignore.id if ignore else None) and other.start < end and start < other.end:
            raise ServiceError(
                _("This overlaps the slot on %(day)s at %(time)s.",
                  day=when(other.start, event.tz, "short_day"), time=when(other.start, event.tz, "time")),
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
    event_id = event.id
    with transaction():
        event = db.session.get(Event, event_id)
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
        new = [Slot(event_id=event.id, start=s, end=e, kind="open", label="") for s, e in times]
        db.session.add_all(new)
    return new


def update_slot(
    slot: Slot, day: date, start: time, end: time, kind: str, label: str, confirmed: bool = False,
) -> Impact:
    """Change a slot. Published versions keep it as it was; in the next draft its sessions move
    with it, or leave when they no longer fit (a slot turned into a break)."""
    if kind not in ("open", "plenary", "break"):
        raise ServiceError(_("Choose what the slot is for."), "kind")
    event = slot.event
    s, e = _slot_times(event, day, start, end)
    _check_overlap(event, s, e, slot)
    slot_id = slot.id

    def change():
        row = db.session.get(Slot, slot_id)
        row.start, row.end, row.kind, row.label = s, e, kind, label.strip()

    return apply_change(event, change, confirmed)


def remove_slot(slot: Slot, confirmed: bool = False) -> Impact:
    """Take a slot out of the set-up (always asked first); published versions keep it."""
    slot_id = slot.id
    return apply_change(slot.event, lambda: setattr(db.session.get(Slot, slot_id), "removed_at", utcnow()),
                        confirmed, ask_always=True)


# People


def set_role(event: Event, user: User, role: str) -> None:
    user_id, event_id = user.id, event.id
    with transaction():
        membership = db.session.get(Membership, (user_id, event_id))
        if membership is None:
            raise ServiceError(_("This person has not joined the event."))
        if membership.role == "admin":
            raise ServiceError(_("An admin's role is changed by another admin, not here."))
        membership.role = role
    log.info("user %s is now %s of %s", user_id, role, event.slug)


def save_formats(event: Event, settings: dict, confirmed: bool = False) -> Impact:
    """How each format runs (at tables, how many runs by default). Sessions that no longer fit
    where they are leave the next draft, once seen and confirmed."""
    clean = {name: {"at_table": bool(v.get("at_table")), "runs": max(1, min(10, int(v.get("runs", 1))))}
             for name, v in settings.items() if name in event.formats}
    event_id = event.id

    def change():
        db.session.get(Event, event_id).format_settings = clean

    return apply_change(event, change, confirmed)
