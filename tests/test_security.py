"""Defects found by trying the app as an attacker would, each fixed and kept fixed."""

import os
import stat
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from agenda import create_app
from agenda.extensions import db
from agenda.models import CalendarToken, Event, Proposal, User, utcnow

from .conftest import DEMO_PASSWORD, PASSWORD, client_for, errors, login, publish_new


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\t/evil.example", "//evil.example", "https://evil.example",
                                    "/\\evil.example", "/%0d%0aSet-Cookie:%20x=1", "/ok\r\nX-Injected: 1"])
def test_login_next_never_leaves_the_site_or_breaks_the_response(client, make_user, target):
    make_user(email="nx@example.org")
    response = client.post("/login?next=" + target.replace("\t", "%09").replace("\r", "%0d").replace("\n", "%0a"),
                           data={"email": "nx@example.org", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location.split("?")[0][:12]
    assert "\r" not in location and "\n" not in location and "X-Injected" not in response.headers


def test_a_vote_with_a_broken_next_goes_back_to_the_proposal(app, demo):
    client = client_for(app, "participant@example.org")
    proposal = db.session.scalar(select(Proposal).where(Proposal.status == "accepted").limit(1))
    response = client.post(f"/{demo.slug}/proposals/{proposal.id}/vote",
                           data={"want": "1", "next": f"/{demo.slug}/proposals\r\nX-Injected: 1"})
    assert response.status_code in (302, 400) and "X-Injected" not in response.headers


def test_the_vote_endpoint_tells_nothing_about_proposals_one_may_not_see(app, demo, make_event, make_user):
    other_event = make_event(slug="elsewhere")
    outsider = make_user(other_event, email="outsider@example.org")
    hidden = {}
    for status in ("declined", "withdrawn", "merged"):
        p = Proposal(event_id=demo.id, title=f"Secret {status} title", format="skillshare", language="en",
                     status=status)
        db.session.add(p)
        hidden[status] = p
    p = Proposal(event_id=demo.id, title="Secret participants-only title", format="skillshare", language="en",
                 status="accepted", visibility="participants")
    db.session.add(p)
    db.session.commit()
    member = client_for(app, "participant@example.org")
    stranger = app.test_client()
    login(stranger, outsider.email)
    for client, proposals in ((member, hidden.values()), (stranger, [*hidden.values(), p])):
        for proposal in proposals:
            for accept in ("application/json", "text/html"):
                r = client.post(f"/{demo.slug}/proposals/{proposal.id}/vote", data={"want": "1"},
                                headers={"Accept": accept})
                assert r.status_code == 404
                assert "Secret" not in r.get_data(as_text=True)


def test_successful_logins_do_not_use_up_a_shared_venue_address(app, make_user):
    app.config["LOGIN_LIMIT_ADDRESS"] = 3
    for i in range(6):
        make_user(email=f"venue{i}@example.org")
    for i in range(6):  # six people at one venue log in fine
        assert login(app.test_client(), f"venue{i}@example.org").status_code == 302
    failures = [app.test_client().post("/login", data={"email": "venue0@example.org", "password": "wrong one!"})
                .status_code for _ in range(4)]
    assert failures == [200, 200, 200, 429]  # failures still count


def test_the_proxy_address_is_trusted_only_through_the_configured_hops(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "inst"))
    for hops, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        app = create_app({"PROXY_HOPS": hops, "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

        @app.get("/whoami")
        def whoami():
            from agenda.security import client_address

            return client_address()

        seen = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"},
                                     environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
        assert seen == expected


def test_an_event_spans_at_most_31_days_and_sane_years(app, make_event, make_user):
    event = make_event(slug="capped")
    make_user(event, role="facilitator", email="cap@example.org")
    client = app.test_client()
    login(client, "cap@example.org")
    form = {"name": "Capped", "timezone": "UTC", "first_day": "2017-11-07", "last_day": "9999-12-31",
            "languages": "en", "formats": "skillshare"}
    assert errors(client.post("/capped/manage/", data=form)) == ["Give a date between 1970 and 2200."]
    far = client.post("/capped/manage/", data={**form, "last_day": "2018-01-31"})
    assert errors(far) == ["An event lasts at most 31 days."]
    db.session.refresh(event)
    assert event.last_day.year == 2017


@pytest.mark.parametrize("title,message", [
    ("Bad \ufffe title", "This text holds invisible characters that are not allowed here."),
    ("Bad \uffff title", "This text holds invisible characters that are not allowed here."),
    ("Evil \u202eeltit", "This text holds invisible characters that are not allowed here."),
    ("Two\r\nlines", "Write this on one line."),
    ("Nul\x00byte", "Control characters are not allowed here."),
])
def test_single_line_fields_refuse_line_breaks_direction_overrides_and_noncharacters(app, make_event, make_user,
                                                                                      title, message):
    event = make_event(slug="clean", formats=["skillshare"], languages=["en"])
    make_user(event, email="clean@example.org")
    client = app.test_client()
    login(client, "clean@example.org")
    form = {"title": title, "description": "Line one\nline two", "format": "skillshare", "language": "en",
            "length": "1", "visibility": "public"}
    response = client.post("/clean/proposals/new", data=form)
    assert response.status_code == 400 and message in errors(response)
    ok = client.post("/clean/proposals/new", data={**form, "title": "Fine title"})
    assert ok.status_code == 302  # a description may have line breaks
    assert db.session.scalar(select(func.count(Proposal.id))) == 1


def test_settings_and_slot_forms_with_a_missing_field_answer_with_errors(app, make_event, make_user):
    event = make_event(slug="partial")
    make_user(event, role="facilitator", email="partial@example.org")
    client = app.test_client()
    login(client, "partial@example.org")
    for data in ({}, {"name": "x", "first_day": "2017-11-07"}, {"timezone": "", "name": ""}):
        assert client.post("/partial/manage/", data=data).status_code in (200, 302, 400), data
    db.session.refresh(event)
    assert event.timezone == "Africa/Nairobi" and event.first_day.isoformat() == "2017-11-07"
    client.post("/partial/manage/slots", data={"day": "2017-11-07", "template": "09:00-10:00"})
    slot = event.slots[0]
    for data in ({}, {"day": "2017-11-07"}, {"day": "2017-11-07", "start": "09:00", "end": "10:00"},
                 {"day": "2017-11-07", "start": "09:00", "end": "10:00", "kind": "circus"}, {"start": "tea"}):
        assert client.post(f"/partial/manage/slots/{slot.id}", data=data).status_code in (302, 400), data
    db.session.refresh(slot)
    assert (slot.kind, slot.local_start.strftime("%H:%M")) == ("open", "09:00")
    assert client.post("/partial/manage/slots", data={}).status_code == 400


def test_sessions_end_after_idling_or_at_their_absolute_limit(app, make_user):
    make_user(email="idle@example.org")
    client = app.test_client()
    login(client, "idle@example.org")
    assert client.get("/account").status_code == 200
    with client.session_transaction() as s:
        s["seen_at"] = (utcnow() - timedelta(seconds=app.config["SESSION_IDLE_TIMEOUT"] + 60)).isoformat()
    assert client.get("/account").status_code == 302  # idle too long: log in again
    login(client, "idle@example.org")
    with client.session_transaction() as s:
        s["auth_at"] = (utcnow() - timedelta(seconds=app.config["SESSION_ABSOLUTE_TIMEOUT"] + 60)).isoformat()
    assert client.get("/account").status_code == 302  # however active, not longer than the limit


def test_hsts_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("password", ["password12", "1234567890", "qwertyuiop", "hazel@example.org",
                                      "hazel@example.org1", "HazelNutmeg1"])
def test_weak_or_personal_passwords_are_refused(client, password):
    form = {"email": "hazel@example.org", "display_name": "Hazel Nutmeg", "password": password, "confirm": password}
    response = client.post("/register", data=form)
    assert any("too easy to guess" in e for e in errors(response)), (password, errors(response))
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_changing_to_a_weak_password_is_refused(app, make_user):
    make_user(email="strong@example.org")
    client = app.test_client()
    login(client, "strong@example.org")
    response = client.post("/account/password", data={"pw-current": PASSWORD, "pw-password": "password12",
                                                       "pw-confirm": "password12"})
    assert any("too easy to guess" in e for e in errors(response))


def test_the_sqlite_files_are_readable_by_their_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("AGENDA_DATABASE_URL", raising=False)
    app = create_app()
    with app.app_context():
        db.create_all()
        db.session.add(Event(slug="x-event", name="x", first_day=utcnow().date(), last_day=utcnow().date()))
        db.session.commit()
        for suffix in ("", "-wal", "-shm"):
            path = tmp_path / "inst" / f"agenda.sqlite{suffix}"
            if path.exists():
                assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, suffix
        db.session.remove()
        db.engine.dispose()


def test_registration_is_rate_limited_per_address(app, client):
    app.config["REGISTER_LIMIT_ADDRESS"] = 2
    statuses = []
    for i in range(3):
        pw = "a rather long passphrase 42"
        statuses.append(client.post("/register", data={"email": f"r{i}@example.org", "display_name": f"R {i}",
                                                      "password": pw, "confirm": pw}).status_code)
    assert statuses[:2] == [302, 302] and statuses[2] == 429
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_opening_my_agenda_writes_nothing_and_non_members_get_nothing(app, demo, make_user):
    publish_new(demo)
    member = client_for(app, "participant@example.org")
    assert member.get(f"/{demo.slug}/me/agenda").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(CalendarToken)) == 0
    make_user(None, email="nonmember@example.org")
    stranger = app.test_client()
    login(stranger, "nonmember@example.org")
    assert stranger.get(f"/{demo.slug}/me/agenda").status_code == 404
    assert stranger.post(f"/{demo.slug}/me/calendar").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CalendarToken)) == 0
    assert DEMO_PASSWORD
