"""When the network goes: the installable app, the service worker's files, votes and choices sent
again after being kept offline, and the agenda the size of text messages (issue 22).
The browser side (pages opened offline, a vote cast offline) is in tests/test_browser.py."""

import re
import struct

from sqlalchemy import select

from agenda.exports.sms import DAY_LIMIT, GSM, gsm, shorten
from agenda.extensions import db
from agenda.models import AgendaChoice, Proposal, User, Vote

from .conftest import DEMO_PASSWORD, client_for, publish_new


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_makes_the_site_installable_with_its_own_maskable_icons(client, demo):
    page = client.get(f"/{demo.slug}/proposals").get_data(as_text=True)
    href = re.search(r'<link rel="manifest" href="([^"]+)"', page).group(1)
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] and manifest["short_name"] and manifest["start_url"] == "/"
    assert manifest["display"] == "standalone" and re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = set()
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            data = image.data
        width, height = png_size(data)
        assert icon["sizes"] == f"{width}x{height}" and icon["type"] == "image/png"
        sizes.add((width, icon["purpose"]))
    assert {(192, "maskable"), (512, "maskable"), (192, "any"), (512, "any")} <= sizes
    spanish = client.get(href, headers={"Accept-Language": "es"}).get_json()
    assert spanish["description"] != manifest["description"]


def test_the_service_worker_comes_from_the_root_and_pages_keep_a_strict_csp(client, demo):
    publish_new(demo)
    with client.get("/sw.js") as sw:
        assert sw.status_code == 200 and sw.mimetype == "text/javascript"
        assert "no-cache" in sw.headers["Cache-Control"]
        assert b"caches.open" in sw.data
    page = client.get(f"/{demo.slug}/schedule")
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'self': no inline
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert re.search(r'data-sw="/sw.js"', html)


def test_the_offline_line_is_written_in_the_readers_language(client, demo):
    publish_new(demo)
    for lang, words in [("en", "Offline: as of {when}"), ("es", "Sin conexión: copia del {when}"),
                        ("fr", "Hors ligne : à jour au {when}")]:
        html = client.get(f"/{demo.slug}/schedule", headers={"Accept-Language": lang}).get_data(as_text=True)
        line = re.search(r'<p id="offline"[^>]*>', html).group(0)
        assert "hidden" in line and f'data-text="{words}"' in line
        assert 'data-tz="Africa/Nairobi"' in line and 'data-as-of=""' in line


def test_logging_out_or_deleting_the_account_tells_the_browser_to_forget_the_kept_pages(app, demo):
    client = client_for(app, "participant@example.org")
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    client = client_for(app, "participant@example.org")
    gone = client.post("/account/delete", data={"del-password": DEMO_PASSWORD, "del-sure": "y"})
    assert gone.status_code == 302 and gone.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert "Clear-Site-Data" not in client.get(f"/{demo.slug}/schedule").headers


def _participant():
    return db.session.scalar(select(User).where(User.email == "participant@example.org"))


def test_a_vote_sent_again_after_being_kept_offline_is_stored_once(app, demo):
    client = client_for(app, "participant@example.org")
    me = _participant()
    pid = db.session.scalar(select(Proposal.id).where(
        Proposal.event_id == demo.id, Proposal.status == "accepted",
        Proposal.id.not_in(select(Vote.proposal_id).where(Vote.user_id == me.id))).limit(1))
    json = {"Accept": "application/json"}
    first = client.post(f"/{demo.slug}/proposals/{pid}/vote", data={"want": "1", "idempotency_key": "k" * 32},
                        headers=json)
    assert first.get_json() == {"ok": True, "voted": True}
    # Meanwhile, on another device, the person changed their mind.
    client.post(f"/{demo.slug}/proposals/{pid}/vote", data={"want": "0"}, headers=json)
    # The offline copy arrives again (the first answer was lost): it changes nothing, and says so.
    again = client.post(f"/{demo.slug}/proposals/{pid}/vote", data={"want": "1", "idempotency_key": "k" * 32},
                        headers=json)
    assert again.get_json() == {"ok": True, "voted": False}
    assert db.session.get(Vote, (me.id, pid)) is None
    # A key that is no key is refused, not stored.
    assert client.post(f"/{demo.slug}/proposals/{pid}/vote",
                       data={"want": "1", "idempotency_key": "<script>"}).status_code == 400


def test_an_agenda_choice_sent_again_is_stored_once(app, demo):
    version = publish_new(demo)
    me = _participant()
    by_slot: dict = {}
    for a in version.assignments:
        by_slot.setdefault(a.slot_id, []).append(a)
    slot_id, pair = next((k, v[:2]) for k, v in by_slot.items() if len(v) >= 2
                         and all(me.id not in [u.id for u in x.proposal.facilitators] for x in v[:2]))
    for a in pair:
        if db.session.get(Vote, (me.id, a.proposal_id)) is None:
            db.session.add(Vote(user_id=me.id, proposal_id=a.proposal_id))
    db.session.commit()
    client = client_for(app, "participant@example.org")
    url, json = f"/{demo.slug}/me/agenda/choose", {"Accept": "application/json"}
    kept = {"slot": slot_id, "proposal": pair[0].proposal_id, "idempotency_key": "offline-choice-1"}
    assert client.post(url, data=kept, headers=json).get_json() == {"ok": True, "chosen": pair[0].proposal_id}
    client.post(url, data={"slot": slot_id, "proposal": pair[1].proposal_id})  # changed elsewhere
    client.post(url, data=kept, headers=json)  # the replay
    assert db.session.get(AgendaChoice, (me.id, slot_id)).proposal_id == pair[1].proposal_id
    # Without JavaScript the form still answers with the agenda page.
    plain = client.post(url, data={"slot": slot_id, "proposal": pair[0].proposal_id})
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"/me/agenda#slot-{slot_id}")


def test_gsm_transliterates_and_titles_shorten_on_a_word_boundary():
    assert gsm("Lucía – “Radio” café…") == 'Lucia - "Radio" café...'
    assert gsm("mer. 8\u202fnov.") == "mer. 8 nov."
    assert all(c in GSM for c in gsm("Ŝtato ĝis Ελλάδα 日本 [x] €"))
    assert shorten("Campaigning without connectivity: surviving internet shutdowns", 30) == "Campaigning without..."
    assert len(shorten("Campaigning without connectivity: surviving internet shutdowns", 30)) <= 30


def test_the_short_agenda_of_the_demo_participant_fits_three_sms_a_day(app, demo):
    version = publish_new(demo)
    me = _participant()
    # Someone who wants to attend everything: long days, clashes in every slot.
    for a in version.assignments:
        if db.session.get(Vote, (me.id, a.proposal_id)) is None:
            db.session.add(Vote(user_id=me.id, proposal_id=a.proposal_id))
    db.session.commit()
    client = client_for(app, "participant@example.org")
    page = client.get(f"/{demo.slug}/me/agenda").get_data(as_text=True)
    assert f'href="/{demo.slug}/me/agenda.txt?short=1"' in page and "copy it into a message" in page
    for lang in ("en", "es", "fr"):
        body = client.get(f"/{demo.slug}/me/agenda.txt?short=1", headers={"Accept-Language": lang})
        text = body.get_data(as_text=True)
        assert body.mimetype == "text/plain"
        assert all(c in GSM for c in text), {c for c in text if c not in GSM}
        blocks = text.strip("\n").split("\n\n")
        assert len(blocks) == 3  # 7, 8 and 9 November
        for block in blocks:
            assert len(block) <= DAY_LIMIT, (lang, len(block), block)
            assert re.search(r"\d\d(:| h )\d\d ", block)
    full = client.get(f"/{demo.slug}/me/agenda.txt").get_data(as_text=True)
    assert len(text) < len(full) / 2


def test_pages_say_for_whom_they_were_made_without_naming_anyone(app, demo, make_user):
    """static/offline.js forgets the kept copies when a page comes for another person."""
    publish_new(demo)

    def mark(client):
        html = client.get(f"/{demo.slug}/schedule").get_data(as_text=True)
        return re.search(r'data-viewer="([^"]*)"', html).group(1)

    participant = client_for(app, "participant@example.org")
    other = client_for(app, "facilitator@example.org")
    assert mark(app.test_client()) == ""
    assert mark(participant) == mark(participant) != mark(other)
    assert re.fullmatch(r"[0-9a-f]{16}", mark(participant))


def test_the_service_workers_background_copy_of_my_agenda_is_not_a_look(app, demo):
    """"Changed since you last looked" waits for the person, not for the copy kept for offline."""
    publish_new(demo)
    client = client_for(app, "participant@example.org")
    assert client.get(f"/{demo.slug}/me/agenda", headers={"Purpose": "prefetch"}).status_code == 200
    with client.session_transaction() as session:
        assert "seen" not in session
    client.get(f"/{demo.slug}/me/agenda")
    with client.session_transaction() as session:
        assert str(demo.id) in session["seen"]
