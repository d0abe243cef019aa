"""Checks a solution against the hard rules and scores it. Knows nothing of how it was found."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import product

from .problem import Problem, Solution
from .rules import RULES, Violation, read


@dataclass(frozen=True)
class Score:
    attendable_votes: int
    total_votes: int
    overflow: int
    unscheduled: int
    unscheduled_votes: int
    slot_moves: int
    room_moves: int
    dropped: int  # published sessions (not yet started) that became unscheduled
    move_cost: int
    preference_misses: int = 0
    extra_runs: int = 0  # runs beyond the first of each scheduled session
    prefer_cost: int = 2
    languages: bool = False  # the language rule applies (the figures below are reported)
    not_understood: int = 0  # votes for scheduled sessions that no run lets the voter follow
    interpreted_runs: int = 0

    @property
    def ratio(self) -> float:
        return self.attendable_votes / self.total_votes if self.total_votes else 1.0

    @property
    def objective(self) -> int:
        """attendable − move_cost × slot moves − prefer_cost × preference misses.

        A published session dropped from the schedule counts as moved: its people
        planned around it just the same.
        """
        return (self.attendable_votes - self.move_cost * (self.slot_moves + self.dropped)
                - self.prefer_cost * self.preference_misses)

    def as_dict(self) -> dict:
        return {
            "attendable_votes": self.attendable_votes, "total_votes": self.total_votes,
            "attendable_ratio": round(self.ratio, 6), "overflow": self.overflow,
            "unscheduled": self.unscheduled, "unscheduled_votes": self.unscheduled_votes,
            "slot_moves": self.slot_moves, "room_moves": self.room_moves,
            "dropped": self.dropped, "preference_misses": self.preference_misses,
            "runs": self.extra_runs, "objective": self.objective,
        } | ({"not_understood": self.not_understood, "interpreted_runs": self.interpreted_runs}
             if self.languages else {})


def find_violations(problem: Problem, solution: Solution) -> list[Violation]:
    """Every broken hard rule, as records. An empty list means the schedule is valid."""
    placed, out = read(problem, solution)
    for rule in RULES:
        out.extend(rule(placed))
    return out


def _most_intervals(intervals: list[tuple[int, int]]) -> int:
    """The most intervals on a line that do not overlap: taking the one that ends first is optimal."""
    count, free_from = 0, -1
    for last, first in sorted((last, first) for first, last in intervals):
        if first > free_from:
            count += 1
            free_from = last
    return count


def _matching(options: list[list[int]]) -> int:
    """Maximum matching of sessions (each with the slots of its runs) to slots (Kuhn's augmenting paths)."""
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for t in options[i]:
            if t in seen:
                continue
            seen.add(t)
            if t not in owner or augment(owner[t], seen):
                owner[t] = i
                return True
        return False

    return sum(1 for i in range(len(options)) if augment(i, set()))


def attendable_for(runs: dict[str, list[tuple[int, int]]], votes, own: set[str], blocked: set[int]) -> int:
    """How many voted sessions one person can attend, each at one of its runs, none overlapping."""
    candidates = []
    for sid in votes:
        if sid in own or sid not in runs:
            continue
        free = [(f, last) for f, last in runs[sid] if not any(j in blocked for j in range(f, last + 1))]
        if free:
            candidates.append(free)
    if all(len(c) == 1 for c in candidates):
        return _most_intervals([c[0] for c in candidates])
    # Sessions of one slot with several runs: a matching of sessions to slots. Longer sessions
    # (a single run each, as a rule) are few per person: try each way of taking or leaving them.
    unit = [[f for f, _ in c] for c in candidates if all(f == last for f, last in c)]
    longer = [c for c in candidates if not all(f == last for f, last in c)]
    best = 0
    for choice in product(*[[None, *c] for c in longer]):
        taken = [iv for iv in choice if iv is not None]
        used: set[int] = set()
        clash = False
        for f, last in taken:
            span = set(range(f, last + 1))
            if span & used:
                clash = True
                break
            used |= span
        if clash:
            continue
        best = max(best, len(taken) + _matching([[t for t in opts if t not in used] for opts in unit]))
    return best


def score(problem: Problem, solution: Solution) -> Score:
    """The spec's figures: attendable votes, overflow, moves, preference misses, unscheduled."""
    slot_index = {s.id: i for i, s in enumerate(problem.slots)}
    sessions = {s.id: s for s in problem.sessions}
    rooms = {r.id: r for r in problem.rooms}
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    places: dict[str, list[tuple[str, str]]] = defaultdict(list)
    heard: dict[str, list[set[str]]] = defaultdict(list)  # per run: its language and those interpreted into
    interpreting: dict[str, set[int]] = defaultdict(set)  # participant → slots they interpret in
    by_interpreter = {x.id: x.participant for x in problem.interpreters}
    for a in solution.assignments:
        if a.session in sessions and a.slot in slot_index and a.room in rooms:
            i = slot_index[a.slot]
            last = i + sessions[a.session].length - 1
            spans[a.session].append((i, last))
            places[a.session].append((a.slot, a.room))
            heard[a.session].append({sessions[a.session].language} | {x.into for x in a.interpretation})
            for x in a.interpretation:
                if by_interpreter.get(x.interpreter) is not None:
                    interpreting[by_interpreter[x.interpreter]].update(range(i, last + 1))
    own: dict[str, set[str]] = defaultdict(set)
    for s in problem.sessions:
        for f in s.facilitators:
            own[f].add(s.id)

    attendable = total = not_understood = 0
    votes_for: dict[str, int] = defaultdict(int)
    for p in problem.participants:
        mine = own.get(p.id, set())
        blocked = {slot_index[x] for x in p.unavailable}
        for sid in mine:  # every run of one's own sessions keeps one busy
            for first, last in spans.get(sid, ()):
                blocked.update(range(first, last + 1))
        counted = [v for v in p.votes if v not in mine]
        total += len(counted)
        for v in counted:
            votes_for[v] += 1
        runs = spans
        if problem.language_rule and p.languages:
            # Only the runs this person understands count; interpreting keeps them busy.
            runs = _understood(spans, heard, counted, set(p.languages))
            not_understood += sum(1 for v in counted if v in spans and v not in runs)
        blocked |= interpreting.get(p.id, set())
        attendable += attendable_for(runs, counted, mine, blocked)

    # Overflow: people beyond the seats of all its runs (its expected attendance when given,
    # otherwise its voters); table sessions have none.
    overflow = sum(max(0, _demand(sessions[sid], votes_for[sid]) - sum(rooms[r].capacity for _, r in placed))
                   for sid, placed in places.items() if not sessions[sid].at_table)
    unscheduled = [s.id for s in problem.sessions if s.id not in places]
    now_index = slot_index[problem.now] if problem.now is not None else 0
    slot_moves = room_moves = dropped = 0
    for sid, published in problem.previous.items():
        future = [x for x in published if slot_index[x.slot] >= now_index]
        if not future:
            continue
        if sid not in places:
            dropped += 1
            continue
        rooms_at = {x.slot: x.room for x in published}
        for slot, room in places[sid]:
            if slot_index[slot] < now_index:
                continue
            if slot not in rooms_at:
                slot_moves += 1
            elif rooms_at[slot] != room:
                room_moves += 1
    misses = sum(1 for s in problem.sessions if s.prefer and s.id in places
                 and any(slot not in s.prefer for slot, _ in places[s.id]))
    return Score(
        attendable_votes=attendable, total_votes=total, overflow=overflow,
        unscheduled=len(unscheduled), unscheduled_votes=sum(votes_for[s] for s in unscheduled),
        slot_moves=slot_moves, room_moves=room_moves, dropped=dropped, move_cost=problem.move_cost,
        preference_misses=misses, extra_runs=sum(len(v) - 1 for v in places.values()),
        prefer_cost=problem.prefer_cost, languages=problem.language_rule or bool(problem.interpreters),
        not_understood=not_understood,
        interpreted_runs=sum(1 for a in solution.assignments if a.interpretation and a.session in sessions),
    )


def _demand(session, votes: int) -> int:
    """How many people a session draws: its `expected` attendance when the instance gives one."""
    return session.expected if session.expected is not None else votes


def _understood(spans: dict[str, list[tuple[int, int]]], heard: dict[str, list[set[str]]], votes,
                languages: set[str]) -> dict[str, list[tuple[int, int]]]:
    """The runs of these voted sessions held in (or interpreted into) one of the person's languages."""
    out = {}
    for sid in votes:
        if sid in spans:
            ok = [span for span, langs in zip(spans[sid], heard[sid], strict=True) if langs & languages]
            if ok:
                out[sid] = ok
    return out


def upper_bound(problem: Problem) -> int:
    """The spec's simple bound: each person attends at most one session per free slot."""
    own: dict[str, set[str]] = defaultdict(set)
    for s in problem.sessions:
        for f in s.facilitators:
            own[f].add(s.id)
    n = len(problem.slots)
    followable = _followable(problem)
    return sum(
        min(len([v for v in p.votes if v not in own.get(p.id, ()) and followable(p, v)]), n - len(p.unavailable))
        for p in problem.participants
    )


def _followable(problem: Problem):
    """Under the language rule, whether some run of a session could ever be understood by a person:
    in their language, or interpretable by some interpreter into one of theirs."""
    if not problem.language_rule:
        return lambda p, sid: True
    sessions = {s.id: s for s in problem.sessions}

    def followable(p, sid: str) -> bool:
        s = sessions[sid]
        langs = set(p.languages)
        return (not langs or s.language in langs
                or s.interpretation and any(x.into(s.language) & langs for x in problem.interpreters))
    return followable


__all__ = ["Score", "Violation", "attendable_for", "find_violations", "score", "upper_bound"]
