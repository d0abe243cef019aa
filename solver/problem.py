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
    table: int | None = None


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
    tables: int = 0  # a hall: one ordinary session, or up to this many table sessions, per slot


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
    at_table: bool = False
    runs: int = 1  # it may run up to this many times, each in another slot
    after: str | None = None  # starts after every run of this session, when both are scheduled
    prefer: frozenset[str] = frozenset()  # slots its facilitators prefer
    expected: int | None = None  # how many people it is expected to draw (overflow uses it, not votes)
    interpretation: bool = True  # false: its facilitators ask for no interpretation


@dataclass(frozen=True)
class Interpreter:
    """Someone who interprets between the languages of `pairs` (both ways)."""

    id: str
    pairs: tuple[tuple[str, str], ...]
    unavailable: frozenset[str] = frozenset()
    max_slots_per_day: int | None = None  # occupied slots per day; None: no limit
    participant: str | None = None  # also this participant: interpreting blocks their slot

    def into(self, language: str) -> set[str]:
        """The languages this interpreter can interpret a session in `language` into."""
        out = set()
        for a, b in self.pairs:
            if a == language:
                out.add(b)
            elif b == language:
                out.add(a)
        return out


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
    # The published schedule: session id → its runs (one placement for most sessions).
    previous: dict[str, tuple[Placement, ...]] = field(default_factory=dict)
    now: str | None = None
    move_cost: int = 5
    prefer_cost: int = 2
    # Languages people understand, and interpretation (solver-io.md): off unless asked for.
    language_rule: bool = False
    interpreters: tuple[Interpreter, ...] = ()
    interpretation_feature: str | None = None

    def __post_init__(self):
        # A published session with one run may be given as a bare Placement.
        object.__setattr__(self, "previous", {
            k: (v,) if isinstance(v, Placement) else tuple(v) for k, v in self.previous.items()})


@dataclass(frozen=True)
class Interpretation:
    interpreter: str
    into: str


@dataclass(frozen=True)
class Assignment:
    session: str
    slot: str
    room: str
    table: int | None = None
    interpretation: tuple[Interpretation, ...] = ()


@dataclass(frozen=True)
class Reason:
    """Why a schedule is impossible or a session was left out, as data: a code and what it names.

    The words are made where the language is known (explain.describe for the command line,
    the web app for its pages)."""

    code: str
    sessions: tuple[str, ...] = ()
    slots: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()
    past: bool = False  # about a session that has already taken place (not one fixed by hand)

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"code": self.code}
        for key in ("sessions", "slots", "rooms", "people", "needs", "numbers"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.past:
            out["past"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Reason:
        return cls(str(data["code"]), *(tuple(data.get(k) or ()) for k in
                                        ("sessions", "slots", "rooms", "people", "needs", "numbers")),
                   past=bool(data.get("past")))


@dataclass(frozen=True)
class Solution:
    status: str
    assignments: tuple[Assignment, ...] = ()
    unscheduled: tuple[str, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()  # in words, for the file (solver-io.md)
    explanations: tuple[Reason, ...] = ()  # the same reasons as data


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
    table = value.get("table")
    if table is not None:
        table = _int(value, "table", where, minimum=1)
    return Placement(slot, room, table)


def _bool(obj: dict, key: str, where: str, default: bool = False) -> bool:
    value = obj.get(key, default)
    _expect(isinstance(value, bool), f"{where}.{key}", "expected true or false")
    return value


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
                          frozenset(_str_list(r, "features", w)), frozenset(unavailable),
                          _int(r, "tables", w, default=0)))
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
        prefer = _str_list(s, "prefer", w)
        _known(prefer, slot_ids, f"{w}.prefer", "slot")
        after = s.get("after")
        _expect(after is None or (isinstance(after, str) and after != ""), f"{w}.after",
                "expected a session id")
        sessions.append(Session(
            id=_str(s, "id", w), title=str(s.get("title") or s["id"]),
            length=_int(s, "length", w, default=1, minimum=1),
            language=str(s.get("language") or ""), needs=frozenset(_str_list(s, "needs", w)),
            facilitators=tuple(facilitators), unavailable=frozenset(unavailable),
            fixed=None if fixed is None else _placement(fixed, f"{w}.fixed", slot_ids, room_ids),
            at_table=_bool(s, "at_table", w), runs=_int(s, "runs", w, default=1, minimum=1),
            after=after, prefer=frozenset(prefer),
            expected=None if s.get("expected") is None else _int(s, "expected", w),
            interpretation=_bool(s, "interpretation", w, default=True),
        ))
    _unique(sessions, "sessions")
    session_ids = {s.id for s in sessions}
    for i, s in enumerate(sessions):
        _expect(s.after is None or (s.after in session_ids and s.after != s.id), f"sessions[{i}].after",
                f"unknown session '{s.after}'")

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
        runs = place if isinstance(place, list) else [place]
        _expect(len(runs) >= 1, f"previous.{sid}", "expected a placement or a list of them")
        previous[sid] = tuple(_placement(r, f"previous.{sid}", slot_ids, room_ids) for r in runs)
    now = data.get("now")
    if now is not None:
        _expect(isinstance(now, str) and now in slot_ids, "now", f"unknown slot {json.dumps(now)}")
    move_cost = _int(data, "move_cost", "instance", default=5) if "move_cost" in data else 5
    prefer_cost = _int(data, "prefer_cost", "instance", default=2) if "prefer_cost" in data else 2

    feature = data.get("interpretation_feature")
    _expect(feature is None or (isinstance(feature, str) and feature != ""), "interpretation_feature",
            "expected a non-empty string")
    return Problem(
        slots=tuple(slots), rooms=tuple(rooms), sessions=tuple(sessions),
        participants=tuple(participants), name=str(data.get("name") or ""),
        timezone=str(data.get("timezone") or "UTC"), previous=previous, now=now,
        move_cost=move_cost, prefer_cost=prefer_cost,
        language_rule=_bool(data, "language_rule", "instance"),
        interpreters=_interpreters(data, slot_ids, {p.id for p in participants}),
        interpretation_feature=feature,
    )


def _interpreters(data: dict, slot_ids: set[str], participant_ids: set[str]) -> tuple[Interpreter, ...]:
    raw = data.get("interpreters") or []
    _expect(isinstance(raw, list), "interpreters", "expected a list")
    out = []
    for i, x in enumerate(raw):
        w = f"interpreters[{i}]"
        _expect(isinstance(x, dict), w, "expected an object")
        pairs = x.get("pairs")
        _expect(isinstance(pairs, list) and len(pairs) >= 1, f"{w}.pairs", "expected a list of language pairs")
        for k, pair in enumerate(pairs):
            _expect(isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) and v for v in pair)
                    and pair[0] != pair[1], f"{w}.pairs[{k}]", "expected two different languages")
        unavailable = _str_list(x, "unavailable", w)
        _known(unavailable, slot_ids, f"{w}.unavailable", "slot")
        limit = x.get("max_slots_per_day")
        if limit is not None:
            limit = _int(x, "max_slots_per_day", w, minimum=1)
        person = x.get("participant")
        _expect(person is None or person in participant_ids, f"{w}.participant",
                f"unknown participant {json.dumps(person)}")
        out.append(Interpreter(_str(x, "id", w), tuple((a, b) for a, b in pairs), frozenset(unavailable),
                               limit, person))
    _unique(out, "interpreters")
    return tuple(out)


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


def placement_to_dict(p: Placement | None) -> dict | None:
    if p is None:
        return None
    out: dict[str, Any] = {"slot": p.slot, "room": p.room}
    if p.table is not None:
        out["table"] = p.table
    return out


def _session_to_dict(s: Session) -> dict:
    out = {"id": s.id, "title": s.title, "length": s.length, "language": s.language,
           "needs": sorted(s.needs), "facilitators": list(s.facilitators),
           "unavailable": sorted(s.unavailable), "fixed": placement_to_dict(s.fixed)}
    # The optional keys only when they say something: an old instance stays as it was.
    if s.at_table:
        out["at_table"] = True
    if s.runs != 1:
        out["runs"] = s.runs
    if s.after is not None:
        out["after"] = s.after
    if s.prefer:
        out["prefer"] = sorted(s.prefer)
    if s.expected is not None:
        out["expected"] = s.expected
    if not s.interpretation:
        out["interpretation"] = False
    return out


def _interpreter_to_dict(x: Interpreter) -> dict:
    out: dict[str, Any] = {"id": x.id, "pairs": [list(p) for p in x.pairs], "unavailable": sorted(x.unavailable)}
    if x.max_slots_per_day is not None:
        out["max_slots_per_day"] = x.max_slots_per_day
    if x.participant is not None:
        out["participant"] = x.participant
    return out


def problem_to_dict(problem: Problem) -> dict:
    rooms = []
    for r in problem.rooms:
        room = {"id": r.id, "capacity": r.capacity, "features": sorted(r.features),
                "unavailable": sorted(r.unavailable)}
        if r.tables:
            room["tables"] = r.tables
        rooms.append(room)
    data = {
        "format": INSTANCE_FORMAT, "name": problem.name, "timezone": problem.timezone,
        "slots": [{"id": s.id, "day": s.day, "start": s.start, "end": s.end} for s in problem.slots],
        "rooms": rooms,
        "sessions": [_session_to_dict(s) for s in problem.sessions],
        "participants": [{"id": p.id, "languages": list(p.languages),
                          "unavailable": sorted(p.unavailable), "votes": list(p.votes)}
                         for p in problem.participants],
        "move_cost": problem.move_cost,
    }
    if problem.prefer_cost != 2:
        data["prefer_cost"] = problem.prefer_cost
    if problem.previous:
        data["previous"] = {k: placement_to_dict(v[0]) if len(v) == 1 else [placement_to_dict(p) for p in v]
                            for k, v in problem.previous.items()}
    if problem.now is not None:
        data["now"] = problem.now
    if problem.language_rule:
        data["language_rule"] = True
    if problem.interpreters:
        data["interpreters"] = [_interpreter_to_dict(x) for x in problem.interpreters]
    if problem.interpretation_feature is not None:
        data["interpretation_feature"] = problem.interpretation_feature
    return data


def assignment_to_dict(a: Assignment) -> dict:
    out: dict[str, Any] = {"session": a.session, "slot": a.slot, "room": a.room}
    if a.table is not None:
        out["table"] = a.table
    if a.interpretation:
        out["interpretation"] = [{"interpreter": x.interpreter, "into": x.into} for x in a.interpretation]
    return out


def solution_to_dict(solution: Solution) -> dict:
    return {
        "format": SOLUTION_FORMAT,
        "status": solution.status,
        "assignments": [assignment_to_dict(a) for a in solution.assignments],
        "unscheduled": list(solution.unscheduled),
        "stats": dict(solution.stats),
        "reasons": list(solution.reasons),
        # The same reasons as codes and ids (an extra key: readers of format 1 ignore it).
        "explanations": [r.as_dict() for r in solution.explanations],
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
        table = a.get("table")
        if table is not None:
            table = _int(a, "table", w, minimum=1)
        assignments.append(Assignment(_str(a, "session", w), _str(a, "slot", w), _str(a, "room", w), table,
                                      _interpretation(a, w)))
    unscheduled = _str_list(data, "unscheduled", "solution")
    reasons = _str_list(data, "reasons", "solution")
    stats = data.get("stats") or {}
    _expect(isinstance(stats, dict), "stats", "expected an object")
    explanations = []
    raw = data.get("explanations") or []
    _expect(isinstance(raw, list), "explanations", "expected a list")
    for i, r in enumerate(raw):
        _expect(isinstance(r, dict) and isinstance(r.get("code"), str), f"explanations[{i}]",
                "expected an object with a code")
        try:
            explanations.append(Reason.from_dict(r))
        except (TypeError, ValueError):
            raise InstanceError(f"explanations[{i}]: malformed") from None
    return Solution(data["status"], tuple(assignments), tuple(unscheduled), stats, tuple(reasons),
                    tuple(explanations))


def _interpretation(a: dict, where: str) -> tuple[Interpretation, ...]:
    raw = a.get("interpretation") or []
    _expect(isinstance(raw, list), f"{where}.interpretation", "expected a list")
    out = []
    for k, x in enumerate(raw):
        w = f"{where}.interpretation[{k}]"
        _expect(isinstance(x, dict), w, "expected {\"interpreter\": …, \"into\": …}")
        out.append(Interpretation(_str(x, "interpreter", w), _str(x, "into", w)))
    return tuple(out)


def load_solution(path: str) -> Solution:
    return _load(path, solution_from_dict)
