"""Tiny instances built in code: one per rule, one that respects it and one that breaks it."""


from solver import Participant, Placement, Problem, Room, Session, Slot


def make_problem(sessions, participants=(), rooms=None, slots=None, **kw) -> Problem:
    slots = slots or (Slot("d1-1", "2017-11-07", "09:00", "10:30"),
                      Slot("d1-2", "2017-11-07", "11:00", "12:30"),
                      Slot("d2-1", "2017-11-08", "09:00", "10:30"))
    rooms = rooms or (Room("hall", 100, frozenset({"projector"})), Room("tent", 10))
    people = {f for s in sessions for f in s.facilitators} | {p.id for p in participants}
    extra = tuple(Participant(pid) for pid in sorted(people - {p.id for p in participants}))
    return Problem(tuple(slots), tuple(rooms), tuple(sessions), tuple(participants) + extra, **kw)


def session(sid, *facilitators, length=1, needs=(), fixed=None, unavailable=(), title=None):
    return Session(sid, title or f"Session {sid}", length, "en", frozenset(needs), tuple(facilitators),
                   frozenset(unavailable), Placement(*fixed) if fixed else None)
