"""Random instances of any size and shape, for tests and benchmarks beyond the public files."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import date, timedelta

from .problem import Interpreter, Participant, Placement, Problem, Room, Session, Slot

TIMES = ["09:00", "11:00", "13:30", "15:30", "17:15", "19:00"]


def generate(
    sessions: int = 80, participants: int = 200, days: int = 3, slots_per_day: int = 4,
    rooms: int = 8, seed: int = 1, resolve: bool = False, votes_per_person: float = 8.0,
    interpreters: int = 0,
) -> Problem:
    """A random event; with `interpreters`, a trilingual one under the language rule (en, es, fr in
    about equal shares, people voting across languages too, a few rooms with booths)."""
    rng = random.Random(seed)  # noqa: S311 (generated instances, not secrets)
    trilingual = interpreters > 0
    slots = []
    first = date(2017, 11, 7)
    for d in range(days):
        day = (first + timedelta(days=d)).isoformat()
        for k in range(slots_per_day):
            start = TIMES[k % len(TIMES)]
            slots.append(Slot(f"d{d + 1}-{k + 1}", day, start, ""))
    slot_ids = [s.id for s in slots]

    hall = frozenset({"projector", "interpretation", "step-free"})
    room_list = [Room("r1", max(100, participants // 3), hall)]
    for i in range(2, rooms + 1):
        features = set()
        if rng.random() < 0.7:
            features.add("projector")
        if rng.random() < 0.6:
            features.add("step-free")
        capacity = rng.choice([12, 20, 25, 30, 40, 60, 80])
        unavailable = frozenset(rng.sample(slot_ids, k=min(len(slot_ids), rng.randint(0, 2))))
        room_list.append(Room(f"r{i}", capacity, frozenset(features), unavailable))

    people = [f"p{i + 1}" for i in range(participants)]
    session_list = [
        Session("s1", "Opening circle", 1, "en", frozenset({"interpretation"}), (people[0],),
                frozenset(), Placement(slot_ids[0], "r1")),
        Session("s2", "Closing circle", 1, "en", frozenset({"interpretation"}), (people[0],),
                frozenset(), Placement(slot_ids[-1], "r1")),
    ]
    topics = ["Campaign lab", "Skillshare", "Working session", "Legal workshop", "Story circle",
              "Data security", "Mobile organising", "Climate action"]
    for i in range(3, sessions + 1):
        needs = set()
        if rng.random() < 0.3:
            needs.add("projector")
        if rng.random() < 0.05:
            needs.add("step-free")
        k = 1 if rng.random() < 0.75 else rng.randint(2, 3)
        facs = tuple(rng.sample(people, k))
        unavailable = frozenset(rng.sample(slot_ids, 1)) if rng.random() < 0.1 else frozenset()
        language = rng.choices(["en", "es", "fr"], [0.5, 0.25, 0.25] if trilingual else [0.75, 0.15, 0.1])[0]
        session_list.append(Session(
            f"s{i}", f"{rng.choice(topics)} {i}", 2 if rng.random() < 0.08 else 1, language,
            frozenset(needs), facs, unavailable, None))

    popularity = [rng.paretovariate(1.5) for _ in session_list]
    person_list = []
    for pid in people:
        langs = ["en"] if rng.random() < (0.35 if trilingual else 0.6) else rng.choice(
            [["en", "es"], ["en", "fr"], ["es"], ["fr"]])
        open_sessions = [i for i, s in enumerate(session_list) if s.fixed is None]
        if trilingual:  # people also want sessions in languages they do not speak
            candidates = open_sessions
            weights = [popularity[i] * (1.0 if session_list[i].language in langs else 0.5) for i in candidates]
        else:
            candidates = [i for i in open_sessions if session_list[i].language in langs] or open_sessions
            weights = [popularity[i] for i in candidates]
        n = max(0, min(len(candidates), int(rng.gauss(votes_per_person, 2))))
        chosen: set[int] = set()
        while len(chosen) < n:
            chosen.add(rng.choices(candidates, weights)[0])
        unavailable = frozenset(rng.sample(slot_ids, 2)) if rng.random() < 0.15 else frozenset()
        person_list.append(Participant(pid, tuple(langs), unavailable,
                                       tuple(session_list[i].id for i in sorted(chosen))))

    problem = Problem(tuple(slots), tuple(room_list), tuple(session_list), tuple(person_list),
                      name=f"generated-{seed}", timezone="Africa/Nairobi")
    if trilingual:
        problem = _with_interpreters(problem, interpreters, random.Random(seed + 1))  # noqa: S311
    if not resolve:
        return problem
    return _as_resolve(problem, rng, slots_per_day)


XL_TIMES = ["09:00", "10:15", "11:30", "12:45", "14:00", "15:15", "16:30", "17:45"]


def scaled(participants: int = 5000, seed: int = 1, votes_per_person: float = 8.0) -> Problem:
    """A FOSDEM-sized event (the `xl` preset at 5,000 participants): 4 days of 8 slots, sessions
    (0.3 per participant) and rooms (60 per 5,000, 40 to 1,000 seats) in proportion, a plenary
    opening and closing each day in the biggest room, votes skewed (a few very popular sessions,
    a long tail) as in the benchmarks."""
    rng = random.Random(seed)  # noqa: S311 (generated instances, not secrets)
    n_sessions = max(20, round(participants * 0.3))
    n_rooms = max(6, round(participants * 0.012))
    slots = [Slot(f"d{d + 1}-{k + 1}", (date(2017, 11, 7) + timedelta(days=d)).isoformat(), start, "")
             for d in range(4) for k, start in enumerate(XL_TIMES)]
    slot_ids = [s.id for s in slots]
    sizes = [40, 40, 50, 60, 60, 80, 100, 120, 150, 200, 300]
    room_list = [Room("r1", 1000, frozenset({"projector", "interpretation", "step-free"}))]
    for i in range(2, n_rooms + 1):
        features = {f for f, share in (("projector", 0.8), ("step-free", 0.7)) if rng.random() < share}
        unavailable = frozenset(rng.sample(slot_ids, k=rng.randint(0, 2)))
        room_list.append(Room(f"r{i}", rng.choice(sizes), frozenset(features), unavailable))
    people = [f"p{i + 1}" for i in range(participants)]
    session_list = []
    for d in range(4):  # plenaries: each morning's first slot and each evening's last, in the big room
        for k, title in ((0, "Morning plenary"), (7, "Evening plenary")):
            session_list.append(Session(f"plenary-{d + 1}-{k + 1}", f"{title}, day {d + 1}", 1, "en",
                                        frozenset({"projector"}), (people[d],), frozenset(),
                                        Placement(slot_ids[d * 8 + k], "r1")))
    topics = ["Lightning talk", "Devroom talk", "Workshop", "BoF", "Hackathon", "Panel", "Keynote", "Demo"]
    while len(session_list) < n_sessions:
        i = len(session_list) + 1
        needs = {"projector"} if rng.random() < 0.4 else set()
        if rng.random() < 0.03:
            needs.add("step-free")
        facs = tuple(rng.sample(people, 1 if rng.random() < 0.8 else rng.randint(2, 3)))
        unavailable = frozenset(rng.sample(slot_ids, rng.randint(1, 3))) if rng.random() < 0.15 else frozenset()
        session_list.append(Session(f"s{i}", f"{rng.choice(topics)} {i}", 2 if rng.random() < 0.08 else 1,
                                    "en", frozenset(needs), facs, unavailable, None))
    popularity = [rng.paretovariate(1.5) for _ in session_list]
    open_sessions = [i for i, s in enumerate(session_list) if s.fixed is None]
    weights = [popularity[i] for i in open_sessions]
    cumulative = list(itertools.accumulate(weights))
    person_list = []
    for pid in people:
        n = max(0, min(len(open_sessions), int(rng.gauss(votes_per_person, 2))))
        chosen: set[int] = set()
        while len(chosen) < n:
            chosen.add(rng.choices(open_sessions, cum_weights=cumulative)[0])
        unavailable = frozenset(rng.sample(slot_ids, rng.randint(2, 6))) if rng.random() < 0.15 else frozenset()
        if pid in people[:4]:  # the plenaries' hosts are there throughout
            unavailable = frozenset()
        person_list.append(Participant(pid, ("en",), unavailable,
                                       tuple(session_list[i].id for i in sorted(chosen))))
    return Problem(tuple(slots), tuple(room_list), tuple(session_list), tuple(person_list),
                   name=f"xl-{participants}-{seed}", timezone="Europe/Brussels")


def _with_interpreters(problem: Problem, n: int, rng: random.Random) -> Problem:
    """The language rule, n interpreters (one of them also a participant), booths in a third of the rooms."""
    feature = "interpretation"
    rooms = list(problem.rooms)
    for k in range(1, len(rooms)):
        if k % 3 == 0:
            rooms[k] = replace(rooms[k], features=rooms[k].features | {feature})
    sessions = tuple(replace(s, interpretation=False) if s.fixed is None and rng.random() < 0.05 else s
                     for s in problem.sessions)
    pairs = [[("en", "es")], [("en", "fr")], [("en", "es"), ("en", "fr")], [("es", "fr")], [("en", "es")],
             [("en", "fr"), ("es", "fr")]]
    slot_ids = [s.id for s in problem.slots]
    facilitating = {f for s in sessions for f in s.facilitators}
    free = [p.id for p in problem.participants if p.id not in facilitating and len(p.languages) > 1]
    interpreters = []
    for k in range(n):
        person = free[0] if k == n - 1 and free else None
        interpreters.append(Interpreter(
            f"i{k + 1}", tuple(pairs[k % len(pairs)]), frozenset(rng.sample(slot_ids, rng.randint(0, 2))),
            max_slots_per_day=rng.choice([2, 3, 3, None]), participant=person))
    return replace(problem, rooms=tuple(rooms), sessions=sessions, language_rule=True,
                   interpreters=tuple(interpreters), interpretation_feature=feature,
                   name=problem.name + "-trilingual")


def _as_resolve(problem: Problem, rng: random.Random, slots_per_day: int) -> Problem:
    """Publish the baseline schedule of most sessions, then let a day pass and new ones arrive."""
    from .baseline import baseline
    from .data import Compiled

    n_new = max(1, len(problem.sessions) // 8)
    old = problem.sessions[:-n_new]
    published = replace(problem, sessions=old, participants=tuple(
        replace(p, votes=tuple(v for v in p.votes if v in {s.id for s in old}))
        for p in problem.participants))
    sched = baseline(Compiled(published))
    assignments, _ = sched.assignments()
    previous = {a.session: Placement(a.slot, a.room) for a in assignments}
    now = problem.slots[min(slots_per_day, len(problem.slots) - 1)].id
    return replace(problem, previous=previous, now=now, move_cost=5, name=problem.name + "-resolve")


BAZAAR = ["Seed library network", "Community radio kit", "Open maps for land rights", "Street theatre troupe",
          "Solar for clinics", "Fact-checking desk", "Secure phones clinic", "Youth vote caravan",
          "Water defenders", "Fair fashion pledge", "Tenant unions", "Refugee welcome", "Forest monitors",
          "Citizen budget watch"]
SKILLS = ["Writing a press release", "Facilitating in two languages", "Safer WhatsApp groups", "Budgeting a campaign",
          "Filming on a phone", "Power mapping", "Petition strategy", "Fundraising from small donors",
          "Data for campaigners", "Talking to journalists", "Designing a protest", "Volunteer onboarding",
          "Storytelling", "Online security basics", "Coalition agreements"]


def campaigncon(seed: int = 2017, participants: int = 112) -> Problem:
    """A CampaignCon-like event of the seed's formats: a hall with 16 tables and five rooms over
    three days (10 slots); 92 sessions, 59 at tables (14 bazaar pitches that may run 3 times,
    45 skillshares), a 2-part series, two fixed plenaries in the hall, a dozen preferred times."""
    rng = random.Random(seed)  # noqa: S311 (generated instances, not secrets)
    days = [("2017-11-07", ["09:00", "11:00", "14:00", "16:00"]), ("2017-11-08", ["09:00", "11:00", "14:00",
                                                                                  "16:00"]),
            ("2017-11-09", ["09:00", "11:00"])]
    slots = [Slot(f"d{d + 1}-{k + 1}", day, start, "") for d, (day, starts) in enumerate(days)
             for k, start in enumerate(starts)]
    slot_ids = [s.id for s in slots]
    rooms = [Room("hall", 200, frozenset({"projector", "interpretation", "step-free"}), tables=16),
             Room("garden", 60, frozenset({"step-free"})),
             Room("room-a", 40, frozenset({"projector", "step-free"})),
             Room("room-b", 30, frozenset({"projector"})),
             Room("room-c", 25, frozenset()),
             Room("room-d", 15, frozenset({"step-free"}))]
    people = [f"p{i + 1}" for i in range(participants)]
    teachers = rng.sample(people[2:], len(people) - 2)
    sessions = [
        Session("opening", "Opening plenary", 1, "en", frozenset({"interpretation"}), (people[0],),
                fixed=Placement(slot_ids[0], "hall")),
        Session("closing", "Closing circle", 1, "en", frozenset({"interpretation"}), (people[1],),
                fixed=Placement(slot_ids[-1], "hall")),
    ]
    n = 0

    def hosts(k: int) -> tuple[str, ...]:
        nonlocal n
        out = tuple(teachers[(n + i) % len(teachers)] for i in range(k))
        n += k
        return out

    languages = ["en", "en", "en", "es", "fr"]
    for i, title in enumerate(BAZAAR):
        sessions.append(Session(f"bazaar-{i + 1}", title, 1, rng.choice(languages), frozenset(), hosts(2),
                                at_table=True, runs=3))
    for i in range(45):
        title = f"{SKILLS[i % len(SKILLS)]} ({i // len(SKILLS) + 1})"
        sessions.append(Session(f"skill-{i + 1}", title, 1, rng.choice(languages), frozenset(),
                                hosts(1 if rng.random() < 0.8 else 2), at_table=True))
    sessions.append(Session("series-1", "Campaign strategy, part 1", 1, "en", frozenset({"projector"}), hosts(2)))
    sessions.append(Session("series-2", "Campaign strategy, part 2", 1, "en", frozenset({"projector"}),
                            sessions[-1].facilitators, after="series-1"))
    topics = ["Working session", "Campaign lab", "Legal clinic", "Story circle", "Digital security",
              "Climate action", "Organising online", "Wellbeing"]
    while len(sessions) < 92:
        i = len(sessions)
        length = 2 if rng.random() < 0.15 else 1
        needs = frozenset({"projector"}) if rng.random() < 0.3 else frozenset()
        sessions.append(Session(f"s{i}", f"{rng.choice(topics)} {i}", length, rng.choice(languages), needs,
                                hosts(1 if rng.random() < 0.7 else 2)))
    # A dozen sessions whose facilitators prefer some times (mornings, the first day, …).
    for i in rng.sample(range(2, len(sessions)), 12):
        s = sessions[i]
        choice = rng.choice([[x for x in slot_ids if x.endswith(("-1", "-2"))],
                             [x for x in slot_ids if x.startswith("d1")],
                             [x for x in slot_ids if x.startswith("d2")],
                             rng.sample(slot_ids[1:-1], 3)])
        sessions[i] = replace(s, prefer=frozenset(choice))

    popularity = [rng.paretovariate(1.4) for _ in sessions]
    for i, s in enumerate(sessions):
        if s.runs > 1:
            popularity[i] *= 2.5  # the bazaar draws crowds: that is why pitches are repeated
    person_list = []
    open_sessions = [i for i, s in enumerate(sessions) if s.fixed is None]
    for pid in people:
        langs = ["en"] if rng.random() < 0.55 else rng.choice([["en", "es"], ["en", "fr"], ["es"], ["fr"]])
        candidates = [i for i in open_sessions if sessions[i].language in langs]
        weights = [popularity[i] for i in candidates]
        k = max(2, min(len(candidates), int(rng.gauss(9, 3))))
        chosen: set[int] = set()
        while len(chosen) < k:
            chosen.add(rng.choices(candidates, weights)[0])
        unavailable = frozenset(rng.sample(slot_ids, 2)) if rng.random() < 0.1 else frozenset()
        person_list.append(Participant(pid, tuple(langs), unavailable,
                                       tuple(sessions[i].id for i in sorted(chosen))))
    return Problem(tuple(slots), tuple(rooms), tuple(sessions), tuple(person_list), name="campaigncon-tables",
                   timezone="Africa/Nairobi")
