"""Where else could it go (issue 19): places with exact figures, applied in one click."""

import html
import random

import pytest
from flask_migrate import upgrade

from agenda import create_app
from agenda.demo import load_demo
from agenda.extensions import db
from agenda.models import Proposal, Room, Slot

from .conftest import generate, login, need, postgres_ready
from .test_browser import site  # noqa: F401 (the browser tests' served demo)

PASSWORD = "demo password 123"
FIGURES = ("attendable", "overflow", "preference_misses", "slot_moves")


@pytest.fixture
def demo(app):
    return load_demo(PASSWORD)


@pytest.fixture
def fac(app, demo):
    client = app.test_client()
    login(client, "facilitator@example.org", PASSWORD)
    return client


def version_json(client, slug, n):
    response = client.get(f"/{slug}/facilitate/versions/{n}.json")
    assert response.status_code == 200
    return response.get_json()


def places_json(client, slug, n, pid):
    response = client.get(f"/{slug}/facilitate/versions/{n}/sessions/{pid}/places.json")
    assert response.status_code == 200
    return response.get_json()


def accepted(event):
    return db.session.scalars(db.select(Proposal).where(Proposal.event_id == event.id,
                                                        Proposal.status == "accepted")).all()


def valid_first_best_first(places):
    keys = [(not p["valid"], -p["delta"]["attendable"], p["delta"]["overflow"]) for p in places]
    return keys == sorted(keys)


def shifted(before, delta):
    return {k: before[k] + delta[k] for k in FIGURES}


def test_places_are_ranked_and_applying_one_changes_the_figures_by_exactly_its_delta(fac, demo):
    version = generate(demo).version
    n, slug = version.number, demo.slug
    before = version_json(fac, slug, n)
    assert before["state"] == "draft" and before["figures"]["attendable"] == version.figures["attendable_votes"]
    ordinary = next(s for s in before["sessions"] if len(s["runs"]) == 1 and s["runs"][0]["table"] is None)
    places = places_json(fac, slug, n, ordinary["id"])
    assert places["session"] == ordinary["id"]
    listed = places["places"]
    assert valid_first_best_first(listed)
    here = ordinary["runs"][0]
    assert all((p["slot"], p["room"]) != (here["slot"], here["room"]) for p in listed)
    assert all(bool(p["reasons"]) != p["valid"] for p in listed)
    assert any(p["swap_with"] for p in listed) and any(p["swap_with"] is None for p in listed)
    best = next(p for p in listed if p["valid"])
    response = fac.post(best["apply"]["url"], data=best["apply"]["fields"], follow_redirects=True)
    assert "Saved." in response.get_data(as_text=True)
    after = version_json(fac, slug, n)
    assert {k: after["figures"][k] for k in FIGURES} == shifted(before["figures"], best["delta"])
    moved = next(s for s in after["sessions"] if s["id"] == ordinary["id"])
    assert (moved["runs"][0]["slot"], moved["runs"][0]["room"]) == (best["slot"], best["room"])
    # The draft's own figures (its page) changed by the same amount.
    db.session.expire_all()
    page = fac.get(f"/{slug}/facilitate/versions/{n}").get_data(as_text=True)
    assert f"{after['figures']['attendable']} / {after['figures']['votes']}" in page


def test_a_place_that_breaks_a_rule_is_listed_with_the_reason_in_words_and_refused(fac, demo):
    version = generate(demo).version
    needy = next(p for p in accepted(demo) if "projector" in p.needs
                 and any(a.proposal_id == p.id for a in version.assignments))
    bare = db.session.scalar(db.select(Room).where(Room.name == "Jacaranda room"))
    listed = places_json(fac, demo.slug, version.number, needy.id)["places"]
    there = [p for p in listed if p["room"] == bare.id]
    assert there and not any(p["valid"] for p in there)
    assert all(f"'{needy.title}' needs projector, which Jacaranda room does not have." in p["reasons"]
               for p in there if p["swap_with"] is None)
    before = version_json(fac, demo.slug, version.number)
    refused = fac.post(there[0]["apply"]["url"], data=there[0]["apply"]["fields"], follow_redirects=True)
    assert "Refused:" in html.unescape(refused.get_data(as_text=True))
    assert version_json(fac, demo.slug, version.number) == before


def random_edits_keep_their_promise(client, slug, n, rounds, seed=19):
    """Apply random places (moves and swaps, some breaking a rule); after each, the figures of the
    version are those before plus the place's delta, or unchanged when the checker refused it."""
    rng = random.Random(seed)
    seen = {"move": 0, "swap": 0, "refused": 0, "changed": 0}
    for _ in range(rounds):
        before = version_json(client, slug, n)
        session = rng.choice([s for s in before["sessions"] if s["runs"]])
        listed = places_json(client, slug, n, session["id"])["places"]
        assert valid_first_best_first(listed)
        pool = [p for p in listed if p["valid"] == (rng.random() < 0.8)] or listed
        place = rng.choice(pool)
        client.post(place["apply"]["url"], data=place["apply"]["fields"])
        after = version_json(client, slug, n)
        got = {k: after["figures"][k] for k in FIGURES}
        if place["valid"]:
            assert got == shifted(before["figures"], place["delta"]), place
            assert after["figures"]["unscheduled"] == before["figures"]["unscheduled"]
            seen["swap" if place["swap_with"] else "move"] += 1
            seen["changed"] += got != {k: before["figures"][k] for k in FIGURES}
        else:
            assert after == before, place
            seen["refused"] += 1
    return seen


def test_predicted_equals_actual_on_random_moves_and_swaps_sqlite(fac, demo):
    version = generate(demo).version
    seen = random_edits_keep_their_promise(fac, demo.slug, version.number, 30)
    assert seen["move"] and seen["swap"] and seen["refused"] and seen["changed"] >= 5, seen


@pytest.mark.slow
def test_predicted_equals_actual_on_random_moves_and_swaps_postgresql(tmp_path, monkeypatch, postgres_database):
    need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
    from .conftest import LIGHT_SOLVER, FreshContextClient

    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": postgres_database, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False, "BASE_URL": "http://agenda.test",
                      "SOLVER_WORK_PER_SECOND": LIGHT_SOLVER})
    app.test_client_class = FreshContextClient
    with app.app_context():
        try:
            upgrade()
            demo = load_demo(PASSWORD)
            version = generate(demo).version
            client = app.test_client()
            login(client, "facilitator@example.org", PASSWORD)
            seen = random_edits_keep_their_promise(client, demo.slug, version.number, 20, seed=7)
            assert seen["move"] and seen["swap"] and seen["changed"] >= 3, seen
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_places_page_works_without_javascript_in_the_readers_language(fac, demo):
    version = generate(demo).version
    page = fac.get(f"/{demo.slug}/facilitate/versions/{version.number}").get_data(as_text=True)
    pid = next(a.proposal_id for a in version.assignments)
    link = f"/{demo.slug}/facilitate/versions/{version.number}/sessions/{pid}/places"
    assert f'href="{link}"' in page
    for lang, words in (("es", "¿Dónde más podría ir"), ("fr", "Où d’autre pourrait aller")):
        text = html.unescape(fac.get(link, headers={"Accept-Language": lang}).get_data(as_text=True))
        assert words in text, lang
    text = fac.get(link).get_data(as_text=True)
    assert 'name="confirmed" value="1"' in text and "Apply" in text and "Why not" in text
    # A place applied through the page's own form (as a browser without JavaScript posts it).
    listed = places_json(fac, demo.slug, version.number, pid)["places"]
    best = next(p for p in listed if p["valid"])
    response = fac.post(best["apply"]["url"], data={**best["apply"]["fields"], "confirmed": "1"})
    assert response.status_code == 302


def test_only_facilitators_see_places_and_a_published_version_is_read_only(app, fac, demo):
    version = generate(demo).version
    from agenda.services import schedule as svc

    svc.publish_version(version, notify=False)
    pid = version.assignments[0].proposal_id
    paths = [f"/{demo.slug}/facilitate/versions/{version.number}.json",
             f"/{demo.slug}/facilitate/versions/{version.number}/sessions/{pid}/places.json",
             f"/{demo.slug}/facilitate/versions/{version.number}/sessions/{pid}/places"]
    participant = app.test_client()
    login(participant, "participant@example.org", PASSWORD)
    for path in paths:
        assert participant.get(path).status_code in (403, 404)
        assert app.test_client().get(path).status_code in (302, 404)
    listed = places_json(fac, demo.slug, version.number, pid)
    assert listed["places"] and all(p["apply"] is None for p in listed["places"])
    assert version_json(fac, demo.slug, version.number)["state"] == "published"
    declined = db.session.scalar(db.select(Proposal).where(Proposal.event_id == demo.id,
                                                           Proposal.status != "accepted").limit(1))
    assert fac.get(f"/{demo.slug}/facilitate/versions/{version.number}/sessions/{declined.id}/places.json"
                   ).status_code == 404
    assert fac.get(f"/{demo.slug}/facilitate/versions/99/sessions/{pid}/places").status_code == 404


def after_cell(page: str, value: int) -> bool:
    return f'data-label="After">{value}</td>' in page


def test_every_hand_edit_shows_its_figures_before_it_is_confirmed(fac, demo):
    version = generate(demo).version
    n, slug = version.number, demo.slug
    base = f"/{slug}/facilitate/versions/{n}"
    before = version_json(fac, slug, n)
    ordinary = next(s for s in before["sessions"] if len(s["runs"]) == 1 and s["runs"][0]["table"] is None)
    move = next(p for p in places_json(fac, slug, n, ordinary["id"])["places"] if p["valid"] and not p["swap_with"])
    fields = {"proposal": ordinary["id"], "slot": move["slot"], "room": move["room"], "preview": "1"}
    page = html.unescape(fac.post(f"{base}/move", data=fields).get_data(as_text=True))
    assert f"Move '{ordinary['title']}' to" in page and "Confirm" in page
    assert after_cell(page, before["figures"]["attendable"] + move["delta"]["attendable"])
    assert version_json(fac, slug, n) == before  # nothing changes before the confirmation
    assert fac.post(f"{base}/move", data={**fields, "confirmed": "1"}).status_code == 302
    assert version_json(fac, slug, n)["figures"]["attendable"] == before["figures"]["attendable"] + move["delta"][
        "attendable"]

    # A swap, a pin, an unschedule: each previewed with its figures, nothing changed until confirmed.
    now = version_json(fac, slug, n)
    swap = next(p for p in places_json(fac, slug, n, ordinary["id"])["places"] if p["valid"] and p["swap_with"])
    page = html.unescape(fac.post(f"{base}/swap", data={"first": ordinary["id"], "second": swap["swap_with"],
                                                        "preview": "1"}).get_data(as_text=True))
    assert "Swap '" in page and after_cell(page, now["figures"]["attendable"] + swap["delta"]["attendable"])
    page = html.unescape(fac.post(f"{base}/sessions/{ordinary['id']}/pin", data={"preview": "1"}).get_data(
        as_text=True))
    assert f"Pin '{ordinary['title']}'?" in page and "Pinning changes no figure now" in page
    page = html.unescape(fac.post(f"{base}/sessions/{ordinary['id']}/unschedule").get_data(as_text=True))
    assert f"Unschedule '{ordinary['title']}'?" in page
    assert after_cell(page, now["figures"]["unscheduled"] + 1)
    assert version_json(fac, slug, n) == now
    db.session.expire_all()
    assert not any(a.pinned for a in db.session.get(type(version), version.id).assignments)


def test_add_a_run_and_a_refused_move_are_previewed_too(fac, demo):
    version = generate(demo).version
    n, slug = version.number, demo.slug
    base = f"/{slug}/facilitate/versions/{n}"
    before = version_json(fac, slug, n)
    pitch = next(s for s in before["sessions"] if s["runs"] and s["runs"][0]["table"] is not None)
    hall = pitch["runs"][0]["room"]
    used = {r["slot"] for r in pitch["runs"]}
    slot = next(s for s in db.session.scalars(db.select(Slot).where(Slot.event_id == demo.id, Slot.kind == "open")
                                              .order_by(Slot.start)) if s.id not in used)
    page = html.unescape(fac.post(f"{base}/move", data={"proposal": f"{pitch['id']}:new", "slot": slot.id,
                                                        "room": hall, "preview": "1"}).get_data(as_text=True))
    assert f"Add a run of '{pitch['title']}'" in page
    needy = next(p for p in accepted(demo) if "projector" in p.needs)
    bare = db.session.scalar(db.select(Room).where(Room.name == "Jacaranda room"))
    page = html.unescape(fac.post(f"{base}/move", data={"proposal": needy.id, "slot": slot.id, "room": bare.id,
                                                        "preview": "1"}).get_data(as_text=True))
    assert "The checker refuses this change:" in page and "which Jacaranda room does not have." in page
    assert 'name="confirmed"' not in page
    assert version_json(fac, slug, n) == before


def test_pick_then_move_here_works_from_the_keyboard_without_javascript(fac, demo):
    version = generate(demo).version
    n, slug = version.number, demo.slug
    base = f"/{slug}/facilitate/versions/{n}"
    before = version_json(fac, slug, n)
    ordinary = next(s for s in before["sessions"] if len(s["runs"]) == 1 and s["runs"][0]["table"] is None)
    run = ordinary["runs"][0]
    grid = html.unescape(fac.get(base).get_data(as_text=True))
    pick = f"{base}?pick={ordinary['id']}:{run['slot']}#cell-{run['slot']}-{run['room']}"
    assert f'href="{pick}"' in grid and 'src="/static/grid.js"' in grid and "<script>" not in grid
    page = html.unescape(fac.get(f"{base}?pick={ordinary['id']}:{run['slot']}").get_data(as_text=True))
    assert f"Moving '{ordinary['title']}'" in page and "Move here" in page and "Not possible here" in page
    best = next(p for p in places_json(fac, slug, n, ordinary["id"])["places"] if p["valid"])
    assert f"{'+' if best['delta']['attendable'] > 0 else ''}{best['delta']['attendable']} votes people can attend" \
        in page.replace("\u2212", "-")
    # The button of a cell posts a preview; its confirm button applies the place.
    preview = fac.post(best["apply"]["url"], data={**best["apply"]["fields"], "preview": "1"})
    assert "Confirm" in preview.get_data(as_text=True) and version_json(fac, slug, n) == before
    fac.post(best["apply"]["url"], data={**best["apply"]["fields"], "confirmed": "1"})
    after = version_json(fac, slug, n)
    assert {k: after["figures"][k] for k in FIGURES} == shifted(before["figures"], best["delta"])
    # Published versions and bad picks show the plain grid.
    assert fac.get(f"{base}?pick=abc").status_code == 200
    assert fac.get(f"{base}?pick=99999999999999999999").status_code == 200


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else f"\u2212{-n}" if n < 0 else "0"


@pytest.mark.slow
def test_drag_and_drop_and_the_keyboard_path_in_chromium(site):  # noqa: F811 (the imported fixture)
    import re

    from playwright.sync_api import sync_playwright

    from .test_browser import CHROMIUM, FLAGS
    from .test_browser import login as browser_login

    base = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1500})
            problems = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            browser_login(page, base, "facilitator@example.org")
            page.goto(f"{base}/campaigncon-2017/facilitate/")
            page.fill("#time_limit", "3")
            page.click("text=Generate schedule")
            page.wait_for_selector("text=Review version", timeout=60_000)
            page.click("text=Review version")
            page.wait_for_url(re.compile(r".*/versions/\d+$"))
            version_url = page.url.split("?")[0].split("#")[0]
            n = int(version_url.rsplit("/", 1)[1])
            json_url = f"{base}/campaigncon-2017/facilitate/versions/{n}.json"
            before = page.request.get(json_url).json()

            # Drag a session (not at a table) to the best free cell: the cell shows the change, the drop
            # asks to confirm, the confirmation applies it.
            source = page.locator("td[data-slot] > .grid-session[data-places]").first
            pid = int(source.get_attribute("data-proposal"))
            places = page.request.get(base + source.get_attribute("data-places")).json()["places"]
            source.scroll_into_view_if_needed()

            def on_screen(place):
                box = page.locator(f"#cell-{place['slot']}-{place['room']}").bounding_box()
                return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 1500

            best = next(p for p in places if p["valid"] and p["swap_with"] is None and on_screen(p))
            target = page.locator(f"#cell-{best['slot']}-{best['room']}")
            badge = target.locator(".drop-delta")
            # The drag as Chromium delivers it to the page (dispatched: the synthetic mouse drag of
            # Playwright drops late on a busy machine), through grid.js's own handlers.
            assert source.get_attribute("draggable") == "true"  # grid.js made it draggable
            transfer = page.evaluate_handle("() => new DataTransfer()")
            source.dispatch_event("dragstart", {"dataTransfer": transfer})
            for _ in range(300):  # the cell shows the change once the places have loaded
                target.dispatch_event("dragover", {"dataTransfer": transfer})
                if badge.count() and badge.inner_text():
                    break
                page.wait_for_timeout(100)
            assert badge.inner_text() == f"{_signed(best['delta']['attendable'])} votes people can attend"
            assert "drop-over" in (target.get_attribute("class") or "")
            target.dispatch_event("drop", {"dataTransfer": transfer})
            page.wait_for_selector("h1:has-text('Move ')")  # the preview page, which asks to confirm
            assert page.url.endswith("/move")
            assert "Move '" in page.content() and page.request.get(json_url).json() == before
            page.click("button:has-text('Confirm')")
            page.wait_for_url(re.compile(r".*/versions/\d+$"))
            assert "Saved." in page.content()
            after = page.request.get(json_url).json()
            assert {k: after["figures"][k] for k in FIGURES} == shifted(before["figures"], best["delta"])
            moved = next(s for s in after["sessions"] if s["id"] == pid)
            assert (moved["runs"][0]["slot"], moved["runs"][0]["room"]) == (best["slot"], best["room"])

            # Without a mouse: pick a session, "Move here" in a cell, confirm; all from the keyboard.
            page.goto(version_url)
            pick = page.locator("td[data-slot] > a.pick").first
            pick.focus()
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r".*\?pick=.*"))
            assert "Moving '" in page.content()
            page.locator("form.move-here button").first.focus()
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r".*/(move|swap)$"))
            page.locator("button:has-text('Confirm')").focus()
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r".*/versions/\d+$"))
            assert "Saved." in page.content()

            # On a 360 px phone, the places, "why here", a preview and the comparison fit the screen.
            page.set_viewport_size({"width": 360, "height": 740})
            wide = {}
            for path in (f"/versions/{n}/sessions/{pid}/places", "/compare", f"/versions/{n}?pick={pid}"):
                page.goto(f"{base}/campaigncon-2017/facilitate{path}")
                wide[path] = page.evaluate("document.documentElement.scrollWidth")
            page.goto(f"{base}/campaigncon-2017/facilitate/versions/{n}/sessions/{pid}/places")
            page.locator("table.places form.inline button").first.click()  # Apply, from the places page
            page.wait_for_url(re.compile(r".*/versions/\d+$"))
            assert "Saved." in page.content()
            assert all(width <= 360 for path, width in wide.items() if "pick" not in path), wide
            assert problems == []  # the CSP blocked nothing
        finally:
            browser.close()


def test_improve_the_rest_keeps_the_sessions_placed_by_hand(fac, demo):
    from agenda.services import schedule as svc

    version = generate(demo).version
    n, slug = version.number, demo.slug
    before = version_json(fac, slug, n)
    singles = [s for s in before["sessions"] if len(s["runs"]) == 1 and s["runs"][0]["table"] is None]
    placed_by_hand = {}
    for session in singles[:6]:
        listed = places_json(fac, slug, n, session["id"])["places"]
        move = next((p for p in listed if p["valid"] and p["swap_with"] is None), None)
        if move:
            fac.post(move["apply"]["url"], data=move["apply"]["fields"])
            placed_by_hand[session["id"]] = (move["slot"], move["room"])
        if len(placed_by_hand) == 2:
            break
    assert len(placed_by_hand) == 2
    page = html.unescape(fac.get(f"/{slug}/facilitate/versions/{n}").get_data(as_text=True))
    assert "2 sessions placed by hand since the last solve:" in page
    response = fac.post(f"/{slug}/facilitate/versions/{n}/improve", data={"time_limit": "2"})
    assert response.status_code == 302 and "/runs/" in response.headers["Location"]
    assert svc.claim_next_run() is not None
    db.session.expire_all()
    from agenda.models import SolveRun

    run = db.session.scalars(db.select(SolveRun).order_by(SolveRun.id.desc())).first()
    improved = svc.execute_run(run.id).version
    assert improved.number == n + 1
    now = version_json(fac, slug, improved.number)
    for pid, where in placed_by_hand.items():
        runs = next(s for s in now["sessions"] if s["id"] == pid)["runs"]
        assert [(r["slot"], r["room"]) for r in runs] == [where]
    # Held, not merely left alone: the solver was not free to move them.
    assert all(a.pinned for a in improved.assignments if a.proposal_id in placed_by_hand)
    assert improved.hand_placed == []  # a new solve: nothing placed by hand in it yet
    # Only the newest draft can be improved, and a bad time limit is refused with a message.
    refused = fac.post(f"/{slug}/facilitate/versions/{n}/improve", data={"time_limit": "2"}, follow_redirects=True)
    assert "Only the newest draft can be improved." in refused.get_data(as_text=True)
    bad = fac.post(f"/{slug}/facilitate/versions/{improved.number}/improve", data={"time_limit": "0"},
                   follow_redirects=True)
    assert "Give 1 to 600 seconds." in bad.get_data(as_text=True)


def test_two_versions_compare_side_by_side(fac, demo):
    first = generate(demo).version
    slug = demo.slug
    session = next(s for s in version_json(fac, slug, first.number)["sessions"]
                   if len(s["runs"]) == 1 and s["runs"][0]["table"] is None)
    from agenda.services import schedule as svc

    second = generate(demo).version  # a copy of the first to edit
    was = (session["runs"][0]["slot"], session["runs"][0]["room"])
    move = next(p for p in places_json(fac, slug, second.number, session["id"])["places"]
                if p["valid"] and p["swap_with"] is None and (p["slot"], p["room"]) != was)
    fac.post(move["apply"]["url"], data=move["apply"]["fields"])
    svc.unschedule_session(db.session.get(type(second), second.id), next(
        s["id"] for s in version_json(fac, slug, second.number)["sessions"] if s["runs"] and s["id"] != session["id"]))
    a, b = version_json(fac, slug, first.number), version_json(fac, slug, second.number)
    page = html.unescape(fac.get(f"/{slug}/facilitate/compare?first={first.number}&second={second.number}")
                         .get_data(as_text=True))
    assert f"Version {first.number}" in page and f"Version {second.number}" in page
    assert f'data-label="Version {first.number}">{a["figures"]["attendable"]}<' in page
    assert f'data-label="Version {second.number}">{b["figures"]["attendable"]}<' in page
    assert f"Moved: {session['title']}" in page and "Dropped: " in page and "People affected" in page
    assert "people are affected." in page
    index = fac.get(f"/{slug}/facilitate/").get_data(as_text=True)
    assert f'href="/{slug}/facilitate/compare"' in index
    # Bad choices get a message, never an error page.
    bad = html.unescape(fac.get(f"/{slug}/facilitate/compare?first=1&second=99").get_data(as_text=True))
    assert "Choose two versions of this event." in bad
    assert fac.get(f"/{slug}/facilitate/compare?first=x").status_code == 200


def test_why_here_names_the_best_other_place_and_its_cost(fac, demo):
    version = generate(demo).version
    slug, n = demo.slug, version.number
    draft = fac.get(f"/{slug}/facilitate/versions/{n}").get_data(as_text=True)
    session = next(s for s in version_json(fac, slug, n)["sessions"] if s["runs"])
    assert f'/versions/{n}/sessions/{session["id"]}/places#why">Why here?</a>' in draft
    page = html.unescape(fac.get(f"/{slug}/facilitate/versions/{n}/sessions/{session['id']}/places")
                         .get_data(as_text=True))
    best = next(p for p in places_json(fac, slug, n, session["id"])["places"] if p["valid"])
    room = db.session.get(Room, best["room"]).name
    assert "Why here?" in page and "The best other place is " in page and f" in {room}" in page
    why = page.split('id="why"')[1].split("</section>")[0]
    loss = -best["delta"]["attendable"]
    if loss > 0:
        assert f"Here, {loss} more vote{'s' if loss > 1 else ''} can be attended." in why
    assert f'data-label="Votes people can attend">{_signed(best["delta"]["attendable"])}<' in why
