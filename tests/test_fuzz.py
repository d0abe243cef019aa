"""Every form, 300 generated submissions each, on SQLite and PostgreSQL: no 5xx, no logged error,
nothing half-written."""

import logging
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from agenda import create_app
from agenda.extensions import db
from agenda.models import Assignment, RoomBooking, ScheduleVersion, SolveRun

from .conftest import DEMO_PASSWORD, WORLD_CONFIG, FreshContextClient, need, postgres_ready
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
VALUES = st.one_of(TEXT, st.lists(TEXT, min_size=2, max_size=3))


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
