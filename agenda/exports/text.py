"""A personal agenda as plain text, short enough to paste into a text message."""

from flask_babel import gettext as _

from ..dates import span, when
from ..models import Event
from ..services.frames import Frame
from .ics import location


def agenda_text(event: Event, frame: Frame, rows, name: str) -> str:
    tz = frame.tz
    lines = [f"{event.name} — {name}", _("(times in %(tz)s)", tz=frame.timezone)]
    day = None
    for row in rows:
        start = row.slot.local_start
        if start.date() != day:
            day = start.date()
            lines.append("")
            lines.append(when(row.slot.start, tz, "day"))
        at = when(row.slot.start, tz, "time")
        going = row.going
        if going is None and row.slot.kind == "plenary" and not row.wanted:
            lines.append(f"{at} {row.slot.label or _('Plenary')}")
        elif going is not None:
            if going.first_slot.id != row.slot.id:
                continue
            extra = " " + _("(you facilitate)") if going in row.mine else ""
            lines.append(f"{at} {going.proposal.title} — {location(going)}{extra}")
            others = [i.proposal.title for i in row.wanted if i is not going]
            if others:
                lines.append("      " + _("also wanted: %(titles)s", titles=", ".join(others)))
        elif row.undecided:
            lines.append(f"{at} " + _("Choose one:"))
            for it in row.wanted:
                if it.first_slot.id == row.slot.id:
                    lines.append(f"      - {it.proposal.title} — {location(it)} "
                                 f"({span(it.start, it.end, tz)})")
    return "\n".join(lines) + "\n"
