"""iCalendar (RFC 5545) feeds, built with the icalendar library: the public schedule and personal agendas.

Every session, plenary and break is an event with a stable UID; SEQUENCE and LAST-MODIFIED
rise when a session moves or its text changes, and when a plenary or break gets a new time or
name; a session dropped from the schedule stays as STATUS:CANCELLED, so that a calendar that
imported it once lets it go.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from flask_babel import gettext as _

from ..dates import when
from ..languages import interpreted_into, language_in_sentence
from ..models import Event
from ..services.attendee import AgendaSlot, History, run_guid, slot_guid
from ..services.frames import FixedItem, Frame, Item

PRODID = "-//agenda//participant-driven scheduling//EN"


def _new_calendar(event: Event, frame: Frame, name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", frame.timezone)
    # The observances cover the whole event, from before its first slot (a January event in
    # Berlin lies before that year's first change of the clocks) to after its last.
    days = [s.local_start.date() for s in frame.slots] or [event.first_day]
    first = min([*days, event.first_day]) - timedelta(days=1)
    last = max([*days, event.last_day]) + timedelta(days=2)
    cal.add_component(icalendar.Timezone.from_tzinfo(ZoneInfo(frame.timezone), frame.timezone, first, last))
    return cal


def location(item: Item) -> str:
    if item.table:
        return _("%(room)s · table %(table)d", room=item.room.name, table=item.table)
    return item.room.name


def _session_event(event: Event, item: Item, frame: Frame, stamp: datetime, history: History, base_url: str,
                   cancelled: bool = False, choose: bool = False) -> icalendar.Event:
    p = item.proposal
    tz = frame.tz
    ev = icalendar.Event()
    ev.add("uid", run_guid(event, item))
    ev.add("dtstamp", stamp)
    ev.add("sequence", history.sequence.get(p.id, 0))
    modified = history.modified.get(p.id)
    if modified:
        ev.add("last-modified", modified)
    ev.add("dtstart", item.start.astimezone(tz))
    ev.add("dtend", item.end.astimezone(tz))
    title = _("%(title)s (choose one)", title=p.title) if choose else p.title
    ev.add("summary", title, parameters={"LANGUAGE": p.language} if p.language else None)
    ev.add("location", location(item))
    hosts = ", ".join(u.display_name for u in p.facilitators)
    lines = [p.description]
    if hosts:
        lines.append(_("Facilitated by %(names)s", names=hosts))
    lines.append(_("%(format)s · in %(language)s", format=p.format, language=language_in_sentence(p.language)))
    if getattr(item, "interpretation", None):
        lines.append(interpreted_into(p.language, item.interpretation))
    if item.other_runs:
        lines.append(_("Also at %(times)s", times=", ".join(
            when(o.start, tz, "weekday_time") for o in item.other_runs)))
    ev.add("description", "\n".join(x for x in lines if x))
    ev.add("categories", [p.format])
    ev.add("url", f"{base_url}/{event.slug}/schedule/sessions/{p.id}")
    if cancelled:
        ev.add("status", "CANCELLED")
    else:
        ev.add("status", "CONFIRMED")
    if choose:
        ev.add("transp", "TRANSPARENT")
    return ev


def fixed_label(fixed: FixedItem) -> str:
    if fixed.slot.label:
        return fixed.slot.label
    return _("Plenary") if fixed.kind == "plenary" else _("Break")


def _fixed_event(event: Event, fixed: FixedItem, frame: Frame, stamp: datetime, history: History) -> icalendar.Event:
    tz = frame.tz
    ev = icalendar.Event()
    ev.add("uid", slot_guid(event, fixed.slot.id))
    ev.add("dtstamp", stamp)
    ev.add("sequence", history.slot_sequence.get(fixed.slot.id, 0))
    modified = history.slot_modified.get(fixed.slot.id)
    if modified:
        ev.add("last-modified", modified)
    ev.add("dtstart", fixed.slot.start.astimezone(tz))
    ev.add("dtend", fixed.slot.end.astimezone(tz))
    ev.add("summary", fixed_label(fixed))
    if fixed.room is not None:
        ev.add("location", fixed.room.name)
    ev.add("categories", [_("Plenary") if fixed.kind == "plenary" else _("Break")])
    ev.add("status", "CONFIRMED")
    if fixed.kind == "break":
        ev.add("transp", "TRANSPARENT")
    return ev


def public_calendar(event: Event, frame: Frame, items: list[Item], fixed: list[FixedItem], name: str,
                    stamp: datetime, history: History, base_url: str) -> bytes:
    """The schedule: every public session run, plenary and break; dropped sessions as cancelled."""
    cal = _new_calendar(event, frame, name)
    for f in fixed:
        cal.add_component(_fixed_event(event, f, frame, stamp, history))
    for it in items:
        cal.add_component(_session_event(event, it, frame, stamp, history, base_url))
    for it in history.cancelled:
        if it.proposal.visibility == "public":
            cal.add_component(_session_event(event, it, frame, stamp, history, base_url, cancelled=True))
    return cal.to_ical()


def personal_calendar(event: Event, frame: Frame, rows: list[AgendaSlot], fixed: list[FixedItem], name: str,
                      stamp: datetime, history: History, base_url: str, mine: set[int]) -> bytes:
    """One event per slot: my session, or my choice, or while I have not decided, the candidates
    marked TRANSPARENT and "(choose one)"; plenaries; my dropped sessions as cancelled."""
    cal = _new_calendar(event, frame, name)
    plenaries = {f.slot.id: f for f in fixed if f.kind == "plenary"}
    done = set()
    for row in rows:
        if row.slot.id in plenaries and not row.mine and not row.wanted:
            cal.add_component(_fixed_event(event, plenaries[row.slot.id], frame, stamp, history))
            continue
        going = row.going
        if going is not None:
            if id(going) not in done and going.first_slot.id == row.slot.id:
                done.add(id(going))
                cal.add_component(_session_event(event, going, frame, stamp, history, base_url))
        elif row.undecided:
            for it in row.wanted:
                if id(it) not in done and it.first_slot.id == row.slot.id:
                    done.add(id(it))
                    cal.add_component(_session_event(event, it, frame, stamp, history, base_url, choose=True))
    for it in history.cancelled:
        if it.proposal.id in mine:
            cal.add_component(_session_event(event, it, frame, stamp, history, base_url, cancelled=True))
    return cal.to_ical()


def empty_stamp(event: Event) -> datetime:
    return datetime.combine(event.first_day, datetime.min.time(), UTC)
