"""schedule.xml and schedule.json in the frab / c3voc format read by Giggity, ConfClerk, EventFahrplan.

Plenaries and breaks are events in their room (type "plenary", "break"), so that offline apps
do not show the main hall empty during the opening. `<version>` changes with every published
version and with every edit of a session's text after it. A session's text is its description
only: `abstract` stays empty, since Giggity and ConfClerk show both one after the other.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta
from functools import cache
from importlib import metadata

from flask_babel import gettext as _

from ..dates import when
from ..languages import interpreted_into
from ..models import Event
from ..services.attendee import person_guid, room_guid, run_guid, slot_guid
from ..services.frames import FixedItem, Frame, Item, RoomView
from .ics import fixed_label

GENERATOR = "agenda"


@cache
def generator_version() -> str:
    try:
        return metadata.version(GENERATOR)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0"


def person_id(guid: str) -> int:
    """ConfClerk keys people by an integer: one taken from the person's GUID, so it is as stable
    as the GUID (across versions and restores), positive and within 31 bits."""
    return uuid.UUID(guid).int % (2**31 - 1) + 1


def _ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def acronym(event: Event) -> str:
    """Lower-case letters, digits and underscores, at least 4: what both schemas accept."""
    slug = re.sub(r"[^a-z0-9_]", "_", event.slug)
    return slug if len(slug) >= 4 else (slug + "____")[:4]


def _slug(event: Event, number: str, title: str) -> str:
    """<acronym>-<id>-<title>: the shape voc-slug-new asks for."""
    return f"{acronym(event)}-{number}-{_ascii_slug(title) or 'session'}"


def _duration(start: datetime, end: datetime) -> str:
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class Entry:
    """A session run, a plenary or a break, as the frab formats see it."""

    def __init__(self, event: Event, frame: Frame, base_url: str, item: Item | None = None,
                 fixed: FixedItem | None = None):
        tz = frame.tz
        if item is not None:
            p = item.proposal
            run = item.runs.index(item) if item.runs else 0
            # Later runs get ids of their own, far above any proposal's.
            self.id = p.id if run == 0 else 10_000_000 + p.id * 100 + run
            self.guid = run_guid(event, item)
            self.start, self.end = item.start.astimezone(tz), item.end.astimezone(tz)
            self.room: RoomView = item.room
            self.title = _("%(title)s · table %(table)d", title=p.title, table=item.table) if item.table else p.title
            self.type = self.track = p.format
            self.language = p.language
            # frab has one language per talk: interpretation goes into the text, in the feed's language.
            note = interpreted_into(p.language, item.interpretation)
            self.abstract, self.description = "", "\n\n".join(x for x in (p.description, note) if x)
            self.url = f"{base_url}/{event.slug}/schedule/sessions/{p.id}"
            self.feedback_url = self.url  # where the session's people write its notes and action items
            self.persons = [(u.display_name, person_guid(event, u.id)) for u in p.facilitators]
            self.slug = _slug(event, str(p.id) if run == 0 else f"{p.id}r{run + 1}", p.title)
        else:
            s = fixed.slot
            self.id = 20_000_000 + s.id
            self.guid = slot_guid(event, s.id)
            self.start, self.end = s.start.astimezone(tz), s.end.astimezone(tz)
            self.room = fixed.room
            self.title = fixed_label(fixed)
            self.type = self.track = fixed.kind
            self.language = ""
            self.abstract = self.description = ""
            self.url = f"{base_url}/{event.slug}/schedule"
            self.feedback_url = ""
            self.persons = []
            self.slug = _slug(event, f"slot{s.id}", self.title)
        self.table = item.table if item is not None else None


def _entries(event: Event, frame: Frame, items: list[Item], fixed: list[FixedItem], base_url: str) -> list[Entry]:
    out = [Entry(event, frame, base_url, item=it) for it in items]
    out += [Entry(event, frame, base_url, fixed=f) for f in fixed if f.room is not None]
    out.sort(key=lambda e: (e.start, e.room.name))
    return out


def _days(event: Event, frame: Frame, entries: list[Entry]):
    """Every day of the event, each from 04:00 to 03:59 the next morning, local time."""
    tz = frame.tz
    day, index = event.first_day, 1
    while day <= event.last_day:
        start = datetime.combine(day, time(4, 0), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(3, 59), tzinfo=tz)
        yield index, day, start, end, [e for e in entries if start <= e.start <= end]
        day += timedelta(days=1)
        index += 1


def _rooms(frame: Frame, entries: list[Entry]) -> list[RoomView]:
    used = {e.room.id for e in entries}
    return [r for r in frame.rooms if r.id in used]


def _conference(event: Event, frame: Frame, base_url: str) -> dict:
    return {"acronym": acronym(event), "title": event.name, "start": event.first_day.isoformat(),
            "end": event.last_day.isoformat(), "daysCount": (event.last_day - event.first_day).days + 1,
            "timeslot_duration": "00:15", "time_zone_name": frame.timezone,
            "url": f"{base_url}/{event.slug}/schedule"}


def schedule_json(event: Event, frame: Frame, version_label: str, items: list[Item], fixed: list[FixedItem],
                  base_url: str) -> dict:
    entries = _entries(event, frame, items, fixed, base_url)
    days = []
    for index, day, start, end, todays in _days(event, frame, entries):
        rooms = {room.name: [_event_json(e) for e in todays if e.room.id == room.id]
                 for room in _rooms(frame, todays)}
        days.append({"index": index, "date": day.isoformat(), "day_start": _iso(start), "day_end": _iso(end),
                     "rooms": rooms})
    conference = _conference(event, frame, base_url)
    conference["rooms"] = [{"name": r.name, "guid": room_guid(event, r), "capacity": r.capacity}
                           for r in _rooms(frame, entries)]
    conference["days"] = days
    return {"generator": {"name": GENERATOR, "version": generator_version()},
            "schedule": {"version": version_label, "url": f"{base_url}/{event.slug}/schedule.json",
                         "base_url": f"{base_url}/{event.slug}/schedule/", "conference": conference}}


def _event_json(e: Entry) -> dict:
    # No "end": the c3voc tools turn it into XML that fails the schema.
    out = {
        "id": e.id, "guid": e.guid, "date": _iso(e.start), "start": when(e.start, None, "time", "en"),
        "duration": _duration(e.start, e.end), "room": e.room.name, "slug": e.slug, "url": e.url,
        "title": e.title, "subtitle": "", "track": e.track, "type": e.type, "language": e.language,
        "abstract": e.abstract, "description": e.description,
        "persons": [{"name": name, "guid": guid, "id": person_id(guid)} for name, guid in e.persons],
        "links": [], "attachments": [],
    }
    if e.feedback_url:
        out["feedback_url"] = e.feedback_url
    return out


def schedule_xml(event: Event, frame: Frame, version_label: str, items: list[Item], fixed: list[FixedItem],
                 base_url: str) -> bytes:
    entries = _entries(event, frame, items, fixed, base_url)
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name=GENERATOR, version=generator_version())
    ET.SubElement(root, "url").text = f"{base_url}/{event.slug}/schedule.xml"
    ET.SubElement(root, "version").text = version_label
    conference = ET.SubElement(root, "conference")
    c = _conference(event, frame, base_url)
    for tag, value in [("acronym", c["acronym"]), ("title", c["title"]), ("start", c["start"]), ("end", c["end"]),
                       ("days", str(c["daysCount"])), ("timeslot_duration", "00:15"),
                       ("base_url", f"{base_url}/{event.slug}/schedule/"), ("url", c["url"]),
                       ("time_zone_name", frame.timezone)]:
        ET.SubElement(conference, tag).text = value
    for index, day, start, end, todays in _days(event, frame, entries):
        day_el = ET.SubElement(root, "day", index=str(index), date=day.isoformat(), start=_iso(start), end=_iso(end))
        for room in _rooms(frame, todays):
            room_el = ET.SubElement(day_el, "room", name=room.name, guid=room_guid(event, room))
            for e in (x for x in todays if x.room.id == room.id):
                ev = ET.SubElement(room_el, "event", id=str(e.id), guid=e.guid)
                for tag, value in [("room", room.name), ("title", e.title), ("subtitle", ""), ("type", e.type),
                                   ("date", _iso(e.start)), ("start", when(e.start, None, "time", "en")),
                                   ("duration", _duration(e.start, e.end)), ("abstract", e.abstract),
                                   ("slug", e.slug), ("track", e.track), ("language", e.language),
                                   ("description", e.description), ("url", e.url)]:
                    ET.SubElement(ev, tag).text = value
                if e.feedback_url:
                    ET.SubElement(ev, "feedback_url").text = e.feedback_url
                persons = ET.SubElement(ev, "persons")
                for name, guid in e.persons:
                    ET.SubElement(persons, "person", id=str(person_id(guid)), guid=guid).text = name
                ET.SubElement(ev, "links")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
