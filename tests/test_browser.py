"""The whole loop in a real browser (Playwright driving Debian's chromium).

Two participants propose and vote, the facilitator accepts, generates and publishes,
a participant opens their agenda on a phone with JavaScript off and downloads the calendar.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest
from flask_migrate import upgrade

from agenda import create_app
from agenda.extensions import db

from .conftest import need
from .servers import free_port, gunicorn

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "demo password 123"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def site(tmp_path):
    need(os.path.exists(CHROMIUM), "Debian's chromium is not installed (.ci/run installs it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need(False, "the playwright package is missing")
    instance = tmp_path / "instance"
    env = {"AGENDA_INSTANCE_PATH": str(instance), "AGENDA_DEMO_PASSWORD": PASSWORD}
    port = free_port()
    env["AGENDA_BASE_URL"] = f"http://127.0.0.1:{port}"
    os.environ.update(env)
    app = create_app()
    with app.app_context():
        upgrade()
        from agenda.demo import load_demo

        load_demo(PASSWORD)
        db.engine.dispose()
    worker = subprocess.Popen([sys.executable, "-m", "flask", "agenda", "worker", "--poll", "0.3"],
                              env={**os.environ, "FLASK_APP": "agenda", **env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with gunicorn(env, workers=2, port=port) as base:
            yield base
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        for key in env:
            os.environ.pop(key, None)


def register_and_login(page, base, email, name):
    page.goto(f"{base}/register?event=campaigncon-2017")
    page.fill("#email", email)
    page.fill("#display_name", name)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("button[type=submit]")
    # The next page says what to do, with a login form that has the address filled in.
    page.wait_for_url(re.compile(r".*/register/next.*"))
    assert page.locator("#email").input_value() == email
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Wrong email or password" not in page.content()


def login(page, base, email):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Wrong email or password" not in page.content()


def propose(page, base, title, language):
    page.goto(f"{base}/campaigncon-2017/proposals/new")
    page.fill("#title", title)
    page.fill("#description", "Hands-on, bring a phone.")
    page.select_option("#format", "skillshare")
    page.select_option("#language", language)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Your proposal is in." in page.content()
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def vote(page, base, proposal_id):
    page.goto(f"{base}/campaigncon-2017/proposals/{proposal_id}")
    button = page.locator("form.vote button")
    button.click()
    # With JavaScript the page does not reload; the button changes in place.
    # (A selector wait, not wait_for_function: the CSP forbids the eval that one uses.)
    page.wait_for_selector("form.vote button[aria-pressed=true]")
    assert page.url.endswith(f"/proposals/{proposal_id}")


@pytest.mark.slow
def test_the_whole_loop_in_a_browser(site, tmp_path):
    from playwright.sync_api import sync_playwright

    base = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            ana = browser.new_context().new_page()
            register_and_login(ana, base, "ana@example.org", "Ana Radio")
            radio = propose(ana, base, "Radio para la resistencia", "es")
            bea = browser.new_context().new_page()
            register_and_login(bea, base, "bea@example.org", "Bea Maps")
            maps = propose(bea, base, "Mapping power with local data", "en")
            vote(bea, base, radio)
            vote(ana, base, maps)

            fac = browser.new_context().new_page()
            login(fac, base, "facilitator@example.org")
            for proposal in (radio, maps):
                fac.goto(f"{base}/campaigncon-2017/proposals/{proposal}")
                assert "1 vote" in fac.content()
                fac.click("text=Accept")
                fac.wait_for_load_state()
            fac.goto(f"{base}/campaigncon-2017/facilitate/")
            fac.fill("#time_limit", "3")
            fac.click("text=Generate schedule")
            fac.wait_for_url(re.compile(r".*/facilitate/runs/\d+$"))
            fac.wait_for_selector("text=Review version", timeout=60_000)
            fac.click("text=Review version")
            fac.click("text=Publish this version")
            fac.wait_for_load_state()
            assert "is now the public schedule" in fac.content()

            # Ana, on a phone with JavaScript off: her next session in two taps.
            phone = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 640},
                                        accept_downloads=True)
            page = phone.new_page()
            login(page, base, "ana@example.org")
            page.goto(f"{base}/campaigncon-2017/")
            page.click("text=My agenda")  # tap 1 (the login was the other)
            page.wait_for_load_state()
            assert "Mapping power with local data" in page.content()
            assert "Radio para la resistencia" in page.content()
            page.screenshot(path=str(tmp_path / "agenda-phone.png"), full_page=True)
            shutil.copy(tmp_path / "agenda-phone.png", "/tmp/agenda-phone.png")
            page.click("text=Get my calendar address")
            page.wait_for_load_state()
            feed_url = page.locator("input[readonly]").input_value()
            response = phone.request.get(feed_url)
            assert response.status == 200
            calendar = icalendar.Calendar.from_ical(response.body())
            titles = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
            assert {"Mapping power with local data", "Radio para la resistencia"} <= titles
        finally:
            browser.close()


def test_pages_render_without_console_errors(site):
    from playwright.sync_api import sync_playwright

    base = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            problems = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            # A request cut short by the next navigation is no failure.
            page.on("requestfailed", lambda r: problems.append(r.url) if "ABORTED" not in (r.failure or "") else None)
            for path in ["/", "/login", "/register", "/campaigncon-2017/schedule", "/campaigncon-2017/now",
                         "/campaigncon-2017/proposals"]:
                page.goto(base + path)
            login(page, base, "facilitator@example.org")
            for path in ["/campaigncon-2017/manage/rooms", "/campaigncon-2017/facilitate/",
                         "/campaigncon-2017/proposals"]:
                page.goto(base + path)
            assert problems == []  # the CSP blocked nothing, nothing failed to load
        finally:
            browser.close()


@pytest.fixture
def world_site(tmp_path, world_template):
    """The test world (a published demo and more) served by gunicorn: a copy of the one built once."""
    import shutil

    need(os.path.exists(CHROMIUM), "Debian's chromium is not installed (.ci/run installs it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need(False, "the playwright package is missing")
    source, values = world_template("sqlite")
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copyfile(source, instance / "agenda.sqlite")  # the instance's default database
    os.chmod(instance / "agenda.sqlite", 0o600)
    port = free_port()
    env = {"AGENDA_INSTANCE_PATH": str(instance), "AGENDA_BASE_URL": f"http://127.0.0.1:{port}"}
    os.environ.update(env)
    try:
        with gunicorn(env, workers=2, port=port) as base:
            yield base, dict(values)
    finally:
        for key in env:
            os.environ.pop(key, None)


PAGES = {
    None: ["/", "/login", "/register", "/{slug}/", "/{slug}/schedule", "/{slug}/schedule?view=grid",
           "/{slug}/now?at=2017-11-08T11:30", "/{slug}/proposals", "/{slug}/proposals/{proposal_id}",
           "/{slug}/schedule/sessions/{proposal_id}", "/nowhere/", "/forgot", "/reset/no-such-link",
           "/{slug}/harvest", "/{slug}/schedule/tables", "/sign-in-link", "/sign-in/no-such-link", "/{slug}/poster"],
    "participant@example.org": ["/{slug}/me/agenda", "/{slug}/me/votes", "/{slug}/me/proposals",
                                "/{slug}/proposals/new", "/{slug}/proposals/{proposal_id}/edit", "/account",
                                "/account/password", "/account/delete", "/{slug}/sessions/{proposal_id}/notes",
                                "/{slug}/my-days", "/{slug}/proposals/{proposal_id}/head-count"],
    "facilitator@example.org": ["/{slug}/manage/", "/{slug}/manage/rooms", "/{slug}/manage/rooms/{room_id}",
                                "/{slug}/manage/slots", "/{slug}/manage/slots/{slot_id}", "/{slug}/manage/people",
                                "/{slug}/facilitate/", "/{slug}/facilitate/runs/{run_id}",
                                "/{slug}/facilitate/versions/{number}", "/{slug}/facilitate/versions/1",
                                "/{slug}/proposals/{proposal_id}", "/{slug}/announcements", "/{slug}/manage/formats",
                                "/{slug}/facilitate/versions/{number}/tables", "/{slug}/manage/people/import",
                                "/{slug}/manage/badges", "/{slug}/manage/people/{user_id}/days",
                                "/{slug}/facilitate/head-counts/{slot_id}", "/{slug}/manage/interpreters",
                                "/{slug}/manage/interpreters/{interpreter_id}",
                                "/{slug}/manage/interpreters/{interpreter_id}/schedule"],
}


@pytest.mark.slow
def test_every_page_fits_a_360_px_phone_in_three_languages(world_site, tmp_path):
    from playwright.sync_api import sync_playwright

    base, values = world_site
    too_wide = []
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path / "screens-360")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for lang in ("en", "es", "fr"):
                for email, paths in PAGES.items():
                    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=lang,
                                                  extra_http_headers={"Accept-Language": lang})
                    page = context.new_page()
                    if email:
                        login(page, base, email)
                    for path in paths:
                        page.goto(base + path.format(**values))
                        width = page.evaluate("document.documentElement.scrollWidth")
                        assert page.evaluate("document.documentElement.lang") == lang
                        # Every page as a phone shows it, kept with the test run (SCREENSHOTS=dir keeps them).
                        name = re.sub(r"[^a-z0-9]+", "-", path.format(**values).lower()).strip("-") or "home"
                        who = email.split("@")[0] if email else "visitor"
                        page.screenshot(path=str(shots / f"{lang}-{who}-{name}.png"), full_page=True)
                        if width > 360:
                            too_wide.append((lang, path, width, f"{lang}-{who}-{name}.png"))
                    context.close()
        finally:
            browser.close()
    assert too_wide == []


@pytest.mark.slow
def test_printing_the_agenda_and_the_grid_keeps_every_title_and_room(world_site):
    from playwright.sync_api import sync_playwright

    base, values = world_site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            # A4 and Letter, less 12 mm margins, at 96 dpi.
            for width in (703, 725):
                context = browser.new_context(viewport={"width": width, "height": 1000})
                page = context.new_page()
                page.emulate_media(media="print")
                page.goto(f"{base}/{values['slug']}/schedule?view=grid")
                for table in page.locator("table.grid").all():
                    box = table.bounding_box()
                    assert box["x"] + box["width"] <= width + 1, width
                    headers = table.locator("thead th").all()
                    assert len(headers) == 7  # time and six rooms: the last room is on the paper too
                    assert all(h.is_visible() for h in headers)
                page.emulate_media(media="screen")
                login(page, base, "participant@example.org")
                page.emulate_media(media="print")
                page.goto(f"{base}/{values['slug']}/me/agenda")
                assert page.locator("button").first.is_visible() is False
                clashes = page.locator("li.clash").all()
                assert clashes
                for row in clashes:
                    assert row.locator(".printonly").first.is_visible()
                context.close()
        finally:
            browser.close()


@pytest.mark.slow
def test_the_waiting_for_the_worker_hint_goes_once_the_run_starts_with_javascript(world_site):
    from playwright.sync_api import sync_playwright

    base, values = world_site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            login(page, base, "facilitator@example.org")
            page.goto(f"{base}/{values['slug']}/facilitate/")
            page.fill("#time_limit", "2")
            page.click("text=Generate schedule")
            page.wait_for_url(re.compile(r".*/facilitate/runs/\d+$"))
            assert page.locator("#run-waiting").is_visible()  # no worker runs in this test
            # A worker takes the run: the page (not reloaded) drops the hint, then shows the result.
            worker = subprocess.Popen([sys.executable, "-m", "flask", "agenda", "worker", "--once"],
                                      env={**os.environ, "FLASK_APP": "agenda"},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                page.wait_for_selector("#run-waiting", state="hidden", timeout=120_000)
                page.wait_for_selector("text=Review version", timeout=120_000)
            finally:
                worker.wait(timeout=120)
        finally:
            browser.close()


def _text(page) -> str:
    """What the page shows in its main part, without the offline line, spaces normalised."""
    shown = page.inner_text("main")
    line = page.inner_text("#offline") if page.locator("#offline").count() else ""
    return " ".join(shown.replace(line, "", 1).split()) if line else " ".join(shown.split())


def _kept(page) -> set[str]:
    return set(page.evaluate(
        "caches.open('agenda-pages-v1').then((c) => c.keys()).then((keys) => keys.map((r) => r.url))"))


@pytest.mark.slow
def test_pages_open_offline_and_a_vote_cast_offline_is_stored_once(world_site):
    """Issue 22: after one visit online, the pages a participant read open without a network,
    saying from when they are; a vote cast meanwhile waits, then is sent once."""
    from playwright.sync_api import sync_playwright
    from sqlalchemy import func, select

    from agenda.models import AgendaChoice, User, Vote

    base, values = world_site
    slug = values["slug"]
    paths = [f"/{slug}/schedule", f"/{slug}/me/agenda", f"/{slug}/schedule/sessions/{values['proposal_id']}",
             f"/{slug}/now?at=2017-11-08T11:30", f"/{slug}/proposals"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": 360, "height": 740})
            page = context.new_page()
            login(page, base, "participant@example.org")
            page.goto(base + paths[0])
            assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            online = {}
            for path in paths:  # the one visit online, now through the service worker
                page.goto(base + path)
                assert page.locator("#offline").is_hidden()
                online[path] = _text(page)
            for _ in range(300):  # the worker stores each copy after answering
                if {base + p for p in paths} <= _kept(page):
                    break
                page.wait_for_timeout(100)
            assert {base + p for p in paths} <= _kept(page)

            context.set_offline(True)
            for path in paths:
                page.goto(base + path)
                assert page.locator("#offline").is_visible(), path
                assert page.inner_text("#offline").startswith("Offline: as of "), path
                assert _text(page) == online[path], path

            # A vote cast offline waits, then goes once the network is back.
            # (The list is one form: each proposal's button sends to that proposal's address.)
            action = page.locator("form.vote button[aria-pressed=false]").first.get_attribute("formaction")
            form = page.locator(f'form.vote li:has(button[formaction="{action}"])')
            form.locator("button").click()
            page.wait_for_selector("form.vote .pending")
            assert form.locator(".pending").inner_text() == "Waiting to send"
            assert form.locator("button").get_attribute("aria-pressed") == "true"
            context.set_offline(False)
            page.wait_for_selector("form.vote .pending:text('Sent')", timeout=60_000)
            assert page.evaluate("localStorage.getItem('agenda-queue')") is None
            page.goto(base + paths[-1])  # a fresh page sends nothing again
            page.goto(base + paths[-1])

            proposal_id = int(action.rstrip("/").split("/")[-2])
            app = create_app()
            with app.app_context():
                me = db.session.scalar(select(User).where(User.email == "participant@example.org"))
                assert db.session.get(Vote, (me.id, proposal_id)) is not None
                assert db.session.scalar(select(func.count()).select_from(Vote).where(
                    Vote.user_id == me.id, Vote.proposal_id == proposal_id)) == 1
                db.session.remove()
                db.engine.dispose()

            # Online, a list button marks its own proposal and then unmarks it, the page staying put.
            button = page.locator(f'form.vote button[formaction="{action}"]')
            assert button.get_attribute("aria-pressed") == "true"
            button.click()
            page.wait_for_selector(f'form.vote button[formaction="{action}"][aria-pressed=false]')
            assert button.inner_text() == "I want to attend"
            button.click()
            page.wait_for_selector(f'form.vote button[formaction="{action}"][aria-pressed=true]')
            assert button.inner_text() == "✓ I want to attend"
            assert page.url == base + paths[-1]

            # A clash chosen offline on My agenda: it waits, then the page shows what the server kept.
            page.goto(base + paths[1])
            context.set_offline(True)
            page.goto(base + paths[1])
            choice = page.locator("li.clash form").first
            slot_id = int(choice.locator("input[name=slot]").get_attribute("value"))
            chosen = int(choice.locator("input[name=proposal]").get_attribute("value"))
            choice.locator("button").click()
            assert choice.locator(".pending").inner_text() == "Waiting to send"
            context.set_offline(False)
            page.wait_for_selector("#offline:text('Sent')", timeout=60_000)  # the agenda, reloaded

            app = create_app()
            with app.app_context():
                me = db.session.scalar(select(User).where(User.email == "participant@example.org"))
                assert db.session.get(AgendaChoice, (me.id, slot_id)).proposal_id == chosen
                db.session.remove()
                db.engine.dispose()

            # Logging out leaves nothing of this person on the device.
            with page.expect_navigation():  # the script empties the caches first, then sends the form
                page.click("header button[type=submit]")
            page.wait_for_load_state()
            assert "You are logged out." in page.content()
            assert not {base + p for p in paths} & _kept(page)
        finally:
            browser.close()
