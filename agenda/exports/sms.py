"""A personal agenda the size of text messages: one block per day, each at most three SMS.

Only the GSM 7-bit default alphabet (what every phone sends at 160 characters a message, 153
in a multi-part one): other letters are transliterated ("Lucía" → "Lucia"), dashes become "-".
Titles and room names are shortened on a word boundary until the day fits. The same text is
what an SMS or chat bot would send.
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _
from flask_babel import ngettext

from ..dates import when
from ..services.frames import Frame, Item

DAY_LIMIT = 3 * 153  # three concatenated messages
# The GSM 03.38 default alphabet (without the escape-table characters, which cost two).
GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
          "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
REPLACE = {"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "‘": "'", "’": "'",
           "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "…": "...", "·": "-", "•": "-",
           "×": "x", "[": "(", "]": ")", "{": "(", "}": ")", "~": "-", "\\": "/", "|": "/", "^": "",
           "€": "EUR", "\t": " "}
# Ever shorter: (longest title, sessions named in a clash, the others only counted).
SHORTER = ((60, 3), (48, 3), (40, 2), (32, 2), (32, 1), (26, 1), (26, 0), (20, 0), (16, 0), (12, 0))


def gsm(text: str) -> str:
    """The text in the GSM 7-bit default alphabet: accents dropped where GSM lacks the letter."""
    out = []
    for ch in text:
        if ch in GSM:
            out.append(ch)
        elif ch in REPLACE:
            out.append(REPLACE[ch])
        elif unicodedata.category(ch) == "Zs":
            out.append(" ")  # French dates use narrow no-break spaces
        else:
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(plain if plain and all(c in GSM for c in plain) else "?")
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut on a word boundary (a single long word is cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:max(1, limit - 3)]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "..."


def _place(item: Item, limit: int) -> str:
    room = shorten(item.room.name, max(8, limit // 3))
    return _("%(room)s table %(table)d", room=room, table=item.table) if item.table else room


def _lines(rows, tz, limit: int, choices: int) -> list[str]:
    lines = []
    for row in rows:
        at = when(row.slot.start, tz, "time")
        going = row.going
        if going is None and row.slot.kind == "plenary" and not row.wanted:
            lines.append(f"{at} {shorten(row.slot.label or _('Plenary'), limit)}")
        elif going is not None and going.first_slot.id == row.slot.id:
            lines.append(f"{at} {shorten(going.proposal.title, limit)} @ {_place(going, limit)}")
        elif going is None and row.undecided:
            here = [it for it in row.wanted if it.first_slot.id == row.slot.id]
            if not choices:
                lines.append(f"{at} {_('Choose one:')} "
                             + ngettext("%(num)d session", "%(num)d sessions", len(here)))
                continue
            options = [f"{shorten(it.proposal.title, limit // 2)} @ {_place(it, limit)}" for it in here[:choices]]
            if len(here) > choices:
                options.append(_("and %(num)d more", num=len(here) - choices))
            lines.append(f"{at} {_('Choose one:')} " + " / ".join(options))
    return lines


def day_block(day_rows, tz) -> str:
    """One day: its name, then a line per session, shortened until it fits three messages."""
    head = when(day_rows[0].slot.start, tz, "short_day")
    for limit, choices in SHORTER:
        block = gsm("\n".join([head, *_lines(day_rows, tz, limit, choices)]))
        if len(block) <= DAY_LIMIT:
            return block
    # Still too long at the shortest titles: the day's last lines go, saying so.
    lines = block.split("\n")
    more = gsm(_("(more on the website)"))
    while len("\n".join([*lines, more])) > DAY_LIMIT:
        lines.pop()
    return "\n".join([*lines, more])


def agenda_sms(frame: Frame, rows) -> str:
    """The whole agenda, day by day, each day a block, blocks separated by a blank line."""
    days: dict = {}
    for row in rows:
        days.setdefault(row.slot.local_start.date(), []).append(row)
    blocks = [day_block(day_rows, frame.tz) for day_rows in days.values()]
    if not blocks:
        return gsm(_("Nothing in your agenda yet.")) + "\n"
    return "\n\n".join(blocks) + "\n"
