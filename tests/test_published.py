"""A published schedule never changes or disappears silently."""

import html
import json
import re
from collections import Counter
from datetime import date

import icalendar
import pytest
from flask_migrate import upgrade
from lxml import etree
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError

from agenda import create_app, scheduling
from agenda.extensions import db
from agenda.models import (
    Assignment,
    Event,
    Facilitation,
    Membership,
    Notice,
    Proposal,
    Room,
    ScheduleVersion,
    Slot,
    User,
    Vote,
)
from agenda.notices import notice_text
from agenda.services import attendee

from .conftest import DEMO_PASSWORD, client_for, generate, login, need, postgres_ready, publish_new

SPEC = __import__("pathlib").Path(__file__).resolve().parents[1] / "spec" / "frab"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(cal_bytes) -> list:
    return icalendar.Calendar.from_ical(cal_bytes).walk("VEVENT")


def busiest_room(version):
    counts = {}
    for a in version.assignments:
        counts[a.room_id] = counts.get(a.room_id, 0) + 1
    room_id = max((r for r in counts if db.session.get(Room, r).name != "Main hall"), key=lambda r: counts[r])
    return db.session.get(Room, room_id)


# The database refuses


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request, tmp_path, monkeypatch):
    """The demo with a published version, in a database built by the migrations."""
    if request.param == "postgresql":
        need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
        url = request.getfixturevalue("postgres_database")
    else:
        url = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from agenda.demo import load_demo

        event = load_demo(DEMO_PASSWORD)
        version = publish_new(event)
        generate(event)  # and a draft after it
        yield version
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_the_database_refuses_to_change_a_published_version(migrated):
    published = migrated.id
    a = db.session.scalars(select(Assignment).where(Assignment.version_id == published)).first()
    attempts = [
        delete(Assignment).where(Assignment.version_id == published),
        update(Assignment).where(Assignment.id == a.id).values(room_id=a.room_id),
        update(ScheduleVersion).where(ScheduleVersion.id == published).values(number=99),
        delete(ScheduleVersion).where(ScheduleVersion.id == published),
        delete(Room).where(Room.id == a.room_id),
        delete(Slot).where(Slot.id == a.slot_id),
        delete(Proposal).where(Proposal.id == a.proposal_id),
        text("INSERT INTO assignment (version_id, proposal_id, slot_id, room_id, pinned) "
             f"VALUES ({published}, {a.proposal_id}, {a.slot_id}, {a.room_id}, false)"),
    ]
    for statement in attempts:
        with pytest.raises(IntegrityError):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    assert len(db.session.get(ScheduleVersion, published).assignments) == len(migrated.assignments)
    # A draft is work in progress: its rows change freely.
    draft = scheduling.newest_version(migrated.event)
    assert draft.status == "draft"
    db.session.execute(delete(Assignment).where(Assignment.version_id == draft.id))
    db.session.commit()


# Set-up changes are previewed, then land in the next draft


def test_removing_a_room_is_previewed_and_reaches_the_public_only_with_the_next_version(app, client, fac, demo):
    v1 = publish_new(demo)
    room = busiest_room(v1)
    in_room = sorted(a.proposal.title for a in v1.assignments if a.room_id == room.id)
    ics_before = client.get(f"/{demo.slug}/schedule.ics")
    schedule_before = page(client.get(f"/{demo.slug}/schedule"))

    preview = page(fac.post(f"/{demo.slug}/manage/rooms/{room.id}/delete"))
    n = len(in_room)
    assert (f"Removing {room.name} affects {n} published sessions: they will be unscheduled in the next "
            "draft.") in preview
    assert all(title in preview for title in in_room)
    assert "people have them in their agendas." in preview
    db.session.expire_all()
    assert db.session.get(Room, room.id).removed_at is None  # nothing changed yet
    assert scheduling.newest_version(demo).id == v1.id

    done = page(fac.post(f"/{demo.slug}/manage/rooms/{room.id}/delete", data={"confirmed": "1"},
                         follow_redirects=True))
    assert f"{room.name} is removed." in done and "The change is in draft version 2" in done
    # The public schedule is the published version, unchanged, to the byte.
    again = client.get(f"/{demo.slug}/schedule.ics", headers={"If-None-Match": ics_before.headers["ETag"]})
    assert client.get(f"/{demo.slug}/schedule.ics").data == ics_before.data
    assert page(client.get(f"/{demo.slug}/schedule")) == schedule_before
    assert room.name in schedule_before
    draft = scheduling.newest_version(demo)
    assert (draft.number, draft.status) == (2, "draft")
    assert not any(a.room_id == room.id for a in draft.assignments)
    review = page(fac.get(f"/{demo.slug}/facilitate/versions/2"))
    assert all(f"Removed: {title}" in review for title in in_room)
    # Published: the sessions are gone from the schedule and cancelled in calendars.
    fac.post(f"/{demo.slug}/facilitate/versions/2/publish")
    cal = events(client.get(f"/{demo.slug}/schedule.ics").data)
    cancelled = {str(e["SUMMARY"]) for e in cal if e.get("STATUS") == "CANCELLED"}
    public = {t for t in in_room if db.session.scalar(select(Proposal.visibility).where(
        Proposal.title == t)) == "public"}
    assert public <= cancelled
    assert again.status_code == 304  # (asked before the publish: still the same then)


def test_moving_a_slot_moves_its_sessions_in_the_next_draft_only(app, client, fac, demo):
    v1 = publish_new(demo)
    a = next(x for x in v1.assignments if x.proposal.length == 1 and x.proposal.visibility == "public")
    slot = a.slot
    start, end = slot.local_start, slot.local_end
    form = {"day": start.date().isoformat(), "start": f"{start.hour:02d}:{start.minute + 15:02d}",
            "end": f"{end.hour:02d}:{end.minute:02d}", "kind": "open", "label": ""}
    preview = page(fac.post(f"/{demo.slug}/manage/slots/{slot.id}", data=form))
    assert "published sessions move with their slot in the next draft" in preview
    assert a.proposal.title in preview
    fac.post(f"/{demo.slug}/manage/slots/{slot.id}", data={**form, "confirmed": "1"})
    cal = events(client.get(f"/{demo.slug}/schedule.ics").data)
    ev = next(e for e in cal if str(e["UID"]) == attendee.session_guid(demo, a.proposal_id))
    assert ev.decoded("DTSTART").strftime("%H:%M") == f"{start:%H:%M}"  # published: as it was
    publish = fac.post(f"/{demo.slug}/facilitate/versions/2/publish", follow_redirects=True)
    assert "is now the public schedule" in page(publish)
    cal = events(client.get(f"/{demo.slug}/schedule.ics").data)
    ev = next(e for e in cal if str(e["UID"]) == attendee.session_guid(demo, a.proposal_id))
    assert ev.decoded("DTSTART").strftime("%H:%M") == f"{start.hour:02d}:{start.minute + 15:02d}"
    assert int(ev["SEQUENCE"]) >= 1


def test_changing_the_timezone_keeps_local_times_and_leaves_the_published_version(app, client, fac, demo):
    publish_new(demo)
    before = client.get(f"/{demo.slug}/schedule.ics").data
    form = {"name": demo.name, "timezone": "Europe/Berlin", "first_day": "2017-11-07", "last_day": "2017-11-09",
            "languages": "en, es, fr", "formats": "\n".join(demo.formats), "proposals_open": "y",
            "voting_open": "y"}
    preview = page(fac.post(f"/{demo.slug}/manage/", data=form))
    assert "This change touches the published schedule." in preview
    db.session.expire_all()
    assert db.session.get(Event, demo.id).timezone == "Africa/Nairobi"
    fac.post(f"/{demo.slug}/manage/", data={**form, "confirmed": "1"})
    db.session.expire_all()
    event = db.session.get(Event, demo.id)
    assert event.timezone == "Europe/Berlin"
    assert [s.local_start.strftime("%H:%M") for s in event.slots][:2] == ["09:00", "10:30"]
    assert client.get(f"/{demo.slug}/schedule.ics").data == before


def test_narrowing_the_dates_removes_the_slots_outside_after_a_preview(app, fac, demo):
    publish_new(demo)
    form = {"name": demo.name, "timezone": demo.timezone, "first_day": "2017-11-07", "last_day": "2017-11-08",
            "languages": "en, es, fr", "formats": "\n".join(demo.formats), "proposals_open": "y",
            "voting_open": "y"}
    thursday = [s.id for s in demo.slots if s.local_start.day == 9]
    preview = page(fac.post(f"/{demo.slug}/manage/", data=form))
    assert "will be unscheduled in the next draft" in preview
    fac.post(f"/{demo.slug}/manage/", data={**form, "confirmed": "1"})
    db.session.expire_all()
    assert all(db.session.get(Slot, i).removed_at is not None for i in thursday)
    draft = scheduling.newest_version(demo)
    assert not any(a.slot_id in thursday for a in draft.assignments)


# People leave; sessions stay on the published schedule until the next version


def test_deleting_an_account_keeps_the_published_schedule_and_tells_the_voters(app, client, demo, make_user):
    host = make_user(demo, email="host@example.org", display_name="Solo Host")
    titles = [f"Solo session {i}" for i in range(5)]
    for t in titles:
        p = Proposal(event_id=demo.id, title=t, format="skillshare", language="en", status="accepted")
        p.facilitations.append(Facilitation(user_id=host.id, is_proposer=True, state="accepted"))
        db.session.add(p)
    db.session.commit()
    voter = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    solo = db.session.scalars(select(Proposal).where(Proposal.title.in_(titles))).all()
    db.session.add_all(Vote(user_id=voter.id, proposal_id=p.id) for p in solo)
    db.session.commit()
    publish_new(demo)
    before = {str(e["SUMMARY"]) for e in events(client.get(f"/{demo.slug}/schedule.ics").data)}
    placed = before & set(titles)
    assert placed
    host_client = app.test_client()
    login(host_client, "host@example.org")
    host_client.post("/account/delete", data={"del-password": "correct horse battery", "del-sure": "y"})
    after = {str(e["SUMMARY"]) for e in events(client.get(f"/{demo.slug}/schedule.ics").data)}
    assert placed <= after  # the public calendar still has all of them
    assert all(p.status == "withdrawn" for p in db.session.scalars(select(Proposal).where(Proposal.title.in_(titles))))
    draft = scheduling.newest_version(demo)
    assert draft.status == "draft" and not any(a.proposal.title in titles for a in draft.assignments)
    told = [notice_text(n) for n in db.session.scalars(select(Notice).where(Notice.user_id == voter.id))]
    assert sum("the account of the person who ran it was deleted" in t for t in told) == len(titles)


def test_only_the_proposer_or_a_facilitator_withdraws_and_everyone_concerned_is_told(app, demo, make_user):
    version = publish_new(demo)
    a = next(x for x in version.assignments if len(x.proposal.facilitators) >= 2)
    proposal = a.proposal
    proposer, co = proposal.proposer, next(u for u in proposal.facilitators if u.id != proposal.proposer.id)
    voters = set(db.session.scalars(select(Vote.user_id).where(Vote.proposal_id == proposal.id)))
    for u in (proposer, co):
        u.password_hash = db.session.scalar(select(User.password_hash).where(User.email == "participant@example.org"))
    db.session.commit()
    co_client = client_for(app, co.email)
    assert co_client.post(f"/{demo.slug}/proposals/{proposal.id}/withdraw",
                          data={"confirmed": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "accepted"
    # The proposer is asked first: what happens to the schedule, and how many are told.
    mine = client_for(app, proposer.email)
    asked = page(mine.post(f"/{demo.slug}/proposals/{proposal.id}/withdraw"))
    assert f"Withdraw '{proposal.title}'?" in asked and "will be told" in asked
    assert "1 published session will be unscheduled in the next draft." in asked
    mine.post(f"/{demo.slug}/proposals/{proposal.id}/withdraw", data={"confirmed": "1"})
    db.session.expire_all()
    told = set(db.session.scalars(select(Notice.user_id).where(Notice.kind == "withdrawn")))
    assert told == (voters | {co.id})
    assert scheduling.newest_version(demo).status == "draft"
    # A co-facilitator of another session steps down instead.
    other = next(x.proposal for x in version.assignments if len(x.proposal.facilitators) >= 2
                 and x.proposal.id != proposal.id)
    leaver = next(u for u in other.facilitators if u.id != other.proposer.id)
    leaver.password_hash = proposer.password_hash
    db.session.commit()
    client_for(app, leaver.email).post(f"/{demo.slug}/proposals/{other.id}/leave")
    db.session.expire_all()
    assert leaver.id not in {u.id for u in db.session.get(Proposal, other.id).facilitators}
    assert db.session.get(Proposal, other.id).status == "accepted"


# Text edits are versioned content


def test_editing_a_published_title_reaches_every_feed(app, client, demo):
    version = publish_new(demo)
    participant = client_for(app, "participant@example.org")
    me = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    proposal = next(a.proposal for a in version.assignments if a.proposal.visibility == "public"
                    and db.session.get(Vote, (me.id, a.proposal_id)) is not None)
    feed = "/" + participant.post(f"/{demo.slug}/me/calendar", follow_redirects=True).get_data(
        as_text=True).split('readonly value="http://agenda.test/')[1].split('"')[0]
    participant.get(f"/{demo.slug}/me/agenda")  # a first look
    paths = [f"/{demo.slug}/schedule.ics", f"/{demo.slug}/schedule.json", f"/{demo.slug}/schedule.xml", feed]
    old = {p: client.get(p) for p in paths}
    uid = attendee.session_guid(demo, proposal.id)
    seq = next(int(e["SEQUENCE"]) for e in events(old[paths[0]].data) if str(e["UID"]) == uid)
    proposer = proposal.proposer
    proposer.password_hash = me.password_hash
    db.session.commit()
    form = {"title": "A brand new title", "description": proposal.description, "format": proposal.format,
            "language": proposal.language, "length": str(proposal.length), "visibility": "public",
            "needs": proposal.needs}
    saved = client_for(app, proposer.email).post(f"/{demo.slug}/proposals/{proposal.id}/edit", data=form)
    assert saved.status_code == 302
    for p in paths:
        response = client.get(p, headers={"If-None-Match": old[p].headers["ETag"]})
        assert response.status_code == 200, p
        assert "A brand new title" in response.get_data(as_text=True), p
    ev = next(e for e in events(client.get(paths[0]).data) if str(e["UID"]) == uid)
    assert int(ev["SEQUENCE"]) > seq and ev.get("LAST-MODIFIED")
    assert json.loads(client.get(paths[1]).data)["schedule"]["version"] == "v1.1"
    assert etree.fromstring(client.get(paths[2]).data).findtext("version") == "v1.1"
    agenda = page(participant.get(f"/{demo.slug}/me/agenda"))
    assert "Changed since you last looked" in agenda
    assert f"renamed (it was '{proposal_title_before(proposal)}')" in agenda


def proposal_title_before(proposal):
    from agenda.models import ProposalRevision

    return db.session.scalar(select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id)) \
        .changes["title"][0]


def test_making_a_session_participants_only_takes_it_out_of_public_feeds_at_once(app, client, fac, demo):
    version = publish_new(demo)
    proposal = next(a.proposal for a in version.assignments if a.proposal.visibility == "public")
    before = client.get(f"/{demo.slug}/schedule.ics")
    form = {"title": proposal.title, "description": proposal.description, "format": proposal.format,
            "language": proposal.language, "length": str(proposal.length), "visibility": "participants",
            "needs": proposal.needs}
    fac.post(f"/{demo.slug}/proposals/{proposal.id}/edit", data=form)
    after = client.get(f"/{demo.slug}/schedule.ics", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and proposal.title not in after.get_data(as_text=True)


# Every export tells the whole day


def c3voc_xml(data: dict) -> etree._Element:
    """schedule.json to XML the way the c3voc schedule tools do: every key of an event becomes an
    element (id and guid attributes), day_start/day_end become start/end, days move to the root."""
    root = etree.Element("schedule")
    s = data["schedule"]
    etree.SubElement(root, "version").text = s["version"]
    conf = etree.SubElement(root, "conference")
    for k, v in s["conference"].items():
        if k in ("rooms", "days"):
            continue
        etree.SubElement(conf, "days" if k == "daysCount" else k).text = str(v)
    etree.SubElement(conf, "base_url").text = s["base_url"]
    guids = {r["name"]: r["guid"] for r in s["conference"]["rooms"]}
    for day in s["conference"]["days"]:
        d = etree.SubElement(root, "day", index=str(day["index"]), date=day["date"], start=day["day_start"],
                             end=day["day_end"])
        for name, evs in day["rooms"].items():
            r = etree.SubElement(d, "room", name=name, guid=guids[name])
            for ev in evs:
                e = etree.SubElement(r, "event", id=str(ev["id"]), guid=ev["guid"])
                for k, v in ev.items():
                    if k in ("id", "guid"):
                        continue
                    if isinstance(v, list):
                        coll = etree.SubElement(e, k)
                        for item in v:
                            p = etree.SubElement(coll, k[:-1], guid=item["guid"])
                            p.text = item["name"]
                    else:
                        etree.SubElement(e, k).text = str(v)
    return root


def test_exports_carry_plenaries_and_breaks_and_survive_the_c3voc_tools(client, demo):
    publish_new(demo)
    cal = events(client.get(f"/{demo.slug}/schedule.ics").data)
    summaries = {str(e["SUMMARY"]) for e in cal}
    assert {"Opening conversation: the state of global campaigning",
            "Closing circle: next steps together", "Coffee", "Lunch"} <= summaries
    opening = next(e for e in cal if str(e["SUMMARY"]).startswith("Opening conversation"))
    assert str(opening["LOCATION"]) == "Main hall"
    data = json.loads(client.get(f"/{demo.slug}/schedule.json").data)
    all_events = [e for d in data["schedule"]["conference"]["days"] for evs in d["rooms"].values() for e in evs]
    types = {e["type"] for e in all_events}
    assert {"plenary", "break"} <= types
    assert all("end" not in e for e in all_events)
    assert any(e["title"] == "Closing circle: next steps together" and e["room"] == "Main hall" for e in all_events)
    xsd = etree.XMLSchema(etree.parse(str(SPEC / "schedule.xml.xsd")))
    xsd.assertValid(c3voc_xml(data))
    xsd.assertValid(etree.fromstring(client.get(f"/{demo.slug}/schedule.xml").data))


def make_clash(demo, version, me):
    by_slot = {}
    for a in version.assignments:
        by_slot.setdefault(a.slot_id, []).append(a)
    hosting = set(db.session.scalars(select(Facilitation.proposal_id).where(Facilitation.user_id == me.id)))
    voted = set(db.session.scalars(select(Vote.proposal_id).where(Vote.user_id == me.id)))
    runs = Counter(a.proposal_id for a in version.assignments)
    # A slot where the pair is all I would want, each running only there (the schedule may put
    # another of my sessions in the same slot, or give one of the pair another run).
    slot_id, pair = next((k, v[:2]) for k, v in sorted(by_slot.items()) if len(v) >= 2
                         and not any(x.proposal_id in hosting for x in v[:2])
                         and all(x.proposal.length == 1 and runs[x.proposal_id] == 1 for x in v[:2])
                         and not any(x.proposal_id in voted for x in v[2:]))
    for a in pair:
        if db.session.get(Vote, (me.id, a.proposal_id)) is None:
            db.session.add(Vote(user_id=me.id, proposal_id=a.proposal_id))
    db.session.commit()
    return slot_id, pair


def test_personal_feed_has_one_event_per_slot_and_the_text_lists_undecided_clashes(app, client, demo):
    version = publish_new(demo)
    me = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    slot_id, pair = make_clash(demo, version, me)
    mine = client_for(app, "participant@example.org")
    feed = "/" + mine.post(f"/{demo.slug}/me/calendar", follow_redirects=True).get_data(
        as_text=True).split('readonly value="http://agenda.test/')[1].split('"')[0]
    cal = events(client.get(feed).data)
    slot_start = db.session.get(Slot, slot_id).start
    here = [e for e in cal if e.decoded("DTSTART") == slot_start]
    assert len(here) == 2
    assert all(str(e["TRANSP"]) == "TRANSPARENT" and str(e["SUMMARY"]).endswith("(choose one)") for e in here)
    starts = [e.decoded("DTSTART") for e in cal if e.get("STATUS") != "CANCELLED"]
    assert len(starts) == len(set(starts)) + 1  # one event per slot, but for the undecided pair
    text_agenda = mine.get(f"/{demo.slug}/me/agenda.txt").get_data(as_text=True)
    assert "Choose one:" in text_agenda
    assert all(a.proposal.title in text_agenda for a in pair)
    mine.post(f"/{demo.slug}/me/agenda/choose", data={"slot": slot_id, "proposal": pair[1].proposal_id})
    cal = events(client.get(feed).data)
    here = [e for e in cal if e.decoded("DTSTART") == slot_start]
    assert [str(e["SUMMARY"]) for e in here] == [pair[1].proposal.title]
    assert "TRANSP" not in here[0] or str(here[0]["TRANSP"]) != "TRANSPARENT"


def test_feed_urls_come_from_the_configured_base_url_not_the_host_header(app, demo):
    publish_new(demo)
    mine = app.test_client()
    evil = "http://evil.example"
    mine.post("/login", data={"email": "participant@example.org", "password": DEMO_PASSWORD}, base_url=evil)
    response = mine.post(f"/{demo.slug}/me/calendar", base_url=evil, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "evil.example" not in body and 'value="http://agenda.test/' in body
    ics = app.test_client().get(f"/{demo.slug}/schedule.ics", base_url=evil)
    assert b"evil.example" not in ics.data and b"http://agenda.test/" in ics.data


def test_vtimezone_covers_a_january_event_before_the_first_clock_change(app, make_event, make_user):
    from datetime import UTC, datetime

    event = make_event(slug="winter", timezone="Europe/Berlin", first_day=date(2018, 1, 10),
                       last_day=date(2018, 1, 12))
    host = make_user(event)
    db.session.add_all([Slot(event_id=event.id, start=datetime(2018, 1, 10, 8, tzinfo=UTC),
                             end=datetime(2018, 1, 10, 9, tzinfo=UTC)),
                        Room(event_id=event.id, name="Hall", capacity=10)])
    p = Proposal(event_id=event.id, title="Winter school", format="skillshare", language="en", status="accepted")
    p.facilitations.append(Facilitation(user_id=host.id, is_proposer=True, state="accepted"))
    db.session.add(p)
    db.session.commit()
    publish_new(event)
    raw = app.test_client().get("/winter/schedule.ics").data
    cal = icalendar.Calendar.from_ical(raw)
    tz = cal.walk("VTIMEZONE")[0]
    # As a strict reader (ical.js) does: an observance must have begun by the time of each event.
    onsets = [c.decoded("DTSTART") for c in tz.subcomponents]
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART").replace(tzinfo=None)
        assert any(onset <= start for onset in onsets), (onsets, start)
        assert ev.decoded("DTSTART").utcoffset().total_seconds() == 3600


# Roles and words


def test_an_admin_who_never_joined_can_propose_co_facilitate_and_solve(app, demo, make_user):
    admin = make_user(None, is_admin=True, display_name="Site Admin", email="root@example.org")
    client = client_for(app, "root@example.org", "correct horse battery")
    form = {"title": "Admin's session", "description": "", "format": "skillshare", "language": "en",
            "length": "1", "visibility": "public"}
    created = client.post(f"/{demo.slug}/proposals/new", data=form)
    assert created.status_code == 302
    pid = int(created.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/{demo.slug}/proposals/{pid}/review/accepted")
    run = generate(demo)
    assert run.status == "succeeded", run.outcome
    client.post(f"/{demo.slug}/join")
    assert db.session.get(Membership, (admin.id, demo.id)) is not None


def test_refusals_name_people_and_times_not_ids(app, fac, demo):
    version = generate(demo).version
    once = [a for a in version.assignments if a.table is None
            and sum(b.proposal_id == a.proposal_id for b in version.assignments) == 1]
    host, first, second = next((u, a, b) for a in once for b in once if a.slot_id != b.slot_id
                               for u in a.proposal.facilitators if u in b.proposal.facilitators)
    target_room = next(r for r in demo.rooms if r.id != first.room_id and set(second.proposal.needs) <= set(r.features))
    refused = page(fac.post(f"/{demo.slug}/facilitate/versions/{version.number}/move",
                            data={"proposal": str(second.proposal_id), "slot": first.slot_id, "room": target_room.id},
                            follow_redirects=True))
    weekday = first.slot.local_start.strftime("%A")
    assert f"{host.display_name} is in both" in refused
    assert weekday in refused and f"{first.slot.local_start:%H:%M}" in refused
    assert not re.search(r"\b[utpr]\d+\b", refused.split("Refused:")[1].split("</p>")[0])


@pytest.mark.parametrize("path", [
    "/{slug}/schedule?language=%00&format=%ff",
    "/{slug}/schedule?version=" + "9" * 30,
    "/{slug}/now?at=2017-11-08T25:99",
    "/{slug}/now?at=" + "9" * 500,
    "/{slug}/schedule/sessions/" + "1" * 40,
    "/{slug}/proposals?language=\r\n",
    "/{slug}/agenda/" + "x" * 300 + ".ics",
    "/login?next=%0d%0aSet-Cookie:x=1",
    "/" + "a" * 300 + "/schedule",
])
def test_odd_urls_never_give_a_server_error(client, demo, path):
    publish_new(demo)
    assert client.get(path.format(slug=demo.slug)).status_code < 500
