"""`python -m agenda.placesbench`: how fast "where else could it go?" answers (places.json), on the
demo event and on an event of the `large` benchmark's size (bench/instances/large.json loaded into
the database: 2,000 people, 620 sessions, 24 slots, 30 rooms), through the app, as a facilitator."""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

LARGE = Path(__file__).resolve().parents[1] / "bench" / "instances" / "large.json"
DEMO_LIMIT, LARGE_LIMIT = 0.3, 2.0
PASSWORD = "bench password 1"  # noqa: S105 (a throwaway benchmark instance)


def load_instance(path: Path, slug: str, facilitator_email: str):
    """A solver instance (solver-io.md) as an event of the database, every session accepted."""
    from .db_tx import transaction
    from .extensions import db
    from .models import Event, Facilitation, Membership, Proposal, Room, Slot, User, Vote

    data = json.loads(path.read_text())
    days = sorted({s["day"] for s in data["slots"]})
    languages = sorted({s.get("language") or "en" for s in data["sessions"]})
    with transaction():
        event = Event(slug=slug, name=data.get("name") or slug, timezone="UTC", first_day=date.fromisoformat(days[0]),
                      last_day=date.fromisoformat(days[-1]), languages=languages, formats=["session"])
        db.session.add(event)
        slots = {}
        for s in data["slots"]:
            start = datetime.fromisoformat(f"{s['day']}T{s['start']}").replace(tzinfo=UTC)
            end = datetime.fromisoformat(f"{s['day']}T{s['end']}").replace(tzinfo=UTC) if s.get("end") \
                else start + timedelta(hours=1)
            slots[s["id"]] = Slot(event=event, kind="open", label="", start=start, end=end)
            db.session.add(slots[s["id"]])
        for r in data["rooms"]:
            db.session.add(Room(event=event, name=r.get("name") or r["id"], capacity=r["capacity"],
                                features=list(r.get("features", [])), tables=r.get("tables", 0),
                                unavailable=[slots[x] for x in r.get("unavailable", [])]))
        people = {}
        for p in data["participants"]:
            people[p["id"]] = User(email=f"{p['id']}@bench.invalid", display_name=p["id"], password_hash="!",  # noqa: S106 ('!' is no hash)
                                   languages=list(p.get("languages") or ["en"]))
            db.session.add(people[p["id"]])
            db.session.add(Membership(user=people[p["id"]], event=event, role="participant"))
        facilitator = db.session.scalar(db.select(User).where(User.email == facilitator_email))
        db.session.add(Membership(user=facilitator, event=event, role="facilitator"))
        proposals = {}
        for s in data["sessions"]:
            proposal = Proposal(event=event, title=s["title"], format="session", language=s.get("language") or "en",
                                needs=list(s.get("needs", [])), length=s.get("length", 1), status="accepted",
                                description=s["title"], unavailable=[slots[x] for x in s.get("unavailable", [])])
            for n, f in enumerate(s.get("facilitators", [])):
                proposal.facilitations.append(Facilitation(user=people[f], is_proposer=n == 0, state="accepted"))
            db.session.add(proposal)
            proposals[s["id"]] = proposal
        db.session.flush()
        for p in data["participants"]:
            for v in p.get("votes", []):
                db.session.add(Vote(user_id=people[p["id"]].id, proposal_id=proposals[v].id))
    return event


def solved_draft(event, time_limit: int):
    """Generate a draft as the worker does."""
    from .services import schedule as svc

    run = svc.start_run(event, time_limit, None)
    svc.claim_next_run()
    return svc.execute_run(run.id).version


def timings(client, slug: str, number: int, sessions: list[int]) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each request: the test client answers in this process, so the CPU
    time is the request's own work, whatever else the machine is doing."""
    out = []
    for pid in sessions:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/{slug}/facilitate/versions/{number}/sessions/{pid}/places.json")
        out.append((time.perf_counter() - started, time.process_time() - cpu))
        if response.status_code != 200:
            raise RuntimeError(f"places.json answered {response.status_code}")
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AGENDA_INSTANCE_PATH"] = tmp
        from flask_migrate import upgrade

        from . import create_app
        from .demo import load_demo
        from .extensions import db

        app = create_app({"SESSION_COOKIE_SECURE": False})
        with app.app_context():
            upgrade()
            demo = load_demo(PASSWORD)
            demo_version = solved_draft(demo, 10)
            large = load_instance(LARGE, "large-bench", "facilitator@example.org")
            large_version = solved_draft(large, 20)
            rng = random.Random(0)  # noqa: S311 (which sessions to time)
            picks = {slug: (v.number, rng.sample(sorted({a.proposal_id for a in v.assignments}), 10))
                     for slug, v in (("campaigncon-2017", demo_version), ("large-bench", large_version))}
            db.session.remove()
        client = app.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": "facilitator@example.org", "password": PASSWORD, "csrf_token": token})
        rows = []
        for (slug, (number, sessions)), (name, limit) in zip(picks.items(), (
                ("demo (112 people, 55 sessions)", DEMO_LIMIT), ("large (2,000 people, 620 sessions)", LARGE_LIMIT)),
                strict=True):
            timings(client, slug, number, sessions[:1])  # warm up: templates compiled, catalogues read
            seconds = timings(client, slug, number, sessions)
            wall, cpu = [w for w, _c in seconds], [c for _w, c in seconds]
            rows.append((name, statistics.median(wall), max(wall), statistics.median(cpu), max(cpu), limit))
    load = os.getloadavg()[0]
    print(f"places.json for 10 sessions of each event (load average {load:.1f} on {os.cpu_count()} cores):")
    print()
    print("| event | wall median | wall slowest | CPU median | CPU slowest | limit | within (wall) |")
    print("|---|---|---|---|---|---|---|")
    ok = True
    for name, median, slowest, cpu_median, cpu_slowest, limit in rows:
        ok &= slowest < limit
        print(f"| {name} | {median * 1000:.0f} ms | {slowest * 1000:.0f} ms | {cpu_median * 1000:.0f} ms | "
              f"{cpu_slowest * 1000:.0f} ms | {limit * 1000:.0f} ms | {'yes' if slowest < limit else 'NO'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
