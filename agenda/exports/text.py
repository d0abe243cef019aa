"""A personal agenda as plain text, short enough to paste into a text message."""

from ..models import Event


def agenda_text(event: Event, rows, name: str) -> str:
    lines = [f"{event.name} — {name}", f"(times in {event.timezone})"]
    day = None
    for row in rows:
        start = row.slot.local_start
        if start.date() != day:
            day = start.date()
            lines.append("")
            lines.append(start.strftime("%A %d %B"))
        going = row.going
        if going is None and row.slot.kind == "plenary":
            lines.append(f"{start:%H:%M} {row.slot.label}")
        elif going is not None:
            extra = " (you facilitate)" if going in row.mine else ""
            clash = f" [also wanted: {', '.join(i.proposal.title for i in row.wanted if i is not going)}]" \
                if row.clash and not row.chosen and not row.mine else ""
            if going.first_slot.id == row.slot.id:
                lines.append(f"{start:%H:%M} {going.proposal.title} — {going.room.name}{extra}{clash}")
    return "\n".join(lines) + "\n"
