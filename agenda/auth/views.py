"""Accounts: register, log in and out, profile, password, deletion."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..forms import apply_field_error
from ..models import Event
from ..permissions import permission
from ..security import login_throttle, start_session_clock, throttle
from ..services import ServiceError, accounts
from .forms import DeleteAccountForm, EmptyForm, LoginForm, PasswordForm, ProfileForm, RegisterForm

bp = Blueprint("auth", __name__)


def _registration_event() -> Event | None:
    """The event named by ?event=, or the only one; None when there is no single choice."""
    slug = request.args.get("event")
    if slug:
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        if event is None:
            abort(404)
        return event
    events = db.session.scalars(select(Event).limit(2)).all()
    return events[0] if len(events) == 1 else None


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect, never a broken header.

    Browsers drop tabs and newlines from a URL ("/\t/evil.example" goes off-site as
    "//evil.example"), so whitespace and control characters go first; then what is left must
    be a path with no scheme and no host.
    """
    if not target:
        return None
    target = "".join(c for c in target if c.isprintable() and not c.isspace())
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/register", methods=["GET", "POST"])
@permission("account.anonymous")
def register():
    event = _registration_event()
    form = RegisterForm()
    if form.validate_on_submit():
        if not throttle("register", "REGISTER_LIMIT_ADDRESS"):
            form.form_errors.append(_("Too many accounts were made from here. Wait a quarter of an hour and "
                                      "try again."))
            return render_template("auth/register.html", form=form, event=event), 429
        try:
            accounts.register_user(
                form.email.data, form.display_name.data, form.password.data,
                event, form.invite_code.data, form.languages.data,
            )
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            # The same answer whether or not the email was already registered.
            flash(_("Your account is ready: log in with your email and password."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form, event=event)


@bp.route("/login", methods=["GET", "POST"])
@permission("account.anonymous")
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        attempt = login_throttle(form.email.data)
        if not attempt.allowed():
            form.form_errors.append(
                _("Too many login attempts. Wait a quarter of an hour and try again.")
            )
            status = 429
        else:
            user = accounts.authenticate(form.email.data, form.password.data)
            if user is None:
                form.form_errors.append(_("Wrong email or password."))
            else:
                attempt.forget()  # only failures count: a venue's shared address stays usable
                login_user(user)
                start_session_clock()
                flash(_("Welcome, %(name)s.", name=user.display_name), "success")
                return redirect(safe_next(request.args.get("next")) or url_for("events.index"))
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@permission("account.anonymous")
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        accounts.revoke_sessions(current_user)
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("events.index"))


@bp.route("/account", methods=["GET", "POST"])
@permission("account.own")
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_profile(current_user, form.display_name.data, form.languages.data, form.locale.data or None)
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=form, password_form=PasswordForm(prefix="pw"),
        delete_form=DeleteAccountForm(prefix="del"),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@permission("account.own")
def change_password():
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            # The token changed: other copies of the cookie are out; keep this browser in.
            login_user(current_user._get_current_object())
            start_session_clock()
            flash(_("Your password is changed. Other devices are logged out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 400


@bp.route("/account/delete", methods=["GET", "POST"])
@permission("account.own")
def delete_account():
    form = DeleteAccountForm(prefix="del")
    if form.validate_on_submit():
        try:
            accounts.delete_account(current_user, form.password.data)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            logout_user()
            flash(_("Your account and everything of yours are deleted."), "success")
            return redirect(url_for("events.index"))
    return render_template("auth/delete.html", form=form), 200 if not form.errors else 400
