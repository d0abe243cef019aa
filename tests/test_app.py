import os
import re
import stat

from agenda import create_app
from agenda.extensions import db

from .conftest import login


def test_instance_config_then_environment_override_defaults(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("LOGIN_LIMIT_ACCOUNT = 7\nLOGIN_LIMIT_ADDRESS = 70\n")
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("AGENDA_LOGIN_LIMIT_ADDRESS", "99")
    monkeypatch.setenv("AGENDA_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    app = create_app()
    assert app.config["LOGIN_LIMIT_ACCOUNT"] == 7
    assert app.config["LOGIN_LIMIT_ADDRESS"] == 99
    assert app.config["LOGIN_LIMIT_WINDOW"] == 15 * 60
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.sqlite")


def test_secret_key_is_generated_private_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "fresh"))
    first = create_app()
    key_file = tmp_path / "fresh" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    assert create_app().config["SECRET_KEY"] == first.config["SECRET_KEY"]
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "other"))
    assert create_app().config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_default_database_lives_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("AGENDA_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'agenda.sqlite'}"


def test_front_page_lists_events_or_goes_to_the_only_one(client, make_event):
    empty = client.get("/")
    assert "There are no events yet." in empty.get_data(as_text=True)
    only = make_event(slug="campaigncon-2016", name="CampaignCon 2016")
    assert client.get("/").headers["Location"] == f"/{only.slug}/"
    make_event(slug="campaigncon-2017", name="CampaignCon 2017")
    page = client.get("/").get_data(as_text=True)
    assert "CampaignCon 2016" in page and "CampaignCon 2017" in page


def test_security_headers_on_page_404_and_static(client, make_event):
    make_event()
    for path, status in [("/login", 200), ("/no-such-event/", 404), ("/static/style.css", 200)]:
        response = client.get(path)
        assert response.status_code == status
        csp = response.headers["Content-Security-Policy"]
        assert csp == ("default-src 'self'; object-src 'none'; base-uri 'none'; "
                       "frame-ancestors 'none'; form-action 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        response.close()


def test_pages_have_no_inline_script_and_no_third_party_loads(client, make_event, make_user):
    event = make_event()
    make_user(event, role="facilitator", email="fac@example.org")
    login(client, "fac@example.org")
    for path in ["/login", f"/{event.slug}/", f"/{event.slug}/manage/", f"/{event.slug}/manage/slots"]:
        html = client.get(path).get_data(as_text=True)
        # Scripts only from the site's own static files (static/offline.js on every page), never inline.
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert html.count("<script") == len(scripts) and " on" + "click=" not in html
        assert all(re.search(r'src="/static/[\w.-]+\.js"', attrs) and not body.strip() for attrs, body in scripts)
        assert "http://" not in html and "https://" not in html


def test_personal_pages_are_not_cached(client, make_user):
    make_user(email="pri@example.org")
    login(client, "pri@example.org")
    assert client.get("/account").headers["Cache-Control"] == "no-store"


def test_unknown_event_is_a_404_page_with_a_way_back(client):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert 'href="/"' in response.get_data(as_text=True)


def test_session_cookie_is_secure_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    with app.app_context():
        assert db.engine.url.database.endswith("agenda.sqlite")
