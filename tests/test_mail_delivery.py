"""E-mail as a hostile participant and a crash would have it: addresses and titles that must not
stop the worker, delivery exactly once after SIGKILL, mail that does not wait for a solve, and
bulk e-mail with one-click unsubscribe."""

import json
import os
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update

from agenda import mail
from agenda.extensions import db
from agenda.models import EmailInvitation, OutboxMessage, SolveRun, User, utcnow
from agenda.services import announcements as announcement_svc
from agenda.services import schedule as schedule_svc

from . import test_mail, test_production
from .conftest import PASSWORD, client_for, errors, outbox
from .test_mail import propose, text_of
from .test_production import start_worker, stop

# Fixtures of those files, used here by name.
con = test_mail.con
database, migrated = test_production.database, test_production.migrated


def queued() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(OutboxMessage.id)))


# 1. Nothing a participant types stops the worker


def test_a_title_with_line_separators_and_an_invitation_reach_the_invitee_with_a_one_line_subject(
        app, con, smtp_server):
    event, people = con
    event.name = "Test\u2028Con"
    db.session.commit()
    ana = client_for(app, "ana@example.org", PASSWORD)
    pid = propose(ana, "Radio\u2028for\u2029resistance")
    ana.post(f"/con/proposals/{pid}/invite", data={"email": "newcomer@example.org"})
    ana.post(f"/con/proposals/{pid}/invite", data={"email": "bea@example.org"})
    # A row from before addresses were checked, queued behind the invitation: it fails alone.
    with mail.transaction():
        db.session.add(OutboxMessage(key="old", to_address='"', subject="Old\nrow", body="x",
                                     message_id="<old@agenda.test>"))
    client_for(app, "fay@example.org", PASSWORD).post(f"/con/proposals/{pid}/review/accepted")

    assert mail.deliver_pending() == 3  # two invitations and the decision; the worker goes on
    [invitation] = smtp_server.to("newcomer@example.org")
    assert invitation["Subject"] == "Test Con: an invitation to co-facilitate 'Radio for resistance'"
    assert smtp_server.to("ana@example.org")  # the decision, queued after the bad row, went out
    old = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == "old"))
    assert old.failed and old.sent_at is None and "address" in old.last_error
    assert mail.deliver_pending() == 0  # given up: not tried again and again


@pytest.mark.parametrize("address", ['"', "<", "a@example.org, b@example.org", "not-an-address",
                                     "ana@example.org\nBcc: all@example.org"])
def test_an_invitation_to_something_that_is_not_one_address_is_refused_and_nothing_is_queued(
        app, con, address):
    ana = client_for(app, "ana@example.org", PASSWORD)
    pid = propose(ana)
    page = ana.post(f"/con/proposals/{pid}/invite", data={"email": address}, follow_redirects=True)
    assert "This is not an email address, e.g. name@example.org." in text_of(page)
    assert queued() == 0
    assert db.session.scalar(select(func.count(EmailInvitation.id))) == 0
    assert mail.deliver_pending() == 0


def register(client, email, name="Someone"):
    return client.post("/register", data={"email": email, "display_name": name, "password": PASSWORD,
                                          "confirm": PASSWORD})


@pytest.mark.parametrize("look_alike", [
    "\uff41\uff4e\uff41@example.org",  # full-width letters
    "ANA@EXAMPLE.ORG",
    "\u0430na@example.org",  # Cyrillic а
    "\u0131na@example.org",  # dotless ı
    "\u0130NA@example.org",  # dotted capital İ: lower case is i + a combining dot
    "ana@\u0435xample.org",  # Cyrillic е in the domain
])
def test_an_address_that_looks_like_another_never_makes_a_second_account(app, client, make_user, look_alike):
    make_user(email="ana@example.org", display_name="Ana")
    response = register(client, look_alike)
    assert response.status_code in (302, 400)
    # Either it is the same address (the owner is told, as for any taken address) or refused.
    assert db.session.scalar(select(func.count(User.id))) == 1
    if response.status_code == 400:
        assert "This address mixes letters of different alphabets. Please write it in one." in errors(response)


def test_addresses_are_stored_in_one_form_and_a_reset_request_for_a_non_address_says_so(app, client):
    assert register(client, " \uff25va@Example.ORG ").status_code == 302
    assert db.session.scalar(select(User.email)) == "eva@example.org"
    refused = client.post("/forgot", data={"email": "eva@example.org, mallory@example.org"})
    assert "This is not an email address, e.g. name@example.org." in errors(refused)
    assert queued() == 1  # only the welcome


def test_create_admin_refuses_a_non_address(app, runner):
    result = runner.invoke(args=["agenda", "create-admin", "boss@example.org, b@example.org",
                                 "--password", "river lantern copper orbit"])
    assert result.exit_code != 0 and "not an email address" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


# 2. Exactly once, also after a crash


def test_a_message_interrupted_after_its_file_was_written_is_not_written_again(app, make_user):
    user = make_user(email="ana@example.org")
    with mail.transaction():
        for n in range(2):
            mail.queue(f"test:{n}", user.email, "notice", lambda: "Hello", user=user,
                       text=lambda n=n: f"Text {n}", link="x")
    first, second = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert first.message_id != second.message_id and first.message_id.endswith("@agenda.test>")
    # A worker (a process that no longer exists) wrote the first one's file, then was killed
    # before it could note it sent; it had claimed the second and written nothing.
    mail.Sender().send(mail.build(first))
    dead = f"999999999@{os.uname().nodename}"
    db.session.execute(update(OutboxMessage).values(sending_at=utcnow(), sender=dead))
    db.session.commit()

    assert mail.deliver_pending() == 2
    ids = sorted(m["Message-ID"] for m in outbox(app))
    assert ids == sorted([first.message_id, second.message_id])  # each once
    assert mail.deliver_pending() == 0


@pytest.mark.slow
def test_killing_the_worker_while_it_sends_never_sends_a_message_twice(migrated, tmp_path):
    app, database_url = migrated
    count = 150
    with mail.transaction():
        for n in range(count):
            mail.queue(f"kill:{n}", f"person{n}@example.org", "notice", lambda: "Hello",
                       text=lambda n=n: f"Text {n}", link="x")
    folder = Path(app.instance_path) / "outbox"

    def files() -> list[Path]:
        return sorted(folder.glob("*.eml")) if folder.exists() else []

    def sent() -> int:
        db.session.rollback()
        return db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_not(None)))

    for kill in range(6):  # killed six times while sending, each time a little further on
        before = len(files())
        proc, log = start_worker(database_url, tmp_path, f"mailer{kill}")
        try:
            deadline = time.monotonic() + 120
            while len(files()) < min(count, before + 10) and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop(proc)
            log.close()
    proc, log = start_worker(database_url, tmp_path, "mailer-last")
    try:
        deadline = time.monotonic() + 240
        while sent() < count and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop(proc)
        log.close()
    assert sent() == count
    ids = [message_from_bytes(p.read_bytes(), policy=policy.default)["Message-ID"] for p in files()]
    assert len(ids) == count and len(set(ids)) == count  # every message, each exactly once


# 3. Mail does not wait for a solve; a run whose worker is gone can be run again


@pytest.fixture
def blocked_solve(app, monkeypatch):
    """The worker's solve never ends until released (as a long solve would not for minutes)."""
    from agenda import worker

    release, started = threading.Event(), threading.Event()

    def solve(run_id):
        started.set()
        release.wait(120)
        return schedule_svc._finish(run_id, "failed", {"code": "solver_failed", "error": "Test"})

    monkeypatch.setattr(worker, "execute_run", solve)
    return started, release


def start_worker_thread(app, stop):
    from agenda.worker import run_worker

    def work():
        with app.app_context():
            run_worker(poll=0.05, echo=lambda *a: None, stop=stop)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_a_password_reset_goes_out_while_a_long_solve_runs(app, client, make_event, make_user, blocked_solve):
    started, release = blocked_solve
    make_user(email="ana@example.org")
    schedule_svc.start_run(make_event(), 60)
    stop = threading.Event()
    thread = start_worker_thread(app, stop)
    try:
        assert started.wait(60)
        client.post("/forgot", data={"email": "ana@example.org"})
        deadline = time.monotonic() + 60
        while not outbox(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["To"] for m in outbox(app)] == ["ana@example.org"]
        assert not release.is_set()  # and the solve was still going
    finally:
        release.set()
        stop.set()
        thread.join(60)


def test_a_long_solve_keeps_its_heartbeat_fresh_whatever_the_solver_does(app, make_event, blocked_solve):
    started, release = blocked_solve
    app.config["WORKER_HEARTBEAT"] = 0.05
    run = schedule_svc.start_run(make_event(), 60)
    stop = threading.Event()
    thread = start_worker_thread(app, stop)
    try:
        assert started.wait(60)
        old = utcnow() - timedelta(minutes=5)
        db.session.rollback()
        with mail.transaction():
            db.session.execute(update(SolveRun).values(heartbeat_at=old))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.rollback()
            if db.session.get(SolveRun, run.id).heartbeat_at > old:
                break
            time.sleep(0.05)
        assert schedule_svc.reap_stale_runs() == 0  # alive: not taken for dead
        assert db.session.get(SolveRun, run.id).status == "running"
    finally:
        release.set()
        stop.set()
        thread.join(60)


def test_a_run_whose_worker_is_gone_can_be_run_again_from_its_page(app, make_event, make_user):
    event = make_event(slug="con")
    make_user(event, role="facilitator", email="fay@example.org")
    run = schedule_svc.start_run(event, 45)
    # Its worker, on another machine, was killed two minutes ago; no other worker is running.
    db.session.execute(update(SolveRun).values(status="running", worker="4242@elsewhere", started_at=utcnow(),
                                               heartbeat_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    fay = client_for(app, "fay@example.org", PASSWORD)
    page = text_of(fay.get(f"/con/facilitate/runs/{run.id}"))
    assert "has not been heard from for a minute: it has stopped" in page
    assert 'http-equiv="refresh"' not in page  # no endless waiting
    assert json.loads(fay.get(f"/con/facilitate/runs/{run.id}.json").data)["stalled"] is True

    again = fay.post(f"/con/facilitate/runs/{run.id}/retry")
    assert again.status_code == 302 and not again.headers["Location"].endswith(f"/runs/{run.id}")
    db.session.rollback()
    old = db.session.get(SolveRun, run.id)
    assert old.status == "failed" and old.outcome == {"code": "worker_stopped"}
    new = db.session.scalar(select(SolveRun).where(SolveRun.id != run.id))
    assert new.status == "queued" and new.time_limit == 45


# 14. Bulk e-mail: one-click unsubscribe; the site's own Message-ID; the data download


def test_an_announcement_e_mail_unsubscribes_in_one_click_without_logging_in(app, con, smtp_server):
    event, people = con
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the one-click POST has no token
    announcement_svc.post_announcement(event, people["fac"], "Lunch moves to the garden.", 4, True)
    assert mail.deliver_pending() == 3
    message = smtp_server.to("ana@example.org")[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://agenda.test/unsubscribe/")
    assert message["Message-ID"].endswith("@agenda.test>")
    path = url.removeprefix("http://agenda.test")

    stranger = app.test_client()  # a mail client: no cookie, no page, no CSRF token
    confirm = stranger.get(path)
    assert confirm.status_code == 200 and "Stop these e-mails" in text_of(confirm)
    db.session.rollback()
    assert db.session.get(User, people["ana"].id).wants_email("announcements")  # GET changes nothing
    done = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "you no longer get e-mails about" in text_of(done)
    db.session.rollback()
    ana = db.session.get(User, people["ana"].id)
    assert not ana.wants_email("announcements") and ana.wants_email("decisions")
    # A forged or altered address does nothing; other POSTs still need their token.
    assert stranger.post(path[:-3] + "abc").status_code == 404
    assert stranger.post("/forgot", data={"email": "ana@example.org"}).status_code == 400

    smtp_server.messages.clear()
    announcement_svc.post_announcement(event, people["fac"], "Dinner at eight.", 4, True)
    assert mail.deliver_pending() == 2
    assert not smtp_server.to("ana@example.org")


def test_personal_messages_have_no_unsubscribe_header(app, con, smtp_server):
    client_for(app, "ana@example.org", PASSWORD)
    app.test_client().post("/forgot", data={"email": "ana@example.org"})
    mail.deliver_pending()
    [(to, reset)] = smtp_server.messages
    assert reset["List-Unsubscribe"] is None and reset["Message-ID"].endswith("@agenda.test>")


def test_the_data_download_includes_the_e_mails_sent_to_the_person(app, con):
    ana = client_for(app, "ana@example.org", PASSWORD)
    app.test_client().post("/forgot", data={"email": "ana@example.org"})
    mail.deliver_pending()
    response = ana.get("/account/data.json")
    data = json.loads(response.data)
    [sent] = data["emails_to_you"]
    assert sent["to"] == "ana@example.org" and sent["subject"] == "Set a new password for agenda"
    assert "/reset/" in sent["text"] and sent["sent_at"]


def test_language_names_inside_sentences_are_lower_case_in_spanish_and_french(app, con):
    from agenda.languages import language_in_sentence

    for lang, words in (("es", "inglés"), ("fr", "anglais"), ("en", "English")):
        with force_locale(lang):
            assert language_in_sentence("en") == words
    bea = client_for(app, "bea@example.org", PASSWORD)
    pid = propose(bea)
    page = text_of(bea.get(f"/con/proposals/{pid}"))
    with force_locale("es"):
        from flask_babel import gettext as _

        assert _("Held in %(language)s", language="inglés") in page
