"""Dates and times for people: Babel, the reader's language, the event's timezone.

One function (`when`, also the template filter of that name) for every date and time a
person reads, so that "miércoles, 8 de noviembre · 14:00" and "mercredi 8 novembre · 14 h 00"
come out right; no strftime in templates or exports.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, tzinfo

from babel import Locale
from babel.dates import format_date, format_datetime, match_skeleton
from flask_babel import get_locale

# CLDR skeletons: each language orders and spells them its own way. A "+" asks for the
# weekday written out in full (CLDR's patterns abbreviate it).
SKELETONS = {
    "day": "MMMMEd+",            # miércoles, 8 de noviembre
    "date": "yMMMMEd+",          # miércoles, 8 de noviembre de 2017
    "short_date": "yMMMd",       # 8 nov 2017
    "short_day": "MMMEd",        # mié, 8 nov
    "weekday": "EEEE",           # miércoles
}
# French typography writes times as 14 h 00; the others as CLDR has them (24-hour).
TIME_PATTERNS = {"fr": "HH 'h' mm"}


def _locale() -> Locale:
    try:
        return get_locale() or Locale("en")
    except RuntimeError:  # no app context (the solver worker's logs, scripts)
        return Locale("en")


@functools.lru_cache(maxsize=512)  # babel's skeleton matching is slow, and the answer never changes
def _pattern(skeleton: str, locale: Locale) -> str:
    full = skeleton.endswith("+")
    skeleton = skeleton.rstrip("+")
    if skeleton == "EEEE":
        return "EEEE"
    pattern = locale.datetime_skeletons[match_skeleton(skeleton, locale.datetime_skeletons)].pattern
    return re.sub(r"E+", "EEEE", pattern) if full else pattern


def format_skeleton(skeleton: str, moment, locale: Locale) -> str:
    pattern = _pattern(skeleton, locale)
    if isinstance(moment, datetime):
        return format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=locale)
    return format_date(moment, pattern, locale=locale)


def _time(moment: datetime, locale: Locale) -> str:
    from babel.dates import format_time

    pattern = TIME_PATTERNS.get(locale.language)
    if pattern:
        return format_time(moment, pattern, locale=locale)
    return format_skeleton("Hm", moment, locale=locale)


def when(moment: datetime | date | None, tz: tzinfo | None = None, fmt: str = "day_time",
         locale: Locale | str | None = None) -> str:
    """A moment in the given timezone (usually the event's), in the reader's language.

    fmt: day, date, short_date, short_day, weekday, time, day_time, short_day_time,
    weekday_time, datetime.
    """
    if moment is None:
        return ""
    locale = Locale.parse(locale) if isinstance(locale, str) else (locale or _locale())
    if isinstance(moment, datetime):
        if tz is not None:
            moment = moment.astimezone(tz)
    if fmt == "time":
        return _time(moment, locale)
    if fmt in SKELETONS:
        return format_skeleton(SKELETONS[fmt], moment, locale=locale)
    head = {"day_time": "day", "short_day_time": "short_day", "weekday_time": "weekday",
            "datetime": "short_date"}.get(fmt)
    if head is None:
        raise ValueError(f"unknown date format {fmt!r}")
    sep = " " if fmt == "weekday_time" else " · "
    return f"{format_skeleton(SKELETONS[head], moment, locale=locale)}{sep}{_time(moment, locale)}"


def span(start: datetime, end: datetime, tz: tzinfo | None = None, locale=None) -> str:
    """14:00–15:30 in the reader's way of writing times."""
    return f"{when(start, tz, 'time', locale)}–{when(end, tz, 'time', locale)}"
