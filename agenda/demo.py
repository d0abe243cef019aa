"""The CampaignCon 2017 demo event, built from shared/seeds/campaigncon-2017.txt."""

import random
from datetime import date, time

from sqlalchemy import select

from .extensions import db
from .models import Event, Membership, Room, Slot, User
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
        ("13:30", "15:00", "plenary", "The Campaign Bazaar"),
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

ROOMS = [
    ("Main hall", 120, ["interpretation", "projector", "step-free"]),
    ("Baobab room", 40, ["projector", "step-free"]),
    ("Acacia room", 30, ["projector"]),
    ("Jacaranda room", 25, ["step-free"]),
    ("Garden tent", 20, ["step-free"]),
    ("Library corner", 12, []),
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


def demo_exists() -> bool:
    return db.session.scalar(select(Event.id).where(Event.slug == SLUG)) is not None


def database_is_empty() -> bool:
    return db.session.scalar(select(Event.id).limit(1)) is None


def load_demo(password: str, seed: int = 2017) -> Event:
    """Create the demo event with its rooms, slots, participants and demo accounts."""
    rng = random.Random(seed)
    event = Event(
        slug=SLUG, name="CampaignCon 2017", timezone=TIMEZONE,
        first_day=min(DAYS), last_day=max(DAYS),
        languages=["en", "es", "fr"],
        formats=["skillshare", "working session", "campaign lab", "bazaar table"],
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
    for name, capacity, features in ROOMS:
        db.session.add(Room(event=event, name=name, capacity=capacity, features=features))

    hashed = hash_password(password)
    for email, display_name, role in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, display_name=display_name, password_hash=hashed,
                        languages=["en", "es"])
            db.session.add(user)
        user.is_admin = user.is_admin or role == "admin"
        db.session.add(Membership(user=user, event=event, role=role))

    mixes = [langs for langs, weight in LANGUAGE_MIXES for _ in range(weight)]
    names = rng.sample([f"{a} {n}" for a in ADJECTIVES for n in NOUNS], 112 - len(DEMO_ACCOUNTS))
    for i, name in enumerate(names, start=1):
        # Generated people cannot log in: "!" is no password hash.
        user = User(email=f"participant{i:03d}@demo.invalid", display_name=name,
                    password_hash="!", languages=list(rng.choice(mixes)))
        db.session.add(user)
        db.session.add(Membership(user=user, event=event, role="participant"))
    db.session.commit()
    return event
