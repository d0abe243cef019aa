import html
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from agenda.extensions import db
from agenda.models import Notice, Proposal, Room, Slot, User, Vote
from agenda.notices import notice_text

from .conftest import errors, login

FORM = {"title": "Contar historias", "description": "Historias que mueven", "format": "skillshare",
        "language": "es", "length": "1", "visibility": "public"}


@pytest.fixture
def event(make_event):
    event = make_event(slug="con", languages=["en", "es", "fr"],
                       formats=["skillshare", "working session"])
    for hour in (6, 8, 11):
        db.session.add(Slot(event=event, start=datetime(2017, 11, 7, hour, tzinfo=UTC),
                            end=datetime(2017, 11, 7, hour + 1, 30, tzinfo=UTC)))
    db.session.add(Room(event=event, name="Hall", capacity=80, features=["projector"]))
    db.session.commit()
    return event


@pytest.fixture
def people(app, event, make_user):
    """Clients logged in as proposer A, co-facilitator B, participant C, facilitator, admin."""
    users = {
        "a": make_user(event, display_name="Ana", languages=["es", "en"]),
        "b": make_user(event, display_name="Bea", languages=["es"]),
        "c": make_user(event, display_name="Cai", languages=["es"]),
        "d": make_user(event, display_name="Dee", languages=["en"]),
        "fac": make_user(event, role="facilitator", display_name="Fay"),
        "admin": make_user(None, is_admin=True, display_name="Root"),
    }
    clients = {"anon": app.test_client()}
    for key, user in users.items():
        clients[key] = app.test_client()
        login(clients[key], user.email)
    return users, clients


def propose(client, **overrides):
    response = client.post("/con/proposals/new", data={**FORM, **overrides})
    assert response.status_code == 302, errors(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def vote_count(proposal_id):
    return db.session.scalar(select(func.count()).select_from(Vote).where(Vote.proposal_id == proposal_id))


def test_participant_proposes_with_all_fields(people, event):
    users, c = people
    slot = event.slots[0]
    pid = propose(c["a"], needs=["projector"], other_needs="Flip chart", max_group="25",
                  unavailable=[str(slot.id)], visibility="participants", length="2")
    p = db.session.get(Proposal, pid)
    assert (p.title, p.language, p.format, p.length, p.max_group) == ("Contar historias", "es", "skillshare", 2, 25)
    assert p.needs == ["flip chart", "projector"]
    assert [s.id for s in p.unavailable] == [slot.id]
    assert p.visibility == "participants"
    assert [u.display_name for u in p.facilitators] == ["Ana"]
    assert p.status == "proposed"


def test_bad_proposals_show_every_problem_and_save_nothing(people):
    _, c = people
    response = c["a"].post("/con/proposals/new", data={
        **FORM, "title": "", "description": "x" * 5001, "format": "dance", "language": "de",
        "max_group": "0"})
    assert response.status_code == 400
    assert errors(response) == [
        "This field is required.", "Field cannot be longer than 5000 characters.",
        "This event does not offer that format.", "Sessions at this event are not held in that language.",
        "Give a number from 1 to 10000."]
    long_title = c["a"].post("/con/proposals/new", data={**FORM, "title": "t" * 201})
    assert errors(long_title) == ["Field cannot be longer than 200 characters."]
    assert db.session.scalar(select(func.count(Proposal.id))) == 0


def test_length_longer_than_any_run_of_open_slots_is_refused(people, event):
    _, c = people
    for slot in event.slots[1:]:
        slot.kind = "break"
    db.session.commit()
    response = c["a"].post("/con/proposals/new", data={**FORM, "length": "2"})
    assert errors(response) == ["No day has 2 open slots in a row; choose a shorter length."]


def test_need_no_room_has_is_accepted_with_a_warning(people):
    _, c = people
    pid = propose(c["a"], other_needs="sign-language interpretation")
    warning = "No room has sign-language interpretation yet"
    assert warning in c["a"].get(f"/con/proposals/{pid}").get_data(as_text=True)
    assert warning in c["fac"].get(f"/con/proposals/{pid}").get_data(as_text=True)
    assert warning not in c["c"].get(f"/con/proposals/{pid}").get_data(as_text=True)


def test_cofacilitator_invited_accepts_and_can_edit(people):
    users, c = people
    pid = propose(c["a"])
    assert c["b"].get(f"/con/proposals/{pid}/edit").status_code == 404
    c["a"].post(f"/con/proposals/{pid}/invite", data={"email": users["b"].email})
    notice = db.session.scalar(select(Notice).where(Notice.user_id == users["b"].id))
    assert notice_text(notice) == "Ana invites you to co-facilitate 'Contar historias'."
    assert "Ana invites you to co-facilitate" in c["b"].get("/con/me/proposals").get_data(as_text=True)
    assert "You are invited to co-facilitate" in c["b"].get(f"/con/proposals/{pid}").get_data(as_text=True)
    c["b"].post(f"/con/proposals/{pid}/invitation/accept")
    p = db.session.get(Proposal, pid)
    assert [u.display_name for u in p.facilitators] == ["Ana", "Bea"]
    assert c["b"].post(f"/con/proposals/{pid}/edit", data={**FORM, "title": "Historias"}).status_code == 302
    db.session.refresh(p)
    assert p.title == "Historias"


def test_declined_invitation_gives_no_rights(people):
    users, c = people
    pid = propose(c["a"])
    c["a"].post(f"/con/proposals/{pid}/invite", data={"email": users["b"].email})
    c["b"].post(f"/con/proposals/{pid}/invitation/decline")
    assert c["b"].get(f"/con/proposals/{pid}/edit").status_code == 404
    assert [u.display_name for u in db.session.get(Proposal, pid).facilitators] == ["Ana"]


def test_invitation_answer_reveals_nothing_about_who_takes_part(people, make_user):
    users, c = people
    pid = propose(c["a"])
    outsider = make_user(None, email="outsider@example.org")
    answers = []
    for email in ("nobody@example.org", outsider.email, users["b"].email):
        response = c["a"].post(f"/con/proposals/{pid}/invite", data={"email": email}, follow_redirects=True)
        answers.append(response.get_data(as_text=True).replace(email, "EMAIL"))
    flashes = [a.split('class="flash success"')[-1].split("</p>")[0] for a in answers]
    assert flashes[0] == flashes[1] == flashes[2]
    assert "EMAIL is invited: a participant finds the invitation under their proposals" in flashes[0]
    # Only the participant got an invitation.
    assert {f.user_id for f in db.session.get(Proposal, pid).facilitations} == {users["a"].id, users["b"].id}


def test_editing_someone_elses_proposal_is_not_found(people):
    _, c = people
    pid = propose(c["a"])
    assert c["c"].get(f"/con/proposals/{pid}/edit").status_code == 404
    assert c["c"].post(f"/con/proposals/{pid}/edit", data={**FORM, "title": "Mine now"}).status_code == 404
    assert c["c"].post(f"/con/proposals/{pid}/withdraw", data={"confirmed": "1"}).status_code == 404
    assert db.session.get(Proposal, pid).title == "Contar historias"
    assert db.session.get(Proposal, pid).status == "proposed"


def test_after_proposals_close_only_facilitators_edit(people, event):
    _, c = people
    pid = propose(c["a"])
    event.proposals_open = False
    db.session.commit()
    assert c["a"].get(f"/con/proposals/{pid}/edit").status_code == 404
    assert c["fac"].post(f"/con/proposals/{pid}/edit", data={**FORM, "title": "Edited"}).status_code == 302
    assert c["c"].get("/con/proposals/new").status_code == 404
    assert "Propose a session" not in c["c"].get("/con/proposals").get_data(as_text=True)
    assert c["fac"].post("/con/proposals/new", data=FORM).status_code == 302  # facilitators still can


def test_withdraw_hides_the_proposal_and_stops_votes(people):
    _, c = people
    pid = propose(c["a"])
    c["c"].post(f"/con/proposals/{pid}/vote", data={"want": "1"}, follow_redirects=True)
    asked = c["a"].post(f"/con/proposals/{pid}/withdraw")
    assert "Withdraw 'Contar historias'?" in html.unescape(asked.get_data(as_text=True))
    assert db.session.get(Proposal, pid).status == "proposed"  # nothing changes until confirmed
    c["a"].post(f"/con/proposals/{pid}/withdraw", data={"confirmed": "1"})
    assert db.session.get(Proposal, pid).status == "withdrawn"
    assert "Contar historias" not in c["c"].get("/con/proposals").get_data(as_text=True)
    assert c["c"].get(f"/con/proposals/{pid}").status_code == 404
    # Voting for it is like voting for nothing: no title, no hint it ever existed.
    refused = c["d"].post(f"/con/proposals/{pid}/vote", data={"want": "1"})
    assert refused.status_code == 404 and "Contar historias" not in refused.get_data(as_text=True)
    assert vote_count(pid) == 1


def test_votes_are_idempotent(people):
    users, c = people
    pid = propose(c["a"])
    for _ in range(3):
        assert c["c"].post(f"/con/proposals/{pid}/vote", data={"want": "1"}).status_code == 302
    assert vote_count(pid) == 1
    c["c"].post(f"/con/proposals/{pid}/vote", data={"want": "0"})
    c["c"].post(f"/con/proposals/{pid}/vote", data={"want": "0"})
    assert vote_count(pid) == 0


def test_vote_with_javascript_answers_json(people):
    _, c = people
    pid = propose(c["a"])
    response = c["c"].post(f"/con/proposals/{pid}/vote", data={"want": "1"},
                           headers={"Accept": "application/json"})
    assert response.get_json() == {"ok": True, "voted": True}
    own = c["a"].post(f"/con/proposals/{pid}/vote", data={"want": "1"}, headers={"Accept": "application/json"})
    assert own.status_code == 409
    assert own.get_json()["message"] == "You facilitate this session, so you will be there anyway."


def test_no_votes_on_own_declined_unknown_or_other_event_proposals(people, make_event):
    users, c = people
    pid = propose(c["a"])
    c["a"].post(f"/con/proposals/{pid}/vote", data={"want": "1"})
    assert vote_count(pid) == 0
    c["fac"].post(f"/con/proposals/{pid}/review/declined")
    c["c"].post(f"/con/proposals/{pid}/vote", data={"want": "1"})
    assert vote_count(pid) == 0
    assert c["c"].post("/con/proposals/9999/vote", data={"want": "1"}).status_code == 404
    other = make_event(slug="other")
    foreign = Proposal(event_id=other.id, title="Elsewhere", format="x", language="en")
    db.session.add(foreign)
    db.session.commit()
    assert c["c"].post(f"/con/proposals/{foreign.id}/vote", data={"want": "1"}).status_code == 404
    assert c["c"].get(f"/con/proposals/{foreign.id}").status_code == 404
    assert c["c"].post(f"/other/proposals/{pid}/vote", data={"want": "1"}).status_code == 404


def test_only_facilitators_see_counts_and_nobody_sees_who(people):
    users, c = people
    pid = propose(c["a"])
    c["c"].post(f"/con/proposals/{pid}/vote", data={"want": "1"})
    for who in ("a", "b", "c", "anon"):
        for page in ("/con/proposals", f"/con/proposals/{pid}"):
            text = c[who].get(page).get_data(as_text=True)
            assert "1 vote" not in text, (who, page)
            assert "Cai" not in text or who == "c", (who, page)
    for page in ("/con/proposals", f"/con/proposals/{pid}"):
        text = c["fac"].get(page).get_data(as_text=True)
        assert "1 vote" in text
        assert "Cai" not in text  # the count, never the voter
    assert "1 vote" in c["admin"].get(f"/con/proposals/{pid}").get_data(as_text=True)


def test_my_votes_lists_only_mine(people):
    _, c = people
    mine = propose(c["a"], title="Radio comunitaria")
    other = propose(c["a"], title="Seguridad digital")
    c["c"].post(f"/con/proposals/{mine}/vote", data={"want": "1"})
    c["b"].post(f"/con/proposals/{other}/vote", data={"want": "1"})
    page = c["c"].get("/con/me/votes").get_data(as_text=True)
    assert "Radio comunitaria" in page and "Seguridad digital" not in page
    assert "You have not marked any session yet." in c["d"].get("/con/me/votes").get_data(as_text=True)


def test_list_filters_by_language_format_and_languages_i_speak(people):
    _, c = people
    propose(c["a"], title="Historias", language="es")
    propose(c["a"], title="Drones", language="en", format="working session")
    # Sessions in other languages are shown, marked (they may be interpreted); the filter stays.
    spanish_speaker = c["c"].get("/con/proposals").get_data(as_text=True)
    assert "Historias" in spanish_speaker and "Drones" in spanish_speaker
    assert "in English: you may need interpretation" in spanish_speaker
    mine = c["c"].get("/con/proposals?f=1&mine=1").get_data(as_text=True)
    assert "Historias" in mine and "Drones" not in mine
    everything = c["c"].get("/con/proposals?f=1").get_data(as_text=True)
    assert "Historias" in everything and "Drones" in everything
    by_format = c["c"].get("/con/proposals?f=1&format=working+session").get_data(as_text=True)
    assert "Drones" in by_format and "Historias" not in by_format
    by_language = c["anon"].get("/con/proposals?f=1&language=en").get_data(as_text=True)
    assert "Drones" in by_language and "Historias" not in by_language


def test_order_is_random_per_participant_but_stable(people):
    _, c = people
    for n in range(12):
        propose(c["a"], title=f"Session number {n:02d}", language="en")

    def order(client):
        text = client.get("/con/proposals?f=1").get_data(as_text=True)
        return [line for line in text.split("Session number ")[1:]]

    first = order(c["c"])
    assert order(c["c"]) == first
    assert order(c["d"]) != first
    assert sorted(first) != first or order(c["b"]) != first


def test_participants_only_proposal_is_closed_to_anonymous(people):
    _, c = people
    pid = propose(c["a"], title="Organising under surveillance", visibility="participants")
    for page in ("/con/proposals", f"/con/proposals/{pid}"):
        text = c["anon"].get(page).get_data(as_text=True)
        assert "Organising under surveillance" not in text and "Ana" not in text
        assert "A session for participants only" in text
        assert "Organising under surveillance" in c["c"].get(page + ("?f=1" if page.endswith("s") else "")) \
            .get_data(as_text=True)


def test_facilitator_accepts_declines_and_merges(people):
    users, c = people
    keep = propose(c["a"], title="Contar historias")
    other = propose(c["b"], title="Historias que mueven")
    # C and D vote for both; E-like voter D only for the other one; B (other's host) votes for keep.
    for who in ("c", "d"):
        c[who].post(f"/con/proposals/{keep}/vote", data={"want": "1"})
        c[who].post(f"/con/proposals/{other}/vote", data={"want": "1"})
    c["b"].post(f"/con/proposals/{keep}/vote", data={"want": "1"})
    c["a"].post(f"/con/proposals/{other}/vote", data={"want": "1"})
    assert c["c"].post(f"/con/proposals/{keep}/merge", data={"other": other}).status_code == 404
    c["fac"].post(f"/con/proposals/{keep}/review/accepted")
    assert db.session.get(Proposal, keep).status == "accepted"
    asked = c["fac"].post(f"/con/proposals/{keep}/merge", data={"other": other})
    assert "Merge 'Historias que mueven' into 'Contar historias'?" in html.unescape(asked.get_data(as_text=True))
    assert db.session.get(Proposal, other).status == "proposed"
    c["fac"].post(f"/con/proposals/{keep}/merge", data={"other": other, "confirmed": "1"})
    kept, merged = db.session.get(Proposal, keep), db.session.get(Proposal, other)
    assert merged.status == "merged" and merged.merged_into_id == keep
    assert [u.display_name for u in kept.facilitators] == ["Ana", "Bea"]
    # C and D once each; A and B now run it, so their votes are gone.
    voters = set(db.session.scalars(select(Vote.user_id).where(Vote.proposal_id == keep)))
    assert voters == {users["c"].id, users["d"].id}
    assert vote_count(other) == 0
    told = db.session.scalars(select(Notice.user_id).where(Notice.kind == "merged")).all()
    assert sorted(told) == sorted([users["a"].id, users["b"].id])
    assert c["c"].get(f"/con/proposals/{other}").status_code == 404
    assert c["fac"].get(f"/con/proposals/{other}").headers["Location"] == f"/con/proposals/{keep}"
    assert "merged into one joint session" in c["b"].get("/con/me/proposals").get_data(as_text=True)


def test_merge_with_itself_or_closed_is_refused(people):
    _, c = people
    pid = propose(c["a"])
    response = c["fac"].post(f"/con/proposals/{pid}/merge", data={"other": pid}, follow_redirects=True)
    assert "Choose another proposal of this event to merge with." in response.get_data(as_text=True)


def test_deleting_account_withdraws_proposals_only_they_run(people):
    users, c = people
    alone = propose(c["a"], title="Only Ana")
    shared = propose(c["a"], title="Ana and Bea")
    c["a"].post(f"/con/proposals/{shared}/invite", data={"email": users["b"].email})
    c["b"].post(f"/con/proposals/{shared}/invitation/accept")
    c["a"].post("/account/delete", data={"del-password": "correct horse battery", "del-sure": "y"})
    db.session.expire_all()
    assert db.session.get(Proposal, alone).status == "withdrawn"
    assert db.session.get(Proposal, alone).facilitators == []
    still = db.session.get(Proposal, shared)
    assert [u.display_name for u in still.facilitators] == ["Bea"]
    assert still.proposer.display_name == "Bea"
    assert db.session.scalar(select(func.count()).select_from(User).where(User.display_name == "Ana")) == 0
