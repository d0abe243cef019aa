"""The problem compiled into integer indices, and a mutable schedule with incremental scoring.

A session that may run several times has one *unit* per possible run; the search places units.
A session is placed when at least one of its units is. Halls hold either one ordinary unit or
up to `tables` table units per slot; table numbers are given at the end (`number_tables`).

The baseline and the local search both work on `Schedule`; the checker in check.py never sees
it, so a bug here shows up as a violation there.
"""

from __future__ import annotations

from collections import defaultdict

from .problem import Assignment, Interpretation, Problem


class Compiled:
    """Indices, allowed placements and vote structure, computed once per problem."""

    def __init__(self, problem: Problem, allow_runs: bool = True):
        self.problem = problem
        slots, rooms, sessions = problem.slots, problem.rooms, problem.sessions
        self.T, self.R, self.S = len(slots), len(rooms), len(sessions)
        self.slot_ix = {s.id: i for i, s in enumerate(slots)}
        self.room_ix = {r.id: i for i, r in enumerate(rooms)}
        self.session_ix = {s.id: i for i, s in enumerate(sessions)}
        self.day = [s.day for s in slots]
        self.now = self.slot_ix[problem.now] if problem.now is not None else 0
        person_ix = {p.id: i for i, p in enumerate(problem.participants)}
        self.P = len(problem.participants)
        self.length = [s.length for s in sessions]
        self.capacity = [r.capacity for r in rooms]
        self.tables = [r.tables for r in rooms]
        self.at_table = [s.at_table for s in sessions]
        self.after = [self.session_ix[s.after] if s.after is not None else -1 for s in sessions]
        self.followers: list[list[int]] = [[] for _ in range(self.S)]  # sessions that come after this one
        for si, a in enumerate(self.after):
            if a >= 0:
                self.followers[a].append(si)
        self.prefer_mask = [sum(1 << self.slot_ix[x] for x in s.prefer) for s in sessions]

        self.facilitators = [[person_ix[f] for f in s.facilitators] for s in sessions]
        self.own: list[list[int]] = [[] for _ in range(self.P)]
        for si, fs in enumerate(self.facilitators):
            for p in fs:
                self.own[p].append(si)
        self.p_unavail_mask = [
            sum(1 << self.slot_ix[x] for x in p.unavailable) for p in problem.participants
        ]
        self.votes: list[list[int]] = []
        self.voters: list[list[int]] = [[] for _ in range(self.S)]
        for p, person in enumerate(problem.participants):
            mine = set(self.own[p])
            vs = [self.session_ix[v] for v in person.votes if self.session_ix[v] not in mine]
            self.votes.append(vs)
            for si in vs:
                self.voters[si].append(p)
        self.vote_count = [len(v) for v in self.voters]
        self.total_votes = sum(self.vote_count)
        # How many people each session draws, for room sizes: its expected attendance when
        # the instance gives one (head counts so far), otherwise its votes.
        self.demand = [s.expected if s.expected is not None else n
                       for s, n in zip(sessions, self.vote_count, strict=True)]
        self.span_mask = [[0] * self.T for _ in range(self.S)]
        for si in range(self.S):
            for t in range(self.T):
                self.span_mask[si][t] = ((1 << self.length[si]) - 1) << t

        # Published runs, in time order: those before `now` are pinned where they took place.
        self.previous: dict[int, list[tuple[int, int, int | None]]] = {
            self.session_ix[k]: sorted((self.slot_ix[x.slot], self.room_ix[x.room], x.table) for x in v)
            for k, v in problem.previous.items()
        }
        fixed = {self.session_ix[s.id]: (self.slot_ix[s.fixed.slot], self.room_ix[s.fixed.room], s.fixed.table)
                 for s in sessions if s.fixed is not None}
        past = {si: [x for x in runs if x[0] < self.now] for si, runs in self.previous.items()}

        # Units: as many as the session may run (once when longer than a slot, or fixed).
        self.max_runs = []
        for si, s in enumerate(sessions):
            n = s.runs if allow_runs and s.length == 1 and si not in fixed else 1
            self.max_runs.append(max(n, len(past.get(si, ()))))
        self.unit_session: list[int] = []
        self.units_of: list[list[int]] = []
        for si in range(self.S):
            self.units_of.append(list(range(len(self.unit_session), len(self.unit_session) + self.max_runs[si])))
            self.unit_session.extend([si] * self.max_runs[si])
        self.U = len(self.unit_session)
        # Participants whose voted sessions are all one slot long and run once score by a popcount
        # (over the one unit of each).
        self.simple = [all(self.length[s] == 1 and self.max_runs[s] == 1 for s in vs) for vs in self.votes]
        self.vote_units = [[self.units_of[s][0] for s in vs] for vs in self.votes]
        # Those whose voted sessions all run once (some longer): interval scheduling.
        self.single_run = [all(self.max_runs[s] == 1 for s in vs) for vs in self.votes]
        self.vote_spans = [[(self.units_of[s][0], self.span_mask[s], self.length[s] - 1) for s in vs]
                           for vs in self.votes]
        # Sessions with nothing to order: one run, no series.
        self.unordered = [self.max_runs[si] == 1 and self.after[si] < 0 and not self.followers[si]
                          for si in range(self.S)]

        # Units that stay where they are: fixed sessions, and runs that have already taken place.
        self.pinned: dict[int, tuple[int, int, int | None]] = {}
        for si, place in fixed.items():
            self.pinned[self.units_of[si][0]] = place
        for si, runs in past.items():
            if si in fixed:
                continue
            for u, place in zip(self.units_of[si], runs, strict=False):
                self.pinned[u] = place
        self.pinned_sessions = {self.unit_session[u] for u in self.pinned}
        # Published sessions still to come: their future start slots (a run elsewhere is a move),
        # and where each of their future runs was.
        self.movable_previous: dict[int, list[tuple[int, int, int | None]]] = {
            si: [x for x in runs if x[0] >= self.now] for si, runs in self.previous.items()
            if any(x[0] >= self.now for x in runs) and si not in fixed}
        self.published_future = {si: {x[0] for x in runs} for si, runs in self.movable_previous.items()}

        # Sessions whose moves or preference misses are counted.
        self.watched = [si in self.published_future or self.prefer_mask[si] != 0 for si in range(self.S)]
        self._room_unavail: list[int] | None = None
        self.allowed = [self._allowed(si) for si in range(self.S)]
        self.unit_allowed: list[dict[int, list[int]]] = []
        for u in range(self.U):
            if u in self.pinned:
                t, r, _table = self.pinned[u]
                self.unit_allowed.append({t: [r]} if self.span_ok(self.unit_session[u], t) else {})
            else:
                self.unit_allowed.append(self.allowed[self.unit_session[u]])
        self.unit_starts = [sorted(a) for a in self.unit_allowed]
        # Per session, the rooms in the order Schedule.free_room prefers them for an ordinary session
        # (big enough, not a hall, the closest capacity), so that the first free one is its choice.
        self.room_unavail = [sum(1 << self.slot_ix[x] for x in room.unavailable if x in self.slot_ix)
                             for room in rooms]
        self.room_order = [sorted({r for rs in self.allowed[si].values() for r in rs},
                                  key=lambda r, need=self.demand[si]: (
                                      self.capacity[r] < need, self.tables[r] > 0, abs(self.capacity[r] - need), r))
                           for si in range(self.S)]
        self._compile_languages(person_ix)
        # People scored live: without the language rule, their sessions all run once and all but at
        # most one are one slot long. Their attendable count is the number of slots they can reach
        # holding one of their one-slot sessions, plus one for the longer session when it is
        # reachable and overlaps none of those (taking it would otherwise cost as much as it gains).
        # Schedule keeps, per such person, how many of their one-slot sessions each slot holds, so
        # that a move updates them by a delta each, with no rescoring; the search rescores the others.
        self.long_unit = [-1] * self.P  # a live person's longer session's unit
        self.live = [False] * self.P
        for p, vs in enumerate(self.votes):
            longer = [si for si in vs if self.length[si] > 1]
            if not self.lang_rule and self.single_run[p] and len(longer) <= 1:
                self.live[p] = True
                if longer:
                    self.long_unit[p] = self.units_of[longer[0]][0]
        self.live_voters = [[p for p in vs if self.live[p]] for vs in self.voters]
        self.other_voters = [[p for p in vs if not self.live[p]] for vs in self.voters]
        self.live_facilitators = [[p for p in fs if self.live[p]] for fs in self.facilitators]

    def _compile_languages(self, person_ix: dict[str, int]) -> None:
        """Languages as bits, and the interpreters: only under the language rule (solver-io.md)."""
        problem = self.problem
        self.lang_rule = problem.language_rule
        self.I = len(problem.interpreters) if self.lang_rule else 0
        self.interp_people: list[int] = []
        if not self.lang_rule:
            return
        sessions, interpreters = problem.sessions, problem.interpreters
        names = sorted({s.language for s in sessions} | {x for p in problem.participants for x in p.languages}
                       | {x for i in interpreters for pair in i.pairs for x in pair})
        self.lang_names = names
        self.lang_bit = {name: 1 << k for k, name in enumerate(names)}
        bit = self.lang_bit
        self.session_lang = [bit[s.language] for s in sessions]
        # A person who lists no language understands every session (-1: every bit).
        self.hears = [sum(bit[x] for x in set(p.languages)) if p.languages else -1 for p in problem.participants]
        self.native = [[bool(self.hears[p] & self.session_lang[si]) for si in vs] for p, vs in enumerate(self.votes)]
        # Per session, the languages its voters who do not understand it would need.
        self.need_mask = [0] * self.S
        for p, vs in enumerate(self.votes):
            for si, ok in zip(vs, self.native[p], strict=True):
                if not ok:
                    self.need_mask[si] |= self.hears[p]
        feature = problem.interpretation_feature
        self.booth = [feature is None or feature in r.features for r in problem.rooms]
        self.interpretable = [s.interpretation for s in sessions]
        self.i_into = [[sum(bit[x] for x in i.into(s.language) if x != s.language) if s.interpretation else 0
                        for s in sessions] for i in interpreters]
        self.i_person = [person_ix[i.participant] if i.participant is not None else -1 for i in interpreters]
        self.interp_people = [p for p in self.i_person if p >= 0]
        # Not when the interpreter is away, nor (to be safe) when their participant self is.
        self.i_unavail = [sum(1 << self.slot_ix[x] for x in i.unavailable)
                          | (self.p_unavail_mask[p] if p >= 0 else 0) for i, p in zip(interpreters, self.i_person,
                                                                                     strict=True)]
        self.i_limit = [i.max_slots_per_day if i.max_slots_per_day is not None else self.T for i in interpreters]
        days = list(dict.fromkeys(self.day))
        self.day_ix = [days.index(d) for d in self.day]
        self.n_days = len(days)

    def span_ok(self, si: int, t: int) -> bool:
        last = t + self.length[si] - 1
        return last < self.T and self.day[last] == self.day[t]

    def _allowed(self, si: int) -> dict[int, list[int]]:
        """Start slot → rooms where the session may go (from `now` on), ignoring the other sessions."""
        s = self.problem.sessions[si]
        fixed = s.fixed
        if fixed is not None:
            t, r = self.slot_ix[fixed.slot], self.room_ix[fixed.room]
            return {t: [r]} if self.span_ok(si, t) else {}
        blocked = {self.slot_ix[x] for x in s.unavailable}
        for p in self.facilitators[si]:
            m = self.p_unavail_mask[p]
            blocked.update(t for t in range(self.T) if m >> t & 1)
        out: dict[int, list[int]] = {}
        if self._room_unavail is None:  # (per room, its unavailable slots as a mask: computed once)
            self._room_unavail = [sum(1 << self.slot_ix[x] for x in room.unavailable if x in self.slot_ix)
                                  for room in self.problem.rooms]
        room_unavail = self._room_unavail
        suitable = [r for r, room in enumerate(self.problem.rooms)
                    if s.needs <= room.features and (room.tables > 0 or not s.at_table)]
        for t in range(self.now, self.T):
            if not self.span_ok(si, t):
                continue
            span = range(t, t + self.length[si])
            if any(j in blocked for j in span):
                continue
            mask = self.span_mask[si][t]
            rooms = [r for r in suitable if not room_unavail[r] & mask]
            if rooms:
                out[t] = rooms
        return out


def _match(masks: list[int]) -> int:
    """The most sessions (each with the slots of its runs as a bit mask) matched to distinct slots."""
    owner: dict[int, int] = {}

    def augment(i: int, seen: list[int]) -> bool:
        m = masks[i] & ~seen[0]
        while m:
            bit = m & -m
            m ^= bit
            seen[0] |= bit
            other = owner.get(bit)
            if other is None or augment(other, seen):
                owner[bit] = i
                return True
        return False

    order = sorted(range(len(masks)), key=lambda i: masks[i].bit_count())
    return sum(1 for i in order if augment(i, [0]))


def _intervals(intervals: list[tuple[int, int]]) -> int:
    """The most (first, last) intervals that do not overlap: earliest end first is optimal."""
    count, free_from = 0, -1
    for last, first in sorted((last, first) for first, last in intervals):
        if first > free_from:
            count += 1
            free_from = last
    return count


class Schedule:
    """Start slot, room and (later) table of every unit, with occupancy tables and cached scores."""

    def __init__(self, c: Compiled):
        self.c = c
        self.start = [-1] * c.U
        self.room = [-1] * c.U
        self.table = [None] * c.U
        self.room_at = [[-1] * c.T for _ in range(c.R)]  # the ordinary unit in each room and slot
        self.at_tables: list[list[list[int]]] = [[[] for _ in range(c.T)] for _ in range(c.R)]  # table units
        self.busy = [0] * c.P  # bitmask of slots each person spends in their own sessions
        self.value = [0] * c.P
        # Live people (Compiled.live): per person and slot, how many of their sessions it holds (at
        # p * T + t), and the slots holding any as a mask; their value is kept exact on every change.
        self.count = [0] * (c.P * c.T)
        self.occupied = [0] * c.P
        self.n_placed = [0] * c.S
        self.placed = 0
        # Published sessions not where they were (dropped, or runs in other slots): all, until placed.
        self.moves_of = [0] * c.S
        for si in c.movable_previous:
            self.moves_of[si] = 1
        self.slot_moves = len(c.movable_previous)
        self.miss_of = [0] * c.S
        self.misses = 0
        self.attendable = 0
        # Interpretation (language rule only): per unit its (interpreter, language bit) pairs and
        # their languages; per interpreter the slots they work and their occupied slots per day.
        self.interp: list[list[tuple[int, int]]] = [[] for _ in range(c.U)]
        self.imask = [0] * c.U
        self.ibusy = [0] * c.I
        self.iload = [[0] * c.n_days for _ in range(c.I)]

    # Occupancy

    def room_free(self, u: int, t: int, r: int) -> bool:
        c = self.c
        si = c.unit_session[u]
        row = self.room_at[r]
        if not c.tables[r]:
            if c.length[si] == 1:
                return row[t] == -1
            return all(row[j] == -1 for j in range(t, t + c.length[si]))
        tabled = self.at_tables[r]
        if c.at_table[si]:
            n = c.tables[r]
            return all(row[j] == -1 and len(tabled[j]) < n for j in range(t, t + c.length[si]))
        return all(row[j] == -1 and not tabled[j] for j in range(t, t + c.length[si]))

    def people_free(self, si: int, t: int) -> bool:
        mask = self.c.span_mask[si][t]
        return not any(self.busy[p] & mask for p in self.c.facilitators[si])

    def order_ok(self, u: int, t: int) -> bool:
        """Another slot than the session's other runs, and after/before its series partners."""
        c, start = self.c, self.start
        si = c.unit_session[u]
        if c.unordered[si]:
            return True
        for v in c.units_of[si]:
            if v != u and start[v] == t:
                return False
        a = c.after[si]
        if a >= 0:
            la = c.length[a] - 1
            for v in c.units_of[a]:
                if start[v] >= 0 and t <= start[v] + la:
                    return False
        if c.followers[si]:
            last = t + c.length[si] - 1
            for b in c.followers[si]:
                for v in c.units_of[b]:
                    if start[v] >= 0 and start[v] <= last:
                        return False
        return True

    def can_place(self, u: int, t: int, r: int) -> bool:
        rooms = self.c.unit_allowed[u].get(t)
        si = self.c.unit_session[u]
        return (rooms is not None and r in rooms and self.room_free(u, t, r)
                and self.people_free(si, t) and self.order_ok(u, t))

    def free_room(self, u: int, t: int, prefer: int = -1) -> int:
        """A room the unit can use at t, or -1. Keeps big, well-equipped rooms and empty halls free."""
        c = self.c
        si = c.unit_session[u]
        rooms = c.unit_allowed[u].get(t)
        if rooms is None or not self.people_free(si, t) or not self.order_ok(u, t):
            return -1
        if prefer in rooms and self.room_free(u, t, prefer):
            return prefer
        best, best_key = -1, None
        if c.at_table[si]:
            for r in rooms:
                if self.room_free(u, t, r):
                    key = (not self.at_tables[r][t], -len(self.at_tables[r][t]), r)  # fill a hall at tables first
                    if best_key is None or key < best_key:
                        best, best_key = r, key
            return best
        if u not in c.pinned:  # its rooms at t: those of its session's order available then
            span = c.span_mask[si][t]
            unavailable, room_at, one = c.room_unavail, self.room_at, c.length[si] == 1
            for r in c.room_order[si]:
                if not unavailable[r] & span and (room_at[r][t] == -1 if one and not c.tables[r]
                                                  else self.room_free(u, t, r)):
                    return r
            return -1
        need = c.demand[si]
        for r in rooms:
            if self.room_free(u, t, r):
                cap = c.capacity[r]
                key = (cap < need, c.tables[r] > 0, abs(cap - need))
                if best_key is None or key < best_key:
                    best, best_key = r, key
        return best

    def occupants(self, u: int, t: int, r: int) -> list[int]:
        """The units a unit would have to push out of room r at t."""
        c = self.c
        si = c.unit_session[u]
        out: set[int] = set()
        for j in range(t, t + c.length[si]):
            if self.room_at[r][j] >= 0:
                out.add(self.room_at[r][j])
            here = self.at_tables[r][j]
            if here and (not c.at_table[si] or len(here) >= c.tables[r]):
                out.update(here if not c.at_table[si] else here[-1:])
        return list(out)

    # Changes (scores are refreshed by the caller through `rescore`)

    def put(self, u: int, t: int, r: int) -> None:
        c = self.c
        si = c.unit_session[u]
        self.start[u], self.room[u] = t, r
        if c.at_table[si]:
            for j in range(t, t + c.length[si]):
                self.at_tables[r][j].append(u)
        else:
            for j in range(t, t + c.length[si]):
                self.room_at[r][j] = u
        mask = c.span_mask[si][t]
        for p in c.facilitators[si]:
            self.busy[p] |= mask
        self.n_placed[si] += 1
        if self.n_placed[si] == 1:
            self.placed += 1
        self._refresh(si)
        if c.length[si] == 1:
            self._live_put(c.live_voters[si], t)
        else:
            self._live_long(c.live_voters[si])
        for p in c.live_facilitators[si]:
            self._live_refresh(p)

    def take(self, u: int) -> tuple[int, int]:
        """Unschedule a unit; its interpreters are released."""
        c = self.c
        si = c.unit_session[u]
        for i, b in list(self.interp[u]):
            self.uninterpret(u, i, b)
        t, r = self.start[u], self.room[u]
        if c.at_table[si]:
            for j in range(t, t + c.length[si]):
                self.at_tables[r][j].remove(u)
        else:
            for j in range(t, t + c.length[si]):
                self.room_at[r][j] = -1
        mask = c.span_mask[si][t]
        for p in c.facilitators[si]:
            self.busy[p] &= ~mask
        self.start[u] = self.room[u] = -1
        self.table[u] = None
        self.n_placed[si] -= 1
        if self.n_placed[si] == 0:
            self.placed -= 1
        self._refresh(si)
        if c.length[si] == 1:
            self._live_take(c.live_voters[si], t)
        else:
            self._live_long(c.live_voters[si])
        for p in c.live_facilitators[si]:
            self._live_refresh(p)
        return t, r

    # Live people: a placed or removed one-slot session changes each voter's count in one slot.

    def _live_put(self, voters: list[int], t: int) -> None:
        count, occupied, busy, unavail = self.count, self.occupied, self.busy, self.c.p_unavail_mask
        T, bit, changed = self.c.T, 1 << t, []
        for p in voters:
            k = p * T + t
            count[k] += 1
            if count[k] == 1:
                occupied[p] |= bit
                if not (busy[p] | unavail[p]) & bit:
                    changed.append(p)
        if changed:
            self._live_slot(changed, bit)

    def _live_take(self, voters: list[int], t: int) -> None:
        count, occupied, busy, unavail = self.count, self.occupied, self.busy, self.c.p_unavail_mask
        T, bit, changed = self.c.T, 1 << t, []
        for p in voters:
            k = p * T + t
            count[k] -= 1
            if not count[k]:
                occupied[p] &= ~bit
                if not (busy[p] | unavail[p]) & bit:
                    changed.append(p)
        if changed:
            self._live_slot(changed, bit)

    def _live_slot(self, people: list[int], bit: int) -> None:
        """These people gained or lost a reachable slot (bit) with one of their one-slot sessions."""
        c, start, occupied, value, busy = self.c, self.start, self.occupied, self.value, self.busy
        unavail, span_mask, unit_session, long_unit = c.p_unavail_mask, c.span_mask, c.unit_session, c.long_unit
        change = 0
        for p in people:
            u = long_unit[p]
            if u < 0:  # one more or one fewer
                v = value[p] + (1 if occupied[p] & bit else -1)
            else:
                blocked = busy[p] | unavail[p]
                reach = occupied[p] & ~blocked
                v = reach.bit_count()
                t = start[u]
                if t >= 0 and not span_mask[unit_session[u]][t] & (blocked | reach):
                    v += 1
            change += v - value[p]
            value[p] = v
        self.attendable += change

    def _live_long(self, voters: list[int]) -> None:
        """A longer session moved: _live_refresh for each of its live voters, inlined (it is hot)."""
        c, start, occupied, value, busy = self.c, self.start, self.occupied, self.value, self.busy
        unavail, span_mask, unit_session, long_unit = c.p_unavail_mask, c.span_mask, c.unit_session, c.long_unit
        change = 0
        for p in voters:
            blocked = busy[p] | unavail[p]
            reach = occupied[p] & ~blocked
            v = reach.bit_count()
            u = long_unit[p]
            t = start[u]
            if t >= 0 and not span_mask[unit_session[u]][t] & (blocked | reach):
                v += 1
            change += v - value[p]
            value[p] = v
        self.attendable += change

    def _live_refresh(self, p: int) -> None:
        """A live person's value from their counts (Compiled.live), after anything of theirs changed."""
        c = self.c
        blocked = self.busy[p] | c.p_unavail_mask[p]
        reach = self.occupied[p] & ~blocked
        v = reach.bit_count()
        u = c.long_unit[p]
        if u >= 0 and self.start[u] >= 0:
            span = c.span_mask[c.unit_session[u]][self.start[u]]
            if not span & (blocked | reach):
                v += 1
        self.attendable += v - self.value[p]
        self.value[p] = v

    # Interpretation

    def can_interpret(self, u: int, i: int, b: int) -> bool:
        """Interpreter i may interpret placed unit u into the language of bit b (rules 8–10)."""
        c = self.c
        t = self.start[u]
        # (A run that has already taken place keeps what it had: nothing is added to the past.)
        if t < c.now or self.imask[u] & b or not c.booth[self.room[u]]:
            return False
        si = c.unit_session[u]
        if not c.i_into[i][si] & b:
            return False
        mask = c.span_mask[si][t]
        if (self.ibusy[i] | c.i_unavail[i]) & mask:
            return False
        p = c.i_person[i]
        if p >= 0 and self.busy[p] & mask:
            return False
        return self.iload[i][c.day_ix[t]] + c.length[si] <= c.i_limit[i]

    def interpret(self, u: int, i: int, b: int) -> None:
        c = self.c
        si, t = c.unit_session[u], self.start[u]
        mask = c.span_mask[si][t]
        self.interp[u].append((i, b))
        self.imask[u] |= b
        self.ibusy[i] |= mask
        self.iload[i][c.day_ix[t]] += c.length[si]
        p = c.i_person[i]
        if p >= 0:
            self.busy[p] |= mask  # interpreting, they attend and facilitate nothing else

    def uninterpret(self, u: int, i: int, b: int) -> None:
        c = self.c
        si, t = c.unit_session[u], self.start[u]
        mask = c.span_mask[si][t]
        self.interp[u].remove((i, b))
        self.imask[u] = 0
        for _, other in self.interp[u]:
            self.imask[u] |= other
        self.ibusy[i] &= ~mask
        self.iload[i][c.day_ix[t]] -= c.length[si]
        p = c.i_person[i]
        if p >= 0:
            self.busy[p] &= ~mask

    def _refresh(self, si: int) -> None:
        """Moves and preference misses of one session, after one of its runs changed."""
        c = self.c
        if not c.watched[si]:
            return
        starts = [self.start[v] for v in c.units_of[si] if self.start[v] >= 0]
        published = c.published_future.get(si)
        if published is None:
            moves = 0
        elif not starts:
            moves = 1
        else:
            moves = sum(1 for t in starts if t >= c.now and t not in published)
        self.slot_moves += moves - self.moves_of[si]
        self.moves_of[si] = moves
        mask = c.prefer_mask[si]
        miss = 1 if mask and any(not mask >> t & 1 for t in starts) else 0
        self.misses += miss - self.miss_of[si]
        self.miss_of[si] = miss

    def affected(self, units) -> set[int]:
        """The people to rescore after these units changed (live people are already up to date)."""
        c = self.c
        out: set[int] = set(c.interp_people)  # (released or newly busy interpreters)
        live = c.live
        for u in units:
            si = c.unit_session[u]
            out.update(c.other_voters[si])
            out.update(p for p in c.facilitators[si] if not live[p])
        return out

    def person_value(self, p: int) -> int:
        """How many of their voted sessions a person can attend (one run each, none overlapping)."""
        blocked = self.busy[p] | self.c.p_unavail_mask[p]
        if self.c.lang_rule:
            return self._general_value(p, blocked, self.c.hears[p])
        if self.c.simple[p]:
            return self._simple_value(p, blocked)
        if self.c.single_run[p]:
            return self._single_run_value(p, blocked)
        return self._general_value(p, blocked, -1)

    def _simple_value(self, p: int, blocked: int) -> int:
        """Only one-slot sessions that run once: the distinct free slots they are in."""
        c, start = self.c, self.start
        seen = 0
        for u in c.vote_units[p]:
            t = start[u]
            if t >= 0:
                bit = 1 << t
                if not bit & blocked:
                    seen |= bit
        return seen.bit_count()

    def _single_run_value(self, p: int, blocked: int) -> int:
        """Sessions that run once: the most intervals that do not overlap."""
        c, start = self.c, self.start
        intervals = []
        for u, masks, extra in c.vote_spans[p]:
            t = start[u]
            if t >= 0 and not masks[t] & blocked:
                intervals.append((t + extra, t))
        intervals.sort()
        count, free_from = 0, -1
        for last, first in intervals:
            if first > free_from:
                count += 1
                free_from = last
        return count

    def _general_value(self, p: int, blocked: int, hears: int) -> int:
        """person_value for any mix of runs and lengths; only runs the person understands count
        (hears: their languages as bits, -1 for all)."""
        c, start = self.c, self.start
        native = c.native[p] if c.lang_rule else None
        singles: list[tuple[int, int]] = []  # sessions with one run this person can reach
        multi: list[int] = []  # one-slot sessions with several: the slots as a mask
        for k, si in enumerate(c.votes[p]):
            mask = 0
            first = -1
            n = 0
            heard = native is None or native[k]
            for v in c.units_of[si]:
                t = start[v]
                if t >= 0 and not c.span_mask[si][t] & blocked and (heard or self.imask[v] & hears):
                    mask |= 1 << t
                    first = t
                    n += 1
            if n == 1:
                singles.append((first, first + c.length[si] - 1))
            elif n > 1:
                multi.append(mask)
        if not multi:
            return _intervals(singles)
        units = multi + [1 << f for f, last in singles if f == last]
        longer = [(f, last) for f, last in singles if f != last]
        if not longer:
            return _match(units)
        # Longer sessions run once: those that touch nothing else are simply taken; for the rest,
        # each way of taking or leaving them (a person votes for few of them).
        others = 0
        for m in units:
            others |= m
        spans = [((1 << (last - f + 1)) - 1) << f for f, last in longer]
        sure, doubtful = 0, []
        for i, span in enumerate(spans):
            clash = others & span or any(j != i and spans[j] & span for j in range(len(spans)))
            if clash:
                doubtful.append(span)
            else:
                sure += 1
        if len(doubtful) > 8:  # an estimate for the search; the checker counts exactly
            doubtful = doubtful[:8]
        best = 0
        for choice in range(1 << len(doubtful)):
            used, taken, ok = 0, 0, True
            for i, span in enumerate(doubtful):
                if choice >> i & 1:
                    if used & span:
                        ok = False
                        break
                    used |= span
                    taken += 1
            if ok:
                best = max(best, taken + _match([m & ~used for m in units]))
        return sure + best

    def rescore(self, people) -> int:
        """Refresh cached values of these people; return the change in attendable votes."""
        delta = 0
        value = self.value
        for p in people:
            v = self.person_value(p)
            delta += v - value[p]
            value[p] = v
        self.attendable += delta
        return delta

    def rescore_all(self) -> None:
        self.value = [self.person_value(p) for p in range(self.c.P)]
        self.attendable = sum(self.value)

    def penalty(self) -> int:
        """What moves and preference misses cost, in attendable votes."""
        problem = self.c.problem
        return problem.move_cost * self.slot_moves + problem.prefer_cost * self.misses

    def objective(self, place_weight: int) -> int:
        """Placed sessions first, then attendable votes less moves (a dropped published session
        counts as moved) and preference misses."""
        return place_weight * self.placed + self.attendable - self.penalty()

    def copy_placement(self) -> list[tuple]:
        """(start, room) of every unit, and its interpreters when there are any."""
        if not self.c.I:
            return list(zip(self.start, self.room, strict=True))
        return [(t, r, tuple(x)) for t, r, x in zip(self.start, self.room, self.interp, strict=True)]

    def load_placement(self, placement: list[tuple]) -> None:
        for u in range(self.c.U):
            if self.start[u] >= 0:
                self.take(u)
        for u, (t, r, *_) in enumerate(placement):
            if t >= 0:
                self.put(u, t, r)
        for u, (t, _r, *rest) in enumerate(placement):
            for i, b in rest[0] if rest and t >= 0 else ():
                self.interpret(u, i, b)
        self.rescore_all()

    def assignments(self) -> tuple[list[Assignment], list[str]]:
        p, c = self.c.problem, self.c
        done, left = [], []
        for si, s in enumerate(p.sessions):
            units = sorted((self.start[u], u) for u in c.units_of[si] if self.start[u] >= 0)
            if not units:
                left.append(s.id)
            for t, u in units:
                interpretation = tuple(Interpretation(p.interpreters[i].id, c.lang_names[b.bit_length() - 1])
                                       for i, b in sorted(self.interp[u]))
                done.append(Assignment(s.id, p.slots[t].id, p.rooms[self.room[u]].id, self.table[u],
                                       interpretation))
        return done, left


def number_tables(sched: Schedule) -> None:
    """Give every table unit a numbered table of its hall, so that signs can be printed:
    published runs keep their number where they can, the rest get the lowest free one."""
    c = sched.c
    by_hall: dict[int, list[int]] = defaultdict(list)
    for u in range(c.U):
        if sched.start[u] >= 0 and c.at_table[c.unit_session[u]]:
            by_hall[sched.room[u]].append(u)
    for r, units in by_hall.items():
        wished: dict[int, int] = {}
        for u in units:
            si, t = c.unit_session[u], sched.start[u]
            place = c.pinned.get(u)
            if place is not None and place[2]:
                wished[u] = place[2]
                continue
            for pt, pr, ptable in c.previous.get(si, ()):
                if pt == t and pr == r and ptable:
                    wished[u] = ptable
        if not _number(sched, r, units, wished):
            # Kept numbers left a longer session no table free in all its slots: number the hall
            # afresh, in order of start (which always fits, as no slot has more units than tables).
            _number(sched, r, units, {})


def _number(sched: Schedule, r: int, units: list[int], wished: dict[int, int]) -> bool:
    c = sched.c
    taken: dict[int, set[int]] = defaultdict(set)  # slot → tables in use
    for u in sorted(units, key=lambda u: (u not in wished, sched.start[u], u)):
        span = range(sched.start[u], sched.start[u] + c.length[c.unit_session[u]])
        want = wished.get(u)
        if want is not None and want <= c.tables[r] and not any(want in taken[j] for j in span):
            number = want
        else:
            number = next((k for k in range(1, c.tables[r] + 1) if not any(k in taken[j] for j in span)), None)
            if number is None:
                return False
        sched.table[u] = number
        for j in span:
            taken[j].add(number)
    return True


def co_votes(c: Compiled) -> list[dict[int, int]]:
    """For each session, how many people voted for both it and each other session."""
    out: list[dict[int, int]] = [defaultdict(int) for _ in range(c.S)]
    for vs in c.votes:
        for a in vs:
            row = out[a]
            for b in vs:
                if a != b:
                    row[b] += 1
    return out
