from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from agenda.extensions import db
from agenda.models import Room, Slot

from .conftest import errors, login


@pytest.fixture
def event(make_event):
    return make_event(slug="con")


@pytest.fixture
def as_role(app, event, make_user):
    """A client logged in as anonymous, participant, other-event member, facilitator or admin."""

    def make(role):
        client = app.test_client()
        if role == "anonymous":
            return client
        if role == "outsider":
            user = make_user(None)
        elif role == "site-admin":
            user = make_user(None, is_admin=True)
        else:
            user = make_user(event, role=role)
        login(client, user.email)
        return client

    return make


def setup_pages(event):
    room = Room(event=event, name="Hall", capacity=50, features=[])
    slot = Slot(event=event, start=datetime(2017, 11, 7, 6, tzinfo=UTC),
                end=datetime(2017, 11, 7, 7, tzinfo=UTC))
    db.session.add_all([room, slot])
    db.session.commit()
    base = f"/{event.slug}/manage"
    return [
        ("GET", f"{base}/"), ("GET", f"{base}/rooms"), ("GET", f"{base}/rooms/new"),
        ("GET", f"{base}/rooms/{room.id}"), ("GET", f"{base}/slots"),
        ("GET", f"{base}/slots/{slot.id}"), ("GET", f"{base}/people"),
        ("POST", f"{base}/rooms/{room.id}/delete"), ("POST", f"{base}/slots/{slot.id}/delete"),
    ]


@pytest.mark.parametrize("role,expected", [
    ("anonymous", "login"), ("participant", 404), ("outsider", 404),
    ("facilitator", "ok"), ("admin", "ok"), ("site-admin", "ok"),
])
def test_setup_pages_permission_matrix(as_role, event, role, expected):
    client = as_role(role)
    for method, path in setup_pages(event):
        response = client.open(path, method=method)
        if expected == "login":
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/login"), path
        elif expected == 404:
            assert response.status_code == 404, path
        else:
            assert response.status_code in (200, 302), path
            if response.status_code == 302:
                assert not response.headers["Location"].startswith("/login"), path


def test_objects_of_another_event_are_not_found(as_role, event, make_event):
    other = make_event(slug="other")
    room = Room(event=other, name="Elsewhere", capacity=5)
    db.session.add(room)
    db.session.commit()
    client = as_role("facilitator")
    assert client.get(f"/con/manage/rooms/{room.id}").status_code == 404
    assert client.post(f"/con/manage/rooms/{room.id}/delete").status_code == 404
    assert db.session.scalar(select(func.count(Room.id))) == 1


def test_facilitator_adds_edits_and_removes_a_room(as_role, event):
    client = as_role("facilitator")
    response = client.post("/con/manage/rooms/new", data={
        "name": "Baobab", "capacity": "40", "features": "Projector, step-free, projector"})
    assert response.status_code == 302
    room = db.session.scalar(select(Room).where(Room.name == "Baobab"))
    assert (room.capacity, room.features) == (40, ["projector", "step-free"])
    assert "Baobab" in client.get("/con/manage/rooms").get_data(as_text=True)
    client.post(f"/con/manage/rooms/{room.id}", data={"name": "Baobab", "capacity": "0"})
    db.session.refresh(room)
    assert room.capacity == 0
    asked = client.post(f"/con/manage/rooms/{room.id}/delete")
    assert "Remove Baobab?" in asked.get_data(as_text=True)
    assert "Baobab" in client.get("/con/manage/rooms").get_data(as_text=True)  # not yet
    done = client.post(f"/con/manage/rooms/{room.id}/delete", data={"confirmed": "1"}, follow_redirects=True)
    assert "Baobab is removed." in done.get_data(as_text=True)
    assert "Baobab" not in client.get("/con/manage/rooms").get_data(as_text=True)
    db.session.refresh(room)
    assert room.removed_at is not None


def test_room_bad_input_keeps_what_was_typed(as_role, event):
    client = as_role("facilitator")
    client.post("/con/manage/rooms/new", data={"name": "Hall", "capacity": "100"})
    negative = client.post("/con/manage/rooms/new", data={"name": "Tent", "capacity": "-5",
                                                          "features": "shade"})
    assert errors(negative) == ["Give a number from 0 to 100000."]
    assert 'value="Tent"' in negative.get_data(as_text=True)
    assert 'value="shade"' in negative.get_data(as_text=True)
    duplicate = client.post("/con/manage/rooms/new", data={"name": "Hall", "capacity": "10"})
    assert errors(duplicate) == ["Another room already has this name."]
    word = client.post("/con/manage/rooms/new", data={"name": "Tent", "capacity": "many"})
    assert "Not a valid integer value." in errors(word)
    nul = client.post("/con/manage/rooms/new", data={"name": "Te\x00nt", "capacity": "3"})
    assert errors(nul) == ["Control characters are not allowed here."]
    assert db.session.scalar(select(func.count(Room.id))) == 1


def test_room_unavailable_slots_are_saved(as_role, event):
    client = as_role("facilitator")
    client.post("/con/manage/slots", data={"day": "2017-11-07", "template": "09:00-10:30\n11:00-12:30"})
    slots = db.session.scalars(select(Slot).order_by(Slot.start)).all()
    client.post("/con/manage/rooms/new", data={"name": "Tent", "capacity": "20",
                                               "unavailable": [str(slots[1].id)]})
    room = db.session.scalar(select(Room))
    assert [s.id for s in room.unavailable] == [slots[1].id]


def test_day_of_slots_from_template_in_event_timezone(as_role, event):
    client = as_role("facilitator")
    response = client.post("/con/manage/slots", data={
        "day": "2017-11-08", "template": "09:00-10:30\n11:00–12:30\n14:00-15:30\n16:00-17:30"})
    assert response.status_code == 302
    slots = db.session.scalars(select(Slot).order_by(Slot.start)).all()
    # Nairobi is UTC+3 all year.
    assert [s.start for s in slots][:2] == [datetime(2017, 11, 8, 6, 0, tzinfo=UTC),
                                             datetime(2017, 11, 8, 8, 0, tzinfo=UTC)]
    page = client.get("/con/manage/slots").get_data(as_text=True)
    assert "09:00–10:30" in page and "16:00–17:30" in page


def test_slot_bad_input_is_refused_with_reasons(as_role, event):
    client = as_role("facilitator")
    client.post("/con/manage/slots", data={"day": "2017-11-07", "template": "09:00-10:30"})
    cases = {
        "10:00-11:00": "This overlaps the slot on Tue, Nov 7 at 09:00.",
        "12:00-11:00": "Line 1: a slot must end after it starts.",
        "nine to ten": "Line 1: write a slot as 09:00-10:30.",
        "11:00-12:00\n11:30-12:30": "Two lines of the template overlap.",
    }
    for template, message in cases.items():
        response = client.post("/con/manage/slots", data={"day": "2017-11-07", "template": template})
        assert response.status_code == 400
        assert errors(response) == [message]
    outside = client.post("/con/manage/slots", data={"day": "2018-01-01", "template": "09:00-10:00"})
    assert errors(outside) == ["This day is outside the event's dates."]
    assert db.session.scalar(select(func.count(Slot.id))) == 1


def test_edit_slot_marks_plenary_and_refuses_overlap(as_role, event):
    client = as_role("facilitator")
    client.post("/con/manage/slots", data={"day": "2017-11-07", "template": "09:00-10:30\n11:00-12:30"})
    first, second = db.session.scalars(select(Slot).order_by(Slot.start)).all()
    ok = client.post(f"/con/manage/slots/{first.id}", data={
        "day": "2017-11-07", "start": "09:00", "end": "10:30", "kind": "plenary", "label": "Opening"})
    assert ok.status_code == 302
    db.session.refresh(first)
    assert (first.kind, first.label) == ("plenary", "Opening")
    overlap = client.post(f"/con/manage/slots/{second.id}", data={
        "day": "2017-11-07", "start": "10:00", "end": "12:30", "kind": "open", "label": ""})
    assert errors(overlap) == ["This overlaps the slot on Tue, Nov 7 at 09:00."]
    backwards = client.post(f"/con/manage/slots/{second.id}", data={
        "day": "2017-11-07", "start": "12:30", "end": "11:00", "kind": "open", "label": ""})
    assert errors(backwards) == ["A slot must end after it starts."]


def test_times_follow_the_event_timezone_across_daylight_saving(app, make_event, make_user):
    # Berlin leaves summer time on Sunday 29 October 2017 at 03:00.
    event = make_event(slug="berlin", timezone="Europe/Berlin",
                       first_day=date(2017, 10, 28), last_day=date(2017, 10, 30))
    user = make_user(event, role="facilitator")
    client = app.test_client()
    login(client, user.email)
    for day in ("2017-10-28", "2017-10-29", "2017-10-30"):
        client.post("/berlin/manage/slots", data={"day": day, "template": "09:00-10:30"})
    # A slot after midnight, in the night of the 29th to the 30th.
    client.post("/berlin/manage/slots", data={"day": "2017-10-30", "template": "00:30-01:30"})
    starts = db.session.scalars(select(Slot.start).order_by(Slot.start)).all()
    assert starts == [
        datetime(2017, 10, 28, 7, 0, tzinfo=UTC),   # 09:00 CEST = UTC+2
        datetime(2017, 10, 29, 8, 0, tzinfo=UTC),   # 09:00 CET  = UTC+1
        datetime(2017, 10, 29, 23, 30, tzinfo=UTC),  # 00:30 on Monday, still Sunday in UTC
        datetime(2017, 10, 30, 8, 0, tzinfo=UTC),
    ]
    page = client.get("/berlin/manage/slots").get_data(as_text=True)
    assert page.count("09:00–10:30") == 3
    assert "00:30–01:30" in page
    monday = page.index("Monday, October 30, 2017")
    assert page.index("00:30–01:30") > monday
    # 02:30 happens twice that night; 02:30 on the spring change would not exist.
    gap = client.post("/berlin/manage/slots", data={"day": "2017-10-29", "template": "02:30-02:45"})
    assert gap.status_code == 302


def test_a_time_that_does_not_exist_is_refused(app, make_event, make_user):
    event = make_event(slug="spring", timezone="Europe/Berlin",
                       first_day=date(2018, 3, 24), last_day=date(2018, 3, 26))
    user = make_user(event, role="facilitator")
    client = app.test_client()
    login(client, user.email)
    response = client.post("/spring/manage/slots", data={"day": "2018-03-25", "template": "02:15-03:30"})
    assert errors(response) == ["02:15 does not exist on Sunday, March 25, 2018: the clocks change then."]


def test_event_settings_saved_and_bad_values_refused(as_role, event):
    client = as_role("facilitator")
    form = {"name": "Test Con", "timezone": "America/Bogota", "first_day": "2017-11-07",
            "last_day": "2017-11-09", "languages": "en, es, pt", "formats": "skillshare\nfishbowl",
            "proposals_open": "y", "invite_code": "abc"}
    assert client.post("/con/manage/", data=form).status_code == 302
    db.session.refresh(event)
    assert (event.timezone, event.languages, event.formats) == (
        "America/Bogota", ["en", "es", "pt"], ["skillshare", "fishbowl"])
    assert (event.proposals_open, event.voting_open, event.invite_code) == (True, False, "abc")
    bad = client.post("/con/manage/", data={**form, "timezone": "Mars/Olympus",
                                            "last_day": "2017-11-01", "languages": "english"})
    shown = errors(bad)
    assert "Unknown timezone. Use a name such as Africa/Nairobi." in shown
    assert "Not a language code: english" in shown
    bad_days = client.post("/con/manage/", data={**form, "last_day": "2017-11-01"})
    assert errors(bad_days) == ["The last day cannot come before the first day."]
    db.session.refresh(event)
    assert event.timezone == "America/Bogota"


def test_facilitator_makes_a_participant_facilitator(as_role, event, make_user):
    client = as_role("facilitator")
    person = make_user(event, display_name="Rising Condor")
    assert "Rising Condor" in client.get("/con/manage/people").get_data(as_text=True)
    client.post(f"/con/manage/people/{person.id}/role/facilitator")
    db.session.refresh(person)
    assert person.role_in(event) == "facilitator"
    assert client.post(f"/con/manage/people/{person.id}/role/admin").status_code == 404


def test_admin_creates_an_event(as_role):
    client = as_role("site-admin")
    form = {"slug": "campaigncon-2018", "name": "CampaignCon 2018", "timezone": "Africa/Nairobi",
            "first_day": "2018-11-06", "last_day": "2018-11-08", "languages": "en, fr",
            "formats": "skillshare"}
    assert client.post("/events/new", data=form).status_code == 302
    assert client.get("/campaigncon-2018/").status_code == 200
    taken = client.post("/events/new", data=form)
    assert errors(taken) == ["Another event already uses this address."]
    reserved = client.post("/events/new", data={**form, "slug": "login"})
    assert errors(reserved) == ["Use 2 to 63 lower-case letters, digits and dashes."]
    participant = as_role("participant")
    assert participant.post("/events/new", data={**form, "slug": "sneaky"}).status_code == 404
