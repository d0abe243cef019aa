"""iCalendar (RFC 5545) feeds: the public schedule and personal agendas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..models import Event
from ..services.attendee import Item, session_guid

PRODID = "-//agenda//participant-driven scheduling//EN"


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Lines of at most 75 octets; continuation lines start with a space (RFC 5545, 3.1)."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def vtimezone(name: str, first: date, last: date) -> list[str]:
    """The zone's offsets over the event's years, as explicit onsets (no RRULE needed)."""
    tz = ZoneInfo(name)
    start = datetime(first.year, 1, 1, tzinfo=UTC)
    end = datetime(last.year + 1, 1, 1, tzinfo=UTC)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    previous = start.astimezone(tz).utcoffset()
    onsets = []
    moment = start
    while moment < end:  # look day by day, then hour by hour where the offset changes
        nxt = moment + timedelta(days=1)
        if nxt.astimezone(tz).utcoffset() != previous:
            hour = moment
            while hour.astimezone(tz).utcoffset() == previous:
                hour += timedelta(minutes=15)
            new = hour.astimezone(tz).utcoffset()
            dst = bool(hour.astimezone(tz).dst())
            local = (hour + previous).replace(tzinfo=None)  # wall time just before the change
            onsets.append((dst, local, previous, new, hour.astimezone(tz).tzname()))
            previous = new
        moment = nxt
    if not onsets:
        now = start.astimezone(tz)
        onsets.append((False, datetime(1970, 1, 1), now.utcoffset(), now.utcoffset(), now.tzname()))
    for dst, local, before, after, tzname in onsets:
        kind = "DAYLIGHT" if dst else "STANDARD"
        lines += [f"BEGIN:{kind}", f"DTSTART:{local:%Y%m%dT%H%M%S}", f"TZOFFSETFROM:{_offset(before)}",
                  f"TZOFFSETTO:{_offset(after)}"]
        if tzname:
            lines.append(f"TZNAME:{escape(tzname)}")
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return lines


def calendar(event: Event, items: list[Item], name: str, stamp: datetime, sequences: dict[int, int],
             base_url: str) -> str:
    """A VCALENDAR; with no items it is a valid, empty calendar."""
    tz = event.timezone
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(name)}", f"X-WR-TIMEZONE:{tz}"]
    lines += vtimezone(tz, event.first_day, event.last_day)
    for it in items:
        p = it.proposal
        start, end = event.local(it.start), event.local(it.end)
        hosts = ", ".join(u.display_name for u in p.facilitators)
        description = "\n".join(x for x in (p.description, f"Facilitated by {hosts}" if hosts else "",
                                            f"{p.format} · {p.language}") if x)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{session_guid(event, p.id)}",
            f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"SEQUENCE:{sequences.get(p.id, 0)}",
            f"DTSTART;TZID={tz}:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={tz}:{end:%Y%m%dT%H%M%S}",
            f"SUMMARY:{escape(p.title)}",
            f"LOCATION:{escape(it.room.name)}",
            f"DESCRIPTION:{escape(description)}",
            f"URL:{base_url}{event.slug}/schedule/sessions/{p.id}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
