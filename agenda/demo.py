"""The CampaignCon 2017 demo event, built from seeds/campaigncon-2017.txt."""

import random
from datetime import date, time

from sqlalchemy import select

from .db_tx import transaction
from .extensions import db
from .models import Event, Facilitation, Interpreter, Membership, Proposal, Room, Slot, User, Vote
from .security import hash_password
from .services.events import local_to_utc

SLUG = "campaigncon-2017"
TIMEZONE = "Africa/Nairobi"
DEMO_ACCOUNTS = [
    ("admin@example.org", "Demo admin", "admin"),
    ("facilitator@example.org", "Demo facilitator", "facilitator"),
    ("participant@example.org", "Demo participant", "participant"),
]

# Two and a half days: Tuesday and Wednesday in full, Thursday until lunch.
DAYS = {
    date(2017, 11, 7): [
        ("09:00", "10:30", "plenary",
         "Opening conversation: the state of global campaigning"),
        ("10:30", "11:00", "break", "Coffee"),
        ("11:00", "12:30", "open", ""),
        ("12:30", "13:30", "break", "Lunch"),
        # The Campaign Bazaar: projects at the tables of the main hall, each pitch in up to three rounds.
        ("13:30", "14:00", "open", "Campaign Bazaar, round 1"),
        ("14:00", "14:30", "open", "Campaign Bazaar, round 2"),
        ("14:30", "15:00", "open", "Campaign Bazaar, round 3"),
        ("15:30", "17:00", "open", ""),
        ("17:15", "18:30", "open", ""),
    ],
    date(2017, 11, 8): [
        ("09:00", "10:30", "open", ""),
        ("10:30", "11:00", "break", "Coffee"),
        ("11:00", "12:30", "open", ""),
        ("12:30", "13:30", "break", "Lunch"),
        ("13:30", "15:00", "open", ""),
        ("15:30", "17:00", "open", ""),
        ("17:15", "18:30", "open", ""),
    ],
    date(2017, 11, 9): [
        ("09:00", "10:30", "open", ""),
        ("11:00", "12:30", "plenary", "Closing circle: next steps together"),
    ],
}

# (name, capacity, features, tables): the main hall seats 120, or holds 14 tables at once.
ROOMS = [
    ("Main hall", 120, ["interpretation", "projector", "step-free"], 14),
    ("Baobab room", 40, ["interpretation", "projector", "step-free"], 0),  # booths for interpreters
    ("Acacia room", 30, ["projector"], 0),
    ("Jacaranda room", 25, ["step-free"], 0),
    ("Garden tent", 20, ["step-free"], 0),
    ("Library corner", 12, [], 0),
]

ADJECTIVES = [
    "Amber", "Bold", "Calm", "Daring", "Eager", "Fierce", "Gentle", "Hopeful", "Keen",
    "Lively", "Merry", "Nimble", "Open", "Proud", "Quiet", "Rising", "Steady", "True",
    "Urban", "Vivid", "Wise", "Young", "Zesty", "Bright",
]
NOUNS = [
    "Heron", "Baobab", "Condor", "Jaguar", "Lotus", "Mango", "Ocelot", "Papyrus", "Quetzal",
    "Sparrow", "Tamarind", "Umbrella", "Weaver", "Zebu", "Kestrel", "Cedar", "Delta",
    "Falcon", "Gazelle", "Ibis", "Kapok", "Lantern", "Marimba", "Nightjar",
]
# Most participants speak English; many Spanish or French too (37 countries).
LANGUAGE_MIXES = [
    (["en"], 40), (["en", "es"], 18), (["en", "fr"], 18), (["es"], 8), (["fr"], 8),
    (["en", "es", "fr"], 6), (["en", "sw"], 10), (["en", "pt"], 4), (["fr", "ar"], 3),
]


# (title, language, format, needs): every session the seed names as proposed by participants.
SEED_PROPOSALS = [
    ("Use participatory action research to collect data and mobilize communities", "en", "skillshare", []),
    ("How to facilitate a WhatsApp meeting", "en", "skillshare", []),
    ("Contar historias… para vincular personas a sus campañas", "es", "skillshare", []),
    ("How a small group with small social media outreach can reach further with hashtags",
     "en", "skillshare", ["projector"]),
    ("Creative behaviour change communications in campaigning", "en", "skillshare", ["projector"]),
    ("Construire le pouvoir citoyen à partir des actions collectives", "fr", "skillshare", []),
    ("How to campaign in an oppressive country or regime", "en", "skillshare", []),
    ("How to listen actively as a campaigner", "en", "skillshare", []),
    ("How to work with volunteers and create a distributed organization or campaign",
     "en", "skillshare", []),
    ("Ji-Activate: elevating Kenyan youth voices – cultural campaigning during an election",
     "en", "bazaar table", []),
    ("#AgainstAllOdds Somalia – how girls' football is challenging social norms", "en", "bazaar table", []),
    ("Uganda constitutional amendment campaign: an age limit on the President", "en", "bazaar table", []),
    ("Community-led climate change adaptation in the Philippines", "en", "bazaar table", []),
    ("Adventures in culture change – from staff-driven to people-centered work",
     "en", "working session", []),
    ("Modeling threats to digital campaigns", "en", "working session", ["projector"]),
    ("Designing audience specific supporter journeys for campaigns", "en", "working session", ["projector"]),
    ("Success and failures using mobile messaging to mobilize and organize", "en", "working session", []),
    ("Battling fake news: strategies for campaigning in the era of misinformation",
     "en", "working session", ["projector"]),
    ("Strategic horizons: short-term campaign goals vs long-term engagement", "en", "working session", []),
    ("Weaving nonviolent direct action tactics into your campaign plan", "en", "working session", []),
    ("Legal without lawyers – professional skills for your campaign on a shoestring",
     "en", "working session", []),
    ("Building data security and operational security into shared campaigns",
     "en", "working session", ["projector"]),
    ("Designing with Drones – drones in effective (or ineffective) campaigns",
     "en", "working session", ["projector"]),
    ("Campaigning without connectivity: surviving internet shutdowns", "en", "working session", []),
    ("Campaign Chat Bots – lessons from chatbot experiments for engagement and advocacy",
     "en", "working session", ["projector"]),
    ("Anti-gay crackdown in Chechnya: changing an online-only model to provide direct relief",
     "en", "working session", []),
]
# Topped up to about 55 with sessions of the kind the seed describes, in all three languages.
EXTRA_PROPOSALS = [
    ("Campaign lab: planning a petition that wins", "en", "campaign lab", []),
    ("Campaign lab: from online outrage to offline action", "en", "campaign lab", []),
    ("Laboratorio: campañas feministas en América Latina", "es", "campaign lab", []),
    ("Atelier : mobiliser la diaspora pour une campagne", "fr", "campaign lab", []),
    ("Fundraising from small donors in the Global South", "en", "skillshare", []),
    ("Seguridad digital para activistas", "es", "skillshare", ["projector"]),
    ("Sécurité numérique pour les militant·e·s", "fr", "skillshare", ["projector"]),
    ("Video storytelling on a phone", "en", "skillshare", ["projector"]),
    ("Wellbeing and burnout in activist teams", "en", "working session", []),
    ("Campaigning with faith communities", "en", "working session", []),
    ("Measuring campaign impact without a research budget", "en", "working session", ["projector"]),
    ("Organizar con WhatsApp y Telegram", "es", "skillshare", []),
    ("Radio communautaire et campagnes locales", "fr", "working session", []),
    ("Working with journalists under pressure", "en", "working session", []),
    ("Coalition building across borders", "en", "working session", []),
    ("Designing actions for public space", "en", "campaign lab", []),
    ("Open data for land rights campaigns", "en", "skillshare", ["projector"]),
    ("Campañas por el agua: lecciones de Bolivia", "es", "bazaar table", []),
    ("Les jeunes et le vote : campagne au Sénégal", "fr", "bazaar table", []),
    ("SMS campaigns for low-connectivity areas", "en", "skillshare", []),
    ("Protecting participants' data in petitions", "en", "working session", []),
    ("Art and music in protest movements", "en", "skillshare", []),
    ("Negotiating with governments: when and how", "en", "working session", []),
    ("Campaign lab: the next 12 months of our network", "en", "campaign lab", ["interpretation"]),
    ("Community organizing 101", "en", "skillshare", []),
    ("Legal support networks for detained activists", "en", "working session", []),
    ("Mapping power: who decides?", "en", "campaign lab", []),
    ("Escucha activa en campañas", "es", "skillshare", []),
    ("Transitions justes : climat et emploi", "fr", "working session", []),
    ("Seed libraries against seed monopolies", "en", "bazaar table", []),
    ("Community radio in a box", "en", "bazaar table", []),
    ("Tenants organising across a city", "en", "bazaar table", []),
    ("Street theatre for budget transparency", "en", "bazaar table", []),
    ("Defensores del agua en Centroamérica", "es", "bazaar table", []),
    ("Cartographie citoyenne des terres", "fr", "bazaar table", []),
    ("Solar power for rural clinics", "en", "bazaar table", []),
    ("Fact-checking desk for local elections", "en", "bazaar table", []),
]
# A series: part 2 is placed after part 1.
SERIES = ("Campaign strategy from scratch, part 1", "Campaign strategy from scratch, part 2")


def load_demo_proposals(event: Event, people: list[User], rng: random.Random, voters: list[User]) -> None:
    """About 55 proposals from the seed, each run by one to three participants, with votes."""
    proposals = []
    for i, (title, language, fmt, needs) in enumerate(SEED_PROPOSALS + EXTRA_PROPOSALS):
        speakers = [u for u in people if language in u.languages] or people
        hosts = rng.sample(speakers, rng.choice([1, 1, 1, 2, 2, 3]))
        proposal = Proposal(
            event=event, title=title, format=fmt, language=language, needs=needs,
            length=2 if fmt == "campaign lab" and i % 2 == 0 else 1,
            status="accepted" if i < 45 or fmt == "bazaar table" else "proposed",
            visibility="participants" if "Chechnya" in title or "oppressive" in title else "public",
            description=f"{title}. Bring your own experience: we share, then plan together.",
        )
        for n, host in enumerate(hosts):
            proposal.facilitations.append(Facilitation(user=host, is_proposer=n == 0, state="accepted"))
        db.session.add(proposal)
        proposals.append((proposal, {h.id for h in hosts}))
    # Bazaar pitches happen in the bazaar's rounds, and nowhere else.
    elsewhere = [s for s in event.slots if s.kind == "open" and not s.label.startswith("Campaign Bazaar")]
    for proposal, _hosts in proposals:
        if proposal.format == "bazaar table":
            proposal.unavailable = elsewhere
    # Skillshare day: their people prefer Wednesday, when the hall is full of tables.
    wednesday = [s for s in event.slots if s.kind == "open" and s.local_start.date() == date(2017, 11, 8)]
    for proposal, _hosts in proposals:
        if proposal.format == "skillshare" and proposal.status == "accepted":
            proposal.preferred = wednesday
            proposal.prefer_reason = "Skillshare day"
    hosts = rng.sample([u for u in people if "en" in u.languages], 2)
    parts = []
    for title in SERIES:
        proposal = Proposal(event=event, title=title, format="working session", language="en", needs=["projector"],
                            status="accepted", description=f"{title}. Come to both: part 2 builds on part 1.")
        for n, host in enumerate(hosts):
            proposal.facilitations.append(Facilitation(user=host, is_proposer=n == 0, state="accepted"))
        db.session.add(proposal)
        proposals.append((proposal, {h.id for h in hosts}))
        parts.append(proposal)
    db.session.flush()
    parts[1].after_id = parts[0].id
    # Some sessions draw crowds: weights make the votes realistically uneven.
    weights = [rng.paretovariate(1.4) for _ in proposals]
    for user in people + voters:
        mine = [(p, w) for (p, hosts), w in zip(proposals, weights, strict=True)
                if user.id not in hosts and p.language in user.languages]
        if not mine:
            continue
        wanted = min(len(mine), max(2, int(rng.gauss(8, 3))))
        chosen: set[int] = set()
        while len(chosen) < wanted:
            chosen.add(rng.choices(range(len(mine)), [w for _, w in mine])[0])
        for k in chosen:
            db.session.add(Vote(user_id=user.id, proposal_id=mine[k][0].id))


def demo_exists() -> bool:
    return db.session.scalar(select(Event.id).where(Event.slug == SLUG)) is not None


def database_is_empty() -> bool:
    return db.session.scalar(select(Event.id).limit(1)) is None


def load_demo(password: str, seed: int = 2017) -> Event:
    """Create the demo event with its rooms, slots, participants and demo accounts."""
    with transaction():
        event = _load_demo(password, seed)
    return event


def _load_demo(password: str, seed: int) -> Event:
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    event = Event(
        slug=SLUG, name="CampaignCon 2017", timezone=TIMEZONE,
        first_day=min(DAYS), last_day=max(DAYS),
        languages=["en", "es", "fr"],
        formats=["skillshare", "working session", "campaign lab", "bazaar table"],
        # The seed's formats: bazaar pitches at tables, repeated in rounds; skillshares at tables too.
        format_settings={"bazaar table": {"at_table": True, "runs": 3}, "skillshare": {"at_table": True, "runs": 1}},
        proposals_open=True, voting_open=True,
    )
    db.session.add(event)
    for day, rows in DAYS.items():
        for start, end, kind, label in rows:
            db.session.add(Slot(
                event=event, kind=kind, label=label,
                start=local_to_utc(event, day, time.fromisoformat(start)),
                end=local_to_utc(event, day, time.fromisoformat(end)),
            ))
    bazaar = [s for s in event.slots if s.label.startswith("Campaign Bazaar")]
    for name, capacity, features, tables in ROOMS:
        # During the bazaar only the hall of tables is open: everyone is there.
        db.session.add(Room(event=event, name=name, capacity=capacity, features=features, tables=tables,
                            unavailable=[] if tables else bazaar))

    hashed = hash_password(password)
    demo_voters = []
    for email, display_name, role in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, display_name=display_name, password_hash=hashed,
                        languages=["en", "es"])
            db.session.add(user)
        user.is_admin = user.is_admin or role == "admin"
        db.session.add(Membership(user=user, event=event, role=role))
        if role == "participant":
            demo_voters.append(user)

    people = []
    mixes = [langs for langs, weight in LANGUAGE_MIXES for _ in range(weight)]
    names = rng.sample([f"{a} {n}" for a in ADJECTIVES for n in NOUNS], 112 - len(DEMO_ACCOUNTS))
    for i, name in enumerate(names, start=1):
        # Generated people cannot log in: "!" is no password hash.
        user = User(email=f"participant{i:03d}@demo.invalid", display_name=name,
                    password_hash="!", languages=list(rng.choice(mixes)))  # noqa: S106 ('!' is no hash: cannot log in)
        db.session.add(user)
        db.session.add(Membership(user=user, event=event, role="participant"))
        people.append(user)
    db.session.flush()
    load_demo_proposals(event, people, rng, demo_voters)
    add_demo_interpreters(event, people, random.Random(seed + 1))  # noqa: S311 (demo data)
    return event


# Two interpreters, available in every open slot but a few: a professional, and a participant who
# speaks English and Spanish and volunteers (named at load time).
DEMO_INTERPRETERS = [("Amina Diallo", [["en", "fr"], ["es", "fr"]], 3), (None, [["en", "es"]], 2)]


def add_demo_interpreters(event: Event, people: list[User], rng: random.Random) -> None:
    """The interpreters, and people who also want a few sessions in languages they do not speak:
    the schedule puts those where an interpreter can take them."""
    open_slots = [s for s in event.slots if s.kind == "open" and not s.label.startswith("Campaign Bazaar")]
    hosts = {f.user_id for f in db.session.scalars(select(Facilitation).join(Proposal).where(
        Proposal.event_id == event.id))}
    for n, (name, pairs, limit) in enumerate(DEMO_INTERPRETERS):
        user = None if name else next(u for u in people if {"en", "es"} <= set(u.languages) and u.id not in hosts)
        db.session.add(Interpreter(event=event, name=name or user.display_name, pairs=pairs, max_slots_per_day=limit,
                                   user_id=user.id if user else None,
                                   available=[s for k, s in enumerate(open_slots) if k % 5 != n]))
    proposals = db.session.scalars(select(Proposal).where(Proposal.event_id == event.id,
                                                          Proposal.status == "accepted",
                                                          Proposal.format != "bazaar table")).all()
    voted = {(v.user_id, v.proposal_id) for v in db.session.scalars(
        select(Vote).join(Proposal).where(Proposal.event_id == event.id))}
    for user in rng.sample(people, len(people) // 3):
        foreign = [p for p in proposals if p.language not in user.languages
                   and user not in p.facilitators and (user.id, p.id) not in voted]
        for p in rng.sample(foreign, min(len(foreign), 2)):
            db.session.add(Vote(user_id=user.id, proposal_id=p.id))


DEMO_ANNOUNCEMENT = ("Welcome to CampaignCon! The schedule is made again each evening from your votes: "
                     "look at it each morning. Lunch is in the garden.")
DEMO_SESSION = "Coalition building across borders"
DEMO_NOTES = ("Groups from twelve countries compared how they take decisions together in coalitions that cross "
              "borders. We agreed on one shared calendar, chairs who rotate, and a monthly call.")
DEMO_LINKS = "https://example.org/coalition-agreement-template\nhttps://example.org/campaigncon-shared-folder"


def stage_demo(event: Event, time_limit: int = 8) -> None:
    """What a first visitor should see at once: a published schedule, an announcement and one
    session with its notes and action items (the people are made up: nobody is e-mailed)."""
    from .services import announcements, harvest
    from .services import schedule as svc
    from .services.attendee import items_of

    run = svc.start_run(event, time_limit)
    if svc.claim_next_run() != run.id:
        return  # a worker took it: it publishes nothing, the facilitators will
    version = svc.execute_run(run.id).version
    if version is None:
        return
    svc.publish_version(version, notify=False)
    facilitator = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[1][0]))
    participant = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[2][0]))
    announcements.post_announcement(event, facilitator, DEMO_ANNOUNCEMENT, announcements.MAX_HOURS, False)
    public = [it.proposal for it in items_of(version) if it.proposal.visibility == "public"]
    session = min(public, key=lambda p: (p.title != DEMO_SESSION, p.id))
    harvest.save_notes(session, facilitator, DEMO_NOTES, DEMO_LINKS)
    host = session.facilitators[0] if session.facilitators else facilitator
    for text, owner, status in (
            ("Share the coalition agreement template in English, Spanish and French", host, "done"),
            ("Start the monthly call of the coalitions", participant, "doing"),
            ("Write up the case study from the Nairobi campaign", None, "open")):
        item = harvest.add_action_item(session, text, owner.id if owner else None,
                                       "" if owner else "The Nairobi group")
        if status != "open":
            harvest.set_action_status(item, status)
