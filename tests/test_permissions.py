"""Every route × every kind of caller, against the one permission table; CSRF on every POST route."""

import re
from types import SimpleNamespace

import pytest

from agenda import create_app
from agenda.extensions import db
from agenda.mail import unsubscribe_token
from agenda.permissions import PERMISSIONS

from .conftest import DEMO_PASSWORD, WORLD_CONFIG
from .world import EMAILS, ROLES

MEMBERS = {"participant", "other participant", "co-facilitator", "facilitator", "admin"}
STAFF = {"facilitator", "admin"}
EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}

# Who may, in the world of tests/world.py (the participant proposed the session the
# co-facilitator runs with them; proposals are open). Written out here, not derived from
# the predicates, so that the app is checked against the table.
ALLOWED = {
    "event.view": EVERYONE, "schedule.view": EVERYONE, "agenda.feed": EVERYONE, "proposal.list": EVERYONE,
    "proposal.view": EVERYONE, "account.anonymous": EVERYONE,
    "event.join": LOGGED_IN, "account.own": LOGGED_IN,
    "event.create": {"admin"},
    "event.manage": STAFF, "event.facilitate": STAFF, "version.publish": STAFF,
    "proposal.review": STAFF, "proposal.merge": STAFF,
    "agenda.read": MEMBERS, "proposal.create": MEMBERS, "proposal.vote": MEMBERS,
    "proposal.edit": {"participant", "co-facilitator"} | STAFF,
    "proposal.invite": {"participant", "co-facilitator"} | STAFF,
    "proposal.withdraw": {"participant"} | STAFF,
    "proposal.leave": {"co-facilitator"},
    "proposal.respond": set(),  # nobody has an invitation waiting
    "announcement.post": STAFF,
    "notes.edit": {"participant", "co-facilitator"} | STAFF,
}


@pytest.fixture
def world_app(world_copy, tmp_path, monkeypatch):
    """The app on a fresh copy of the test world; the world's URL values, and a placed session."""
    from agenda import scheduling
    from agenda.models import Event

    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    url, values = world_copy("sqlite")
    app = create_app({**WORLD_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        event = db.session.scalar(__import__("sqlalchemy").select(Event).where(Event.slug == values["slug"]))
        placed = next(a.proposal_id for a in scheduling.published_version(event).assignments)
        yield app, SimpleNamespace(values=values, placed=placed)
        db.session.remove()
        db.engine.dispose()


def test_the_table_of_expectations_covers_every_permission():
    assert set(ALLOWED) == set(PERMISSIONS)


def routes(app):
    # Leaving a session and joining the event change what the caller may do, removing an
    # interpreter removes what the routes after it name, and logging out ends their session: last.
    last = {"proposals.leave": 1, "events.join": 1, "manage.delete_interpreter": 1, "auth.logout": 2}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (last.get(r.endpoint, 0), r.rule)):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def url_for_rule(rule, values, placed_id):
    args = dict(values)
    if "signed" in rule.arguments:  # a one-click unsubscribe address, signed with this app's key
        args["signed"] = unsubscribe_token(values["user_id"], "announcements")
    if rule.endpoint == "schedule.session":
        args["proposal_id"] = placed_id
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:\w+:)?" + name + ">", str(args[name]), path)
    return path


def login_as(app, role):
    client = app.test_client()
    if role != "anonymous":
        response = client.post("/login", data={"email": EMAILS[role], "password": DEMO_PASSWORD})
        assert response.status_code == 302, role
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_as_the_permission_table_says(world_app, role):
    app, world = world_app
    placed = world.placed
    client = login_as(app, role)
    checked, unlisted, wrong = 0, [], []
    for rule, method in routes(app):
        view = app.view_functions[rule.endpoint]
        name = getattr(view, "permission", None)
        if name is None:
            unlisted.append(rule.rule)
            continue
        path = url_for_rule(rule, world.values, placed)
        data = {"slot": world.values["slot_id"], "proposal": placed} if rule.endpoint == "schedule.choose" else {}
        response = client.open(path, method=method, data=data if method == "POST" else None)
        allowed = role in ALLOWED[name]
        to_login = response.status_code == 302 and response.headers["Location"].startswith("/login")
        if allowed:
            ok = response.status_code not in (403, 404) and not to_login and response.status_code < 500
        elif role == "anonymous" and PERMISSIONS[name].login:
            ok = to_login
        else:
            ok = response.status_code == 404  # what one may not see does not exist
        if not ok:
            wrong.append((method, path, name, response.status_code))
        checked += 1
        db.session.rollback()
    assert unlisted == [], f"routes without a permission: {unlisted}"
    assert wrong == [], "\n".join(map(str, wrong))
    assert checked > 45


def test_anonymous_visitors_and_participants_reach_no_set_up_or_facilitator_page(world_app):
    app, world = world_app
    for role in ("anonymous", "participant", "facilitator of another event"):
        client = login_as(app, role)
        for rule, method in routes(app):
            if rule.endpoint.split(".")[0] in ("manage", "facilitate"):
                response = client.open(url_for_rule(rule, world.values, 0), method=method)
                assert response.status_code in (302, 404), (role, rule.rule, response.status_code)
                if response.status_code == 302:
                    assert role == "anonymous" and response.headers["Location"].startswith("/login")


def test_every_post_route_refuses_a_request_without_its_csrf_token(world_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    url, values = world_copy("sqlite")
    app = create_app({**WORLD_CONFIG, "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            refuses_without_token(app, values)
        finally:
            db.session.remove()
            db.engine.dispose()


def refuses_without_token(app, values):
    from sqlalchemy import func, select

    from agenda.models import Proposal, ScheduleVersion, SolveRun

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": EMAILS["admin"], "password": DEMO_PASSWORD,
                                       "csrf_token": token}).status_code == 302

    def state():
        return (db.session.scalar(select(func.count(SolveRun.id))),
                db.session.scalar(select(func.count(ScheduleVersion.id))),
                db.session.scalar(select(func.count(Proposal.id))),
                [p.status for p in db.session.scalars(select(Proposal).order_by(Proposal.id))])

    before = state()
    posts = 0
    for rule, method in routes(app):
        if method != "POST" or rule.endpoint == "unsubscribe.unsubscribe":
            continue  # RFC 8058's one-click POST comes from a mail client: its signed address is the proof
        path = url_for_rule(rule, values, values["proposal_id"])
        response = client.post(path, data={"confirmed": "1", "want": "1", "time_limit": "5", "title": "x"})
        assert response.status_code == 400, (path, response.status_code)
        assert "The form expired" in response.get_data(as_text=True)
        posts += 1
    db.session.rollback()
    assert state() == before
    assert posts > 20
