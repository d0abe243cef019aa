"""Languages people understand, and interpretation, in the app (issue 20)."""

import html

import icalendar
import pytest
from sqlalchemy import select

from agenda import scheduling
from agenda.extensions import db
from agenda.languages import language_name
from agenda.models import Interpreter, Proposal, Vote
from agenda.services import attendee

from .conftest import client_for, errors, generate, login, publish_new


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def fac(app, demo):
    return client_for(app, "facilitator@example.org")


def open_slots(event):
    return [s for s in event.slots if s.kind == "open"]


def test_a_facilitator_adds_an_interpreter_and_bad_input_gets_a_clear_error(demo, fac):
    url = f"/{demo.slug}/manage/interpreters/new"
    good = {"name": "Nadia Haddad", "pairs": "en-fr", "available": [str(s.id) for s in open_slots(demo)[:4]],
            "max_slots_per_day": "2", "user_id": ""}
    for change, message in (({"pairs": "en-en"}, "A pair needs two different languages: English is given twice."),
                            ({"pairs": "en"}, "Write each pair as two language codes joined by a dash, e.g. en-es."),
                            ({"pairs": "en-de"}, "The event has no sessions in German: add the language in the "
                                                 "settings first."),
                            ({"available": []}, "Choose at least one slot in which the interpreter is available."),
                            ({"max_slots_per_day": "0"}, "Give a number from 1 to 50.")):
        response = fac.post(url, data={**good, **change})
        assert response.status_code == 400 and errors(response) == [message]
        # What was typed stays in the form.
        assert 'value="Nadia Haddad"' in response.get_data(as_text=True)
    assert fac.post(url, data=good).status_code == 302
    saved = db.session.scalar(select(Interpreter).where(Interpreter.name == "Nadia Haddad"))
    assert (saved.pairs, saved.max_slots_per_day, len(saved.available)) == ([["en", "fr"]], 2, 4)
    listing = page(fac.get(f"/{demo.slug}/manage/interpreters"))
    assert "Nadia Haddad" in listing and "English ↔ French" in listing and "2 slots a day" in listing
    # Participants may not see or change the list.
    participant = client_for(fac.application, "participant@example.org")
    assert participant.get(f"/{demo.slug}/manage/interpreters").status_code in (403, 404)
    saved_id = saved.id
    assert fac.post(f"/{demo.slug}/manage/interpreters/{saved_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Interpreter, saved_id) is None


def test_the_rule_is_on_by_default_with_several_languages_and_can_be_turned_off(demo, fac):
    assert scheduling.build_problem(demo).problem.language_rule
    assert len(scheduling.build_problem(demo).problem.interpreters) == 2  # the demo's
    form = page(fac.get(f"/{demo.slug}/manage/"))
    assert "Schedule for the languages people understand" in form
    demo.language_rule = False
    db.session.commit()
    built = scheduling.build_problem(demo)
    assert not built.problem.language_rule and not built.problem.interpreters


def test_a_proposal_may_refuse_interpretation(app, demo):
    participant = client_for(app, "participant@example.org")
    response = participant.post(f"/{demo.slug}/proposals/new", data={
        "title": "Para hispanohablantes", "description": "Solo en español.", "format": "working session",
        "language": "es", "length": "1", "visibility": "public"})  # the box left unticked
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal).where(Proposal.title == "Para hispanohablantes"))
    assert proposal.interpretation is False
    proposal.status = "accepted"
    db.session.commit()
    built = scheduling.build_problem(demo)
    session = next(s for s in built.problem.sessions if built.proposals.get(s.id) is proposal)
    assert session.interpretation is False


def test_the_draft_shows_interpreted_runs_and_a_french_speaker_sees_the_interpretation(app, demo, fac,
                                                                                       make_user):
    version = generate(demo, time_limit=4).version
    interpreted = [a for a in version.assignments if a.interpretation]
    assert interpreted, "the demo's interpreters take some runs"
    assert version.figures["interpreted_runs"] == len(interpreted)
    assert version.figures["not_understood"] >= 0
    review = page(fac.get(f"/{demo.slug}/facilitate/versions/{version.number}"))
    assert "Languages and interpretation" in review and "Interpreted runs" in review
    names = {x["name"] for a in interpreted for x in a.interpretation}
    assert any(name in review for name in names)
    first, into = interpreted[0], interpreted[0].interpretation[0]["into"]
    note = f"{language_name(first.proposal.language)}, interpreted into {language_name(into)}"
    assert note in review  # in the grid, next to the session

    # A person who speaks only the language a run is interpreted into wants that session.
    a = interpreted[0]
    into = a.interpretation[0]["into"]
    reader = make_user(demo, languages=[into], email="reader@example.org")
    db.session.add(Vote(user_id=reader.id, proposal_id=a.proposal_id))
    db.session.commit()
    from agenda.services import schedule as svc

    svc.publish_version(db.session.merge(version))
    text = f"{language_name(a.proposal.language)}, interpreted into {language_name(into)}"
    client = app.test_client()
    login(client, "reader@example.org")
    agenda = page(client.get(f"/{demo.slug}/me/agenda"))
    assert text in agenda
    assert "which you do not speak" not in agenda
    token = attendee.make_calendar_token(reader, demo)
    feed = icalendar.Calendar.from_ical(client.get(f"/{demo.slug}/agenda/{token}.ics").data)
    descriptions = [str(e.get("description")) for e in feed.walk("VEVENT")]
    assert any(text in d for d in descriptions)
    assert text in page(client.get(f"/{demo.slug}/schedule/sessions/{a.proposal_id}"))
    assert text in client.get(f"/{demo.slug}/schedule.json").get_data(as_text=True)  # frab: a note


def test_my_agenda_warns_of_a_session_i_would_not_understand(app, demo, make_user):
    version = publish_new(demo, time_limit=2)
    plain = next(a for a in version.assignments if not a.interpretation and a.proposal.language == "es")
    reader = make_user(demo, languages=["fr"], email="fr@example.org")
    db.session.add(Vote(user_id=reader.id, proposal_id=plain.proposal_id))
    db.session.commit()
    client = app.test_client()
    login(client, "fr@example.org")
    assert ("It is in Spanish, which you do not speak, and it is not interpreted into a language you speak."
            in page(client.get(f"/{demo.slug}/me/agenda")))


def test_an_interpreter_with_an_account_finds_what_they_interpret_in_my_agenda_and_feed(app, demo, make_user):
    version = publish_new(demo, time_limit=4)
    a = next(a for a in version.assignments if a.interpretation)
    me = make_user(demo, languages=["en"], email="interpreter@example.org")
    interpreter = db.session.get(Interpreter, a.interpretation[0]["interpreter"])
    interpreter.user_id = me.id
    db.session.commit()
    client = app.test_client()
    login(client, "interpreter@example.org")
    agenda = page(client.get(f"/{demo.slug}/me/agenda"))
    assert "you interpret" in agenda and a.proposal.title in agenda
    token = attendee.make_calendar_token(me, demo)
    feed = icalendar.Calendar.from_ical(client.get(f"/{demo.slug}/agenda/{token}.ics").data)
    assert a.proposal.title in [str(e.get("summary")) for e in feed.walk("VEVENT")]


def test_the_proposals_list_shows_other_languages_marked_and_the_filter_stays(app, demo, make_user):
    make_user(demo, languages=["fr"], email="fr-only@example.org")
    client = app.test_client()
    login(client, "fr-only@example.org")
    spanish = db.session.scalars(select(Proposal).where(Proposal.event_id == demo.id, Proposal.language == "es",
                                                        Proposal.status == "accepted",
                                                        Proposal.visibility == "public")).first()
    listing = page(client.get(f"/{demo.slug}/proposals")) + page(client.get(f"/{demo.slug}/proposals?page=2"))
    assert spanish.title in listing and "in Spanish: you may need interpretation" in listing
    filtered = page(client.get(f"/{demo.slug}/proposals?f=1&mine=1"))
    assert spanish.title not in filtered
    # Without the rule, other languages are hidden by default, as before.
    demo.language_rule = False
    db.session.commit()
    assert spanish.title not in page(client.get(f"/{demo.slug}/proposals")) + page(
        client.get(f"/{demo.slug}/proposals?page=2"))


def test_facilitators_print_what_each_interpreter_interprets(demo, fac):
    version = generate(demo, time_limit=4).version
    a = next(a for a in version.assignments if a.interpretation)
    x = a.interpretation[0]
    response = fac.get(f"/{demo.slug}/manage/interpreters/{x['interpreter']}/schedule")
    text = page(response)
    assert response.status_code == 200 and f"What {x['name']} interprets" in text
    assert a.proposal.title in text and language_name(x["into"]) in text


def test_a_hand_edit_keeps_the_interpreters_of_runs_that_stay_and_counts_them(demo):
    from agenda.services import schedule as svc

    version = generate(demo, time_limit=4).version
    interpreted = {(a.proposal_id, a.slot_id, a.room_id): a.interpretation for a in version.assignments
                   if a.interpretation}
    before = version.figures["attendable_votes"]
    other = next(a for a in version.assignments if not a.interpretation)
    svc.unschedule_session(version, other.proposal_id)
    version = db.session.get(type(version), version.id)
    after = {(a.proposal_id, a.slot_id, a.room_id): a.interpretation for a in version.assignments
             if a.interpretation}
    assert after == interpreted
    assert version.figures["interpreted_runs"] == len(interpreted)
    # Only the votes for the session taken out are lost, not those interpretation made attendable.
    assert version.figures["attendable_votes"] >= before - db.session.scalar(
        select(db.func.count()).select_from(Vote).where(Vote.proposal_id == other.proposal_id))
