"""Back up one event and restore it elsewhere: the same event, the same solver instance."""

import json

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from agenda import create_app
from agenda.extensions import db
from agenda.models import AgendaChoice, ScheduleVersion, Vote

from .conftest import DEMO_PASSWORD, need, postgres_ready
from .world import build_world


def instance_json(runner, slug):
    result = runner.invoke(args=["agenda", "export-instance", "--event", slug])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_export_then_import_into_a_fresh_instance_gives_the_same_instance(app, runner, tmp_path, monkeypatch,
                                                                          request, target):
    world = build_world()
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
