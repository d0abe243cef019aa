"""Many processes, and processes that die: solve workers sharing a queue, killed workers and web servers."""

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from agenda import create_app
from agenda.extensions import db
from agenda.models import (
    Event,
    Facilitation,
    Membership,
    Proposal,
    Room,
    ScheduleVersion,
    Slot,
    SolveRun,
    User,
    Vote,
)

from .conftest import generate, need, postgres_ready
from .servers import Browser, gunicorn

PASSWORD = "a sturdy passphrase 77"


def small_event(slug: str, voters: list[User]) -> Event:
    """Two rooms, three slots, four accepted sessions with votes."""
    event = Event(slug=slug, name=slug.title(), timezone="UTC", first_day=date(2017, 11, 7),
                  last_day=date(2017, 11, 7))
    db.session.add(event)
    for h in (8, 10, 12):
        db.session.add(Slot(event=event, start=datetime(2017, 11, 7, h, tzinfo=UTC),
                            end=datetime(2017, 11, 7, h + 1, tzinfo=UTC)))
    db.session.add_all([Room(event=event, name="A", capacity=30), Room(event=event, name="B", capacity=30)])
    for u in voters:
        db.session.add(Membership(user=u, event=event))
    for i in range(4):
        p = Proposal(event=event, title=f"{slug} session {i}", format="skillshare", language="en", status="accepted")
        p.facilitations.append(Facilitation(user=voters[i], is_proposer=True, state="accepted"))
        db.session.add(p)
        db.session.flush()
        for u in voters[4:]:
            db.session.add(Vote(user_id=u.id, proposal_id=p.id))
    db.session.flush()
    return event


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "postgresql":
        need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
        return request.getfixturevalue("postgres_database")
    return f"sqlite:///{tmp_path / 'shared.sqlite'}"


@pytest.fixture
def migrated(database, tmp_path, monkeypatch):
    """An app on a migrated database, for tests that start other processes on it."""
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        upgrade()
        yield app, database
        db.session.remove()
        db.engine.dispose()


def start_worker(database: str, tmp_path, name: str) -> tuple[subprocess.Popen, object]:
    log = open(tmp_path / f"{name}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "agenda", "worker", "--poll", "0.1"],
                            env={**os.environ, "FLASK_APP": "agenda", "AGENDA_DATABASE_URL": database},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_and_five_queued_runs_each_run_done_exactly_once(migrated, tmp_path):
    app, database = migrated
    people = [User(email=f"w{i}@example.org", display_name=f"W {i}", password_hash="!") for i in range(12)]
    db.session.add_all(people)
    db.session.flush()
    events = [small_event(f"queue-{i}", people) for i in range(5)]
    db.session.commit()
    from agenda.services import schedule as svc

    runs = [svc.start_run(e, 1).id for e in events]
    workers = [start_worker(database, tmp_path, f"worker{i}") for i in range(2)]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            db.session.rollback()
            done = db.session.scalar(select(func.count(SolveRun.id)).where(SolveRun.status == "succeeded"))
            if done == len(runs):
                break
            time.sleep(0.3)
    finally:
        for proc, log in workers:
            stop(proc)
            log.close()
    db.session.rollback()
    assert [db.session.get(SolveRun, r).status for r in runs] == ["succeeded"] * 5
    assert db.session.scalar(select(func.count(ScheduleVersion.id))) == 5  # one draft per run, none twice
    started = [line for i in range(2) for line in (tmp_path / f"worker{i}.log").read_text().splitlines()
               if line.endswith(": started")]
    assert sorted(started) == sorted(f"run {r}: started" for r in runs)


@pytest.mark.slow
def test_a_killed_worker_leaves_a_failed_run_that_can_be_run_again(migrated, tmp_path):
    app, database = migrated
    from agenda.demo import load_demo
    from agenda.services import schedule as svc

    event = load_demo("demo password 123")
    run = svc.start_run(event, 120)
    proc, log = start_worker(database, tmp_path, "doomed")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            db.session.rollback()
            if db.session.get(SolveRun, run.id).progress:
                break
            time.sleep(0.2)
    finally:
        stop(proc)
        log.close()
    db.session.rollback()
    assert db.session.get(SolveRun, run.id).status == "running"
    # The next look at the queue (any worker's, or starting a run) finds the worker gone.
    assert svc.reap_stale_runs() == 1
    db.session.rollback()
    failed = db.session.get(SolveRun, run.id)
    assert failed.status == "failed" and failed.outcome == {"code": "worker_stopped"}
    again = svc.retry_run(failed)
    assert again.status == "queued" and again.time_limit == 120
    assert db.session.scalar(select(func.count(ScheduleVersion.id))) == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_a_web_server_killed_mid_publish_leaves_one_complete_published_version(postgres_database, tmp_path,
                                                                               monkeypatch):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": postgres_database})
    with app.app_context():
        upgrade()
        from agenda.demo import load_demo
        from agenda.services import schedule as svc

        event = load_demo("demo password 123")
        v1 = generate(event).version
        svc.publish_version(v1)
        v2 = generate(event).version
        event_id, v2_id = event.id, v2.id
        db.session.remove()
        db.engine.dispose()
    env = {"AGENDA_INSTANCE_PATH": str(tmp_path / "instance"), "AGENDA_DATABASE_URL": postgres_database,
           "AGENDA_DEMO_PASSWORD": "demo password 123"}
    # Hold the event's row: publishing changes the version, then waits on this lock to count the change.
    blocker = create_engine(postgres_database)
    conn = blocker.connect()
    trans = conn.begin()
    conn.execute(text("SELECT id FROM event WHERE id = :e FOR UPDATE"), {"e": event_id})
    with gunicorn(env) as base:
        fac = Browser()
        fac.post_form(base + "/login", {"email": "facilitator@example.org", "password": "demo password 123"})
        token = fac.csrf_token(f"{base}/campaigncon-2017/facilitate/versions/2")
        def publish():
            try:
                fac.request(f"{base}/campaigncon-2017/facilitate/versions/2/publish", {"csrf_token": token})
            except OSError:  # the server is killed under it: that is the point
                pass

        worker = threading.Thread(target=publish, daemon=True)
        worker.start()
        checker = create_engine(postgres_database)
        waiting = False
        for _ in range(200):  # until the publishing transaction waits on our lock
            with checker.connect() as c:
                waiting = c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                                    ).scalar() > 0
            if waiting:
                break
            time.sleep(0.05)
        assert waiting
        # SIGKILL every server process while the publish is half done.
        out = subprocess.run(["pgrep", "-f", f"gunicorn.*{base.rsplit(':', 1)[1]}"], capture_output=True, text=True)
        for pid in out.stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        time.sleep(0.5)
    trans.rollback()
    conn.close()
    blocker.dispose()
    with checker.connect() as c:
        rows = c.execute(text("SELECT number, status, frame IS NOT NULL FROM schedule_version "
                              "WHERE event_id = :e ORDER BY number"), {"e": event_id}).all()
        assigned = c.execute(text("SELECT count(*) FROM assignment WHERE version_id = :v"), {"v": v2_id}).scalar()
    checker.dispose()
    assert [tuple(r) for r in rows] == [(1, "published", True), (2, "draft", False)]
    assert assigned > 0  # the draft is whole, ready to publish again


VOTERS, VOTES_EACH = 40, 16


@pytest.mark.slow
def test_a_web_server_killed_mid_vote_burst_loses_no_acknowledged_vote(migrated, tmp_path):
    app, database = migrated
    hashed = __import__("argon2").PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)  # cheapest
    people = [User(email=f"v{i}@example.org", display_name=f"V {i}", password_hash=hashed) for i in range(VOTERS + 4)]
    db.session.add_all(people)
    db.session.flush()
    event = small_event("burst", people)
    extra = [Proposal(event=event, title=f"Extra {i}", format="skillshare", language="en", status="accepted")
             for i in range(VOTES_EACH)]
    for p in extra:
        p.facilitations.append(Facilitation(user=people[0], is_proposer=True, state="accepted"))
    db.session.add_all(extra)
    db.session.commit()
    ids = [p.id for p in extra]
    db.session.remove()  # (gunicorn's processes share the database from here)
    db.engine.dispose()
    env = {"AGENDA_INSTANCE_PATH": str(tmp_path / "instance"), "AGENDA_DATABASE_URL": database}
    acknowledged: set[tuple[str, int]] = set()
    lock = threading.Lock()
    with gunicorn(env, workers=2) as base:
        browsers = []
        for i in range(4, VOTERS + 4):
            b = Browser()
            assert b.post_form(base + "/login", {"email": f"v{i}@example.org", "password": PASSWORD})[0] == 302
            browsers.append((f"v{i}@example.org", b, b.csrf_token(base + "/burst/proposals")))

        def voter(email, browser, token):
            for pid in ids:
                try:
                    status, body = browser.request(f"{base}/burst/proposals/{pid}/vote",
                                                   {"want": "1", "csrf_token": token},
                                                   headers={"Accept": "application/json"})
                except (OSError, http.client.HTTPException):
                    return  # the server is gone (refused, reset, or cut off mid-answer)
                if status == 200 and '"ok":true' in body.replace(" ", ""):
                    with lock:
                        acknowledged.add((email, pid))

        threads = [threading.Thread(target=voter, args=b, daemon=True) for b in browsers]
        for t in threads:
            t.start()
        while len(acknowledged) < VOTERS * VOTES_EACH // 5:
            time.sleep(0.01)
        port = base.rsplit(":", 1)[1]
        out = subprocess.run(["pgrep", "-f", f"gunicorn.*{port}"], capture_output=True, text=True)
        for pid in out.stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        for t in threads:
            t.join(timeout=30)
    db.session.rollback()
    stored = {(email, pid) for email, pid in db.session.execute(
        select(User.email, Vote.proposal_id).join(User, User.id == Vote.user_id).where(Vote.proposal_id.in_(ids)))}
    assert acknowledged and acknowledged <= stored
    assert len(stored) < VOTERS * VOTES_EACH  # the burst was cut short
    assert re.match(r"\w+", PASSWORD)


@pytest.mark.slow
def test_the_load_benchmark_runs_and_reports_every_figure():
    """A small run of `python -m agenda.loadbench` (the figures themselves are for make bench)."""
    result = subprocess.run([sys.executable, "-m", "agenda.loadbench", "--database", "sqlite", "--seconds", "3",
                             "--readers", "4", "--voters", "2", "--workers", "2", "--closed-seconds", "1", "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = __import__("json").loads(result.stdout.strip().splitlines()[-1])
    assert {"database", "seconds", "requests", "errors", "p50_ms", "p95_ms", "votes_acknowledged", "votes_stored",
            "public_rps"} <= set(report)
    assert set(report["p95_ms"]) == {"schedule", "agenda", "ics", "vote"}
    assert report["errors"] == 0 and report["requests"] > 0
    assert report["votes_stored"] == report["votes_acknowledged"] > 0
