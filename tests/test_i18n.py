"""The whole app in English, Spanish and French: catalogues complete and current, pages without English."""

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from agenda.cli import extract_messages
from agenda.extensions import db

from .conftest import DEMO_PASSWORD, client_for, login
from .world import EMAILS

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("es", "fr")


def catalogue(lang):
    with open(ROOT / "agenda" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


@pytest.fixture(scope="module")
def code_messages(tmp_path_factory):
    """The messages in the code today (a fresh extraction, not the committed template)."""
    pot = extract_messages(tmp_path_factory.mktemp("pot") / "messages.pot")
    with open(pot, "rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_in_the_code_is_translated(code_messages, lang):
    cat = catalogue(lang)
    have = {m.id: m for m in cat if m.id}
    missing = [k for k in code_messages if k not in have]
    assert not missing, f"{lang}: catalogue older than the code; run `flask agenda translate update`: {missing[:5]}"
    empty = [k for k, m in have.items() if k in code_messages
             and not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    fuzzy = [k for k, m in have.items() if m.fuzzy]
    assert not empty, f"{lang}: untranslated {empty[:5]}"
    assert not fuzzy, f"{lang}: fuzzy {fuzzy[:5]}"
    stale = [k for k in have if k not in code_messages]
    assert not stale, f"{lang}: messages no longer in the code (run `flask agenda translate update`): {stale[:5]}"


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_their_placeholders_and_plural_forms(lang):
    for m in catalogue(lang):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(re.findall(r"%\((\w+)\)[sd]", ids[-1]))
        for s in strings:
            assert set(re.findall(r"%\((\w+)\)[sd]", s)) <= wanted | set(re.findall(r"%\((\w+)\)[sd]", ids[0])), \
                (lang, m.id, s)
        if isinstance(m.id, tuple):
            assert len(strings) == 3 and all(strings), (lang, m.id)  # one, many, other


def english_phrases(code_messages):
    """The English a page must not show: each message's literal text of two words or more."""
    import wtforms.i18n
    from babel.messages.pofile import read_po as read

    with open(Path(wtforms.i18n.messages_path()) / "wtforms.pot", "rb") as f:
        ids = [m.id for m in read(f) if m.id]
    ids += list(code_messages)
    phrases = set()
    for mid in ids:
        for text in (mid if isinstance(mid, tuple) else (mid,)):
            for part in re.split(r"%\(\w+\)[sd]|%\w|\{\w*\}", text):
                part = part.strip(" .,:;'\"()·—–?!“”«»")
                if len(part.split()) >= 2 and len(part) >= 8:
                    phrases.add(part)
    return phrases


def shown(phrases, text) -> list[str]:
    """The phrases that stand in the text as words (not inside a longer word: "la session")."""
    return sorted(p for p in phrases if p in text and re.search(r"(?<!\w)" + re.escape(p) + r"(?!\w)", text))


def visible_text(response) -> str:
    body = response.get_data(as_text=True)
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


GET_AS = {
    "anonymous": ["/", "/login", "/register", "/{slug}/", "/{slug}/schedule", "/{slug}/schedule?view=grid",
                  "/{slug}/now?at=2017-11-08T11:30", "/{slug}/proposals", "/{slug}/proposals/{proposal_id}",
                  "/{slug}/schedule/sessions/{proposal_id}", "/nowhere/", "/{slug}/schedule.ics?lang={lang}",
                  "/{slug}/schedule.json?lang={lang}"],
    "participant": ["/account", "/account/password", "/account/delete", "/{slug}/me/agenda", "/{slug}/me/agenda.txt",
                    "/{slug}/me/votes", "/{slug}/me/proposals", "/{slug}/proposals/new",
                    "/{slug}/proposals/{proposal_id}/edit", "/{slug}/proposals/{proposal_id}", "/{slug}/",
                    "/agenda/{token}.ics"],
    "facilitator": ["/{slug}/manage/", "/{slug}/manage/rooms", "/{slug}/manage/rooms/new",
                    "/{slug}/manage/rooms/{room_id}", "/{slug}/manage/slots", "/{slug}/manage/slots/{slot_id}",
                    "/{slug}/manage/people", "/{slug}/facilitate/", "/{slug}/facilitate/runs/{run_id}",
                    "/{slug}/facilitate/versions/{number}", "/{slug}/facilitate/versions/1",
                    "/{slug}/proposals", "/{slug}/proposals/{proposal_id}"],
}


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_speaks_the_readers_language(app, world, code_messages, lang):
    phrases = english_phrases(code_messages)
    clients = {"anonymous": app.test_client()}
    for role in ("participant", "facilitator"):
        clients[role] = client_for(app, EMAILS[role])
    seen = 0
    for role, paths in GET_AS.items():
        for path in paths:
            path = path.format(lang=lang, **world.values).replace("/agenda/", f"/{world.event.slug}/agenda/")
            response = clients[role].get(path, headers={"Accept-Language": f"{lang},en;q=0.5"})
            assert response.status_code in (200, 404), (path, response.status_code)
            text = visible_text(response)
            found = shown(phrases, text)
            assert not found, f"{role} {path} in {lang} shows English: {found[:5]}"
            if response.mimetype == "text/html":
                assert f'<html lang="{lang}" dir="ltr">' in response.get_data(as_text=True), path
            seen += 1
    # Forms with errors (WTForms' own messages too) and flashes.
    bad = app.test_client().post("/register", data={"email": "not an email", "display_name": "",
                                                    "password": "short", "confirm": "other"},
                                 headers={"Accept-Language": lang})
    text = visible_text(bad)
    assert not shown(phrases, text), text[:3000]
    assert {"es": "Este campo es obligatorio.", "fr": "Ce champ est requis."}[lang] in text
    assert seen > 30


def test_schedule_days_are_named_in_the_readers_language(app, world):
    client = app.test_client()
    for lang, days in {"es": ("martes", "miércoles", "jueves"), "fr": ("mardi", "mercredi", "jeudi"),
                       "en": ("Tuesday", "Wednesday", "Thursday")}.items():
        page = visible_text(client.get(f"/{world.event.slug}/schedule", headers={"Accept-Language": lang}))
        assert all(d in page for d in days), (lang, page[:500])
    fr = visible_text(client.get(f"/{world.event.slug}/schedule", headers={"Accept-Language": "fr"}))
    assert "mercredi 8 novembre" in fr and "13 h 30" in fr
    es = visible_text(client.get(f"/{world.event.slug}/schedule", headers={"Accept-Language": "es"}))
    assert "miércoles, 8 de noviembre" in es and "13:30" in es


def test_profile_setting_beats_browser_which_beats_event_default(app, world, make_user):
    from agenda.extensions import db
    from agenda.models import Event, User

    path = f"/{world.event.slug}/schedule"
    client = app.test_client()
    assert 'lang="en"' in client.get(path).get_data(as_text=True)
    event = db.session.get(Event, world.event.id)
    event.default_locale = "fr"
    db.session.commit()
    assert 'lang="fr"' in client.get(path).get_data(as_text=True)  # nothing else says: the event's
    assert 'lang="es"' in client.get(path, headers={"Accept-Language": "es"}).get_data(as_text=True)
    user = make_user(world.event, email="pick@example.org")
    mine = app.test_client()
    login(mine, "pick@example.org")
    mine.post("/account", data={"display_name": user.display_name, "locale": "fr"})
    assert db.session.get(User, user.id).locale == "fr"
    assert 'lang="fr"' in mine.get(path, headers={"Accept-Language": "es"}).get_data(as_text=True)


def test_an_anonymous_visitor_switches_language_and_stays_switched(app, world):
    client = app.test_client()
    home = f"/{world.event.slug}/"
    page = client.get(home, headers={"Accept-Language": "en"}).get_data(as_text=True)
    link = re.search(r'href="(/language/fr\?next=[^"]+)"', page).group(1)
    switched = client.get(html.unescape(link), headers={"Accept-Language": "en"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith(home)
    again = client.get(f"/{world.event.slug}/schedule", headers={"Accept-Language": "en"})
    assert 'lang="fr"' in again.get_data(as_text=True) and "Programme" in visible_text(again)
    # An address off the site is never where the switcher sends you.
    assert client.get("/language/es?next=//evil.example").headers["Location"] == "/"


def test_public_feeds_speak_the_event_language_or_the_asked_one(app, world):
    from agenda.extensions import db
    from agenda.models import Event

    client = app.test_client()
    path = f"/{world.event.slug}/schedule.ics"
    english = client.get(path, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "CATEGORIES:Break" in english and "Pausa" not in english  # the reader's browser does not decide
    event = db.session.get(Event, world.event.id)
    event.default_locale = "es"
    db.session.commit()
    body = client.get(path, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "CATEGORIES:Plenaria" in body
    assert "CATEGORIES:Plénière" in client.get(path + "?lang=fr").get_data(as_text=True)


def test_personal_feed_and_text_agenda_speak_their_owners_language(app, world):
    from agenda.extensions import db
    from agenda.models import User

    user = db.session.get(User, world.values["user_id"])
    user.locale = "fr"
    db.session.commit()
    feed = app.test_client().get(f"/{world.event.slug}/agenda/{world.values['token']}.ics",
                                 headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Animée par" in feed.replace("\r\n ", "")
    text = client_for(app, EMAILS["participant"]).get(f"/{world.event.slug}/me/agenda.txt",
                                                       headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "(heures de Africa/Nairobi)" in text


def test_a_right_to_left_page_gets_dir_rtl_and_the_stylesheet_needs_no_change(app, world, monkeypatch):
    import agenda.i18n as i18n

    monkeypatch.setattr(i18n, "LANGUAGES", (*i18n.LANGUAGES, "ar"))
    page = app.test_client().get(f"/{world.event.slug}/schedule", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.get_data(as_text=True)
    css = (ROOT / "static" / "style.css").read_text()
    physical = re.findall(r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:"
                          r"|text-align:\s*(?:left|right)|float:\s*(?:left|right)", css)
    assert physical == [], physical


def test_every_session_shows_its_language_as_a_badge(app, world):
    client = app.test_client()
    for path in (f"/{world.event.slug}/schedule", f"/{world.event.slug}/proposals"):
        page = client.get(path).get_data(as_text=True)
        assert page.count('class="badge lang"') >= 10, path
    assert 'lang="es"' in client.get(f"/{world.event.slug}/schedule").get_data(as_text=True)
    assert DEMO_PASSWORD  # (the world's people log in with the demo password)


def test_every_reason_and_rule_of_the_solver_has_words_in_the_app(app, demo):
    """The solver returns codes; the app says each in words (never its fallback)."""
    import pathlib

    from agenda.reasons import describe

    root = pathlib.Path(__file__).resolve().parents[1] / "solver"
    source = (root / "explain.py").read_text() + (root / "rules.py").read_text()
    codes = set(re.findall(r'(?:Reason|Violation)\(\s*"([a-z_]+)"', source))
    assert {"table_shortage", "after_impossible", "hall_mixed", "after_order", "too_many_runs"} <= codes
    first = demo.slots[0]
    room = demo.rooms[0]
    proposals = [p.id for p in demo_proposals(demo)[:2]]
    for code in sorted(codes):
        record = {"code": code, "sessions": [{"proposal": p} for p in proposals], "slots": [first.id],
                  "rooms": [room.id], "people": [], "needs": ["projector"], "numbers": [3, 2]}
        assert describe(record, demo) != "The schedule breaks a rule.", code


def demo_proposals(demo):
    from sqlalchemy import select

    from agenda.models import Proposal

    return db.session.scalars(select(Proposal).where(Proposal.event_id == demo.id).order_by(Proposal.id)).all()
