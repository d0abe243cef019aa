"""Behaviour that only shows with several real server processes."""

import pytest
from flask_migrate import upgrade

from agenda import create_app
from agenda.extensions import db
from agenda.models import User
from agenda.security import hash_password

from .servers import Browser, gunicorn


@pytest.fixture
def shared_instance(tmp_path, monkeypatch):
    """One instance folder and SQLite database, migrated, with one account."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(instance))
    app = create_app()
    with app.app_context():
        upgrade()
        db.session.add(User(email="target@example.org", display_name="Target",
                            password_hash=hash_password("the right password")))
        db.session.commit()
        db.engine.dispose()
    return {"AGENDA_INSTANCE_PATH": str(instance), "AGENDA_LOGIN_LIMIT_ACCOUNT": "4"}


@pytest.mark.slow
def test_login_limit_is_shared_by_two_server_processes(shared_instance):
    with gunicorn(shared_instance) as one, gunicorn(shared_instance) as two:
        statuses = []
        for n in range(8):
            base = one if n % 2 == 0 else two
            status, _ = Browser().post_form(
                base + "/login", {"email": "target@example.org", "password": "wrong password!"})
            statuses.append(status)
        # Four tries in all, not four per process.
        assert statuses == [200, 200, 200, 200, 429, 429, 429, 429]
        status, html = Browser().post_form(
            one + "/login", {"email": "target@example.org", "password": "the right password"})
        assert status == 429
        assert "Too many login attempts" in html


@pytest.mark.slow
def test_login_over_real_http_sets_a_cookie_that_logout_revokes(shared_instance):
    with gunicorn(shared_instance) as base:
        browser = Browser()
        status, _ = browser.post_form(
            base + "/login", {"email": "target@example.org", "password": "the right password"})
        assert status == 302
        assert browser.request(base + "/account")[0] == 200
        copy = Browser()
        for cookie in browser.jar:
            copy.jar.set_cookie(cookie)
        browser.post_form(base + "/account", {}, action=base + "/logout")
        assert copy.request(base + "/account")[0] == 302
