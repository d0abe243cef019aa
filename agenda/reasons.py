"""Solver records in words: refusals, warnings, reasons and run outcomes, with real names and times.

The solver and the checker return codes and the ids involved; scheduling.record_refs turns
those into database references ({"code": …, "sessions": [{"proposal": 12}], "slots": [5], …}),
which are stored as they are. The words are made here, when the reader's language is known.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import ngettext

from .dates import when
from .extensions import db
from .languages import language_in_sentence
from .models import Event, Proposal, Room, Slot, SolveRun, User


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])


class Names:
    """Names and times for the references of one record (looked up when a sentence asks)."""

    def __init__(self, event: Event, record: dict):
        self.event = event
        self.record = record

    def session(self, i: int = 0) -> str:
        refs = self.record.get("sessions") or []
        if i >= len(refs):
            return _("a session")
        ref = refs[i]
        if "proposal" in ref:
            p = db.session.get(Proposal, ref["proposal"])
            return p.title if p else _("a session")
        if "plenary" in ref:
            s = db.session.get(Slot, ref["plenary"])
            return s.label if s and s.label else _("the plenary")
        return _("a session")

    def time(self, i: int = 0) -> str:
        refs = self.record.get("slots") or []
        s = db.session.get(Slot, refs[i]) if i < len(refs) else None
        return when(s.start, self.event.tz, "weekday_time") if s else _("a slot")

    @property
    def s1(self) -> str:
        return self.session(0)

    @property
    def s2(self) -> str:
        return self.session(1)

    @property
    def t(self) -> str:
        return self.time(0)

    @property
    def room(self) -> str:
        refs = self.record.get("rooms") or []
        r = db.session.get(Room, refs[0]) if refs else None
        return r.name if r else _("a room")

    @property
    def past(self) -> bool:
        return bool(self.record.get("past"))

    @property
    def who(self) -> str:
        names = []
        for user_id in self.record.get("people") or []:
            u = db.session.get(User, user_id)
            names.append(u.display_name if u else _("someone who has left"))
        return _and(names) or _("a facilitator")

    @property
    def needs(self) -> str:
        return _and(list(self.record.get("needs") or []))

    def number(self, i: int) -> int:
        numbers = self.record.get("numbers") or []
        return numbers[i] if i < len(numbers) else 0


def _unknown(w: Names) -> str:
    return _("The schedule names a session, slot or room this event does not have.")


def _pinned_room_lacks_needs(w: Names) -> str:
    if w.past:
        return _(
            "'%(session)s' took place in %(room)s, which has no %(needs)s.", session=w.s1, room=w.room, needs=w.needs
        )
    return _("'%(session)s' is pinned to %(room)s, which has no %(needs)s.", session=w.s1, room=w.room, needs=w.needs)


# Every code the solver and its checker give (solver.explain.CODES), in words: the one table the
# app uses. The solver's command line has its own English words for the same codes.
WORDS: dict[str, Callable[[Names], str]] = {
    # The checker's rules (a hand edit or an imported solution that breaks one)
    "unknown_session": _unknown,
    "unknown_slot": _unknown,
    "unknown_room": _unknown,
    "past_end_of_day": lambda w: _(
        "'%(session)s' would run past the end of the day if it started at %(time)s.", session=w.s1, time=w.t
    ),
    "session_missing": lambda w: _("'%(session)s' is neither scheduled nor listed as unscheduled.", session=w.s1),
    "session_twice": lambda w: _("'%(session)s' appears more than once.", session=w.s1),
    "too_many_runs": lambda w: ngettext(
        "'%(session)s' may run only once.", "'%(session)s' may run at most %(num)d times.", w.number(1), session=w.s1
    ),
    "runs_same_slot": lambda w: _("'%(session)s' would run twice at %(time)s.", session=w.s1, time=w.t),
    "fixed_moved": lambda w: _("'%(session)s' is fixed to %(time)s in %(room)s.", session=w.s1, time=w.t, room=w.room),
    "room_lacks_needs": lambda w: _(
        "'%(session)s' needs %(needs)s, which %(room)s does not have.", session=w.s1, needs=w.needs, room=w.room
    ),
    "room_unavailable": lambda w: _(
        "%(room)s is not available at %(time)s, when '%(session)s' would be there.", room=w.room, time=w.t, session=w.s1
    ),
    "room_double_booked": lambda w: _(
        "%(room)s would hold both '%(first)s' and '%(second)s' at %(time)s.",
        room=w.room,
        first=w.s1,
        second=w.s2,
        time=w.t,
    ),
    "hall_mixed": lambda w: _(
        "%(room)s cannot hold the session '%(first)s' and the table '%(second)s' at %(time)s.",
        room=w.room,
        first=w.s1,
        second=w.s2,
        time=w.t,
    ),
    "table_double_booked": lambda w: _(
        "Table %(table)d in %(room)s would hold both '%(first)s' and '%(second)s' at %(time)s.",
        table=w.number(0),
        room=w.room,
        first=w.s1,
        second=w.s2,
        time=w.t,
    ),
    "table_needs_hall": lambda w: _(
        "'%(session)s' runs at a table: put it at a table of a hall, not in %(room)s.", session=w.s1, room=w.room
    ),
    "table_out_of_range": lambda w: _(
        "%(room)s has tables 1 to %(tables)d; there is no table %(table)d.",
        room=w.room,
        tables=w.number(1),
        table=w.number(0),
    ),
    "table_for_ordinary": lambda w: _(
        "'%(session)s' does not run at a table: it takes the whole of %(room)s.", session=w.s1, room=w.room
    ),
    "session_unavailable": lambda w: _("'%(session)s' cannot take place at %(time)s.", session=w.s1, time=w.t),
    "facilitator_unavailable": lambda w: _(
        "%(person)s, who runs '%(session)s', is not available at %(time)s.", person=w.who, session=w.s1, time=w.t
    ),
    "facilitator_double_booked": lambda w: _(
        "%(person)s is in both '%(first)s' and '%(second)s' on %(time)s.",
        person=w.who,
        first=w.s1,
        second=w.s2,
        time=w.t,
    ),
    "placed_in_past": lambda w: _(
        "'%(session)s' cannot go to %(time)s: that slot has already started.", session=w.s1, time=w.t
    ),
    "past_changed": lambda w: _(
        "'%(session)s' has already taken place at %(time)s in %(room)s; it stays there.",
        session=w.s1,
        time=w.t,
        room=w.room,
    ),
    "after_order": lambda w: _(
        "'%(first)s' is a part 2: it must come after every run of '%(second)s'.", first=w.s1, second=w.s2
    ),
    # Why no valid schedule exists (fixed or past sessions collide)
    "pinned_past_end_of_day": lambda w: _(
        "'%(session)s' is pinned to %(time)s but would run past the end of the day.", session=w.s1, time=w.t
    ),
    "fixed_in_past": lambda w: _(
        "'%(session)s' is pinned to %(time)s, which has already started.", session=w.s1, time=w.t
    ),
    "pinned_room_lacks_needs": _pinned_room_lacks_needs,
    "pinned_room_unavailable": lambda w: _(
        "'%(session)s' is pinned to %(room)s at %(time)s, when that room is not available.",
        session=w.s1,
        room=w.room,
        time=w.t,
    ),
    "pinned_session_unavailable": lambda w: _(
        "'%(session)s' is pinned to %(time)s, when it cannot take place.", session=w.s1, time=w.t
    ),
    "pinned_same_room": lambda w: _(
        "'%(first)s' and '%(second)s' are both pinned to %(room)s at %(time)s.",
        first=w.s1,
        second=w.s2,
        room=w.room,
        time=w.t,
    ),
    "pinned_facilitator_unavailable": lambda w: _(
        "'%(session)s' is pinned to %(time)s, when %(person)s, who runs it, is not available.",
        session=w.s1,
        time=w.t,
        person=w.who,
    ),
    "pinned_facilitator_twice": lambda w: _(
        "%(person)s is pinned to two places at %(time)s: '%(first)s' and '%(second)s'.",
        person=w.who,
        time=w.t,
        first=w.s1,
        second=w.s2,
    ),
    # Why a session was left out
    "no_hall_with_tables": lambda w: _(
        "'%(session)s' runs at a table, and no room is a hall with tables.", session=w.s1
    ),
    "no_room_has_needs": lambda w: _("'%(session)s' needs %(needs)s, and no room has it.", session=w.s1, needs=w.needs),
    "too_long_for_any_day": lambda w: ngettext(
        "'%(session)s' lasts %(num)d slot, and no day has that many slots in a row left.",
        "'%(session)s' lasts %(num)d slots, and no day has that many slots in a row left.",
        w.number(0),
        session=w.s1,
    ),
    "facilitators_never_free": lambda w: _(
        "'%(session)s' has no slot left in which it and the people who run it (%(people)s) are all available.",
        session=w.s1,
        people=w.who,
    ),
    "session_never_available": lambda w: _("'%(session)s' is unavailable in every slot that is left.", session=w.s1),
    "no_room_with_needs_when_free": lambda w: _(
        "'%(session)s' needs %(needs)s, and no room with it is free when the people who run it can be there.",
        session=w.s1,
        needs=w.needs,
    ),
    "no_room_when_free": lambda w: _(
        "'%(session)s' has no free room when the people who run it can be there.", session=w.s1
    ),
    "all_places_taken": lambda w: ngettext(
        "'%(session)s' could not be placed: the %(num)d slot where it fits is full, or one of the "
        "people who run it is busy then.",
        "'%(session)s' could not be placed: each of the %(num)d slots where it fits is full, or one of "
        "the people who run it is busy then.",
        w.number(0),
        session=w.s1,
    ),
    "feature_shortage": lambda w: _(
        "%(sessions)d session-slots need %(needs)s, but rooms with it offer only %(offered)d: "
        "some of those sessions cannot be placed.",
        sessions=w.number(0),
        needs=w.needs,
        offered=w.number(1),
    ),
    "after_impossible": lambda w: _(
        "'%(first)s' must come after '%(second)s', but no slot left lets it start after "
        "'%(second)s' ends: one of them stays unscheduled.",
        first=w.s1,
        second=w.s2,
    ),
    "table_shortage": lambda w: _(
        "%(sessions)d table sessions, but the halls have %(places)d table places in the free "
        "slots: some of them cannot be placed.",
        sessions=w.number(0),
        places=w.number(1),
    ),
}


NOT_UNDERSTOOD = ("interpretation_not_wanted", "no_interpreter_for_languages", "no_room_for_interpretation",
                  "interpreters_busy")


INTERPRETATION_RULES = ("unknown_interpreter", "interpreter_lacks_pair", "interpreter_unavailable",
                        "interpreter_double_booked", "interpreter_over_limit", "interpreted_against_wishes",
                        "room_lacks_interpretation", "interpreted_into_own_language", "two_interpreters_one_language",
                        "interpreter_facilitating")


def interpretation_rule(code: str, s1: str, s2: str, t: str, room: str) -> str:
    """The checker's rules 8–10 (who may interpret what, where and when)."""
    match code:
        case "unknown_interpreter":
            return _("'%(session)s' names an interpreter this event does not have.", session=s1)
        case "interpreter_lacks_pair":
            return _("The interpreter of '%(session)s' does not work between its language and the one asked for.",
                     session=s1)
        case "interpreter_unavailable":
            return _("The interpreter of '%(session)s' is not available at %(time)s.", session=s1, time=t)
        case "interpreter_double_booked":
            return _("One interpreter would interpret both '%(first)s' and '%(second)s' at %(time)s.", first=s1,
                     second=s2, time=t)
        case "interpreter_over_limit":
            return _("An interpreter would work more slots in a day than their limit.")
        case "interpreted_against_wishes":
            return _("'%(session)s' is interpreted, but its people asked for no interpretation.", session=s1)
        case "room_lacks_interpretation":
            return _("'%(session)s' is interpreted in %(room)s, which has no equipment for interpretation.",
                     session=s1, room=room)
        case "interpreted_into_own_language":
            return _("'%(session)s' would be interpreted into its own language.", session=s1)
        case "two_interpreters_one_language":
            return _("'%(session)s' would have two interpreters into the same language.", session=s1)
    return _("An interpreter would interpret '%(first)s' while running '%(second)s' at %(time)s.", first=s1,
             second=s2, time=t)


def not_understood(n: Names, code: str, session: str) -> str:
    """Why votes for a scheduled session stay not understood (needs: its language, then the voters')."""
    codes = list(n.record.get("needs") or [])
    language = language_in_sentence(codes[0]) if codes else ""
    theirs = _and([language_in_sentence(c) for c in codes[1:]])
    votes = n.number(0)
    match code:
        case "interpretation_not_wanted":
            return ngettext("%(num)d vote for '%(session)s' (in %(language)s) comes from people who speak "
                            "%(theirs)s: its people asked for no interpretation.",
                            "%(num)d votes for '%(session)s' (in %(language)s) come from people who speak "
                            "%(theirs)s: its people asked for no interpretation.",
                            votes, session=session, language=language, theirs=theirs)
        case "no_interpreter_for_languages":
            return ngettext("%(num)d vote for '%(session)s' (in %(language)s) comes from people who speak "
                            "%(theirs)s, and no interpreter works between those languages.",
                            "%(num)d votes for '%(session)s' (in %(language)s) come from people who speak "
                            "%(theirs)s, and no interpreter works between those languages.",
                            votes, session=session, language=language, theirs=theirs)
        case "no_room_for_interpretation":
            return ngettext("%(num)d vote for '%(session)s' (in %(language)s) comes from people who speak "
                            "%(theirs)s, and no room has the feature “interpretation”.",
                            "%(num)d votes for '%(session)s' (in %(language)s) come from people who speak "
                            "%(theirs)s, and no room has the feature “interpretation”.",
                            votes, session=session, language=language, theirs=theirs)
    return ngettext("%(num)d vote for '%(session)s' (in %(language)s) comes from people who speak %(theirs)s: "
                    "every interpreter for those languages was busy, at their daily limit or away when it runs.",
                    "%(num)d votes for '%(session)s' (in %(language)s) come from people who speak %(theirs)s: "
                    "every interpreter for those languages was busy, at their daily limit or away when it runs.",
                    votes, session=session, language=language, theirs=theirs)


# Rules 8-10 and the reasons votes stay not understood, in the same table.
WORDS.update({code: (lambda w, code=code: interpretation_rule(code, w.s1, w.s2, w.t, w.room))
              for code in INTERPRETATION_RULES})
WORDS.update({code: (lambda w, code=code: not_understood(w, code, w.s1)) for code in NOT_UNDERSTOOD})


def describe(record: dict | str, event: Event) -> str:
    """One refusal, warning or reason in the reader's language."""
    if isinstance(record, str):  # stored before reasons were codes
        return record
    words = WORDS.get(record.get("code"))
    return words(Names(event, record)) if words else _("The schedule breaks a rule.")


def outcome(run: SolveRun, event: Event) -> str:
    """What a solve run came to, in words."""
    data = run.outcome or {}
    match data.get("code"):
        case "ready":
            return _("Version %(n)d is ready for review.", n=data.get("version", 0))
        case "cancelled_before_start":
            return _("Cancelled before it started.")
        case "worker_stopped":
            return _("The worker stopped during this run. Nothing was changed: run it again.")
        case "problem_failed":
            return _("The event could not be turned into a scheduling problem. The error is logged.")
        case "solver_failed":
            return _("The solver stopped with an error. The error is logged; nothing was changed.")
        case "infeasible":
            reasons = " ".join(describe(r, event) for r in data.get("reasons", []))
            return _("No valid schedule exists: %(reasons)s", reasons=reasons)
    return run.message or ""
