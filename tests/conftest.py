import html
import itertools
import os
import re
import sqlite3
import subprocess
import uuid
from contextlib import closing
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from agenda import create_app
from agenda.extensions import db as _db
from agenda.models import Event, Membership, User
from agenda.security import hash_password

PASSWORD = "correct horse battery"
# A lighter search for the app's tests (about a sixth of the solver's own pace): the schedules
# are as valid, the suite is faster. The solver's own tests use its pace.
LIGHT_SOLVER = 50_000
IN_CI = os.environ.get("CI", "").lower() == "true"
_counter = itertools.count(1)
_hash_cache: dict[str, str] = {}
# The cheapest argon2id the library takes, in every test app (hashes keep the cost they were made
# with, so what is tested is the same): the production cost (64 MiB, t=3) in every login was the
# biggest cost of the suite. Set for the servers the tests start too (config layers: environment).
CHEAP_HASH = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}
for _key, _value in CHEAP_HASH.items():
    os.environ.setdefault(f"AGENDA_{_key}", str(_value))


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
        "SOLVER_WORK_PER_SECOND": LIGHT_SOLVER,
        **CHEAP_HASH,
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


DEMO_PASSWORD = "demo password 123"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo event in a SQLite file, built once (as the `app` fixture builds its database)."""
    from agenda.demo import load_demo

    folder = tmp_path_factory.mktemp("demo")
    before = os.environ.get("AGENDA_INSTANCE_PATH")
    os.environ["AGENDA_INSTANCE_PATH"] = str(folder / "instance")
    try:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite'}",
                          **CHEAP_HASH})
        with app.app_context():
            _db.create_all()
            event_id = load_demo(DEMO_PASSWORD).id
            _db.session.remove()
            _db.engine.dispose()
        with closing(sqlite3.connect(folder / "demo.sqlite")) as conn:  # everything into the one file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        if before is None:
            os.environ.pop("AGENDA_INSTANCE_PATH", None)
        else:
            os.environ["AGENDA_INSTANCE_PATH"] = before
    return folder / "demo.sqlite", event_id


def _copy_into(app, source) -> bool:
    """Replace the test app's still empty SQLite database by a copy of `source`; False when the
    app uses another database, or its database already holds an event."""
    import shutil

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///") or _db.session.scalar(text("SELECT count(*) FROM event")):
        return False
    _db.session.remove()
    _db.engine.dispose()
    target = uri[len("sqlite:///"):]
    for suffix in ("-wal", "-shm"):
        if os.path.exists(target + suffix):
            os.remove(target + suffix)
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)
    return True


@pytest.fixture
def demo(app, demo_template):
    """The CampaignCon demo event in the test's database: a copy of the one built once."""
    source, event_id = demo_template
    if not _copy_into(app, source):
        from agenda.demo import load_demo

        return load_demo(DEMO_PASSWORD)
    return _db.session.get(Event, event_id)


@pytest.fixture
def world(app, world_template):
    """The test world (tests/world.py) in the test's database: a copy of the one built once."""
    from sqlalchemy import select

    from agenda.models import Proposal

    from .world import World, build_world

    source, values = world_template("sqlite")
    if not _copy_into(app, source):
        return build_world()
    event = _db.session.scalar(select(Event).where(Event.slug == values["slug"]))
    return World(event, _db.session.get(Proposal, values["proposal_id"]), dict(values))


def generate(event, time_limit=2, now_slot=None):
    """Run the solver for the event as the worker would; return the finished run."""
    from agenda.services import schedule as svc

    run = svc.start_run(event, time_limit, now_slot)
    assert svc.claim_next_run() == run.id
    return svc.execute_run(run.id)


def publish_new(event, time_limit=2):
    from agenda.services import schedule as svc

    version = generate(event, time_limit).version
    svc.publish_version(version)
    return version


def client_for(app, email, password=DEMO_PASSWORD):
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


@pytest.fixture
def fac(app, demo):
    """The demo's facilitator, logged in."""
    return client_for(app, "facilitator@example.org")


@pytest.fixture
def postgres_database():
    """A throw-away database on the local PostgreSQL server."""
    need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
    name = f"agenda_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class SMTPSink:
    """A real SMTP server (aiosmtpd) in this process: what it receives, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp_server(app):
    """Point the app at a real SMTP server started for the test."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        need(False, "aiosmtpd is not installed")
    from .servers import free_port

    sink = SMTPSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_STARTTLS=False)
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()
        app.config["MAIL_SERVER"] = ""


def outbox(app) -> list:
    """The messages written to the instance folder's outbox/ (the default without SMTP), parsed, in
    the order they were written (file names are fixed at queueing, not by time)."""
    import email
    from email import policy
    from pathlib import Path

    folder = Path(app.instance_path) / "outbox"
    if not folder.exists():
        return []
    written = sorted(folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in written]


# The test world (tests/world.py) is built once per database kind and copied for each test
# that needs it: a SQLite file copy, a PostgreSQL database made from it as a template.

WORLD_CONFIG = {"TESTING": True, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                "BASE_URL": "http://agenda.test", "SOLVER_WORK_PER_SECOND": LIGHT_SOLVER, **CHEAP_HASH}


def _build_world_database(url: str, instance) -> dict:
    from flask_migrate import upgrade

    from .world import build_world

    before = os.environ.get("AGENDA_INSTANCE_PATH")
    os.environ["AGENDA_INSTANCE_PATH"] = str(instance)
    try:
        app = create_app({**WORLD_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            values = dict(build_world().values)
            _db.session.remove()
            _db.engine.dispose()
    finally:
        if before is None:
            os.environ.pop("AGENDA_INSTANCE_PATH", None)
        else:
            os.environ["AGENDA_INSTANCE_PATH"] = before
    return values


@pytest.fixture(scope="session")
def world_template(tmp_path_factory):
    """kind → (how to make a fresh copy, the world's URL values); built on first use."""
    made: dict = {}
    admin = None

    def get(kind: str):
        nonlocal admin
        if kind not in made:
            folder = tmp_path_factory.mktemp(f"world-{kind}")
            if kind == "sqlite":
                values = _build_world_database(f"sqlite:///{folder / 'world.sqlite'}", folder / "instance")
                made[kind] = (folder / "world.sqlite", values)
            else:
                name = f"agenda_world_{uuid.uuid4().hex[:10]}"
                admin = admin or create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test",
                                               isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                values = _build_world_database(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
                                               folder / "instance")
                made[kind] = (name, values)
        return made[kind]

    yield get
    if admin is not None:
        with admin.connect() as conn:
            for kind, (name, _values) in made.items():
                if kind == "postgresql":
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world_copy(world_template, tmp_path):
    """A fresh copy of the test world: copy(kind) → (database URL, URL values)."""
    import shutil

    made = []

    def copy(kind: str = "sqlite"):
        source, values = world_template(kind)
        if kind == "sqlite":
            target = tmp_path / f"world-{len(made)}.sqlite"
            shutil.copyfile(source, target)
            return f"sqlite:///{target}", values
        need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
        name = f"agenda_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        admin.dispose()
        made.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", values

    yield copy
    if made:
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
