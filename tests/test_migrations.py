"""The Alembic migrations build the schema on an empty SQLite file and on PostgreSQL."""

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from agenda import create_app

TABLES = {"event", "slot", "room", "room_unavailable", "user", "membership", "login_attempt"}


def migrate_and_inspect(tmp_path, monkeypatch, url):
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from agenda.extensions import db

        tables = set(inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()
        return tables


def test_migrations_apply_to_empty_sqlite(tmp_path, monkeypatch):
    tables = migrate_and_inspect(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert TABLES <= tables


@pytest.mark.postgres
def test_migrations_apply_to_postgres(tmp_path, monkeypatch, postgres_database):
    tables = migrate_and_inspect(tmp_path, monkeypatch, postgres_database)
    assert TABLES <= tables


@pytest.mark.postgres
def test_postgres_demo_and_constraints(tmp_path, monkeypatch, postgres_database):
    """The demo loads on PostgreSQL, and the database itself refuses a negative capacity."""
    from sqlalchemy.exc import IntegrityError

    migrate_and_inspect(tmp_path, monkeypatch, postgres_database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": postgres_database})
    with app.app_context():
        from agenda.demo import load_demo
        from agenda.extensions import db
        from agenda.models import Room

        event = load_demo("demo password 123")
        db.session.add(Room(event=event, name="Broken", capacity=-1))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.execute(text("select count(*) from membership")).scalar() == 112

        # The evening on PostgreSQL: solve, publish, merge (INSERT … ON CONFLICT for votes).
        from sqlalchemy import select

        from agenda import scheduling
        from agenda.models import Event, Proposal, Vote
        from agenda.services import proposals as proposal_svc
        from agenda.services import schedule as svc

        event = db.session.scalar(select(Event))
        run = svc.start_run(event, 2)
        assert svc.claim_next_run() == run.id
        version = svc.execute_run(run.id).version
        svc.publish_version(version)
        assert scheduling.published_version(event).number == 1
        keep, other = db.session.scalars(select(Proposal).where(Proposal.status == "accepted").limit(2)).all()
        voters = set(db.session.scalars(select(Vote.user_id).where(Vote.proposal_id.in_([keep.id, other.id]))))
        proposal_svc.merge_proposals(keep, other)
        after = db.session.scalars(select(Vote.user_id).where(Vote.proposal_id == keep.id)).all()
        hosts = {u.id for u in db.session.get(Proposal, keep.id).facilitators}
        assert sorted(after) == sorted(voters - hosts)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_migrations_build_exactly_the_schema_of_the_models(tmp_path, monkeypatch, request, database):
    """Tests build their databases from the models; production from the migrations: the same."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from .conftest import need, postgres_ready

    if database == "postgresql":
        need(postgres_ready(), "no PostgreSQL server at 127.0.0.1:5432")
        url = request.getfixturevalue("postgres_database")
    else:
        url = f"sqlite:///{tmp_path / 'compare.sqlite'}"
    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from agenda.extensions import db

        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert differences == []
