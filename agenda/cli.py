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
        demo.load_demo(password)
        click.echo(f"Loaded the demo event '{demo.SLUG}'.")
    if demo.demo_exists():
        print_logins(password)


@agenda_cli.command("create-admin")
@click.argument("email")
@click.password_option(help="The admin's password (asked when not given).")
def create_admin_command(email, password):
    """Create an admin account, or make an existing account admin."""
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    create_admin(email, password)
    click.echo(f"{email} is an admin.")


def init_app(app: Flask) -> None:
    app.cli.add_command(agenda_cli)
