"""E-mail: account recovery, invitations, decisions and the one message per person after a publish,
through a real SMTP server started here, or the instance's outbox/ folder without one."""

import html
import os
import re
import stat
from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from agenda.extensions import db
from agenda.mail import deliver_pending
from agenda.models import (
    Facilitation,
    Notice,
    OutboxMessage,
    PasswordReset,
    Proposal,
    Room,
    ScheduleVersion,
    Slot,
    User,
    Vote,
    utcnow,
)
from agenda.services import proposals as proposal_svc
from agenda.services.frames import items_of
from agenda.services.mailings import queue_publish_mails

from .conftest import PASSWORD, client_for, errors, login, outbox, publish_new
from .servers import free_port

NEW_PASSWORD = "river lantern copper orbit"
LINK = re.compile(r"http://agenda\.test(/reset/\S+)")


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def reset_link(message) -> str:
    return LINK.search(message.get_content()).group(1)


# Account recovery


def test_forgot_password_writes_a_message_whose_link_sets_a_new_password(app, client, make_user):
    make_user(email="ana@example.org", display_name="Ana")
    other_device = app.test_client()
    login(other_device, "ana@example.org")
    assert 'href="/forgot"' in text_of(client.get("/login"))

    answer = client.post("/forgot", data={"email": " Ana@Example.org"})
    assert answer.status_code == 200
    assert "a message with a link to set a new password is on its way" in text_of(answer)
    assert outbox(app) == []  # sent by the worker, not during the request
    assert deliver_pending() == 1
    [message] = outbox(app)
    assert message["To"] == "ana@example.org" and message.get_content_type() == "text/plain"
    assert "Hello Ana," in message.get_content()
    eml = next((os.path.join(app.instance_path, "outbox", f)) for f in os.listdir(os.path.join(app.instance_path,
                                                                                               "outbox")))
    assert stat.S_IMODE(os.stat(eml).st_mode) & 0o077 == 0  # only the app's user can read it

    link = reset_link(message)
    assert "Set a new password" in text_of(client.get(link))
    weak = client.post(link, data={"password": "short", "confirm": "other"})
    assert weak.status_code == 400 and "The passwords differ." in errors(weak)
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/account").status_code == 200  # logged in at once
    assert other_device.get("/account").status_code == 302  # and logged out everywhere else

    stranger = app.test_client()
    used = stranger.get(link)
    assert used.status_code == 410 and "This link is no longer valid" in text_of(used)
    assert stranger.post(link, data={"password": "another long pass phrase", "confirm": "another long pass phrase"}
                         ).status_code == 410
    assert login(stranger, "ana@example.org", PASSWORD).status_code == 200  # the old password is gone
    assert login(stranger, "ana@example.org", NEW_PASSWORD).status_code == 302


def test_the_answer_is_the_same_for_an_unknown_address_and_only_the_owner_gets_mail(app, client, make_user):
    make_user(email="ana@example.org")
    known = text_of(client.post("/forgot", data={"email": "ana@example.org"})).replace("ana@example.org", "X")
    unknown = text_of(client.post("/forgot", data={"email": "nobody@example.org"})).replace(
        "nobody@example.org", "X")
    assert known == unknown
    assert deliver_pending() == 1
    assert [m["To"] for m in outbox(app)] == ["ana@example.org"]


def test_a_reset_link_expires_after_an_hour(app, client, make_user):
    make_user(email="ana@example.org")
    client.post("/forgot", data={"email": "ana@example.org"})
    deliver_pending()
    link = reset_link(outbox(app)[0])
    row = db.session.scalar(select(PasswordReset))
    assert row.expires_at - utcnow() <= timedelta(hours=1)
    assert row.expires_at - utcnow() > timedelta(minutes=59)
    db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(link).status_code == 410
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 410


def test_reset_requests_are_limited_per_address_asked_for(app, client, make_user):
    make_user(email="ana@example.org")
    for _n in range(3):
        assert client.post("/forgot", data={"email": "ana@example.org"}).status_code == 200
    refused = client.post("/forgot", data={"email": "ana@example.org"})
    assert refused.status_code == 429 and "Too many requests" in text_of(refused)
    # An address without an account is limited the same way: the limit tells nothing.
    for _n in range(3):
        client.post("/forgot", data={"email": "nobody@example.org"})
    assert client.post("/forgot", data={"email": "nobody@example.org"}).status_code == 429
    assert deliver_pending() == 3


def test_registration_lands_on_a_page_that_says_what_to_do_next(app, client, make_event, make_user):
    event = make_event()
    make_user(email="taken@example.org", display_name="First")
    pages = []
    for email, name in (("new@example.org", "Newcomer"), ("taken@example.org", "Second")):
        response = app.test_client().post("/register", data={
            "email": email, "display_name": name, "password": PASSWORD, "confirm": PASSWORD,
            "event": event.slug}, follow_redirects=True)
        assert response.status_code == 200
        pages.append(text_of(response).replace(email, "X"))
    assert pages[0] == pages[1]  # nothing tells whether the address had an account
    assert "Almost there" in pages[0] and "We sent a message to X." in pages[0]
    assert 'value="X"' in pages[0]  # the login form below has the address filled in

    response = client.post("/register", data={"email": "eva@example.org", "display_name": "Eva",
                                              "password": PASSWORD, "confirm": PASSWORD}, follow_redirects=True)
    assert 'value="eva@example.org"' in text_of(response)
    assert login(client, "eva@example.org").status_code == 302
    assert deliver_pending() == 3
    by_address = {m["To"]: m.get_content() for m in outbox(app)}
    assert "Your agenda account is ready" in by_address["new@example.org"]
    assert "which already has one" in by_address["taken@example.org"]
    assert "/forgot" in by_address["taken@example.org"]


# SMTP: the real thing


def test_messages_go_over_smtp_in_the_recipients_language_as_plain_text(app, client, make_user, smtp_server):
    make_user(email="eva@example.org", display_name="Eva", locale="es")
    client.post("/forgot", data={"email": "eva@example.org"})
    assert deliver_pending() == 1
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["eva@example.org"]
    with force_locale("es"):
        subject, hello = _("Set a new password for agenda"), _("Hello %(name)s,", name="Eva")
    assert subject != "Set a new password for agenda"
    assert message["Subject"] == subject and hello in message.get_content()
    assert not message.is_multipart() and message.get_content_type() == "text/plain"
    assert message["Auto-Submitted"] == "auto-generated"
    # Every address in it is the app's own: nothing to track the reader, nothing from elsewhere.
    assert all(url.startswith("http://agenda.test/") for url in re.findall(r"https?://\S+", message.get_content()))
    assert outbox(app) == []


def test_a_message_that_cannot_be_sent_is_retried_later_and_sent_once(app, client, make_user, smtp_server):
    make_user(email="ana@example.org")
    client.post("/forgot", data={"email": "ana@example.org"})
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    assert deliver_pending() == 0
    row = db.session.scalar(select(OutboxMessage))
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > utcnow()
    assert deliver_pending() == 0  # not due again yet

    app.config["MAIL_PORT"] = smtp_server.port
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert deliver_pending() == 1
    assert deliver_pending() == 0
    assert len(smtp_server.messages) == 1
    assert db.session.scalar(select(OutboxMessage.attempts)) == 2


# Invitations and decisions


@pytest.fixture
def con(app, make_event, make_user):
    event = make_event(slug="con", languages=["en", "es", "fr"], formats=["skillshare"], proposals_open=True,
                       voting_open=True)
    people = {
        "ana": make_user(event, display_name="Ana", email="ana@example.org", languages=["en"]),
        "bea": make_user(event, display_name="Bea", email="bea@example.org", languages=["es"], locale="es"),
        "fac": make_user(event, role="facilitator", display_name="Fay", email="fay@example.org"),
    }
    return event, people


def propose(client, title="Radio for resistance"):
    response = client.post("/con/proposals/new", data={"title": title, "description": "Hands on.",
                                                       "format": "skillshare", "language": "en", "length": "1",
                                                       "visibility": "public"})
    assert response.status_code == 302, errors(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_an_invitation_reaches_a_participant_and_someone_not_yet_registered(app, con, smtp_server):
    event, people = con
    ana = client_for(app, "ana@example.org", PASSWORD)
    pid = propose(ana)
    ana.post(f"/con/proposals/{pid}/invite", data={"email": "bea@example.org"})
    ana.post(f"/con/proposals/{pid}/invite", data={"email": "Newcomer@example.org"})
    ana.post(f"/con/proposals/{pid}/invite", data={"email": "newcomer@example.org"})  # once is enough
    assert deliver_pending() == 2
    bea = smtp_server.to("bea@example.org")[0]
    with force_locale("es"):
        assert _("%(name)s invites you to co-facilitate '%(title)s'.", name="Ana",
                 title="Radio for resistance") in bea.get_content()
    assert f"http://agenda.test/con/proposals/{pid}" in bea.get_content()
    newcomer = smtp_server.to("newcomer@example.org")[0].get_content()
    assert "Ana invites you to co-facilitate 'Radio for resistance' at Test Con." in newcomer
    assert "http://agenda.test/con/" in newcomer

    # The newcomer registers for the event with that address: the invitation waits in the app.
    new = app.test_client()
    new.post("/register", data={"email": "newcomer@example.org", "display_name": "Nia", "password": PASSWORD,
                                "confirm": PASSWORD, "event": "con"})
    login(new, "newcomer@example.org")
    mine = text_of(new.get("/con/me/proposals"))
    assert "Radio for resistance" in mine and "Ana invites you to co-facilitate" in mine
    assert new.post(f"/con/proposals/{pid}/invitation/accept").status_code == 302
    names = {u.display_name for u in db.session.get(Proposal, pid).facilitators}
    assert names == {"Ana", "Nia"}


def test_decisions_are_mailed_to_those_who_want_them_and_noticed_in_the_app_for_all(app, con, smtp_server):
    event, people = con
    ana, bea = client_for(app, "ana@example.org", PASSWORD), client_for(app, "bea@example.org", PASSWORD)
    mine, hers = propose(ana), propose(bea, "Radio para la resistencia")
    # Bea turns decisions off in her profile (and keeps the rest).
    bea.post("/account", data={"display_name": "Bea", "languages": ["es"], "locale": "es",
                               "emails": ["invitations", "changes", "announcements"]})
    fac = client_for(app, "fay@example.org", PASSWORD)
    fac.post(f"/con/proposals/{mine}/review/accepted")
    fac.post(f"/con/proposals/{hers}/review/declined")
    assert deliver_pending() == 1
    [(to, message)] = smtp_server.messages
    assert to == ["ana@example.org"]
    assert "'Radio for resistance' is accepted: it will be placed in the schedule." in message.get_content()
    assert "Radio for resistance" in message["Subject"]
    notices = {(n.user_id, n.kind) for n in db.session.scalars(select(Notice))}
    assert {(people["ana"].id, "accepted"), (people["bea"].id, "declined")} <= notices


# After a publish: one message per person, listing every change to their sessions


def make_everyone_reachable():
    """The demo's generated people cannot log in or read mail; here they can."""
    db.session.execute(update(User).where(User.password_hash == "!").values(
        password_hash="x", email=func.replace(User.email, ".invalid", ".example")))
    db.session.commit()


def single_runs(version):
    counts = {}
    for a in version.assignments:
        counts[a.proposal_id] = counts.get(a.proposal_id, 0) + 1
    return [a for a in version.assignments if counts[a.proposal_id] == 1 and a.proposal.length == 1
            and a.proposal.visibility == "public" and a.table is None]


def test_after_a_facilitator_moves_a_session_and_publishes_each_affected_person_gets_one_message(
        app, demo, smtp_server):
    make_everyone_reachable()
    first = publish_new(demo)
    assert deliver_pending() > 0  # the first publish tells people running sessions where they are
    smtp_server.messages.clear()

    runs = single_runs(first)
    moved = runs[0]
    hosts_moved = {u.id for u in moved.proposal.facilitators}
    gone = next(a for a in runs[1:] if not hosts_moved & {u.id for u in a.proposal.facilitators})
    moved_id, gone_id = moved.proposal_id, gone.proposal_id
    # One session is withdrawn by the person who proposed it: it leaves with the next version.
    proposal_svc.withdraw_proposal(gone.proposal, gone.proposal.proposer)
    draft = db.session.scalar(select(ScheduleVersion).where(ScheduleVersion.status == "draft"))
    # The facilitator moves another to a free room and time.
    fac = client_for(app, "facilitator@example.org")
    taken = {(a.slot_id, a.room_id) for a in draft.assignments}
    before = (moved.slot_id, moved.room_id)
    for slot in db.session.scalars(select(Slot).where(Slot.event_id == demo.id, Slot.kind == "open")):
        for room in db.session.scalars(select(Room).where(Room.event_id == demo.id)):
            if (slot.id, room.id) in taken or slot.id == moved.slot_id:
                continue
            fac.post(f"/{demo.slug}/facilitate/versions/{draft.number}/move",
                     data={"proposal": str(moved_id), "slot": slot.id, "room": room.id})
            db.session.expire_all()
            now = next(a for a in db.session.get(ScheduleVersion, draft.id).assignments if a.proposal_id == moved_id)
            if (now.slot_id, now.room_id) != before:
                break
        else:
            continue
        break
    new_place = (now.slot.local_start, now.room.name)
    assert (now.slot_id, now.room_id) != before

    # Someone affected has turned these messages off.
    voters = {pid: set(db.session.scalars(select(Vote.user_id).where(Vote.proposal_id == pid)))
              for pid in (moved_id, gone_id)}
    hosts = {pid: {f.user_id for f in db.session.scalars(select(Facilitation).where(
        Facilitation.proposal_id == pid, Facilitation.state == "accepted"))} for pid in (moved_id, gone_id)}
    quiet = sorted(voters[moved_id])[0]
    db.session.get(User, quiet).email_prefs = {"changes": False}
    db.session.commit()

    assert fac.post(f"/{demo.slug}/facilitate/versions/{draft.number}/publish").status_code == 302
    assert db.session.get(ScheduleVersion, draft.id).status == "published"
    deliver_pending()

    affected = (voters[moved_id] | hosts[moved_id] | voters[gone_id] | hosts[gone_id]) - {quiet}
    addresses = {db.session.get(User, u).email: u for u in affected}
    received = [to for rcpt, _m in smtp_server.messages for to in rcpt]
    extra = [m.get_content() for rcpt, m in smtp_server.messages if rcpt[0] not in addresses]
    assert sorted(received) == sorted(addresses), extra  # exactly one each, nobody else
    titles = {moved_id: moved.proposal.title, gone_id: gone.proposal.title}
    for rcpt, message in smtp_server.messages:
        user_id = addresses[rcpt[0]]
        body = message.get_content()
        for pid, title in titles.items():
            concerned = user_id in voters[pid] | hosts[pid]
            assert (f"'{title}'" in body) == concerned, (rcpt, title)
        if user_id in voters[moved_id] | hosts[moved_id]:
            line = next(x for x in body.splitlines() if f"'{titles[moved_id]}'" in x)
            assert "moved from" in line and new_place[1] in line and f"{new_place[0]:%H:%M}" in line
        if user_id in voters[gone_id] | hosts[gone_id]:
            assert f"'{titles[gone_id]}' is no longer in the schedule" in body

    # Never twice for the same publish.
    published = db.session.get(ScheduleVersion, draft.id)
    assert queue_publish_mails(demo, first, published) == 0
    db.session.commit()
    assert deliver_pending() == 0
    assert len(smtp_server.messages) == len(addresses)


def test_items_of_a_publish_are_what_the_messages_compare(app, demo):
    # The first publish has nothing to compare with: every placed session is "scheduled".
    make_everyone_reachable()
    version = publish_new(demo)
    hosts = {f.user_id for it in items_of(version) for f in it.proposal.facilitations if f.state == "accepted"}
    keys = set(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("publish:%"))))
    assert keys == {f"publish:{version.id}:{u}" for u in hosts}
