"""agenda: participant-driven agenda scheduling for unconferences."""

import os
from pathlib import Path

from flask import Flask

from . import config, db_tx
from .extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then AGENDA_*, then test_config."""
    instance_path = os.environ.get("AGENDA_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(config.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("AGENDA")
    if test_config:
        app.config.update(test_config)

    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_path = os.path.join(app.instance_path, "agenda.sqlite")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.load_secret_key(app.instance_path)
    from .security import private_sqlite_file

    private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])

    from .access import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    db.init_app(app)
    db_tx.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    from .i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)

    from . import cache, compress, security

    compress.init_app(app)
    security.init_app(app)
    cache.init_app(app)

    from .announcements.views import bp as announcements_bp
    from .arrival.views import bp as arrival_bp
    from .auth.views import bp as auth_bp
    from .events.views import bp as events_bp
    from .facilitate.views import bp as facilitate_bp
    from .harvest.views import bp as harvest_bp
    from .manage.views import bp as manage_bp
    from .offline import bp as offline_bp
    from .proposals.views import bp as proposals_bp
    from .schedule.views import bp as schedule_bp
    from .unsubscribe import bp as unsubscribe_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(facilitate_bp)
    app.register_blueprint(schedule_bp)
    app.register_blueprint(announcements_bp)
    app.register_blueprint(harvest_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(arrival_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(unsubscribe_bp)

    from . import cli, i18n, templating

    i18n.init_app(app)
    cli.init_app(app)
    templating.init_app(app)
    return app
