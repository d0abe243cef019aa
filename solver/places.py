"""Where else a session could go, and what each place would change, scored exactly as check.score
does but over only the people and runs a change touches.

A *change* maps session ids to their new runs ((slot, room, table) tuples; an empty list leaves
the session unscheduled). `Evaluator.delta` gives the change in the figures of check.score;
`Evaluator.violations` the hard rules it breaks, found by the checker's own rules run on the
runs that could clash with it (a cell, a facilitator, a series) instead of the whole schedule.

Interpretation follows what a hand edit does in the app (scheduling.rewrite_assignments): a run
that stays in its slot and room keeps its interpreters, a run that moves (or is swapped) has none.
Under the language rule a vote counts only in a run the voter understands, and an interpreter who
is a participant is busy while interpreting, so a change also touches those interpreters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .check import attendable_for, find_violations, score
from .problem import Assignment, Interpretation, Problem, Solution
from .rules import RULES, Violation, every_session_once, read

Run = tuple[str, str, int | None]  # slot id, room id, table
Change = dict[str, list[Run]]


@dataclass(frozen=True)
class Delta:
    """A change in check.score's figures, and how many people lose or gain an attendable session."""

    attendable: int = 0
    overflow: int = 0
    preference_misses: int = 0
    slot_moves: int = 0
    dropped: int = 0
    unscheduled: int = 0
    lose: int = 0
    gain: int = 0

    def as_dict(self) -> dict:
        """The figures of `figures`: a dropped published session counts as moved, as in the objective."""
        return {"attendable": self.attendable, "overflow": self.overflow,
                "preference_misses": self.preference_misses, "slot_moves": self.slot_moves + self.dropped}


@dataclass(frozen=True)
class Place:
    """One place a session (or one of its runs) could take: a move, or a swap with `swap_with`."""

    session: str
    slot: str
    room: str
    table: int | None
    swap_with: str | None
    from_slot: str | None  # the start slot of the run that moves (None: an unscheduled session)
    change: tuple[tuple[str, tuple[Run, ...]], ...]
    delta: Delta
    violations: tuple[Violation, ...]

    @property
    def valid(self) -> bool:
        return not self.violations

    def rank(self) -> tuple:
        """Valid places first, then most attendable votes, least overflow, fewest misses and moves."""
        d = self.delta
        return (not self.valid, -d.attendable, d.overflow, d.preference_misses, d.slot_moves + d.dropped)


def figures(problem: Problem, solution: Solution) -> dict:
    """The figures that deltas change, from the checker's full score (published sessions moved
    count those dropped too, as the objective and the draft page do)."""
    s = score(problem, solution)
    return {"attendable": s.attendable_votes, "votes": s.total_votes, "overflow": s.overflow,
            "unscheduled": s.unscheduled, "preference_misses": s.preference_misses,
            "slot_moves": s.slot_moves + s.dropped}


class Evaluator:
    """One schedule of one problem, indexed so that a change is scored and checked locally."""

    def __init__(self, problem: Problem, solution: Solution):
        self.problem = problem
        self.slot_ix = {s.id: i for i, s in enumerate(problem.slots)}
        self.sessions = {s.id: s for s in problem.sessions}
        self.order = {s.id: i for i, s in enumerate(problem.sessions)}
        self.rooms = {r.id: r for r in problem.rooms}
        self.now = self.slot_ix[problem.now] if problem.now is not None else 0
        self.runs: dict[str, list[Run]] = defaultdict(list)
        self.interpretation: dict[tuple[str, str, str], tuple[Interpretation, ...]] = {}  # (session, slot, room)
        for a in solution.assignments:
            if a.session in self.sessions and a.slot in self.slot_ix and a.room in self.rooms:
                self.runs[a.session].append((a.slot, a.room, a.table))
                if a.interpretation:
                    self.interpretation[(a.session, a.slot, a.room)] = a.interpretation
        self.cells: dict[tuple[str, int], list[str]] = defaultdict(list)  # (room, slot index) → sessions
        for sid, runs in self.runs.items():
            for slot, room, _table in runs:
                for j in self._span(sid, slot):
                    self.cells[(room, j)].append(sid)
        self.hosted: dict[str, list[str]] = defaultdict(list)  # person → sessions they facilitate
        self.followers: dict[str, list[str]] = defaultdict(list)
        for s in problem.sessions:
            for f in s.facilitators:
                self.hosted[f].append(s.id)
            if s.after is not None:
                self.followers[s.after].append(s.id)
        self.participant = {p.id: p for p in problem.participants}
        self.rule = problem.language_rule
        # Under the language rule, the languages each person understands (None: every one).
        self.langs = [frozenset(p.languages) if self.rule and p.languages else None for p in problem.participants]
        self._interpreting()
        # People as the checker counts them: votes for others' sessions, own sessions, absences.
        self.people: list[tuple[tuple[str, ...], frozenset[str], frozenset[str], frozenset[int]]] = []
        self.touched: dict[str, set[int]] = defaultdict(set)  # session → people whose count it can change
        self.votes_for: dict[str, int] = defaultdict(int)
        for i, p in enumerate(problem.participants):
            own = frozenset(self.hosted.get(p.id, ()))
            counted = tuple(v for v in p.votes if v not in own)
            self.people.append((counted, frozenset(counted), own,
                                frozenset(self.slot_ix[x] for x in p.unavailable if x in self.slot_ix)))
            for v in counted:
                self.votes_for[v] += 1
                self.touched[v].add(i)
            for sid in own:
                self.touched[sid].add(i)
        self._values: dict[tuple, int] = {}
        self._base_spans: dict[str, tuple[tuple[int, int], ...]] = {}
        self._base_views: dict[str, tuple] = {}
        self._persons: dict[int, tuple] = {}
        self._aggregates: dict[tuple, tuple] = {}
        self._base_values: dict[int, int] = {}
        self._base_violations = find_violations(problem, solution)

    def _interpreting(self) -> None:
        """Index the runs interpreted by interpreters who are participants (they are busy then)."""
        person = {x.id: x.participant for x in self.problem.interpreters if x.participant in self.participant}
        index = {p.id: i for i, p in enumerate(self.problem.participants)}
        self.interpreter_runs: dict[int, list[tuple[str, str, str, int, int]]] = defaultdict(list)
        self.interpreted_by: dict[tuple[str, str, str], set[int]] = defaultdict(set)  # run → such people
        for (sid, slot, room), xs in self.interpretation.items():
            first = self.slot_ix[slot]
            for x in xs:
                if x.interpreter in person:
                    p = index[person[x.interpreter]]
                    self.interpreter_runs[p].append((sid, slot, room, first, first + self.sessions[sid].length - 1))
                    self.interpreted_by[(sid, slot, room)].add(p)
        self.busy = {p: frozenset(j for _s, _t, _r, first, last in runs for j in range(first, last + 1))
                     for p, runs in self.interpreter_runs.items()}

    # Scoring

    def _span(self, sid: str, slot: str) -> range:
        i = self.slot_ix[slot]
        return range(i, i + self.sessions[sid].length)

    def _spans(self, sid: str, runs) -> tuple[tuple[int, int], ...]:
        n = self.sessions[sid].length - 1
        return tuple((self.slot_ix[slot], self.slot_ix[slot] + n) for slot, _room, _table in runs)

    def _base(self, sid: str) -> tuple[tuple[int, int], ...]:
        spans = self._base_spans.get(sid)
        if spans is None:
            spans = self._base_spans[sid] = self._spans(sid, self.runs.get(sid, ()))
        return spans

    def _view(self, sid: str, runs) -> tuple:
        """What voters see of a session's runs: their spans, and under the language rule each run's
        languages (its own, and those it keeps interpreters into: a run that moves keeps none)."""
        if not self.rule:
            return self._spans(sid, runs)
        s = self.sessions[sid]
        n = s.length - 1
        out = []
        for slot, room, _table in runs:
            first = self.slot_ix[slot]
            xs = self.interpretation.get((sid, slot, room), ())
            out.append((first, first + n, frozenset({s.language, *(x.into for x in xs)})))
        return tuple(out)

    def _base_view(self, sid: str) -> tuple:
        if not self.rule:
            return self._base(sid)
        view = self._base_views.get(sid)
        if view is None:
            view = self._base_views[sid] = self._view(sid, self.runs.get(sid, ()))
        return view

    def _heard(self, view: tuple, langs: frozenset[str] | None) -> tuple[tuple[int, int], ...]:
        """The spans of the runs a person with these languages understands (all without the rule)."""
        if not self.rule:
            return view
        if langs is None:
            return tuple((first, last) for first, last, _heard in view)
        return tuple((first, last) for first, last, heard in view if heard & langs)

    def _free(self, spans, blocked) -> tuple[int, int] | None:
        first, last = spans[0]
        if first in blocked or (last != first and any(j in blocked for j in range(first + 1, last + 1))):
            return None
        return last, first

    def _person(self, p: int) -> tuple[set[int], dict[str, tuple[int, int]] | None, dict[str, list]]:
        """A person's busy slots; the (last, first) of each voted session they could attend, when
        every one runs once (None otherwise: the checker's general count then); and the spans of
        the runs they understand of each voted session (the general count's input)."""
        base = self._persons.get(p)
        if base is None:
            counted, _counted_set, own, unavailable = self.people[p]
            blocked = set(unavailable) | self.busy.get(p, frozenset())
            for sid in own:
                for first, last in self._base(sid):
                    blocked.update(range(first, last + 1))
            langs = self.langs[p]
            heard = {sid: list(sp) for sid in counted if (sp := self._heard(self._base_view(sid), langs))}
            entries: dict[str, tuple[int, int]] | None = {}
            for sid, sp in heard.items():
                if len(sp) > 1:
                    entries = None
                    break
                free = self._free(sp, blocked)
                if free is not None:
                    entries[sid] = free
            base = self._persons[p] = (blocked, entries, heard)
        return base

    @staticmethod
    def _greedy(intervals) -> int:
        value, free_from = 0, -1
        for last, first in sorted(intervals):
            if first > free_from:
                value += 1
                free_from = last
        return value

    def _value(self, p: int, seen: tuple, busy: frozenset[int] | None = None) -> int:
        """What check.attendable_for gives this person when the sessions in `seen` ((id, view)
        pairs, those of the change that this person votes for or runs) take those runs, and (when
        given) the slots they interpret in are `busy`."""
        key = (p, seen, busy)
        value = self._values.get(key)
        if value is not None:
            return value
        counted, _counted_set, own, unavailable = self.people[p]
        langs = self.langs[p]
        over = {sid: self._heard(view, None if sid in own else langs) for sid, view in seen}
        blocked, entries, heard = self._person(p)
        if entries is not None and busy is None and not any(sid in own or len(sp) > 1 for sid, sp in over.items()):
            # The usual case, inline: the checker's interval count with the moved sessions replaced.
            items = dict(entries)
            for sid, sp in over.items():
                items.pop(sid, None)
                if sp:
                    free = self._free(sp, blocked)
                    if free is not None:
                        items[sid] = free
            value = self._greedy(items.values())
        else:  # one's own session or interpreting moves, or a voted session runs more than once: the checker's count
            if busy is not None or any(sid in own for sid in over):
                blocked = set(unavailable) | (self.busy.get(p, frozenset()) if busy is None else busy)
                for sid in own:
                    for first, last in (over[sid] if sid in over else self._base(sid)):
                        blocked.update(range(first, last + 1))
            spans = dict(heard)
            for sid, sp in over.items():
                if sp and sid not in own:
                    spans[sid] = list(sp)
                else:
                    spans.pop(sid, None)
            value = attendable_for(spans, counted, own, blocked)
        self._values[key] = value
        return value

    def _session_terms(self, sid: str, runs) -> tuple[int, int, int, int, int]:
        """(overflow, preference miss, slot moves, dropped, unscheduled) of one session, as score counts."""
        s = self.sessions[sid]
        if not runs:
            published = self.problem.previous.get(sid, ())
            dropped = int(any(self.slot_ix[x.slot] >= self.now for x in published))
            return 0, 0, 0, dropped, 1
        demand = s.expected if s.expected is not None else self.votes_for[sid]  # as check._demand
        overflow = 0 if s.at_table else max(0, demand - sum(self.rooms[r].capacity for _, r, _ in runs))
        miss = int(bool(s.prefer) and any(slot not in s.prefer for slot, _, _ in runs))
        moves = 0
        published = self.problem.previous.get(sid, ())
        if any(self.slot_ix[x.slot] >= self.now for x in published):
            at = {x.slot for x in published}
            moves = sum(1 for slot, _, _ in runs if self.slot_ix[slot] >= self.now and slot not in at)
        return overflow, miss, moves, 0, 0

    def _base_value(self, p: int) -> int:
        value = self._base_values.get(p)
        if value is None:
            value = self._base_values[p] = self._value(p, ())
        return value

    def _alone(self, sid: str, view: tuple) -> tuple[int, int, int, dict[int, int]]:
        """(change in attendable votes, people who lose, people who gain, person → change) when only
        this session takes these runs: shared by every place that moves it there."""
        key = (sid, view)
        out = self._aggregates.get(key)
        if out is None:
            per = {}
            for p in self.touched.get(sid, ()):
                d = self._value(p, ((sid, view),)) - self._base_value(p)
                if d:
                    per[p] = d
            out = (sum(per.values()), sum(1 for d in per.values() if d < 0), sum(1 for d in per.values() if d > 0),
                   per)
            self._aggregates[key] = out
        return out

    def _freed(self, change: Change) -> dict[int, frozenset[int]]:
        """Interpreters who are participants and whose interpreting slots the change alters (runs
        that move lose their interpreters): person → the slots they still interpret in."""
        if not self.interpreted_by:
            return {}
        hit: set[int] = set()
        for sid, runs in change.items():
            cells = {(slot, room) for slot, room, _table in runs}
            for slot, room, _table in self.runs.get(sid, ()):
                if (slot, room) not in cells:
                    hit |= self.interpreted_by.get((sid, slot, room), set())
        out = {}
        for p in hit:
            busy = set()
            for sid, slot, room, first, last in self.interpreter_runs[p]:
                if sid not in change or any((slot, room) == r[:2] for r in change[sid]):
                    busy.update(range(first, last + 1))
            if busy != self.busy[p]:
                out[p] = frozenset(busy)
        return out

    def delta(self, change: Change) -> Delta:
        # Only sessions whose runs change as voters see them (slots; languages under the language
        # rule) can change what anyone can attend, and interpreters whose runs move.
        moved = sorted((sid, v) for sid, v in ((sid, self._view(sid, runs)) for sid, runs in change.items())
                       if v != self._base_view(sid))
        freed = self._freed(change)
        attendable = lose = gain = 0
        alone = [self._alone(sid, v) for sid, v in moved]
        for total, lost, gained, _per in alone:
            attendable += total
            lose += lost
            gain += gained
        # People who see two of the moved sessions, or interpret less: their own count, instead of each session's.
        both: set[int] = set(freed)
        for i in range(len(moved)):
            for j in range(i + 1, len(moved)):
                both |= self.touched.get(moved[i][0], set()) & self.touched.get(moved[j][0], set())
        for p in both:
            for _total, _lost, _gained, per in alone:
                d = per.get(p, 0)
                attendable -= d
                lose -= d < 0
                gain -= d > 0
            _counted, counted_set, own, _unavailable = self.people[p]
            seen = tuple(x for x in moved if x[0] in counted_set or x[0] in own)
            d = self._value(p, seen, freed.get(p)) - self._base_value(p)
            attendable += d
            lose += d < 0
            gain += d > 0
        terms = [0] * 5
        for sid, runs in change.items():
            new, old = self._session_terms(sid, runs), self._session_terms(sid, self.runs.get(sid, ()))
            for k in range(5):
                terms[k] += new[k] - old[k]
        return Delta(attendable, terms[0], terms[1], terms[2], terms[3], terms[4], lose, gain)

    # Hard rules

    def violations(self, change: Change) -> list[Violation]:
        """Every rule the schedule would break after the change (the checker's verdict on it)."""
        moved = set(change)
        keep = set(moved)
        for sid, runs in change.items():
            s = self.sessions[sid]
            for slot, room, _table in runs:
                for j in self._span(sid, slot):
                    keep.update(self.cells.get((room, j), ()))
            for f in s.facilitators:
                keep.update(self.hosted.get(f, ()))
            if s.after is not None:
                keep.add(s.after)
            keep.update(self.followers.get(sid, ()))
        ids = sorted(keep, key=self.order.__getitem__)
        assignments = tuple(Assignment(sid, slot, room, table) for sid in ids
                            for slot, room, table in (change[sid] if sid in change else self.runs.get(sid, ())))
        hosts = {f for sid in ids for f in self.sessions[sid].facilitators}
        p = self.problem
        sub = Problem(slots=p.slots, rooms=p.rooms, sessions=tuple(self.sessions[sid] for sid in ids),
                      participants=tuple(self.participant[f] for f in sorted(hosts) if f in self.participant),
                      previous={sid: p.previous[sid] for sid in ids if sid in p.previous}, now=p.now)
        placed, out = read(sub, Solution("feasible", assignments, ()))
        for rule in RULES:
            if rule is not every_session_once:
                out.extend(rule(placed))
        mine = [v for v in out if moved & set(v.sessions)]
        return mine + [v for v in self._base_violations if not moved & set(v.sessions)]

    # Places

    def _free_table(self, sid: str, slot: str, room: str) -> int | None:
        """The lowest table of a hall free in every slot the session would take (None: none is)."""
        tables = self.rooms[room].tables
        if not tables:
            return None
        taken = set()
        for j in self._span(sid, slot):
            for other in self.cells.get((room, j), ()):
                if other == sid:
                    continue
                for s2, r2, t2 in self.runs[other]:
                    if r2 == room and j in self._span(other, s2):
                        taken.add(t2)
        return next((n for n in range(1, tables + 1) if n not in taken), None)

    def _cell_free(self, sid: str, slot: str, room: str, table: int | None) -> bool:
        at_table = self.sessions[sid].at_table
        for j in self._span(sid, slot):
            for other in self.cells.get((room, j), ()):
                if other != sid and (not at_table or not self.sessions[other].at_table):
                    return False
        return not at_table or table is not None

    def open_cells(self) -> list[tuple[str, str]]:
        """Every (slot, room) from `now` on where the room is available (closed slots have none)."""
        slots = [s.id for s in self.problem.slots[self.now:]]
        return [(t, r.id) for t in slots for r in self.problem.rooms if t not in r.unavailable]

    def place(self, sid: str, slot: str, room: str, table: int | None, change: Change,
              swap_with: str | None, from_slot: str | None) -> Place:
        return Place(sid, slot, room, table, swap_with, from_slot,
                     tuple((k, tuple(v)) for k, v in change.items()), self.delta(change),
                     tuple(self.violations(change)))

    def places(self, sid: str, from_slot: str | None = None) -> list[Place]:
        """Every place for the session (or for its run starting at `from_slot`), best first."""
        s = self.sessions[sid]
        mine = list(self.runs.get(sid, ()))
        if from_slot is None and len(mine) > 1:
            raise ValueError("choose which run moves")
        moving = next((r for r in mine if r[0] == from_slot), None) if from_slot else (mine[0] if mine else None)
        rest = [r for r in mine if r is not moving]
        out = []
        for slot, room in self.open_cells():
            if moving is not None and (slot, room) == moving[:2]:
                continue
            swaps = []
            if moving is not None and not rest:
                swaps = [b for b in dict.fromkeys(self.cells.get((room, self.slot_ix[slot]), ()))
                         if b != sid and len(self.runs[b]) == 1 and self.runs[b][0][:2] == (slot, room)
                         and self.sessions[b].at_table == s.at_table and self.sessions[b].fixed is None]
            table = self._free_table(sid, slot, room) if s.at_table else None
            if self._cell_free(sid, slot, room, table) or not swaps:
                change = {sid: [*rest, (slot, room, table)]}
                out.append(self.place(sid, slot, room, table, change, None, moving[0] if moving else None))
            for b in swaps:
                theirs = self.runs[b][0]
                change = {sid: [theirs], b: [moving]}
                out.append(self.place(sid, slot, room, theirs[2], change, b, moving[0]))
        out.sort(key=Place.rank)
        return out
