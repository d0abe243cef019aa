"""Arrival (issue 21): the participant list imported, sign-in links and badges, days present, head counts."""

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from agenda import create_app
from agenda.extensions import db
from agenda.models import Event, Membership, OutboxMessage, Proposal, Room, Slot, User, Vote

from .conftest import PASSWORD, FreshContextClient, _hash, need, postgres_ready

CSV = """name,email,languages,days
Amina Diallo,amina@example.org,fr en,
Carlos Ruiz,carlos@example.org,es,2017-11-07 2017-11-08
Nadia,,en,2017-11-07
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def arrival(request, tmp_path, monkeypatch):
    """An app on SQLite or PostgreSQL with an event of three days (7–9 November 2017), a slot each
    day, a room, one accepted session and a facilitator: (app, event slug)."""
    if request.param == "postgresql":
        need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
        url = request.getfixturevalue("postgres_database")
    else:
        url = f"sqlite:///{tmp_path / 'arrival.sqlite'}"
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                      "SQLALCHEMY_DATABASE_URI": url, "BASE_URL": "http://agenda.test"})
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.create_all()
        event = Event(slug="con", name="Test Con", timezone="Africa/Nairobi", first_day=date(2017, 11, 7),
                      last_day=date(2017, 11, 9))
        db.session.add(event)
        db.session.flush()
        for day in (7, 8, 9):
            db.session.add(Slot(event_id=event.id, start=datetime(2017, 11, day, 6, tzinfo=UTC),
                                end=datetime(2017, 11, day, 7, tzinfo=UTC)))
        db.session.add(Room(event_id=event.id, name="Hall", capacity=100))
        db.session.add(Proposal(event_id=event.id, title="Street art", format="skillshare", language="en",
                                status="accepted"))
        boss = User(email="boss@example.org", display_name="Boss", password_hash=_hash(PASSWORD))
        boss.memberships.append(Membership(event_id=event.id, role="facilitator"))
        db.session.add(boss)
        db.session.commit()
        try:
            yield app, "con"
        finally:
            db.session.remove()
            db.engine.dispose()


def import_file(app, tmp_path, text, name="people.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["agenda", "import-people", "--event", "con", str(path)])


def invitations():
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("arrival-invite:%"))
                              .order_by(OutboxMessage.id)).all()


def link_in(body: str) -> str:
    return re.search(r"http://agenda\.test(/sign-in/\S+)", body).group(1)


def members():
    return db.session.scalar(select(func.count()).select_from(Membership))


def test_a_file_with_bad_rows_is_refused_whole_with_every_line_named(arrival, tmp_path):
    app, _slug = arrival
    bad = CSV + ("Bea,not-an-address,en,\n"
                 "Chen,chen@example.org,xx,2017-12-01\n"
                 "Dup,amina@example.org,en,\n")
    result = import_file(app, tmp_path, bad)
    assert result.exit_code != 0
    assert "line 5: 'not-an-address' is not an e-mail address" in result.output
    assert "line 6: 'xx' is not a language code we know" in result.output
    assert "line 6: '2017-12-01' is not a day of Test Con" in result.output
    assert "line 7: the address amina@example.org is already on line 2" in result.output
    assert members() == 1 and invitations() == []  # only the facilitator: nothing imported, nothing sent


def test_importing_the_same_file_twice_adds_each_person_once_and_invites_each_once(arrival, tmp_path):
    app, _slug = arrival
    first = import_file(app, tmp_path, CSV)
    assert first.exit_code == 0, first.output
    assert "3 added" in first.output and "2 invitations" in first.output
    again = import_file(app, tmp_path, CSV)
    assert again.exit_code == 0, again.output
    assert "0 added, 0 updated, 3 unchanged; 0 invitations" in again.output
    assert members() == 4
    sent = invitations()
    assert sorted(m.to_address for m in sent) == ["amina@example.org", "carlos@example.org"]
    # In each person's language, naming the event.
    carlos = next(m for m in sent if m.to_address == "carlos@example.org")
    assert carlos.subject == "Te invitamos a Test Con" and "«Entrar»" in carlos.body
    amina = next(m for m in sent if m.to_address == "amina@example.org")
    assert amina.subject == "Vous êtes invité·e à Test Con" and "« Se connecter »" in amina.body

    changed = import_file(app, tmp_path, CSV.replace("Carlos Ruiz,carlos@example.org,es,2017-11-07 2017-11-08",
                                                     "Carlos Ruiz,carlos@example.org,es en,2017-11-09"))
    assert "0 added, 1 updated, 2 unchanged; 0 invitations" in changed.output
    carlos_user = db.session.scalar(select(User).where(User.email == "carlos@example.org"))
    assert carlos_user.languages == ["es", "en"]
    assert db.session.get(Membership, (carlos_user.id, carlos_user.memberships[0].event_id)).days == ["2017-11-09"]


def test_the_invitation_link_survives_a_scanner_signs_in_once_and_not_twice(arrival, tmp_path):
    app, slug = arrival
    import_file(app, tmp_path, CSV)
    link = link_in(next(m for m in invitations() if m.to_address == "amina@example.org").body)
    scanner = app.test_client()
    for _ in range(2):  # a mail scanner opens the link: it only sees a button
        page = scanner.get(link)
        assert page.status_code == 200 and b"Amina Diallo" in page.data
    person = app.test_client()
    signed_in = person.post(link)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == f"/{slug}/proposals"
    assert b"Amina Diallo" in person.get(f"/{slug}/proposals").data  # their name in the header
    assert app.test_client().post(link).status_code == 410
    assert app.test_client().get(link).status_code == 410


def test_a_sign_in_link_dies_when_a_password_is_set(arrival, tmp_path):
    app, _slug = arrival
    import_file(app, tmp_path, CSV)
    link = link_in(invitations()[0].body)
    user = db.session.scalar(select(User).where(User.email == invitations()[0].to_address))
    user.password_hash = _hash(PASSWORD)
    db.session.commit()
    assert app.test_client().post(link).status_code == 410


def test_e_mail_me_a_sign_in_link_tells_nothing_about_who_has_an_account(arrival, tmp_path):
    app, slug = arrival
    import_file(app, tmp_path, CSV)
    client = app.test_client()
    assert b"E-mail me a sign-in link" in client.get("/login").data
    known = client.post("/sign-in-link", data={"email": "carlos@example.org"})
    unknown = client.post("/sign-in-link", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.data.replace(b"carlos", b"X") == unknown.data.replace(b"nobody", b"X")
    asked = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("sign-in:%"))).all()
    assert [m.to_address for m in asked] == ["carlos@example.org"]
    assert app.test_client().post(link_in(asked[0].body)).headers["Location"] == f"/{slug}/proposals"
    # The same limits as password reset: three a quarter of an hour for one address.
    statuses = [client.post("/sign-in-link", data={"email": "carlos@example.org"}).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_the_upload_on_the_people_page_refuses_a_bad_file_and_imports_a_good_one(arrival):
    import io

    app, slug = arrival
    client = app.test_client()
    assert client.post("/login", data={"email": "boss@example.org", "password": PASSWORD}).status_code == 302
    assert b"Import the participant list" in client.get(f"/{slug}/manage/people").data
    bad = client.post(f"/{slug}/manage/people/import", content_type="multipart/form-data",
                      data={"file": (io.BytesIO((CSV + "Bea,not-an-address,en,\n").encode()), "people.csv")})
    assert bad.status_code == 400
    assert "line 5: &#39;not-an-address&#39; is not an e-mail address" in bad.get_data(as_text=True)
    assert members() == 1
    good = client.post(f"/{slug}/manage/people/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(CSV.encode()), "people.csv")}, follow_redirects=True)
    assert good.status_code == 200 and b"Nadia" in good.data and members() == 4


def test_a_badge_signs_its_holder_in_on_several_devices_until_reprinted_or_revoked(arrival, tmp_path):
    app, slug = arrival
    import_file(app, tmp_path, CSV)
    out = tmp_path / "badges"
    result = app.test_cli_runner().invoke(args=["agenda", "badges", "--event", "con", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = (out / "badges.csv").read_text().splitlines()
    assert rows[0] == "name,url" and len(rows) == 2 and rows[1].startswith("Nadia,http://agenda.test/sign-in/")
    sheet = (out / "badges.html").read_text()
    assert sheet.count("<svg") == 1 and "Nadia" in sheet and "Test Con" in sheet and "size: A4" in sheet
    link = rows[1].split(",", 1)[1].removeprefix("http://agenda.test")
    for _device in range(2):
        assert app.test_client().post(link).headers["Location"] == f"/{slug}/proposals"

    boss = app.test_client()
    boss.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    reprinted = boss.post(f"/{slug}/manage/badges/print")
    assert reprinted.status_code == 200 and b"Nadia" in reprinted.data and b"<svg" in reprinted.data
    assert app.test_client().post(link).status_code == 410  # the old badge no longer works
    nadia = db.session.scalar(select(User).where(User.display_name == "Nadia"))
    assert boss.post(f"/{slug}/manage/badges/{nadia.id}/revoke").status_code == 302
    from agenda.models import SignInLink

    assert db.session.scalar(select(func.count()).select_from(SignInLink).where(
        SignInLink.kind == "badge", SignInLink.revoked_at.is_(None))) == 0


def test_the_poster_shows_the_event_and_a_code_of_its_proposals_page(arrival):
    app, slug = arrival
    page = app.test_client().get(f"/{slug}/poster")
    assert page.status_code == 200
    assert b"Test Con" in page.data and b"<svg" in page.data and b"http://agenda.test/con/proposals" in page.data


def test_a_person_present_on_the_first_day_only_is_unavailable_on_the_others(arrival, tmp_path):
    app, _slug = arrival
    import_file(app, tmp_path, CSV)
    nadia = db.session.scalar(select(User).where(User.display_name == "Nadia"))
    proposal = db.session.scalar(select(Proposal))
    db.session.add(Vote(user_id=nadia.id, proposal_id=proposal.id))
    db.session.commit()
    out = tmp_path / "instance.json"
    result = app.test_cli_runner().invoke(args=["agenda", "export-instance", "--event", "con", "--out", str(out)])
    assert result.exit_code == 0, result.output
    instance = json.loads(out.read_text())
    day_of = {s["id"]: s["day"] for s in instance["slots"]}
    (person,) = instance["participants"]
    assert sorted(day_of[s] for s in person["unavailable"]) == ["2017-11-08", "2017-11-09"]


def test_head_counts_become_the_expected_attendance_of_the_sessions_to_come(arrival):
    from agenda import scheduling
    from agenda.services import arrival as svc

    app, _slug = arrival
    event = db.session.scalar(select(Event))
    boss = db.session.scalar(select(User))
    held = db.session.scalar(select(Proposal))
    coming = Proposal(event_id=event.id, title="Data for campaigns", format="skillshare", language="en",
                      status="accepted")
    db.session.add(coming)
    voters = [User(email=f"v{i}@example.org", display_name=f"V{i}", password_hash="") for i in range(6)]
    db.session.add_all(voters)
    db.session.flush()
    db.session.add_all([Vote(user_id=v.id, proposal_id=held.id) for v in voters[:2]])
    db.session.add_all([Vote(user_id=v.id, proposal_id=coming.id) for v in voters])
    db.session.commit()
    built = scheduling.build_problem(event)
    assert all(s.expected is None for s in built.problem.sessions)  # nothing counted yet: votes decide

    svc.set_head_count(held.id, event.slots[0].id, 10, boss)  # 2 votes, 10 came: five times the votes
    expected = {built.proposals[s.id].id: s.expected for s in scheduling.build_problem(event).problem.sessions}
    assert expected == {held.id: 10, coming.id: 30}


def boss_client(app):
    client = app.test_client()
    assert client.post("/login", data={"email": "boss@example.org", "password": PASSWORD}).status_code == 302
    return client


def test_the_team_enters_head_counts_per_slot_and_the_draft_shows_them_beside_the_votes(arrival, tmp_path):
    from .conftest import publish_new

    app, slug = arrival
    import_file(app, tmp_path, CSV)
    event = db.session.scalar(select(Event))
    version = publish_new(event, time_limit=1)
    (run,) = version.assignments
    slot_id, proposal_id = run.slot_id, run.proposal_id
    boss = boss_client(app)
    now = boss.get(f"/{slug}/facilitate/head-counts")
    assert now.status_code == 302
    page = boss.get(f"/{slug}/facilitate/head-counts/{slot_id}")
    assert b"Street art" in page.data
    bad = boss.post(f"/{slug}/facilitate/head-counts/{slot_id}", data={f"count-{proposal_id}": "many"})
    assert bad.status_code == 400 and b"Enter a number of people from 0 to 100000." in bad.data
    assert boss.post(f"/{slug}/facilitate/head-counts/{slot_id}",
                     data={f"count-{proposal_id}": "23"}).status_code == 302
    draft = boss.get(f"/{slug}/facilitate/versions/{version.number}").get_data(as_text=True)
    assert "23 came" in draft
    # Amina every day, Carlos on the 7th and 8th, Nadia on the 7th, and the facilitator.
    assert "People present:" in draft and ": 4 people" in draft and ": 3 people" in draft and ": 2 people" in draft


def test_a_session_s_facilitators_enter_its_head_count_from_its_notes_page(arrival, tmp_path):
    from agenda.models import Facilitation, HeadCount

    from .conftest import publish_new

    app, slug = arrival
    import_file(app, tmp_path, CSV)
    event = db.session.scalar(select(Event))
    amina = db.session.scalar(select(User).where(User.email == "amina@example.org"))
    proposal = db.session.scalar(select(Proposal))
    db.session.add(Facilitation(proposal_id=proposal.id, user_id=amina.id, is_proposer=True, state="accepted"))
    db.session.commit()
    version = publish_new(event, time_limit=1)
    slot_id = version.assignments[0].slot_id
    client = app.test_client()
    client.post(link_in(next(m for m in invitations() if m.to_address == "amina@example.org").body))
    assert f"/{slug}/proposals/{proposal.id}/head-count".encode() in client.get(
        f"/{slug}/sessions/{proposal.id}/notes").data
    saved = client.post(f"/{slug}/proposals/{proposal.id}/head-count", data={f"run{slot_id}-count": "17"})
    assert saved.status_code == 302
    assert db.session.get(HeadCount, (proposal.id, slot_id)).count == 17
    # Someone who does not run it may not.
    carlos = app.test_client()
    carlos.post(link_in(next(m for m in invitations() if m.to_address == "carlos@example.org").body))
    assert carlos.post(f"/{slug}/proposals/{proposal.id}/head-count",
                       data={f"run{slot_id}-count": "1"}).status_code == 404


def test_participants_and_facilitators_set_the_days_someone_is_present(arrival, tmp_path):
    app, slug = arrival
    import_file(app, tmp_path, CSV)
    amina = db.session.scalar(select(User).where(User.email == "amina@example.org"))
    client = app.test_client()
    client.post(link_in(next(m for m in invitations() if m.to_address == "amina@example.org").body))
    assert client.post(f"/{slug}/my-days", data={"days": ["2017-11-09"]}).status_code == 302
    assert db.session.get(Membership, (amina.id, db.session.scalar(select(Event.id)))).days == ["2017-11-09"]
    assert json.loads(client.get("/account/data.json").data)["events"][0]["days_present"] == ["2017-11-09"]
    boss = boss_client(app)
    assert boss.post(f"/{slug}/manage/people/{amina.id}/days",
                     data={"days": ["2017-11-07", "2017-11-08", "2017-11-09"]}).status_code == 302
    assert db.session.get(Membership, (amina.id, db.session.scalar(select(Event.id)))).days is None  # every day
    assert boss.post(f"/{slug}/manage/people/{amina.id}/days", data={"days": ["2018-01-01"]}).status_code == 400


def test_someone_who_signed_in_with_a_link_may_set_a_password_and_the_link_dies(arrival, tmp_path):
    app, slug = arrival
    import_file(app, tmp_path, CSV)
    client = app.test_client()
    client.post(link_in(next(m for m in invitations() if m.to_address == "amina@example.org").body))
    assert b"/account/first-password" in client.get(f"/{slug}/proposals").data
    assert client.post("/account/first-password", data={"password": "short", "confirm": "short"}).status_code == 400
    new = "plum violin harbour lantern"
    assert client.post("/account/first-password", data={"password": new, "confirm": new}).status_code == 302
    assert app.test_client().post("/login", data={"email": "amina@example.org", "password": new}).status_code == 302
    again = app.test_client()
    again.post("/sign-in-link", data={"email": "amina@example.org"})
    (asked,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("sign-in:%"))).all()
    link = link_in(asked.body)
    db.session.get(User, asked.user_id).password_hash = _hash("another long password here")
    db.session.commit()
    assert app.test_client().post(link).status_code == 410  # the password changed after the link was made


def test_days_present_and_head_counts_survive_a_backup_and_restore(arrival, tmp_path):
    from agenda.models import HeadCount
    from agenda.services import arrival as svc

    from .conftest import publish_new

    app, _slug = arrival
    import_file(app, tmp_path, CSV)
    event = db.session.scalar(select(Event))
    run = publish_new(event, time_limit=1).assignments[0]
    svc.set_head_count(run.proposal_id, run.slot_id, 31, db.session.scalar(select(User)))
    backup = tmp_path / "backup.json"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["agenda", "export-event", "--event", "con", "--out", str(backup)]).exit_code == 0
    restored = runner.invoke(args=["agenda", "import-event", str(backup), "--slug", "copy"])
    assert restored.exit_code == 0, restored.output
    copy = db.session.scalar(select(Event).where(Event.slug == "copy"))
    carlos = db.session.scalar(select(User).where(User.email == "carlos@example.org"))
    assert db.session.get(Membership, (carlos.id, copy.id)).days == ["2017-11-07", "2017-11-08"]
    assert [h.count for h in db.session.scalars(select(HeadCount).join(Proposal).where(
        Proposal.event_id == copy.id))] == [31]


def test_someone_imported_without_an_address_who_gives_one_later_is_updated_and_invited(arrival, tmp_path):
    app, _slug = arrival
    import_file(app, tmp_path, CSV)
    later = import_file(app, tmp_path, CSV.replace("Nadia,,en,", "Nadia,nadia@example.org,en,"))
    assert "0 added, 1 updated, 2 unchanged; 1 invitations" in later.output
    assert db.session.scalar(select(func.count()).select_from(User).where(User.display_name == "Nadia")) == 1
    assert [m.to_address for m in invitations()][-1] == "nadia@example.org"
