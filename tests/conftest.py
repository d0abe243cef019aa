import html
import itertools
import os
import re
import subprocess
from datetime import date

import pytest
from flask.testing import FlaskClient

from agenda import create_app
from agenda.extensions import db as _db
from agenda.models import Event, Membership, User
from agenda.security import hash_password

PASSWORD = "correct horse battery"
IN_CI = os.environ.get("CI", "").lower() == "true"
_counter = itertools.count(1)
_hash_cache: dict[str, str] = {}


def need(condition: bool, reason: str) -> None:
    """Skip on a laptop that lacks something; under CI=true, fail instead."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI must run this test for real: {reason}")
        pytest.skip(reason)


def postgres_ready() -> bool:
    try:
        return subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True, timeout=10
        ).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own `g`, own database session), as on a server."""

    def open(self, *args, **kwargs):
        _db.session.commit()  # end the test's own read snapshot, so it sees what the request wrote
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite'}",
        "BASE_URL": "http://agenda.test",
    })
    app.test_client_class = FreshContextClient
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _hash(password: str) -> str:
    # Hashing is slow on purpose; tests reuse one hash per password.
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


@pytest.fixture
def make_event(app):
    def make(slug=None, **kw):
        fields = dict(
            slug=slug or f"event-{next(_counter)}", name="Test Con", timezone="Africa/Nairobi",
            first_day=date(2017, 11, 7), last_day=date(2017, 11, 9),
        )
        fields.update(kw)
        event = Event(**fields)
        _db.session.add(event)
        _db.session.commit()
        return event

    return make


@pytest.fixture
def make_user(app):
    def make(event=None, role="participant", email=None, password=PASSWORD, **kw):
        n = next(_counter)
        user = User(email=email or f"user{n}@example.org", display_name=kw.pop("display_name", f"User {n}"),
                    password_hash=_hash(password), **kw)
        if event is not None and role in ("participant", "facilitator", "admin"):
            user.memberships.append(Membership(event=event, role=role))
        _db.session.add(user)
        _db.session.commit()
        return user

    return make


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def errors(response) -> list[str]:
    """The error messages a page shows next to fields or at the top of a form."""
    found = re.findall(r'class="error"[^>]*>([^<]+)<', response.get_data(as_text=True))
    return [html.unescape(e) for e in found]
