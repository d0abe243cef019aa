"""`flask agenda …`: demo data and admin accounts."""

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app

from . import demo
from .services.accounts import create_admin


def demo_password() -> str:
    """AGENDA_DEMO_PASSWORD, or one generated once and kept (0600) in the instance folder."""
    if os.environ.get("AGENDA_DEMO_PASSWORD"):
        return os.environ["AGENDA_DEMO_PASSWORD"]
    path = Path(current_app.instance_path) / "demo-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password)
    return password


def print_logins(password: str) -> None:
    click.echo(f"Demo logins (password: {password}):")
    for email, _name, role in demo.DEMO_ACCOUNTS:
        click.echo(f"  {role:<12} {email}")


@click.group("agenda")
def agenda_cli():
    """Manage agenda: demo data, admins."""


@agenda_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load the demo into an empty database.")
def demo_command(if_empty):
    """Load the CampaignCon 2017 demo event."""
    password = demo_password()
    if demo.demo_exists() or (if_empty and not demo.database_is_empty()):
        click.echo("The database already holds data; the demo was not loaded again.")
    else:
        event = demo.load_demo(password)
        click.echo(f"Loaded the demo event '{demo.SLUG}'; generating and publishing its schedule…")
        demo.stage_demo(event)
        click.echo("Published the demo's schedule, with an announcement and one session's notes.")
    if demo.demo_exists():
        print_logins(password)


@agenda_cli.command("create-admin")
@click.argument("email")
@click.password_option(help="The admin's password (asked when not given).")
def create_admin_command(email, password):
    """Create an admin account, or make an existing account admin."""
    from .addresses import AddressError, canonical
    from .security import password_is_weak

    try:
        email = canonical(email)
    except AddressError as e:
        raise click.BadParameter(str(e.message), param_hint="email") from None
    if len(password) < 10 or password_is_weak(password, [email]):
        raise click.BadParameter("use at least 10 characters, hard to guess (a few unrelated words)",
                                 param_hint="password")
    create_admin(email, password)
    click.echo(f"{email} is an admin.")


def _event(slug: str):
    from sqlalchemy import select

    from .extensions import db
    from .models import Event

    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise click.BadParameter(f"no event '{slug}'", param_hint="--event")
    return event


@agenda_cli.command("worker")
@click.option("--once", is_flag=True, help="Stop when no run is waiting.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between looks at the queue.")
def worker_command(once, poll):
    """Run queued solve runs, send queued e-mail, apply retention dates (the web app queues them)."""
    import logging

    from .worker import run_worker

    # One line per message sent (or written to the outbox folder), per run, per purge.
    logging.getLogger("agenda.mail").setLevel(logging.INFO)
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")

    click.echo("worker: waiting for runs (Ctrl-C stops)" if not once else "worker: running queued runs")
    run_worker(poll=poll, once=once, echo=click.echo)


@agenda_cli.command("solve")
@click.option("--event", "slug", required=True, help="The event's slug.")
@click.option("--time-limit", default=20, show_default=True, type=click.IntRange(1, 600))
@click.option("--publish", is_flag=True, help="Publish the new version.")
def solve_command(slug, time_limit, publish):
    """Generate a schedule now, with a progress bar (one run per event, as in the app)."""
    from .services import ServiceError
    from .services.schedule import claim_next_run, execute_run, publish_version, start_run

    event = _event(slug)
    try:
        run = start_run(event, time_limit)
    except ServiceError as err:
        raise click.ClickException(err.message) from None
    run_id = run.id
    if claim_next_run() != run_id:
        raise click.ClickException("a worker took the run first; follow it in the app")
    with click.progressbar(length=time_limit * 10, label="solving", show_eta=False,
                           item_show_func=lambda x: x) as bar:
        shown = {"ticks": 0}

        def progress(elapsed, objective, bound):
            ticks = min(time_limit * 10, int(elapsed * 10))
            bar.update(ticks - shown["ticks"], f"objective {objective} / bound {bound}")
            shown["ticks"] = ticks

        row = execute_run(run_id, on_progress=progress)
    from .reasons import outcome

    click.echo(f"{row.status}: {outcome(row, event)}")
    if row.status not in ("succeeded", "cancelled") or row.version is None:
        raise SystemExit(1)
    figures = row.version.figures
    click.echo(f"version {row.version.number}: {figures.get('unscheduled')} unscheduled, attendable votes "
               f"{figures.get('attendable_votes')}/{figures.get('total_votes')}, "
               f"overflow {figures.get('overflow')}, slot moves {figures.get('slot_moves')}")
    if publish:
        try:
            publish_version(row.version)
        except ServiceError as err:
            raise click.ClickException(err.message) from None
        click.echo(f"version {row.version.number} is published")


@agenda_cli.command("export-instance")
@click.option("--event", "slug", required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None)
def export_instance_command(slug, out):
    """Write the event's scheduling problem as agenda-instance/1 JSON."""
    import json

    from . import scheduling

    data = scheduling.export_instance(scheduling.build_problem(_event(slug)))
    text = json.dumps(data, indent=1, ensure_ascii=False)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        click.echo(text)


@agenda_cli.command("import-solution")
@click.option("--event", "slug", required=True)
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_solution_command(slug, file):
    """Store a solution computed elsewhere as a new draft, after checking it."""
    import json

    from .services import ServiceError
    from .services.schedule import import_solution

    event = _event(slug)
    try:
        data = json.load(file)
        version = import_solution(event, data)
    except json.JSONDecodeError as e:
        raise click.ClickException(f"{file.name}: line {e.lineno} column {e.colno}: {e.msg}") from None
    except ValueError as e:
        raise click.ClickException(f"{file.name}: {e}") from None
    except ServiceError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"stored as draft version {version.number}")


@agenda_cli.command("purge")
@click.option("--event", "slug", default=None, help="Purge this event now, whatever its retention date.")
def purge_command(slug):
    """Delete votes, agenda choices and calendar addresses of events past their retention date."""
    from .services.privacy import purge_due, purge_event

    if slug:
        kept = purge_event(_event(slug))
        click.echo(f"{slug}: personal data deleted; kept {kept['votes']} vote totals")
        return
    done = purge_due()
    for done_slug in done:
        click.echo(f"{done_slug}: retention date passed, personal data deleted (vote totals kept)")
    if not done:
        click.echo("no event is past its retention date")


@agenda_cli.command("export-event")
@click.option("--event", "slug", required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
def export_event_command(slug, out):
    """Back up everything of one event as JSON (settings, people, proposals, votes, versions…)."""
    import json

    from .backup import export_event

    data = export_event(_event(slug))
    tmp = f"{out}.partial"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    os.replace(tmp, out)  # a backup is complete or absent, never half written
    click.echo(f"wrote {out}: {len(data['people'])} people, {len(data['proposals'])} proposals, "
               f"{len(data['votes'])} votes, {len(data['versions'])} versions")


@agenda_cli.command("import-event")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--slug", default=None, help="Restore under another address.")
def import_event_command(file, slug):
    """Restore an event backed up with export-event (all or nothing)."""
    import json

    from .backup import BackupError, import_event

    try:
        event = import_event(json.load(file), slug)
    except json.JSONDecodeError as e:
        raise click.ClickException(f"{file.name}: line {e.lineno} column {e.colno}: {e.msg}") from None
    except (BackupError, KeyError, TypeError) as e:
        raise click.ClickException(f"{file.name}: {e}") from None
    click.echo(f"restored '{event.slug}'")


@agenda_cli.command("import-people")
@click.option("--event", "slug", required=True, help="The event's slug.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_people_command(slug, file):
    """Import the participant list (CSV: name,email,languages,days); all or nothing, invites once."""
    from .services.arrival import ImportRefused, import_people

    event = _event(slug)
    try:
        result = import_people(event, Path(file).read_bytes())
    except ImportRefused as err:
        for problem in err.problems:
            click.echo(f"{file}: {problem}", err=True)
        raise click.ClickException("nothing was imported") from None
    click.echo(f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged; "
               f"{result.invited} invitations queued")


@agenda_cli.command("badges")
@click.option("--event", "slug", required=True, help="The event's slug.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="The folder to write to.")
def badges_command(slug, out):
    """Write badges.html (A4, eight a page) and badges.csv for the people without e-mail; badges
    printed before stop working."""
    import csv

    from .arrival.views import badge_sheet
    from .services.arrival import print_badges

    event = _event(slug)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    badges = print_badges(event)
    css = (Path(current_app.static_folder) / "print.css").read_text(encoding="utf-8")
    with current_app.test_request_context("/"):
        (folder / "badges.html").write_text(badge_sheet(event, badges, css=css), encoding="utf-8")
    with open(folder / "badges.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "url"])
        writer.writerows(badges)
    click.echo(f"{len(badges)} badges in {folder / 'badges.html'} and {folder / 'badges.csv'}")


# Translations


ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "agenda" / "translations"
POT = CATALOGUES / "messages.pot"


def pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", *args])


def extract_messages(out: Path = POT) -> Path:
    """Every message of the web app and its templates, into a template catalogue."""
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "--no-location",
            "--sort-output", "--project", "agenda", "-o", str(out), str(ROOT))
    return out


@agenda_cli.group("translate")
def translate():
    """Catalogues: extract messages, update the .po files, compile them, add a language."""


@translate.command("extract")
def translate_extract():
    """Write agenda/translations/messages.pot from the code and templates."""
    click.echo(f"wrote {extract_messages().relative_to(ROOT)}")


@translate.command("update")
def translate_update():
    """Extract, then bring every language's .po up to date (new messages are left empty)."""
    extract_messages()
    pybabel("update", "-i", str(POT), "-d", str(CATALOGUES), "--no-fuzzy-matching", "--ignore-obsolete",
            "--width", "120")
    click.echo("updated the catalogues: translate the empty messages, then `flask agenda translate compile`")


@translate.command("compile")
def translate_compile():
    """Compile the .po files into the .mo files the app reads."""
    pybabel("compile", "-d", str(CATALOGUES), "--statistics")


@translate.command("init")
@click.argument("language")
def translate_init(language):
    """Start a catalogue for a new language (an ISO 639-1 code such as pt)."""
    extract_messages()
    pybabel("init", "-i", str(POT), "-d", str(CATALOGUES), "-l", language)
    click.echo(f"created agenda/translations/{language}/LC_MESSAGES/messages.po; add '{language}' to "
               f"LANGUAGES in agenda/i18n.py")


def init_app(app: Flask) -> None:
    app.cli.add_command(agenda_cli)
