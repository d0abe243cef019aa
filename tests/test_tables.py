"""The seed's formats in the app: halls with tables, repeated runs, series, preferred times."""

import html
import json
import re
from collections import Counter

import icalendar
import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agenda import scheduling
from agenda.extensions import db
from agenda.models import AgendaChoice, Proposal, Room, RoomBooking, ScheduleVersion, Slot, User
from agenda.services import schedule as svc

from .conftest import client_for, errors, generate

BAZAAR = "bazaar table"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def draft(demo):
    return generate(demo, time_limit=4).version


def runs_by_proposal(version):
    out = {}
    for a in version.assignments:
        out.setdefault(a.proposal_id, []).append(a)
    return out


# Set-up


def test_a_room_becomes_a_hall_of_tables_and_formats_say_how_they_run(demo, fac):
    room = next(r for r in demo.rooms if r.tables == 0 and r.name == "Baobab room")
    form = {"name": room.name, "capacity": room.capacity, "features": ", ".join(room.features)}
    bad = fac.post(f"/{demo.slug}/manage/rooms/{room.id}", data={**form, "tables": "-2"})
    assert bad.status_code == 400 and errors(bad) == ["Give a number from 0 to 500."]
    assert fac.post(f"/{demo.slug}/manage/rooms/{room.id}", data={**form, "tables": "8"}).status_code == 302
    assert db.session.get(Room, room.id).tables == 8
    assert "8 tables" in page(fac.get(f"/{demo.slug}/manage/rooms"))

    formats = page(fac.get(f"/{demo.slug}/manage/formats"))
    assert "bazaar table" in formats and "At tables in a hall" in formats
    i = demo.formats.index("working session")
    fields = {}
    for k, name in enumerate(demo.formats):
        current = demo.format_settings.get(name, {})
        fields[f"runs_{k}"] = str(current.get("runs", 1))
        if current.get("at_table"):
            fields[f"table_{k}"] = "y"
    wrong = fac.post(f"/{demo.slug}/manage/formats", data={**fields, f"runs_{i}": "0"})
    assert wrong.status_code == 400 and "Give how many times, 1 to 10." in errors(wrong)
    fac.post(f"/{demo.slug}/manage/formats", data={**fields, f"runs_{i}": "2", "confirmed": "1"})
    db.session.expire_all()
    assert demo.format_settings["working session"] == {"at_table": False, "runs": 2}
    assert demo.format_settings[BAZAAR] == {"at_table": True, "runs": 3}


def test_proposers_mark_preferred_times_and_facilitators_set_runs_and_series(app, demo, fac):
    participant = client_for(app, "participant@example.org")
    wednesday = [s for s in demo.slots if s.kind == "open" and s.local_start.day == 8][:2]
    response = participant.post(f"/{demo.slug}/proposals/new", data={
        "title": "Radio for resistance", "description": "Hands on.", "format": "working session",
        "language": "en", "length": "1", "visibility": "public",
        "prefer": [str(s.id) for s in wednesday], "prefer_reason": "I arrive on Tuesday night"})
    assert response.status_code == 302, errors(response)
    pid = int(response.headers["Location"].rsplit("/", 1)[1])
    proposal = db.session.get(Proposal, pid)
    assert [s.id for s in proposal.preferred] == [s.id for s in wednesday]
    shown = page(fac.get(f"/{demo.slug}/proposals/{pid}"))
    assert "Why: I arrive on Tuesday night" in shown
    assert "I arrive on Tuesday night" not in page(app.test_client().get(f"/{demo.slug}/proposals/{pid}"))

    part1 = db.session.scalar(select(Proposal).where(Proposal.title == "Campaign strategy from scratch, part 1"))
    fac.post(f"/{demo.slug}/proposals/{pid}/scheduling", data={"runs": "2", "after": str(part1.id)})
    db.session.expire_all()
    assert (proposal.runs, proposal.after_id) == (2, part1.id)
    # Part 1 cannot then come after this one: no loop.
    fac.post(f"/{demo.slug}/proposals/{part1.id}/scheduling", data={"runs": "", "after": str(pid)})
    db.session.expire_all()
    assert part1.after_id is None
    refused = fac.post(f"/{demo.slug}/proposals/{part1.id}/scheduling", data={"runs": "", "after": str(pid)},
                       follow_redirects=True)
    assert "already comes after this session" in page(refused)
    # A participant has no say on it.
    assert participant.post(f"/{demo.slug}/proposals/{pid}/scheduling", data={"runs": "5"}).status_code == 404

    # The solver gets all of it.
    fac.post(f"/{demo.slug}/proposals/{pid}/review/accepted")
    problem = scheduling.export_instance(scheduling.build_problem(demo))
    key = scheduling.build_problem(demo).proposal_key[pid]
    session = next(s for s in problem["sessions"] if s["id"] == key)
    assert session["runs"] == 2 and session["after"] == scheduling.build_problem(demo).proposal_key[part1.id]
    assert len(session["prefer"]) == 2
    hall = next(r for r in problem["rooms"] if r.get("tables"))
    assert hall["tables"] == 14
    bazaar = [s for s in problem["sessions"] if s.get("at_table")]
    assert bazaar and all(s.get("runs", 1) in (1, 3) for s in bazaar)


# Review, hand edits, publishing


def test_the_bazaar_is_at_numbered_tables_with_repeated_runs(demo, draft, fac):
    runs = runs_by_proposal(draft)
    bazaar = [p for p in demo_proposals(demo) if p.format == BAZAAR]
    assert all(p.id in runs for p in bazaar)
    assert all(a.table and a.room.tables for p in bazaar for a in runs[p.id])
    assert max(len(runs[p.id]) for p in bazaar) > 1
    for p in bazaar:
        assert len({a.slot_id for a in runs[p.id]}) == len(runs[p.id]) <= 3
    cells = Counter((a.slot_id, a.room_id, a.table) for a in draft.assignments if a.table)
    assert max(cells.values()) == 1  # one session per table

    shown = page(fac.get(f"/{demo.slug}/facilitate/versions/{draft.number}"))
    assert "sessions at tables" in shown and re.search(r"run 1 of [23]", shown)
    assert "also at" in shown
    plan = page(fac.get(f"/{demo.slug}/facilitate/versions/{draft.number}/tables"))
    repeated = next(p for p in bazaar if len(runs[p.id]) > 1)
    assert repeated.title in plan and "Main hall" in plan


def demo_proposals(demo):
    return db.session.scalars(select(Proposal).where(Proposal.event_id == demo.id,
                                                     Proposal.status == "accepted")).all()


def test_hand_edits_move_one_run_or_a_table_and_add_a_run(demo, draft, fac):
    runs = runs_by_proposal(draft)
    repeated = next(p for p in demo_proposals(demo) if p.format == BAZAAR and len(runs[p.id]) > 1)
    first = runs[repeated.id][0]
    hall = first.room
    rounds = {s.id for s in demo.slots if s.label.startswith("Campaign Bazaar")}
    fewer = {p: {a.slot_id for a in runs[p.id]} for p in demo_proposals(demo)
             if p.format == BAZAAR and len(runs[p.id]) < 3 and p.id != repeated.id}
    free = next(t for t in range(1, first.room.tables + 1)
                if not any(a.slot_id == first.slot_id and a.room_id == first.room_id and a.table == t
                           for a in draft.assignments))
    base = f"/{demo.slug}/facilitate/versions/{draft.number}"
    slot_id, room_id, n_runs, others = first.slot_id, first.room_id, len(runs[repeated.id]), {
        (a.slot_id, a.table) for a in runs[repeated.id][1:]}
    fac.post(f"{base}/move", data={"proposal": f"{repeated.id}:{slot_id}", "slot": slot_id,
                                   "room": room_id, "table": free})
    db.session.expire_all()
    moved = runs_by_proposal(db.session.get(ScheduleVersion, draft.id))[repeated.id]
    assert len(moved) == n_runs  # the other runs stay where they were
    assert {(a.slot_id, a.table) for a in moved} == others | {(slot_id, free)}

    # Pinning a session that runs more than once is refused with a reason.
    refused = fac.post(f"{base}/sessions/{repeated.id}/pin", follow_redirects=True)
    assert "cannot be pinned" in page(refused)

    # Another run of a bazaar pitch with fewer than three, in another round, gets a free table by itself.
    added = False
    for p in sorted(fewer, key=lambda p: p.id):
        for slot_id in rounds - fewer[p]:
            fac.post(f"{base}/move", data={"proposal": f"{p.id}:new", "slot": slot_id, "room": hall.id})
            db.session.expire_all()
            now = runs_by_proposal(db.session.get(ScheduleVersion, draft.id))[p.id]
            if len(now) == len(fewer[p]) + 1:
                assert all(a.table for a in now)
                added = True
                break
        if added:
            break
    assert added


def test_the_database_refuses_a_hall_with_an_ordinary_session_and_tables_at_once(demo, draft):
    table_run = next(a for a in draft.assignments if a.table)
    ordinary = next(a for a in draft.assignments if not a.table and a.proposal.length == 1)
    db.session.add(RoomBooking(assignment_id=ordinary.id, version_id=draft.id, slot_id=table_run.slot_id,
                               room_id=table_run.room_id, table=table_run.table))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# Attendees


@pytest.fixture
def published(demo, draft):
    svc.publish_version(draft)
    return draft


def test_attendees_see_every_run_and_tables_in_pages_and_exports(app, demo, published):
    runs = runs_by_proposal(published)
    repeated = next(p for p in demo_proposals(demo) if p.format == BAZAAR and len(runs[p.id]) > 1
                    and p.visibility == "public")
    client = app.test_client()
    schedule = page(client.get(f"/{demo.slug}/schedule"))
    assert "also at" in schedule and "table" in schedule
    session = page(client.get(f"/{demo.slug}/schedule/sessions/{repeated.id}"))
    assert f"It runs {len(runs[repeated.id])} times" in session
    hall = runs[repeated.id][0].room.name
    assert all(f"{hall} · table {a.table}" in session for a in runs[repeated.id])
    plan = page(client.get(f"/{demo.slug}/schedule/tables"))
    assert repeated.title in plan and hall in plan

    calendar = icalendar.Calendar.from_ical(client.get(f"/{demo.slug}/schedule.ics").data)
    mine = [e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]) == repeated.title]
    assert len(mine) == len(runs[repeated.id]) and len({str(e["UID"]) for e in mine}) == len(mine)
    assert {str(e["LOCATION"]) for e in mine} == {f"{hall} · table {a.table}" for a in runs[repeated.id]}
    xml = etree.fromstring(client.get(f"/{demo.slug}/schedule.xml").data)
    titles = [e.findtext("title") for e in xml.iter("event")]
    assert any(t.startswith(repeated.title + " · table ") for t in titles)
    data = json.loads(client.get(f"/{demo.slug}/schedule.json").data)
    assert hall in json.dumps(data, ensure_ascii=False)


def test_a_participant_picks_which_run_goes_into_their_agenda_and_calendar(app, demo, published):
    runs = runs_by_proposal(published)
    participant = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    repeated = next(p for p in demo_proposals(demo) if p.format == BAZAAR and len(runs[p.id]) > 1
                    and not p.is_facilitator(participant))
    client = client_for(app, "participant@example.org")
    client.post(f"/{demo.slug}/proposals/{repeated.id}/vote", data={"want": "1"})
    pick = sorted(runs[repeated.id], key=lambda a: a.slot.start)[-1]
    agenda = page(client.get(f"/{demo.slug}/me/agenda"))
    assert repeated.title in agenda
    client.post(f"/{demo.slug}/me/agenda/choose", data={"slot": pick.slot_id, "proposal": repeated.id})
    assert db.session.get(AgendaChoice, (participant.id, pick.slot_id)).proposal_id == repeated.id
    client.post(f"/{demo.slug}/me/calendar")
    agenda = page(client.get(f"/{demo.slug}/me/agenda"))
    feed = re.search(r'value="(http://agenda\.test/[^"]+\.ics)"', agenda).group(1)
    calendar = icalendar.Calendar.from_ical(client.get(feed.replace("http://agenda.test", "")).data)
    mine = [e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).startswith(repeated.title)]
    assert len(mine) == 1
    assert mine[0]["DTSTART"].dt == pick.slot.start.astimezone(mine[0]["DTSTART"].dt.tzinfo)
    assert str(mine[0]["LOCATION"]) == f"{pick.room.name} · table {pick.table}"


def test_published_runs_and_tables_stay_on_a_re_solve(demo, published):
    before = {(a.proposal_id, a.slot_id): (a.room_id, a.table) for a in published.assignments}
    again = generate(demo, time_limit=2).version
    after = {(a.proposal_id, a.slot_id): (a.room_id, a.table) for a in again.assignments}
    kept = [k for k in before if k in after]
    assert len(kept) >= 0.9 * len(before)
    assert all(after[k] == before[k] for k in kept if before[k][1])  # a bazaar table keeps its number


def test_slot_labels_of_the_demo_bazaar(demo):
    rounds = [s for s in demo.slots if s.label.startswith("Campaign Bazaar")]
    assert len(rounds) == 3 and all(s.kind == "open" for s in rounds)
    assert db.session.scalar(select(Slot).where(Slot.kind == "plenary", Slot.label.like("%Bazaar%"))) is None
