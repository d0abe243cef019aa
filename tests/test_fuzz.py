"""Every form, 300 generated submissions each, on SQLite and PostgreSQL: no 5xx, no logged error,
nothing half-written."""

import io
import logging
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from agenda import create_app
from agenda.extensions import db
from agenda.models import Assignment, RoomBooking, ScheduleVersion, SolveRun

from .conftest import DEMO_PASSWORD, WORLD_CONFIG, FreshContextClient, errors, need, outbox, postgres_ready
from .world import EMAILS

EVENT = ["name", "timezone", "first_day", "last_day", "languages", "formats", "default_locale", "proposals_open",
         "voting_open", "invite_code", "confirmed"]
PROPOSAL = ["title", "description", "format", "language", "length", "needs", "other_needs", "max_group",
            "unavailable", "visibility", "prefer", "prefer_reason"]
# endpoint → (who sends it, the form's fields)
FORMS = {
    "auth.register": ("anonymous", ["email", "display_name", "password", "confirm", "languages", "invite_code"]),
    "auth.login": ("anonymous", ["email", "password"]),
    "auth.profile": ("participant", ["display_name", "languages", "locale", "emails"]),
    "auth.forgot": ("anonymous", ["email"]),
    "auth.change_password": ("other participant", ["pw-current", "pw-password", "pw-confirm"]),
    "auth.delete_account": ("other participant", ["del-password", "del-sure"]),
    "events.new": ("admin", ["slug", *EVENT]),
    "events.join": ("facilitator of another event", ["invite_code"]),
    "manage.settings": ("facilitator", EVENT),
    "manage.new_room": ("facilitator", ["name", "capacity", "features", "unavailable", "confirmed", "tables"]),
    "manage.edit_room": ("facilitator", ["name", "capacity", "features", "unavailable", "confirmed", "tables"]),
    "manage.formats": ("facilitator", ["table_0", "runs_0", "table_3", "runs_3", "confirmed"]),
    "proposals.scheduling": ("facilitator", ["runs", "after"]),
    "manage.slots": ("facilitator", ["day", "template"]),
    "manage.edit_slot": ("facilitator", ["day", "start", "end", "kind", "label", "confirmed"]),
    "proposals.new": ("participant", PROPOSAL),
    "proposals.edit": ("participant", PROPOSAL),
    "proposals.vote": ("other participant", ["want", "next"]),
    "proposals.invite": ("participant", ["email"]),
    "proposals.merge": ("facilitator", ["other", "confirmed"]),
    "facilitate.index": ("facilitator", ["time_limit", "now_slot"]),
    "facilitate.move": ("facilitator", ["proposal", "slot", "room", "table"]),
    "facilitate.swap": ("facilitator", ["first", "second"]),
    "schedule.choose": ("participant", ["slot", "proposal"]),
    "announcements.manage": ("facilitator", ["text", "hours", "email_everyone"]),
    "harvest.notes": ("participant", ["summary", "links"]),
    "harvest.add_item": ("participant", ["text", "owner", "owner_text"]),
    "harvest.update_item": ("participant", ["status", "delete"]),
    "harvest.add_editor": ("participant", ["email"]),
}

TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["", " ", "0", "-1", "1", "2", "601", "99999999999999999999", "1e9", "nan", "y", "on",
                     "2017-11-08", "2017-02-30", "9999-12-31", "0000-01-01", "09:00", "25:99", "09:00-10:30",
                     "Africa/Nairobi", "Mars/Olympus", "en, es", "en, xx", "skillshare", "participants", "public",
                     "\x00", "\ufffe", "\u202e", "a\r\nb", "<script>", "' OR 1=1 --", "%(title)s", "{{ 7*7 }}",
                     "1:2", "x" * 6000]),
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
)
# A text field may also arrive as a file upload (multipart), alone or among texts.
FILE = st.binary(max_size=20).map(lambda b: (io.BytesIO(b), "upload.txt"))
VALUES = st.one_of(TEXT, FILE, st.lists(st.one_of(TEXT, FILE), min_size=2, max_size=3))


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzz_app(request, tmp_path, monkeypatch, world_copy):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    if request.param == "postgresql":
        need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
    url, values = world_copy(request.param)
    app = create_app({**WORLD_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "LOGIN_LIMIT_ACCOUNT": 10**6,
                      "LOGIN_LIMIT_ADDRESS": 10**6, "REGISTER_LIMIT_ADDRESS": 10**6, "RESET_LIMIT_ADDRESS": 10**6,
                      "RESET_LIMIT_ACCOUNT": 10**6})
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app, SimpleNamespace(values=values)
        db.session.remove()
        db.engine.dispose()


def path_for(app, endpoint, values):
    import re

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and "POST" in r.methods)
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:\w+:)?" + name + ">", str(values[name]), path)
    return path


def invariants():
    """What a half-written change would break."""
    no_bookings = db.session.scalar(select(func.count(Assignment.id)).where(
        ~select(RoomBooking.id).where(RoomBooking.assignment_id == Assignment.id).exists()))
    assert no_bookings == 0
    assert db.session.scalar(select(func.count(ScheduleVersion.id)).where(
        ScheduleVersion.status == "published", ScheduleVersion.frame.is_(None))) == 0
    active = db.session.execute(select(SolveRun.event_id, func.count()).where(
        SolveRun.status.in_(("queued", "running"))).group_by(SolveRun.event_id)).all()
    assert all(n == 1 for _, n in active)


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_no_form_breaks_on_any_input(fuzz_app, endpoint, caplog):
    app, world = fuzz_app
    role, fields = FORMS[endpoint]
    client = app.test_client()
    if role != "anonymous":
        assert client.post("/login", data={"email": EMAILS[role], "password": DEMO_PASSWORD}).status_code == 302
    path = path_for(app, endpoint, world.values)
    keys = st.sampled_from([*fields, "csrf_token", "extra"])

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(keys, VALUES, max_size=len(fields) + 1))
    def submit(data):
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            response = client.post(path, data=data)
        assert response.status_code < 500, (data, response.status_code)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], data
        assert "Traceback" not in response.get_data(as_text=True)

    submit()
    db.session.rollback()
    invariants()


@pytest.fixture
def world_app(tmp_path, monkeypatch, world_copy):
    """The test world on SQLite, limits out of the way (as fuzz_app, one database kind)."""
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    url, values = world_copy("sqlite")
    app = create_app({**WORLD_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "LOGIN_LIMIT_ACCOUNT": 10**6,
                      "LOGIN_LIMIT_ADDRESS": 10**6, "REGISTER_LIMIT_ADDRESS": 10**6})
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app, SimpleNamespace(values=values)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_every_form_refuses_files_where_text_belongs(world_app, endpoint, caplog):
    """Each field of each form sent as a file upload (multipart): a clear answer, never a 500."""
    app, world = world_app
    role, fields = FORMS[endpoint]
    client = app.test_client()
    if role != "anonymous":
        assert client.post("/login", data={"email": EMAILS[role], "password": DEMO_PASSWORD}).status_code == 302
    path = path_for(app, endpoint, world.values)
    for field in fields:
        data = {f: "1" for f in fields if f != field}
        data[field] = (io.BytesIO(b"x" * 50), "field.txt")
        with caplog.at_level(logging.ERROR):
            response = client.post(path, data=data, content_type="multipart/form-data")
        assert response.status_code < 500, (field, response.status_code)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], field
    db.session.rollback()
    invariants()


def test_a_file_for_a_text_field_is_named_in_the_form(world_app):
    app, _world = world_app
    response = app.test_client().post("/register", data={
        "email": (io.BytesIO(b"a@example.org"), "email.txt"), "display_name": "Ana",
        "password": "pale orbit lantern cactus", "confirm": "pale orbit lantern cactus"})
    assert response.status_code == 400
    assert "This field takes text, not a file." in errors(response)


LONG = "quiet harbour lantern " * 9  # 198 characters, not easy to guess


@pytest.mark.parametrize("length", [73, 100, 150, 200])
def test_long_passwords_are_answered_on_every_password_form(world_app, length):
    """zxcvbn refuses more than 72 characters: register, change and reset must still answer."""
    app, _world = world_app
    password = LONG[:length]
    anonymous = app.test_client()
    response = anonymous.post("/register", data={"email": f"long{length}@example.org", "display_name": f"Long {length}",
                                                "password": password, "confirm": password})
    assert response.status_code == 302
    assert anonymous.post("/login", data={"email": f"long{length}@example.org",
                                          "password": password}).status_code == 302

    client = app.test_client()
    assert client.post("/login", data={"email": EMAILS["other participant"],
                                       "password": DEMO_PASSWORD}).status_code == 302
    response = client.post("/account/password", data={"pw-current": DEMO_PASSWORD, "pw-password": password,
                                                      "pw-confirm": password})
    assert response.status_code == 302
    too_weak = "a" * length
    response = client.post("/account/password", data={"pw-current": password, "pw-password": too_weak,
                                                      "pw-confirm": too_weak})
    assert response.status_code == 400 and errors(response)

    assert app.test_client().post("/forgot", data={"email": EMAILS["participant"]}).status_code == 200
    token = _reset_token(app)
    response = app.test_client().post(f"/reset/{token}", data={"password": too_weak, "confirm": too_weak})
    assert response.status_code == 400 and errors(response)
    response = app.test_client().post(f"/reset/{token}", data={"password": password, "confirm": password})
    assert response.status_code == 302


def _reset_token(app) -> str:
    """The token of the newest reset e-mail in the outbox."""
    import re

    from agenda.mail import deliver_pending

    deliver_pending()
    body = outbox(app)[-1].get_content()
    return re.search(r"/reset/([\w-]+)", body).group(1)
