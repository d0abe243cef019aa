"""The solver's data: frozen dataclasses, read from and written to the JSON of solver-io.md."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

INSTANCE_FORMAT = "agenda-instance/1"
SOLUTION_FORMAT = "agenda-solution/1"
STATUSES = ("optimal", "feasible", "infeasible", "unknown")


class InstanceError(ValueError):
    """A file that does not follow the format; the message names the place in the file."""


@dataclass(frozen=True)
class Placement:
    slot: str
    room: str


@dataclass(frozen=True)
class Slot:
    id: str
    day: str
    start: str = ""
    end: str = ""


@dataclass(frozen=True)
class Room:
    id: str
    capacity: int
    features: frozenset[str] = frozenset()
    unavailable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Session:
    id: str
    title: str = ""
    length: int = 1
    language: str = ""
    needs: frozenset[str] = frozenset()
    facilitators: tuple[str, ...] = ()
    unavailable: frozenset[str] = frozenset()
    fixed: Placement | None = None


@dataclass(frozen=True)
class Participant:
    id: str
    languages: tuple[str, ...] = ()
    unavailable: frozenset[str] = frozenset()
    votes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    slots: tuple[Slot, ...]
    rooms: tuple[Room, ...]
    sessions: tuple[Session, ...]
    participants: tuple[Participant, ...]
    name: str = ""
    timezone: str = "UTC"
    previous: dict[str, Placement] = field(default_factory=dict)
    now: str | None = None
    move_cost: int = 5


@dataclass(frozen=True)
class Assignment:
    session: str
    slot: str
    room: str


@dataclass(frozen=True)
class Solution:
    status: str
    assignments: tuple[Assignment, ...] = ()
    unscheduled: tuple[str, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()


# Reading


def _expect(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise InstanceError(f"{where}: {what}")


def _str(obj: dict, key: str, where: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    _expect(isinstance(value, str) and value != "", f"{where}.{key}", "expected a non-empty string")
    return value


def _str_list(obj: dict, key: str, where: str) -> list[str]:
    value = obj.get(key, [])
    if value is None:
        return []
    _expect(isinstance(value, list) and all(isinstance(v, str) for v in value),
            f"{where}.{key}", "expected a list of strings")
    return value


def _int(obj: dict, key: str, where: str, default: int | None = None, minimum: int = 0) -> int:
    value = obj.get(key, default)
    _expect(isinstance(value, int) and not isinstance(value, bool), f"{where}.{key}",
            "expected a whole number")
    _expect(value >= minimum, f"{where}.{key}", f"must be at least {minimum}, got {value}")
    return value


def _placement(value: Any, where: str, slots: set[str], rooms: set[str]) -> Placement:
    _expect(isinstance(value, dict), where, "expected {\"slot\": …, \"room\": …}")
    slot, room = _str(value, "slot", where), _str(value, "room", where)
    _expect(slot in slots, f"{where}.slot", f"unknown slot '{slot}'")
    _expect(room in rooms, f"{where}.room", f"unknown room '{room}'")
    return Placement(slot, room)


def _unique(items: list, where: str) -> None:
    seen = set()
    for i, item in enumerate(items):
        _expect(item.id not in seen, f"{where}[{i}].id", f"duplicate id '{item.id}'")
        seen.add(item.id)


def _known(ids: list[str], known: set[str], where: str, kind: str) -> None:
    for i, x in enumerate(ids):
        _expect(x in known, f"{where}[{i}]", f"unknown {kind} '{x}'")


def problem_from_dict(data: Any) -> Problem:
    """Build and validate a Problem; raise InstanceError naming the bad place."""
    _expect(isinstance(data, dict), "instance", "expected a JSON object")
    _expect(data.get("format") == INSTANCE_FORMAT, "format",
            f"expected \"{INSTANCE_FORMAT}\", got {json.dumps(data.get('format'))}")
    for key in ("slots", "rooms", "sessions", "participants"):
        _expect(isinstance(data.get(key), list), key, "expected a list")

    slots = []
    for i, s in enumerate(data["slots"]):
        w = f"slots[{i}]"
        _expect(isinstance(s, dict), w, "expected an object")
        slots.append(Slot(_str(s, "id", w), _str(s, "day", w), str(s.get("start", "")),
                          str(s.get("end", ""))))
    _unique(slots, "slots")
    slot_ids = {s.id for s in slots}

    rooms = []
    for i, r in enumerate(data["rooms"]):
        w = f"rooms[{i}]"
        _expect(isinstance(r, dict), w, "expected an object")
        unavailable = _str_list(r, "unavailable", w)
        _known(unavailable, slot_ids, f"{w}.unavailable", "slot")
        rooms.append(Room(_str(r, "id", w), _int(r, "capacity", w),
                          frozenset(_str_list(r, "features", w)), frozenset(unavailable)))
    _unique(rooms, "rooms")
    room_ids = {r.id for r in rooms}

    participant_ids = set()
    for i, p in enumerate(data["participants"]):
        _expect(isinstance(p, dict), f"participants[{i}]", "expected an object")
        participant_ids.add(_str(p, "id", f"participants[{i}]"))

    sessions = []
    for i, s in enumerate(data["sessions"]):
        w = f"sessions[{i}]"
        _expect(isinstance(s, dict), w, "expected an object")
        facilitators = _str_list(s, "facilitators", w)
        _known(facilitators, participant_ids, f"{w}.facilitators", "participant")
        unavailable = _str_list(s, "unavailable", w)
        _known(unavailable, slot_ids, f"{w}.unavailable", "slot")
        fixed = s.get("fixed")
        sessions.append(Session(
            id=_str(s, "id", w), title=str(s.get("title") or s["id"]),
            length=_int(s, "length", w, default=1, minimum=1),
            language=str(s.get("language") or ""), needs=frozenset(_str_list(s, "needs", w)),
            facilitators=tuple(facilitators), unavailable=frozenset(unavailable),
            fixed=None if fixed is None else _placement(fixed, f"{w}.fixed", slot_ids, room_ids),
        ))
    _unique(sessions, "sessions")
    session_ids = {s.id for s in sessions}

    participants = []
    for i, p in enumerate(data["participants"]):
        w = f"participants[{i}]"
        unavailable = _str_list(p, "unavailable", w)
        _known(unavailable, slot_ids, f"{w}.unavailable", "slot")
        votes = _str_list(p, "votes", w)
        _known(votes, session_ids, f"{w}.votes", "session")
        participants.append(Participant(
            _str(p, "id", w), tuple(_str_list(p, "languages", w)), frozenset(unavailable),
            tuple(dict.fromkeys(votes)),  # a repeated vote counts once
        ))
    _unique(participants, "participants")

    previous = {}
    prev = data.get("previous") or {}
    _expect(isinstance(prev, dict), "previous", "expected an object of session id → placement")
    for sid, place in prev.items():
        _expect(sid in session_ids, f"previous.{sid}", f"unknown session '{sid}'")
        previous[sid] = _placement(place, f"previous.{sid}", slot_ids, room_ids)
    now = data.get("now")
    if now is not None:
        _expect(isinstance(now, str) and now in slot_ids, "now", f"unknown slot {json.dumps(now)}")
    move_cost = _int(data, "move_cost", "instance", default=5) if "move_cost" in data else 5

    return Problem(
        slots=tuple(slots), rooms=tuple(rooms), sessions=tuple(sessions),
        participants=tuple(participants), name=str(data.get("name") or ""),
        timezone=str(data.get("timezone") or "UTC"), previous=previous, now=now,
        move_cost=move_cost,
    )


def _load(path: str, build):
    """Read a JSON file and build from it; every error names the file and the place in it."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise InstanceError(f"{path}: line {e.lineno} column {e.colno}: {e.msg}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InstanceError(f"{path}: {e}") from None
    try:
        return build(data)
    except InstanceError as e:
        raise InstanceError(f"{path}: {e}") from None


def load_problem(path: str) -> Problem:
    return _load(path, problem_from_dict)


def problem_to_dict(problem: Problem) -> dict:
    def place(p: Placement | None):
        return None if p is None else {"slot": p.slot, "room": p.room}

    data = {
        "format": INSTANCE_FORMAT, "name": problem.name, "timezone": problem.timezone,
        "slots": [{"id": s.id, "day": s.day, "start": s.start, "end": s.end} for s in problem.slots],
        "rooms": [{"id": r.id, "capacity": r.capacity, "features": sorted(r.features),
                   "unavailable": sorted(r.unavailable)} for r in problem.rooms],
        "sessions": [{"id": s.id, "title": s.title, "length": s.length, "language": s.language,
                      "needs": sorted(s.needs), "facilitators": list(s.facilitators),
                      "unavailable": sorted(s.unavailable), "fixed": place(s.fixed)}
                     for s in problem.sessions],
        "participants": [{"id": p.id, "languages": list(p.languages),
                          "unavailable": sorted(p.unavailable), "votes": list(p.votes)}
                         for p in problem.participants],
        "move_cost": problem.move_cost,
    }
    if problem.previous:
        data["previous"] = {k: place(v) for k, v in problem.previous.items()}
    if problem.now is not None:
        data["now"] = problem.now
    return data


def solution_to_dict(solution: Solution) -> dict:
    return {
        "format": SOLUTION_FORMAT,
        "status": solution.status,
        "assignments": [{"session": a.session, "slot": a.slot, "room": a.room}
                        for a in solution.assignments],
        "unscheduled": list(solution.unscheduled),
        "stats": dict(solution.stats),
        "reasons": list(solution.reasons),
    }


def solution_from_dict(data: Any) -> Solution:
    _expect(isinstance(data, dict), "solution", "expected a JSON object")
    _expect(data.get("format") == SOLUTION_FORMAT, "format",
            f"expected \"{SOLUTION_FORMAT}\", got {json.dumps(data.get('format'))}")
    _expect(data.get("status") in STATUSES, "status", f"expected one of {', '.join(STATUSES)}")
    assignments = []
    _expect(isinstance(data.get("assignments", []), list), "assignments", "expected a list")
    for i, a in enumerate(data.get("assignments", [])):
        w = f"assignments[{i}]"
        _expect(isinstance(a, dict), w, "expected an object")
        assignments.append(Assignment(_str(a, "session", w), _str(a, "slot", w), _str(a, "room", w)))
    unscheduled = _str_list(data, "unscheduled", "solution")
    reasons = _str_list(data, "reasons", "solution")
    stats = data.get("stats") or {}
    _expect(isinstance(stats, dict), "stats", "expected an object")
    return Solution(data["status"], tuple(assignments), tuple(unscheduled), stats, tuple(reasons))


def load_solution(path: str) -> Solution:
    return _load(path, solution_from_dict)
