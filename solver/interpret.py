"""Interpreters given greedily to the runs where they unlock most votes, and why votes stay not understood.

Both work on a `Schedule` under the language rule (solver-io.md): the greedy pass finishes the
search's schedule and, after the spec's greedy placement, is the two-step reference of the benchmark.
"""

from __future__ import annotations

from collections import defaultdict

from .data import Schedule
from .problem import Reason


def _bits(mask: int):
    while mask:
        b = mask & -mask
        mask ^= b
        yield b


def _gain(sched: Schedule, u: int, i: int, b: int) -> int:
    """Attendable votes won by interpreter i interpreting unit u into language b (then undone)."""
    c = sched.c
    si = c.unit_session[u]
    people = [p for p in c.voters[si] if c.hears[p] & b] + c.interp_people
    sched.interpret(u, i, b)
    gain = sched.rescore(people)
    sched.uninterpret(u, i, b)
    sched.rescore(people)
    return gain


def fill_interpreters(sched: Schedule) -> int:
    """Add, one at a time, the interpreter for the run that gains most attendable votes, while any gains.

    Returns how many were added.
    """
    c = sched.c
    if not c.I:
        return 0
    added = 0
    while True:
        best = None
        for u in range(c.U):
            if sched.start[u] < 0:
                continue
            si = c.unit_session[u]
            for i in range(c.I):
                for b in _bits(c.i_into[i][si] & c.need_mask[si] & ~sched.imask[u]):
                    if sched.can_interpret(u, i, b):
                        gain = _gain(sched, u, i, b)
                        if gain > 0 and (best is None or gain > best[0]):
                            best = (gain, u, i, b)
        if best is None:
            return added
        _, u, i, b = best
        sched.interpret(u, i, b)
        sched.rescore(sched.affected([u]))
        added += 1


def language_reasons(sched: Schedule) -> list[Reason]:
    """Why votes for scheduled sessions stay not understood, one record per session and languages.

    Codes: interpretation_not_wanted (the session asks for none), no_interpreter_for_languages (no
    interpreter has a pair from its language into the voters' languages: no schedule could help),
    no_room_for_interpretation (no room has the feature), interpreters_busy (there are interpreters,
    but all were busy, at their daily limit or away when it runs). `needs` holds the session's
    language then the voters'; `numbers` the count of votes.
    """
    c = sched.c
    if not c.lang_rule:
        return []
    problem = c.problem
    counts: dict[tuple[str, int, tuple[str, ...]], int] = defaultdict(int)
    for p, votes in enumerate(c.votes):
        hears = c.hears[p]
        for si, native in zip(votes, c.native[p], strict=True):
            if native or not sched.n_placed[si]:
                continue
            if any(sched.start[v] >= 0 and sched.imask[v] & hears for v in c.units_of[si]):
                continue
            if not c.interpretable[si]:
                code = "interpretation_not_wanted"
            elif not any(c.i_into[i][si] & hears for i in range(c.I)):
                code = "no_interpreter_for_languages"
            elif not any(c.booth):
                code = "no_room_for_interpretation"
            else:
                code = "interpreters_busy"
            langs = tuple(sorted(problem.participants[p].languages))
            counts[(code, si, langs)] += 1
    return [Reason(code, (problem.sessions[si].id,), needs=(problem.sessions[si].language, *langs), numbers=(n,))
            for (code, si, langs), n in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2]))]
