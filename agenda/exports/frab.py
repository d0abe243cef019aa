"""schedule.xml and schedule.json in the frab / c3voc format read by Giggity, ConfClerk, EventFahrplan."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta

from ..models import Event, ScheduleVersion
from ..services.attendee import Item, person_guid, room_guid, session_guid


def _ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def acronym(event: Event) -> str:
    """Lower-case letters, digits and underscores, at least 4: what both schemas accept."""
    slug = re.sub(r"[^a-z0-9_]", "_", event.slug)
    return slug if len(slug) >= 4 else (slug + "____")[:4]


def event_slug(event: Event, it: Item) -> str:
    """<acronym with _ for ->-<id>-<title>: the shape voc-slug-new asks for."""
    head = re.sub(r"[^a-z0-9_]", "_", acronym(event))
    tail = f"{it.proposal.id}-{_ascii_slug(it.proposal.title) or 'session'}"
    return f"{head}-{tail}"


def _duration(it: Item) -> str:
    minutes = int((it.end - it.start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _days(event: Event, items: list[Item]):
    """Every day of the event, each from 04:00 to 03:59 the next morning, local time."""
    day, index = event.first_day, 1
    while day <= event.last_day:
        start = datetime.combine(day, time(4, 0), tzinfo=event.tz)
        end = datetime.combine(day + timedelta(days=1), time(3, 59), tzinfo=event.tz)
        todays = [it for it in items if start <= event.local(it.start) <= end]
        yield index, day, start, end, todays
        day += timedelta(days=1)
        index += 1


def _rooms(event: Event, items: list[Item]):
    used = {it.room.id for it in items}
    return [r for r in event.rooms if r.id in used]


def schedule_json(event: Event, version: ScheduleVersion | None, items: list[Item], base_url: str) -> dict:
    days = []
    for index, day, start, end, todays in _days(event, items):
        rooms = {}
        for room in _rooms(event, todays):
            rooms[room.name] = [_event_json(event, it, base_url) for it in todays if it.room.id == room.id]
        days.append({"index": index, "date": day.isoformat(), "day_start": _iso(start), "day_end": _iso(end),
                     "rooms": rooms})
    return {"schedule": {
        "version": f"v{version.number}" if version else "unpublished",
        "base_url": f"{base_url}{event.slug}/schedule/",
        "conference": {
            "acronym": acronym(event), "title": event.name,
            "start": event.first_day.isoformat(), "end": event.last_day.isoformat(),
            "daysCount": (event.last_day - event.first_day).days + 1,
            "timeslot_duration": "00:15", "time_zone_name": event.timezone,
            "rooms": [{"name": r.name, "guid": room_guid(event, r), "capacity": r.capacity}
                      for r in _rooms(event, items)],
            "days": days,
        },
    }}


def _event_json(event: Event, it: Item, base_url: str) -> dict:
    p = it.proposal
    return {
        "id": p.id, "guid": session_guid(event, p.id), "date": _iso(event.local(it.start)),
        "start": f"{event.local(it.start):%H:%M}", "end": _iso(event.local(it.end)), "duration": _duration(it),
        "room": it.room.name, "slug": event_slug(event, it),
        "url": f"{base_url}{event.slug}/schedule/sessions/{p.id}",
        "title": p.title, "subtitle": "", "track": p.format, "type": p.format, "language": p.language,
        "abstract": p.description, "description": p.description,
        "persons": [{"name": u.display_name, "guid": person_guid(event, u.id)} for u in p.facilitators],
        "links": [], "attachments": [],
    }


def schedule_xml(event: Event, version: ScheduleVersion | None, items: list[Item], base_url: str) -> bytes:
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name="agenda")
    ET.SubElement(root, "version").text = f"v{version.number}" if version else "unpublished"
    conference = ET.SubElement(root, "conference")
    for tag, value in [("acronym", acronym(event)), ("title", event.name), ("start", event.first_day.isoformat()),
                       ("end", event.last_day.isoformat()),
                       ("days", str((event.last_day - event.first_day).days + 1)),
                       ("timeslot_duration", "00:15"), ("base_url", f"{base_url}{event.slug}/schedule/"),
                       ("time_zone_name", event.timezone)]:
        ET.SubElement(conference, tag).text = value
    for index, day, start, end, todays in _days(event, items):
        day_el = ET.SubElement(root, "day", index=str(index), date=day.isoformat(), start=_iso(start), end=_iso(end))
        for room in _rooms(event, todays):
            room_el = ET.SubElement(day_el, "room", name=room.name, guid=room_guid(event, room))
            for it in (x for x in todays if x.room.id == room.id):
                p = it.proposal
                ev = ET.SubElement(room_el, "event", id=str(p.id), guid=session_guid(event, p.id))
                for tag, value in [("room", room.name), ("title", p.title), ("subtitle", ""), ("type", p.format),
                                   ("date", _iso(event.local(it.start))), ("start", f"{event.local(it.start):%H:%M}"),
                                   ("duration", _duration(it)), ("abstract", p.description),
                                   ("slug", event_slug(event, it)), ("track", p.format), ("language", p.language),
                                   ("description", p.description),
                                   ("url", f"{base_url}{event.slug}/schedule/sessions/{p.id}")]:
                    ET.SubElement(ev, tag).text = value
                persons = ET.SubElement(ev, "persons")
                for u in p.facilitators:
                    ET.SubElement(persons, "person", guid=person_guid(event, u.id)).text = u.display_name
                ET.SubElement(ev, "links")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
