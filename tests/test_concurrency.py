"""Votes under load: real gunicorn workers, many clients at once, every vote sent twice."""

import collections
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from argon2 import PasswordHasher
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from agenda import create_app
from agenda.extensions import db
from agenda.models import Event, Facilitation, Membership, Proposal, User, Vote

from .conftest import need, postgres_ready
from .servers import Browser, gunicorn

# The size of the production test (tests/test_production.py): 40 voters, 16 votes each, every
# vote sent twice, 32 clients at once on 4 workers; a larger crowd tested nothing more, slower.
VOTERS, VOTES_EACH, CLIENTS, WORKERS = 40, 16, 32, 4
PASSWORD = "a voter's password"


def seed(database_url: str, instance: str) -> list[int]:
    """An event with 30 proposals and the voters; returns the proposal ids."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    # The cheapest argon2id: the logins are not what is tested here.
    hashed = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with app.app_context():
        upgrade()
        event = Event(slug="load", name="Load", timezone="UTC", first_day=date(2017, 11, 7),
                      last_day=date(2017, 11, 9))
        host = User(email="host@example.org", display_name="Host", password_hash="!")
        db.session.add_all([event, host])
        for i in range(VOTERS):
            user = User(email=f"voter{i}@example.org", display_name=f"Voter {i}", password_hash=hashed)
            db.session.add_all([user, Membership(user=user, event=event)])
        proposals = [Proposal(event=event, title=f"Session {i}", format="skillshare", language="en")
                     for i in range(30)]
        for p in proposals:
            p.facilitations.append(Facilitation(user=host, is_proposer=True, state="accepted"))
        db.session.add_all(proposals)
        db.session.commit()
        ids = [p.id for p in proposals]
        db.session.remove()
        db.engine.dispose()
    return ids


def run_voters(base: str, proposal_ids: list[int]):
    def voter(i: int):
        browser = Browser()
        status, _ = browser.post_form(base + "/login", {"email": f"voter{i}@example.org", "password": PASSWORD})
        assert status == 302, f"voter {i} could not log in ({status})"
        token = browser.csrf_token(base + "/load/proposals")
        acknowledged, statuses = set(), []
        for k in range(VOTES_EACH):
            pid = proposal_ids[(i * 7 + k) % len(proposal_ids)]  # VOTES_EACH different ones
            for _attempt in range(2):  # the double-clicked submit
                status, body = browser.request(
                    f"{base}/load/proposals/{pid}/vote", {"want": "1", "csrf_token": token},
                    headers={"Accept": "application/json"})
                statuses.append(status)
                if status == 200 and '"ok":true' in body.replace(" ", ""):
                    acknowledged.add((i, pid))
        return acknowledged, statuses

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(voter, range(VOTERS)))
    acknowledged = set().union(*(a for a, _ in results))
    statuses = collections.Counter(s for _, ss in results for s in ss)
    return acknowledged, statuses


def count_votes(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(Vote)).scalar()
        distinct = conn.execute(
            text("select count(*) from (select distinct user_id, proposal_id from vote) v")).scalar()
    engine.dispose()
    return rows, distinct


def check_load(database_url: str, instance: str):
    ids = seed(database_url, instance)
    # Every client comes from 127.0.0.1, which the per-address login limit would stop.
    env = {"AGENDA_INSTANCE_PATH": instance, "AGENDA_DATABASE_URL": database_url,
           "AGENDA_LOGIN_LIMIT_ADDRESS": str(VOTERS * 2)}
    with gunicorn(env, workers=WORKERS) as base:
        acknowledged, statuses = run_voters(base, ids)
    rows, distinct = count_votes(database_url)
    assert sum(n for s, n in statuses.items() if s >= 500) == 0, statuses
    assert statuses == {200: VOTERS * VOTES_EACH * 2}
    assert len(acknowledged) == VOTERS * VOTES_EACH
    assert rows == distinct == len(acknowledged)  # 0 lost, 0 duplicated


@pytest.mark.slow
def test_concurrent_votes_on_sqlite(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    check_load(f"sqlite:///{tmp_path / 'load.sqlite'}", str(instance))


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_votes_on_postgres(tmp_path):
    need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
    name = f"agenda_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    instance = tmp_path / "instance"
    instance.mkdir()
    try:
        check_load(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", str(instance))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
