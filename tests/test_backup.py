"""Back up one event and restore it elsewhere: the same event, the same solver instance."""

import json

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from agenda import create_app
from agenda.extensions import db
from agenda.models import AgendaChoice, ScheduleVersion, Vote

from .conftest import DEMO_PASSWORD, need, postgres_ready


def instance_json(runner, slug):
    result = runner.invoke(args=["agenda", "export-instance", "--event", slug])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_export_then_import_into_a_fresh_instance_gives_the_same_instance(app, runner, tmp_path, monkeypatch,
                                                                          request, target, world):
    slug = world.event.slug
    backup = tmp_path / "backup.json"
    result = runner.invoke(args=["agenda", "export-event", "--event", slug, "--out", str(backup)])
    assert result.exit_code == 0, result.output
    original = instance_json(runner, slug)
    counts = (db.session.scalar(select(func.count()).select_from(Vote)),
              db.session.scalar(select(func.count()).select_from(AgendaChoice)))
    published_ics = app.test_client().get(f"/{slug}/schedule.ics").data
    public = {path: app.test_client().get(f"/{slug}/{path}").data
              for path in ("harvest.md", "harvest.json", "announcements.atom")}
    assert b"Share the slides" in public["harvest.md"] and b"Lunch is in the garden." in public["announcements.atom"]

    if target == "postgresql":
        need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
        url = request.getfixturevalue("postgres_database")
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "other-instance"))
    other = create_app({"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": "http://agenda.test", "WTF_CSRF_ENABLED": False,
                        "SESSION_COOKIE_SECURE": False})
    with other.app_context():
        try:
            check_restored(other, backup, slug, original, counts, published_ics, public, world)
        finally:  # a failed check leaves no open connection behind for later tests
            db.session.remove()
            db.engine.dispose()


def check_restored(other, backup, slug, original, counts, published_ics, public, world):
    upgrade()
    restored = other.test_cli_runner().invoke(args=["agenda", "import-event", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert instance_json(other.test_cli_runner(), slug) == original
    assert (db.session.scalar(select(func.count()).select_from(Vote)),
            db.session.scalar(select(func.count()).select_from(AgendaChoice))) == counts
    versions = db.session.scalars(select(ScheduleVersion).order_by(ScheduleVersion.number)).all()
    assert [(v.number, v.status) for v in versions] == [(1, "published"), (2, "draft")]
    client = other.test_client()
    assert client.get(f"/{slug}/schedule.ics").data == published_ics  # the same public calendar
    for path, body in public.items():  # the same harvest and announcements
        assert client.get(f"/{slug}/{path}").data == body, path
    assert client.get(f"/{slug}/agenda/{world.values['token']}.ics").status_code == 200
    assert client.post("/login", data={"email": "participant@example.org",
                                       "password": DEMO_PASSWORD}).status_code == 302
    again = other.test_cli_runner().invoke(args=["agenda", "import-event", str(backup)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_a_broken_backup_is_refused_and_changes_nothing(app, runner, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "agenda-event/1", "event": {"slug": "x", "name": "X"}, "slots": [{"id": 1}]}')
    result = runner.invoke(args=["agenda", "import-event", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    path.write_text("{nope")
    assert "line 1 column 2" in runner.invoke(args=["agenda", "import-event", str(path)]).output
    from agenda.models import Event

    assert db.session.scalar(select(func.count(Event.id))) == 0


def _history():
    """What a facilitator and a schedule reader see of the event that ids do not change."""
    from agenda.models import Proposal, SolveRun, User

    runs = [(r.status, r.time_limit, r.outcome, r.message, r.progress, r.created_at, r.started_at, r.finished_at,
             r.version.number if r.version else None)
            for r in db.session.scalars(select(SolveRun).order_by(SolveRun.id))]
    hosts = [(p.title, [(f.user.email, f.state, f.is_proposer) for f in p.facilitations])
             for p in db.session.scalars(select(Proposal).order_by(Proposal.id))]
    admins = sorted(db.session.scalars(select(User.email).where(User.is_admin)))
    return runs, hosts, admins


def test_a_restore_keeps_admins_runs_the_order_of_hosts_and_the_frab_export_byte_for_byte(tmp_path, monkeypatch,
                                                                                            world_copy):
    """Into an instance that already has accounts (so every person gets a new id there)."""
    from agenda.backup import export_event, import_event
    from agenda.models import Facilitation, Proposal, User

    from .conftest import WORLD_CONFIG, FreshContextClient

    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    url, values = world_copy("sqlite")
    source = create_app({**WORLD_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    source.test_client_class = FreshContextClient
    with source.app_context():
        slug = values["slug"]
        # Co-hosts invited at the same moment: their order is the one the page shows, kept by a restore.
        proposal = db.session.scalar(select(Proposal).where(Proposal.title == "Our shared session"))
        moment = proposal.facilitations[0].invited_at
        for f in proposal.facilitations:
            f.invited_at = moment
        db.session.commit()
        db.session.expire_all()
        before = _history()
        feeds = {path: source.test_client().get(f"/{slug}/{path}").data for path in ("schedule.xml", "schedule.json")}
        assert b"<person" in feeds["schedule.xml"]
        assert before[2] == ["admin@example.org"] and len(before[0]) >= 2
        data = json.loads(json.dumps(export_event(db.session.get(Proposal, proposal.id).event)))
        db.session.remove()
        db.engine.dispose()

    other = create_app({**WORLD_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite'}"})
    other.test_client_class = FreshContextClient
    with other.app_context():
        upgrade()
        names = {p["email"]: p["display_name"] for p in data["people"]}
        for email in ("someone@example.org", "co@example.org", "participant@example.org"):  # already here
            db.session.add(User(email=email, display_name=names.get(email, "Someone"), password_hash="!"))
        db.session.commit()
        import_event(data)
        db.session.expire_all()
        after = _history()
        assert after[0] == before[0]  # the solve runs, with the version each made
        assert after[1] == before[1]  # the hosts of every session, in order
        assert after[2] == before[2]  # the site admin is one again
        for path, body in feeds.items():
            got = other.test_client().get(f"/{slug}/{path}").data
            at = next((n for n, (x, y) in enumerate(zip(got, body, strict=False)) if x != y), 0)
            assert got == body, (path, body[at - 200:at + 100], got[at - 200:at + 100])
        assert db.session.scalar(select(func.count()).select_from(Facilitation)) == sum(len(h) for _t, h in before[1])
        db.session.remove()
        db.engine.dispose()
