"""Attendees: the published schedule, now and next, personal agendas and feeds."""

import gzip
import html
import json
import re
from datetime import timedelta
from pathlib import Path

import icalendar
import jsonschema
import pytest
from lxml import etree
from sqlalchemy import select

from agenda.extensions import db
from agenda.models import Assignment, Proposal, Slot, User
from agenda.services import attendee
from agenda.services import schedule as svc

from .conftest import client_for, publish_new

SPEC = Path(__file__).resolve().parents[1] / "spec" / "frab"



def test_before_publishing_pages_say_so_and_feeds_are_valid_and_empty(client, demo):
    assert "not published yet" in client.get(f"/{demo.slug}/schedule").get_data(as_text=True)
    assert "not published yet" in client.get(f"/{demo.slug}/now").get_data(as_text=True)
    cal = icalendar.Calendar.from_ical(client.get(f"/{demo.slug}/schedule.ics").data)
    assert cal.walk("VEVENT") == []
    xml = etree.fromstring(client.get(f"/{demo.slug}/schedule.xml").data)
    etree.XMLSchema(etree.parse(str(SPEC / "schedule.xml.xsd"))).assertValid(xml)
    data = json.loads(client.get(f"/{demo.slug}/schedule.json").data)
    jsonschema.validate(data, json.loads((SPEC / "schema.json").read_text()))


def test_published_schedule_list_grid_filters_and_session_page(app, client, demo):
    version = publish_new(demo)
    page = html.unescape(client.get(f"/{demo.slug}/schedule").get_data(as_text=True))
    public = [a for a in version.assignments if a.proposal.visibility == "public"]
    assert all(a.proposal.title in page for a in public[:10])
    assert "Version 1" in page
    grid = client.get(f"/{demo.slug}/schedule?view=grid").get_data(as_text=True)
    assert "<table class=\"grid\">" in grid and "Main hall" in grid
    spanish = html.unescape(client.get(f"/{demo.slug}/schedule?language=es").get_data(as_text=True))
    for a in version.assignments:
        if a.proposal.visibility == "public":
            assert (a.proposal.title in spanish) == (a.proposal.language == "es"), a.proposal.title
    some = public[0]
    session = html.unescape(client.get(f"/{demo.slug}/schedule/sessions/{some.proposal_id}").get_data(as_text=True))
    assert some.proposal.title in session and some.room.name in session
    assert some.slot.local_start.strftime("%H:%M") in session  # event time, not UTC
    assert all(u.display_name in session for u in some.proposal.facilitators)


def test_participants_only_sessions_are_closed_everywhere_for_anonymous(app, client, demo):
    version = publish_new(demo)
    secret = next(a for a in version.assignments if a.proposal.visibility == "participants")
    title, hosts = secret.proposal.title, [u.display_name for u in secret.proposal.facilitators]
    pages = [f"/{demo.slug}/schedule", f"/{demo.slug}/schedule?view=grid",
             f"/{demo.slug}/schedule/sessions/{secret.proposal_id}",
             f"/{demo.slug}/now?at={secret.slot.local_start:%Y-%m-%dT%H:%M}",
             f"/{demo.slug}/schedule.ics", f"/{demo.slug}/schedule.xml", f"/{demo.slug}/schedule.json",
             f"/{demo.slug}/proposals", f"/{demo.slug}/proposals/{secret.proposal_id}"]
    for path in pages:
        body = html.unescape(client.get(path, headers={"Accept-Encoding": "identity"}).get_data(as_text=True))
        assert title not in body, path
        assert not any(h in body for h in hosts), path
    member = client_for(app, "participant@example.org")
    assert title in html.unescape(
        member.get(f"/{demo.slug}/schedule/sessions/{secret.proposal_id}").get_data(as_text=True))


def test_unknown_event_session_or_version_is_404_with_a_way_back(client, demo):
    publish_new(demo)
    for path in ["/nope/schedule", f"/{demo.slug}/schedule/sessions/99999", f"/{demo.slug}/schedule?version=7",
                 f"/{demo.slug}/agenda/not-a-token.ics"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert 'href="/"' in response.get_data(as_text=True)


def test_older_published_versions_stay_readable(client, demo):
    publish_new(demo)
    publish_new(demo)
    old = client.get(f"/{demo.slug}/schedule?version=1").get_data(as_text=True)
    assert "This is an older version." in old


def test_now_and_next(client, demo):
    version = publish_new(demo)
    a = version.assignments[0]
    at = a.slot.local_start.strftime("%Y-%m-%dT%H:%M")
    page = client.get(f"/{demo.slug}/now?at={at}").get_data(as_text=True)
    now_part = page.split("Next")[0]
    if a.proposal.visibility == "public":
        assert a.proposal.title in now_part
    assert client.get(f"/{demo.slug}/now").headers["Refresh"] == "60"
    over = client.get(f"/{demo.slug}/now?at=2017-11-10T09:00").get_data(as_text=True)
    assert "The event is over" in over
    assert client.get(f"/{demo.slug}/now?at=yesterday").status_code == 400


def test_exports_validate_and_keep_guids_across_versions(client, demo):
    publish_new(demo)
    xsd = etree.XMLSchema(etree.parse(str(SPEC / "schedule.xml.xsd")))
    schema = json.loads((SPEC / "schema.json").read_text())
    first_xml = etree.fromstring(client.get(f"/{demo.slug}/schedule.xml").data)
    xsd.assertValid(first_xml)
    first_json = json.loads(client.get(f"/{demo.slug}/schedule.json").data)
    jsonschema.validate(first_json, schema)
    # A new version that moves a session: same GUIDs and UIDs, new version, higher SEQUENCE.
    second = publish_new(demo)
    moved = next(a for a in second.assignments if a.proposal.visibility == "public")
    guids = {e.get("id"): e.get("guid") for e in first_xml.iter("event")}
    second_xml = etree.fromstring(client.get(f"/{demo.slug}/schedule.xml").data)
    xsd.assertValid(second_xml)
    assert {e.get("id"): e.get("guid") for e in second_xml.iter("event")}.items() >= {
        k: v for k, v in guids.items() if k in {e.get("id") for e in second_xml.iter("event")}}.items()
    assert first_xml.findtext("version") == "v1" and second_xml.findtext("version") == "v2"
    second_json = json.loads(client.get(f"/{demo.slug}/schedule.json").data)
    jsonschema.validate(second_json, schema)
    assert second_json["schedule"]["version"] == "v2"
    cal = icalendar.Calendar.from_ical(client.get(f"/{demo.slug}/schedule.ics").data)
    uid = attendee.session_guid(demo, moved.proposal_id)
    event = next(e for e in cal.walk("VEVENT") if str(e["UID"]) == uid)
    assert str(event["DTSTART"].params["TZID"]) == "Africa/Nairobi"
    assert event["DTSTART"].dt.utcoffset().total_seconds() == 3 * 3600
    assert event.decoded("DTSTART").strftime("%H:%M") == moved.slot.local_start.strftime("%H:%M")
    assert cal.walk("VTIMEZONE")


def test_ics_sequence_grows_when_a_session_changes(fac_client, demo):
    first = publish_new(demo)
    a = next(x for x in first.assignments if x.proposal.visibility == "public" and x.proposal.length == 1)
    svc.start_run(demo, 2)
    svc.claim_next_run()
    draft = db.session.scalar(select(Assignment).where(Assignment.proposal_id == a.proposal_id,
                                                       Assignment.version_id != first.id))
    assert draft is None  # the run has not executed yet
    run_id = db.session.scalars(select(svc.SolveRun.id).order_by(svc.SolveRun.id.desc())).first()
    second = svc.execute_run(run_id).version
    swapped = False
    for other in second.assignments:  # the schedule is full: swap it with a session elsewhere
        if other.proposal.length == 1 and other.slot_id != a.slot_id:
            try:
                svc.swap_sessions(second, a.proposal_id, other.proposal_id)
            except svc.ServiceError:
                continue
            swapped = True
            break
    assert swapped
    svc.publish_version(second)
    cal = icalendar.Calendar.from_ical(fac_client.get(f"/{demo.slug}/schedule.ics").data)
    event = next(e for e in cal.walk("VEVENT") if str(e["UID"]) == attendee.session_guid(demo, a.proposal_id))
    assert int(event["SEQUENCE"]) == 1


def test_frab_exports_give_people_ids_one_text_per_session_and_the_recommended_fields(client, demo):
    publish_new(demo)
    xsd = etree.XMLSchema(etree.parse(str(SPEC / "schedule.xml.xsd")))
    schema = json.loads((SPEC / "schema.json").read_text())
    xml = etree.fromstring(client.get(f"/{demo.slug}/schedule.xml").data)
    xsd.assertValid(xml)
    base = f"http://agenda.test/{demo.slug}"
    generator = xml.find("generator")
    assert generator.get("name") == "agenda" and generator.get("version")
    assert xml.findtext("url") == f"{base}/schedule.xml" and xml.findtext("conference/url") == f"{base}/schedule"
    people = {(p.get("guid"), p.get("id")) for p in xml.iter("person")}
    assert people and all(int(i) > 0 for _, i in people)
    assert len({g for g, _ in people}) == len({i for _, i in people}) == len(people)  # one id per person
    sessions = [e for e in xml.iter("event") if e.findtext("type") not in ("plenary", "break")]
    assert sessions and all(e.findtext("feedback_url") == e.findtext("url") for e in sessions)
    assert not [e.get("id") for e in xml.iter("event")
                if e.findtext("abstract") and e.findtext("abstract") == e.findtext("description")]
    data = json.loads(client.get(f"/{demo.slug}/schedule.json").data)
    jsonschema.validate(data, schema)
    assert data["generator"]["name"] == "agenda" and data["schedule"]["url"] == f"{base}/schedule.json"
    assert data["schedule"]["conference"]["url"] == f"{base}/schedule"
    events = [e for day in data["schedule"]["conference"]["days"] for room in day["rooms"].values() for e in room]
    assert {(p["guid"], str(p["id"])) for e in events for p in e["persons"]} == people
    assert not [e["id"] for e in events if e["abstract"] and e["abstract"] == e["description"]]
    # The ids stay with the people in the next version.
    publish_new(demo)
    again = {p.get("guid"): p.get("id") for p in etree.fromstring(
        client.get(f"/{demo.slug}/schedule.xml").data).iter("person")}
    assert again and {(g, i) for g, i in again.items() if g in dict(people)} <= people


def test_ics_sequence_grows_when_a_break_or_plenary_changes(client, demo):
    first = publish_new(demo)
    brk = next(s for s in demo.slots if s.kind == "break")
    plenary = next(s for s in demo.slots if s.kind == "plenary")
    before = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(
        client.get(f"/{demo.slug}/schedule.ics").data).walk("VEVENT")}
    assert int(before[attendee.slot_guid(demo, brk.id)]["SEQUENCE"]) == 0
    brk.label, brk.end = "Tea in the garden", brk.end - timedelta(minutes=5)
    db.session.commit()
    second = publish_new(demo)
    assert second.published_at > first.published_at
    after = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(
        client.get(f"/{demo.slug}/schedule.ics").data).walk("VEVENT")}
    changed = after[attendee.slot_guid(demo, brk.id)]
    assert str(changed["SUMMARY"]) == "Tea in the garden"
    assert int(changed["SEQUENCE"]) == 1  # calendars take the new time and name
    assert changed.decoded("LAST-MODIFIED") == second.published_at.replace(microsecond=0)
    same = after[attendee.slot_guid(demo, plenary.id)]
    assert int(same["SEQUENCE"]) == 0 and same.decoded("LAST-MODIFIED") == first.published_at.replace(microsecond=0)


@pytest.fixture
def fac_client(app, demo):
    return client_for(app, "facilitator@example.org")


def test_feeds_answer_conditional_requests(client, demo):
    publish_new(demo)
    for path in ["schedule.ics", "schedule.xml", "schedule.json", "schedule"]:
        first = client.get(f"/{demo.slug}/{path}")
        assert first.status_code == 200 and first.headers["ETag"]
        again = client.get(f"/{demo.slug}/{path}", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path
        since = client.get(f"/{demo.slug}/{path}", headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304, path
    zipped = client.get(f"/{demo.slug}/schedule.xml", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data).startswith(b"<?xml")
    assert client.get(f"/{demo.slug}/schedule.xml", headers={
        "Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]}).status_code == 304
    publish_new(demo)
    assert client.get(f"/{demo.slug}/schedule.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def _language_of(response) -> str:
    """The language a page or the Atom feed was written in, as a reader sees it."""
    body = response.get_data(as_text=True)
    if response.mimetype == "application/atom+xml":
        return etree.fromstring(response.data).findtext("{http://www.w3.org/2005/Atom}title")
    return body.split('<html lang="', 1)[1][:2]


def test_a_copy_in_one_language_is_never_confirmed_for_a_request_in_another(app, demo):
    """As a standard HTTP cache revalidates: the stored copy's validators, the new request's language."""
    version = publish_new(demo)
    pid = next(a.proposal_id for a in version.assignments if a.proposal.visibility == "public")

    def get(url, **headers):
        return app.test_client().get(url, headers=headers)

    for path in ("schedule", f"schedule/sessions/{pid}", "schedule/tables", "announcements.atom"):
        url = f"/{demo.slug}/{path}"
        copies = {lang: get(url, **{"Accept-Language": lang}) for lang in ("en", "es", "fr")}
        assert len({_language_of(r) for r in copies.values()}) == 3, path
        for lang, copy in copies.items():
            assert copy.status_code == 200 and copy.cache_control.public, path
            assert {"accept-language", "cookie"} <= {v.lower() for v in copy.vary}, path
            etag, date = copy.headers["ETag"], copy.headers["Last-Modified"]
            # The same language revalidates, by ETag or by date.
            assert get(url, **{"Accept-Language": lang, "If-None-Match": etag}).status_code == 304, path
            assert get(url, **{"Accept-Language": lang, "If-Modified-Since": date}).status_code == 304, path
            for other in set(copies) - {lang}:
                for validators in ({"If-None-Match": etag}, {"If-Modified-Since": date},
                                   {"If-None-Match": etag, "If-Modified-Since": date}):
                    answer = get(url, **{"Accept-Language": other, **validators})
                    assert answer.status_code == 200, (path, lang, other, validators)
                    assert _language_of(answer) == _language_of(copies[other]), (path, lang, other)
        # The language chosen with the switcher (a cookie) counts as much as the browser's.
        chooser = app.test_client()
        chooser.set_cookie("lang", "es")
        answer = chooser.get(url, headers={"Accept-Language": "en",
                                           "If-Modified-Since": copies["en"].headers["Last-Modified"]})
        assert answer.status_code == 200 and _language_of(answer) == _language_of(copies["es"]), path


def test_personal_agenda_clash_choice_and_suggestions(app, demo):
    version = publish_new(demo)
    me = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    # Make a clash: vote for two sessions that share a slot.
    by_slot = {}
    for a in version.assignments:
        by_slot.setdefault(a.slot_id, []).append(a)
    slot_id, pair = next((k, v[:2]) for k, v in by_slot.items() if len(v) >= 2
                         and all(me.id not in [u.id for u in x.proposal.facilitators] for x in v[:2]))
    from agenda.models import Vote

    for a in pair:
        if db.session.get(Vote, (me.id, a.proposal_id)) is None:
            db.session.add(Vote(user_id=me.id, proposal_id=a.proposal_id))
    db.session.commit()
    client = client_for(app, "participant@example.org")
    page = client.get(f"/{demo.slug}/me/agenda").get_data(as_text=True)
    assert "These clash: choose one." in page
    client.post(f"/{demo.slug}/me/agenda/choose", data={"slot": slot_id, "proposal": pair[1].proposal_id})
    rows = attendee.personal_agenda(me, demo, version)
    row = next(r for r in rows if r.slot.id == slot_id)
    assert row.chosen.proposal.id == pair[1].proposal_id and row.going.proposal.id == pair[1].proposal_id
    text = client.get(f"/{demo.slug}/me/agenda.txt").get_data(as_text=True)
    assert pair[1].proposal.title in text and pair[0].proposal.title not in text.split(pair[1].proposal.title)[0][-5:]
    # A free slot suggests sessions with room to spare (the demo's rooms are never all full).
    free = [r for r in rows if not r.mine and not r.wanted and r.slot.kind == "open"]
    assert free and all(r.suggestions for r in free)
    assert all(s.room.capacity > attendee.vote_counts(demo).get(s.proposal.id, 0) for r in free for s in r.suggestions)


def test_agenda_tells_what_changed_since_last_look(app, demo):
    v1 = publish_new(demo)
    client = client_for(app, "participant@example.org")
    me = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    from agenda.models import Vote

    mine = set(db.session.scalars(select(Vote.proposal_id).where(Vote.user_id == me.id)))
    target = next(a for a in v1.assignments if a.proposal_id in mine and a.proposal.length == 1)
    assert "Changed since you last looked" not in client.get(f"/{demo.slug}/me/agenda").get_data(as_text=True)
    run = svc.start_run(demo, 2)
    svc.claim_next_run()
    v2 = svc.execute_run(run.id).version
    moved_to = None
    for other in v2.assignments:  # the schedule is full: swap it with a session elsewhere
        if other.proposal.length == 1 and other.slot_id != target.slot_id and other.proposal_id not in mine:
            try:
                svc.swap_sessions(v2, target.proposal_id, other.proposal_id)
            except svc.ServiceError:
                continue
            moved_to = db.session.get(Slot, other.slot_id)
            break
    assert moved_to is not None
    svc.publish_version(v2)
    page = client.get(f"/{demo.slug}/me/agenda").get_data(as_text=True)
    assert "Changed since you last looked" in page
    assert (f"moved from {target.slot.local_start:%A %H:%M} to {moved_to.local_start:%A %H:%M}") in page
    assert "Changed since you last looked" not in client.get(f"/{demo.slug}/me/agenda").get_data(as_text=True)


def feed_path(client, slug):
    """Ask for a calendar address (a POST: opening My agenda creates nothing) and read it off the page."""
    page = client.get(f"/{slug}/me/agenda").get_data(as_text=True)
    if 'readonly value="' not in page:
        page = client.post(f"/{slug}/me/calendar", follow_redirects=True).get_data(as_text=True)
    url = page.split('readonly value="')[1].split('"')[0]
    assert url.startswith("http://agenda.test/")  # the configured address, not the request's Host
    return url.split("agenda.test", 1)[1]


def test_personal_calendar_feed_and_revocation(app, client, demo):
    publish_new(demo)
    me_client = client_for(app, "participant@example.org")
    assert 'readonly value="' not in me_client.get(f"/{demo.slug}/me/agenda").get_data(as_text=True)
    path = feed_path(me_client, demo.slug)
    feed = client.get(path)  # no login needed
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(feed.data)
    me = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    from agenda.models import Vote

    mine = set(db.session.scalars(select(Vote.proposal_id).where(Vote.user_id == me.id)))
    voted = {attendee.run_guid(demo, it) for it in attendee.items_of(attendee.newest_published(demo))
             if it.proposal.id in mine}  # a session that runs more than once: one UID per run
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    plenaries = {attendee.slot_guid(demo, s.id) for s in demo.slots if s.kind == "plenary"}
    assert len(plenaries) == 2 and plenaries <= uids  # everyone is at the plenaries
    assert uids - plenaries and uids - plenaries <= voted
    assert "private" in feed.headers["Cache-Control"]
    me_client.post(f"/{demo.slug}/me/calendar")
    assert client.get(path).status_code == 404
    assert client.get(path.replace(demo.slug, "no-such-event")).status_code == 404


def test_attendee_pages_are_small(app, client, demo):
    publish_new(demo)
    # HTML, the stylesheet and the one script every page loads (static/offline.js: offline use).
    extras = 0
    for static in ("style.css", "offline.js"):
        with client.get(f"/static/{static}", headers={"Accept-Encoding": "gzip"}) as r:
            extras += len(r.data)
    for path in ["schedule", "schedule?view=grid", "now", "schedule/sessions/1", "proposals", "harvest"]:
        response = client.get(f"/{demo.slug}/{path}", headers={"Accept-Encoding": "gzip"})
        assert len(response.data) + extras < 30 * 1024, path
    for path in ["schedule", "now"]:
        page = client.get(f"/{demo.slug}/{path}").get_data(as_text=True)
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/offline.js" data-sw="/sw.js" defer>']

    # The proposals list as a participant gets it: with its CSRF tokens, so sent uncompressed (BREACH),
    # one token for the whole list, under 30 KB with the stylesheet and both scripts (issue 22).
    participant = client_for(app, "participant@example.org")
    app.config["WTF_CSRF_ENABLED"] = True
    with client.get("/static/votes.js", headers={"Accept-Encoding": "gzip"}) as r:
        extras += len(r.data)
    response = participant.get(f"/{demo.slug}/proposals", headers={"Accept-Encoding": "gzip"})
    page = response.get_data(as_text=True)
    assert "Content-Encoding" not in response.headers
    assert page.count('name="csrf_token"') == 2  # "Log out" and the list's one form
    assert len(re.findall(r'<li id="p\d+">', page)) == 40
    assert len(re.findall(r'<button formaction="[^"]+/vote" name="want" value="[01]"', page)) > 30
    assert len(response.data) + extras < 30 * 1024


def test_the_proposals_list_comes_in_pages_and_votes_without_javascript(app, demo):
    """40 proposals a page, each once, with page links that keep the filters; a list button marks its
    proposal without JavaScript and brings the reader back to it, on the same page."""
    participant = client_for(app, "participant@example.org")
    base = f"/{demo.slug}/proposals"
    first = participant.get(base).get_data(as_text=True)
    ids = re.findall(r'<li id="p(\d+)">', first)
    assert len(ids) == 40
    total = int(re.search(r"(\d+) proposals", first).group(1))
    assert 40 < total <= 80 and f'<a href="{base}?page=2">2</a>' in first
    second = participant.get(f"{base}?page=2").get_data(as_text=True)
    rest = re.findall(r'<li id="p(\d+)">', second)
    assert len(rest) == total - 40 and not set(ids) & set(rest)
    assert re.findall(r'<li id="p(\d+)">', participant.get(f"{base}?page=99").get_data(as_text=True)) == rest
    filtered = participant.get(f"{base}?f=1&format=skillshare").get_data(as_text=True)
    assert "?page=2" not in filtered  # fewer than 40 skillshares: one page, no links
    everything = participant.get(f"{base}?f=1&language=").get_data(as_text=True)
    assert f'href="{base}?f=1&amp;language=&amp;page=2"' in everything

    # The first proposal of the page not yet marked (the order is the participant's own).
    url, pid = re.search(rf'<button formaction="({base}/(\d+)/vote)" name="want" value="1"', second).groups()
    sent = participant.post(url, data={"want": "1", "next": f"{base}?page=2"})
    assert sent.headers["Location"] == f"{base}?page=2#p{pid}"
    again = participant.get(f"{base}?page=2").get_data(as_text=True)
    assert f'<button formaction="{base}/{pid}/vote" name="want" value="0" aria-pressed="true">' in again
    assert "Marked: you want to attend" in again


def test_slot_after_midnight_and_dst_in_feeds(app, make_event, make_user):
    from datetime import UTC, date, datetime

    event = make_event(slug="night", timezone="Europe/Berlin", first_day=date(2017, 10, 28),
                       last_day=date(2017, 10, 30))
    host = make_user(event)
    slot = Slot(event_id=event.id, start=datetime(2017, 10, 29, 23, 30, tzinfo=UTC),
                end=datetime(2017, 10, 30, 0, 30, tzinfo=UTC))
    from agenda.models import Facilitation, Room

    room = Room(event_id=event.id, name="Cellar", capacity=20)
    p = Proposal(event_id=event.id, title="Night owls", format="skillshare", language="en", status="accepted")
    p.facilitations.append(Facilitation(user_id=host.id, is_proposer=True, state="accepted"))
    db.session.add_all([slot, room, p])
    db.session.commit()
    publish_new(event)
    client = app.test_client()
    cal = icalendar.Calendar.from_ical(client.get("/night/schedule.ics").data)
    ev = cal.walk("VEVENT")[0]
    assert ev.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") == "2017-10-30 00:30"
    assert {c.name for c in cal.walk("VTIMEZONE")[0].subcomponents} == {"STANDARD", "DAYLIGHT"}
    page = client.get("/night/schedule").get_data(as_text=True)
    assert page.index("Monday, October 30") < page.index("00:30")
